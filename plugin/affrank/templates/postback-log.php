<?php
/**
 * AffRank → Postback Log.
 *
 * @package AffRank
 */

use AffRank\Admin\Menu;
use AffRank\Template;

defined( 'ABSPATH' ) || exit;

$affrank_tones = array(
	'matched'   => 'ok',
	'updated'   => 'ok',
	'duplicate' => 'muted',
	'unmatched' => 'warn',
);
?>
<div class="wrap affrank">
	<?php
	Template::render(
		'partials/header',
		array(
			'title'   => __( 'Postback Log', 'affrank' ),
			'current' => Menu::LOG,
		)
	);
	?>

	<?php if ( ! $view['configured'] ) : ?>
		<?php Template::render( 'partials/get-started', array() ); ?>
	<?php elseif ( null !== $view['error'] && 'affrank_not_available' === $view['error']->get_error_code() ) : ?>
		<div class="affrank-empty">
			<span class="dashicons dashicons-list-view" aria-hidden="true"></span>
			<h2><?php esc_html_e( 'The postback log arrives with the next sidecar update', 'affrank' ); ?></h2>
			<p><?php esc_html_e( 'The connected sidecar does not keep a postback log yet. Once it does, every postback a network sends shows up here with what happened to it and what to fix.', 'affrank' ); ?></p>
		</div>
	<?php elseif ( null !== $view['error'] ) : ?>
		<div class="affrank-empty affrank-empty--error">
			<span class="dashicons dashicons-warning" aria-hidden="true"></span>
			<h2><?php esc_html_e( 'The postback log could not be loaded', 'affrank' ); ?></h2>
			<p><?php echo esc_html( $view['error']->get_error_message() ); ?></p>
		</div>
	<?php elseif ( ! $view['rows'] ) : ?>
		<div class="affrank-empty">
			<span class="dashicons dashicons-list-view" aria-hidden="true"></span>
			<h2><?php esc_html_e( 'No postbacks received yet', 'affrank' ); ?></h2>
			<p><?php esc_html_e( 'When a network reports a sale, it appears here within seconds. To check the set-up now, send a test postback.', 'affrank' ); ?></p>
			<p><a class="button button-primary" href="<?php echo esc_url( Menu::url( Menu::POSTBACKS ) ); ?>"><?php esc_html_e( 'Go to Postback Setup', 'affrank' ); ?></a></p>
		</div>
	<?php else : ?>
		<div class="affrank-card">
			<div class="affrank-table-scroll">
			<table class="widefat striped affrank-table affrank-log">
				<thead><tr>
					<th scope="col"><?php esc_html_e( 'Received', 'affrank' ); ?></th>
					<th scope="col"><?php esc_html_e( 'Outcome', 'affrank' ); ?></th>
					<th scope="col"><?php esc_html_e( 'Parameters', 'affrank' ); ?></th>
					<th scope="col"><?php esc_html_e( 'What it means', 'affrank' ); ?></th>
				</tr></thead>
				<tbody>
				<?php foreach ( $view['rows'] as $affrank_row ) : ?>
					<tr>
						<td><?php echo esc_html( '' !== $affrank_row['received_at'] ? wp_date( get_option( 'date_format' ) . ' ' . get_option( 'time_format' ), (int) strtotime( $affrank_row['received_at'] ) ) : '—' ); ?></td>
						<td><span class="affrank-badge affrank-badge--<?php echo esc_attr( $affrank_tones[ $affrank_row['status'] ] ?? 'error' ); ?>"><?php echo esc_html( $affrank_row['status'] ); ?></span></td>
						<td class="affrank-params">
							<?php foreach ( $affrank_row['params'] as $affrank_name => $affrank_value ) : ?>
								<code><?php echo esc_html( $affrank_name . '=' . $affrank_value ); ?></code>
							<?php endforeach; ?>
						</td>
						<td><?php echo esc_html( $affrank_row['hint'] ); ?><?php if ( '' !== $affrank_row['message'] ) : ?><br><span class="affrank-muted"><?php echo esc_html( $affrank_row['message'] ); ?></span><?php endif; ?></td>
					</tr>
				<?php endforeach; ?>
				</tbody>
			</table>
			</div>
		</div>
	<?php endif; ?>
</div>
