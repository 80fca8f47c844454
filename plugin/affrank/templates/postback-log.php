<?php
/**
 * AffRank → Postback Log.
 *
 * $view: configured, error (WP_Error|null), rows (Postback_Log_Page::present()
 * output), filter ('' or one outcome), outcomes, limit.
 *
 * @package AffRank
 */

use AffRank\Admin\Conversions_Page;
use AffRank\Admin\Menu;
use AffRank\Admin\Postback_Log_Page;
use AffRank\Format;
use AffRank\Template;

defined( 'ABSPATH' ) || exit;

$affrank_when_format = get_option( 'date_format' ) . ' ' . get_option( 'time_format' );
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
			<p><a class="button" href="<?php echo esc_url( Menu::url( Menu::SETTINGS ) ); ?>"><?php esc_html_e( 'Check the connection', 'affrank' ); ?></a></p>
		</div>
	<?php else : ?>
		<form method="get" class="affrank-range affrank-log-filter" action="<?php echo esc_url( admin_url( 'admin.php' ) ); ?>">
			<input type="hidden" name="page" value="<?php echo esc_attr( Menu::LOG ); ?>">
			<label for="affrank-log-outcome"><?php esc_html_e( 'Outcome', 'affrank' ); ?></label>
			<select name="<?php echo esc_attr( Postback_Log_Page::FILTER ); ?>" id="affrank-log-outcome">
				<option value=""><?php esc_html_e( 'All outcomes', 'affrank' ); ?></option>
				<?php foreach ( $view['outcomes'] as $affrank_outcome ) : ?>
					<option value="<?php echo esc_attr( $affrank_outcome ); ?>"<?php selected( $view['filter'], $affrank_outcome ); ?>><?php echo esc_html( $affrank_outcome ); ?></option>
				<?php endforeach; ?>
			</select>
			<button type="submit" class="button"><?php esc_html_e( 'Filter', 'affrank' ); ?></button>
			<span class="affrank-muted">
				<?php
				printf(
					/* translators: %s: how many rows at most. */
					esc_html__( 'The latest %s postbacks, newest first.', 'affrank' ),
					esc_html( Format::count( $view['limit'] ) )
				);
				?>
			</span>
		</form>

		<?php if ( ! $view['rows'] && '' !== $view['filter'] ) : ?>
			<div class="affrank-empty">
				<span class="dashicons dashicons-list-view" aria-hidden="true"></span>
				<h2>
					<?php
					printf(
						/* translators: %s: an outcome such as "unmatched". */
						esc_html__( 'No recent postback has the outcome “%s”', 'affrank' ),
						esc_html( $view['filter'] )
					);
					?>
				</h2>
				<p><a class="button" href="<?php echo esc_url( Menu::url( Menu::LOG ) ); ?>"><?php esc_html_e( 'Show all outcomes', 'affrank' ); ?></a></p>
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
						<th scope="col" class="affrank-log__when"><?php esc_html_e( 'Received', 'affrank' ); ?></th>
						<th scope="col" class="affrank-log__source"><?php esc_html_e( 'Source', 'affrank' ); ?></th>
						<th scope="col" class="affrank-log__outcome"><?php esc_html_e( 'Outcome', 'affrank' ); ?></th>
						<th scope="col" class="affrank-params"><?php esc_html_e( 'Parameters', 'affrank' ); ?></th>
						<th scope="col" class="affrank-log__meaning"><?php esc_html_e( 'What it means', 'affrank' ); ?></th>
					</tr></thead>
					<tbody>
					<?php foreach ( $view['rows'] as $affrank_row ) : ?>
						<?php $affrank_time = '' !== $affrank_row['received_at'] ? strtotime( $affrank_row['received_at'] ) : false; ?>
						<tr class="affrank-log__row affrank-log__row--<?php echo esc_attr( $affrank_row['status'] ); ?>">
							<td class="affrank-log__when" data-label="<?php esc_attr_e( 'Received', 'affrank' ); ?>">
								<?php echo esc_html( false !== $affrank_time ? wp_date( $affrank_when_format, $affrank_time ) : '—' ); ?>
								<?php if ( '' !== $affrank_row['method'] || '' !== $affrank_row['source_addr'] ) : ?>
									<br><span class="affrank-muted">
									<?php
									echo esc_html(
										'' !== $affrank_row['source_addr']
											/* translators: 1: HTTP method (GET, POST), 2: the sender's IP address. */
											? sprintf( __( '%1$s from %2$s', 'affrank' ), $affrank_row['method'], $affrank_row['source_addr'] )
											: $affrank_row['method']
									);
									?>
									</span>
								<?php endif; ?>
							</td>
							<td class="affrank-log__source" data-label="<?php esc_attr_e( 'Source', 'affrank' ); ?>">
								<?php $affrank_source = '' !== $affrank_row['source'] ? $affrank_row['source'] : 'postback'; ?>
								<span class="affrank-tag affrank-tag--<?php echo esc_attr( $affrank_source ); ?>"><?php echo esc_html( Conversions_Page::source_label( $affrank_source ) ); ?></span>
							</td>
							<td class="affrank-log__outcome" data-label="<?php esc_attr_e( 'Outcome', 'affrank' ); ?>">
								<span class="affrank-badge affrank-badge--<?php echo esc_attr( Postback_Log_Page::tone( $affrank_row['status'] ) ); ?>"><?php echo esc_html( '' !== $affrank_row['status'] ? $affrank_row['status'] : '—' ); ?></span>
								<?php if ( null !== $affrank_row['http_status'] ) : ?>
									<br><span class="affrank-muted"><?php echo esc_html( 'HTTP ' . $affrank_row['http_status'] ); ?></span>
								<?php endif; ?>
							</td>
							<td class="affrank-params" data-label="<?php esc_attr_e( 'Parameters', 'affrank' ); ?>">
								<?php foreach ( $affrank_row['params'] as $affrank_pair ) : ?>
									<code><?php echo esc_html( $affrank_pair[0] . '=' . $affrank_pair[1] ); ?></code>
								<?php endforeach; ?>
								<?php if ( ! $affrank_row['params'] ) : ?>
									<span class="affrank-muted"><?php esc_html_e( '(none)', 'affrank' ); ?></span>
								<?php endif; ?>
							</td>
							<td class="affrank-log__meaning" data-label="<?php esc_attr_e( 'What it means', 'affrank' ); ?>">
								<?php echo esc_html( $affrank_row['hint'] ); ?>
								<?php if ( '' !== $affrank_row['message'] ) : ?>
									<br><span class="affrank-muted">
									<?php
									/* translators: %s: the sidecar's own explanation of the outcome (English). */
									echo esc_html( sprintf( __( 'Sidecar: %s', 'affrank' ), $affrank_row['message'] ) );
									?>
									</span>
								<?php endif; ?>
								<?php if ( null !== $affrank_row['conversion_id'] ) : ?>
									<br><span class="affrank-muted">
									<?php
									/* translators: %s: the conversion's id in the sidecar's database. */
									echo esc_html( sprintf( __( 'Conversion #%s', 'affrank' ), (string) $affrank_row['conversion_id'] ) );
									?>
									</span>
								<?php endif; ?>
							</td>
						</tr>
					<?php endforeach; ?>
					</tbody>
				</table>
				</div>
			</div>
		<?php endif; ?>
	<?php endif; ?>
</div>
