<?php
/**
 * Which page has which Amazon tracking id (AffRank → Settings).
 * $view: pool (the site's ids), manual (bool: assigned by hand), rows
 * (Amazon_Pages::rows()), unused (ids no page has), error (WP_Error|null),
 * action.
 *
 * @package AffRank
 */

use AffRank\Admin\Amazon_Pages;
use AffRank\Admin\Report_Table;

defined( 'ABSPATH' ) || exit;

$affrank_home = untrailingslashit( home_url() );
?>
<form method="post" action="<?php echo esc_url( admin_url( 'admin-post.php' ) ); ?>" class="affrank-card affrank-amazon-pages" id="affrank-amazon-pages">
	<input type="hidden" name="action" value="<?php echo esc_attr( $view['action'] ); ?>">
	<?php wp_nonce_field( $view['action'] ); ?>
	<h2><?php esc_html_e( 'Amazon tracking id of each page', 'affrank' ); ?></h2>
	<?php if ( null !== $view['error'] ) : ?>
		<p class="affrank-muted"><?php echo esc_html( $view['error']->get_error_message() ); ?></p>
	<?php elseif ( ! $view['rows'] ) : ?>
		<p class="affrank-muted"><?php esc_html_e( 'No page has an Amazon link yet. Pages appear here once a post with an Amazon link has been viewed.', 'affrank' ); ?></p>
	<?php else : ?>
		<p class="affrank-muted">
			<?php
			echo $view['manual']
				? esc_html__( 'Pick a tracking id for each page; a page without one keeps the tag its links were written with.', 'affrank' )
				: esc_html__( 'Assigned automatically, in order. Choose “By hand” above and save to change them here.', 'affrank' );
			?>
		</p>
		<div class="affrank-table-scroll">
		<table class="widefat striped affrank-table">
			<thead><tr>
				<th scope="col"><?php esc_html_e( 'Page', 'affrank' ); ?></th>
				<th scope="col"><?php esc_html_e( 'Tracking id', 'affrank' ); ?></th>
			</tr></thead>
			<tbody>
			<?php foreach ( $view['rows'] as $affrank_row ) : ?>
				<tr>
					<td>
						<?php $affrank_title = $affrank_row['post_id'] > 0 ? get_the_title( $affrank_row['post_id'] ) : ''; ?>
						<?php if ( '' !== $affrank_title ) : ?>
							<strong><?php echo esc_html( $affrank_title ); ?></strong><br>
						<?php endif; ?>
						<a class="affrank-url affrank-muted" href="<?php echo esc_url( $affrank_row['page_url'] ); ?>" target="_blank" rel="noopener noreferrer"><?php echo esc_html( Report_Table::display_url( $affrank_row['page_url'], $affrank_home ) ); ?></a>
					</td>
					<td>
						<?php if ( $view['manual'] ) : ?>
							<label class="screen-reader-text" for="affrank-amazon-<?php echo esc_attr( $affrank_row['key'] ); ?>"><?php esc_html_e( 'Tracking id', 'affrank' ); ?></label>
							<select id="affrank-amazon-<?php echo esc_attr( $affrank_row['key'] ); ?>" name="<?php echo esc_attr( Amazon_Pages::FIELD . '[' . $affrank_row['key'] . ']' ); ?>" data-page-url="<?php echo esc_attr( $affrank_row['page_url'] ); ?>">
								<option value=""><?php esc_html_e( '— none —', 'affrank' ); ?></option>
								<?php foreach ( $view['pool'] as $affrank_id ) : ?>
									<option value="<?php echo esc_attr( $affrank_id ); ?>"<?php selected( $affrank_row['tracking_id'], $affrank_id ); ?>><?php echo esc_html( $affrank_id ); ?></option>
								<?php endforeach; ?>
							</select>
						<?php else : ?>
							<code><?php echo esc_html( '' !== $affrank_row['tracking_id'] ? $affrank_row['tracking_id'] : '—' ); ?></code>
						<?php endif; ?>
					</td>
				</tr>
			<?php endforeach; ?>
			</tbody>
		</table>
		</div>
		<?php if ( $view['unused'] ) : ?>
			<p class="affrank-muted">
				<?php
				/* translators: %s: tracking ids, comma-separated. */
				echo esc_html( sprintf( __( 'Not on any page yet: %s', 'affrank' ), implode( ', ', $view['unused'] ) ) );
				?>
			</p>
		<?php endif; ?>
		<?php if ( $view['manual'] ) : ?>
			<p class="submit"><?php submit_button( __( 'Save page tracking ids', 'affrank' ), 'secondary', 'affrank-save-amazon-pages', false ); ?></p>
		<?php endif; ?>
	<?php endif; ?>
</form>
