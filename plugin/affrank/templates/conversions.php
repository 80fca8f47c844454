<?php
/**
 * AffRank → Conversions.
 *
 * $view: configured, error (WP_Error|null), rows (Conversions_Page::present()
 * output), total_rows, filters, editing (a row or null), edit_missing,
 * networks (id → name), currency, pages (permalink → title), add_action,
 * edit_action, status_action.
 *
 * @package AffRank
 */

use AffRank\Admin\Conversions_Page;
use AffRank\Admin\Menu;
use AffRank\Admin\Report_Table;
use AffRank\Format;
use AffRank\Template;

defined( 'ABSPATH' ) || exit;

$affrank_filters  = $view['filters'];
$affrank_editing  = $view['editing'];
$affrank_return   = http_build_query( Conversions_Page::screen_query( $affrank_filters ) );
$affrank_home     = untrailingslashit( home_url() );
$affrank_when     = get_option( 'date_format' ) . ' ' . get_option( 'time_format' );
$affrank_statuses = array(
	'approved' => __( 'approved', 'affrank' ),
	'pending'  => __( 'pending', 'affrank' ),
	'rejected' => __( 'rejected', 'affrank' ),
	'reversed' => __( 'reversed', 'affrank' ),
);
$affrank_form     = null !== $affrank_editing
	? array(
		'affrank_network'        => $affrank_editing['network'],
		// The day in the blog's time zone, which is the site's (Settings sends it).
		'affrank_date'           => false !== strtotime( $affrank_editing['received_at'] ) ? wp_date( 'Y-m-d', (int) strtotime( $affrank_editing['received_at'] ) ) : '',
		'affrank_amount'         => $affrank_editing['amount'],
		'affrank_currency'       => $affrank_editing['currency'],
		'affrank_status'         => $affrank_editing['status'],
		'affrank_session_id'     => $affrank_editing['session_id'],
		'affrank_page_url'       => $affrank_editing['page_url'],
		'affrank_transaction_id' => $affrank_editing['transaction_id'],
		'affrank_product'        => $affrank_editing['product'],
		'affrank_note'           => $affrank_editing['note'],
	)
	: array(
		'affrank_network'        => '',
		'affrank_date'           => wp_date( 'Y-m-d' ),
		'affrank_amount'         => '',
		'affrank_currency'       => $view['currency'],
		'affrank_status'         => 'approved',
		'affrank_session_id'     => '',
		'affrank_page_url'       => '',
		'affrank_transaction_id' => '',
		'affrank_product'        => '',
		'affrank_note'           => '',
	);
?>
<div class="wrap affrank affrank-conversions">
	<?php
	Template::render(
		'partials/header',
		array(
			'title'   => __( 'Conversions', 'affrank' ),
			'current' => Menu::CONVERSIONS,
		)
	);
	?>

	<?php if ( ! $view['configured'] ) : ?>
		<?php Template::render( 'partials/get-started', array() ); ?>
	<?php elseif ( null !== $view['error'] && 'affrank_not_available' === $view['error']->get_error_code() ) : ?>
		<div class="affrank-empty">
			<span class="dashicons dashicons-list-view" aria-hidden="true"></span>
			<h2><?php esc_html_e( 'The conversions list arrives with the next sidecar update', 'affrank' ); ?></h2>
			<p><?php esc_html_e( 'The connected sidecar does not list conversions or take them by hand yet. Meanwhile the Postback Log shows every postback.', 'affrank' ); ?></p>
		</div>
	<?php elseif ( null !== $view['error'] ) : ?>
		<div class="affrank-empty affrank-empty--error">
			<span class="dashicons dashicons-warning" aria-hidden="true"></span>
			<h2><?php esc_html_e( 'The conversions could not be loaded', 'affrank' ); ?></h2>
			<p><?php echo esc_html( $view['error']->get_error_message() ); ?></p>
			<p><a class="button" href="<?php echo esc_url( Menu::url( Menu::SETTINGS ) ); ?>"><?php esc_html_e( 'Check the connection', 'affrank' ); ?></a></p>
		</div>
	<?php else : ?>

		<form method="get" class="affrank-range affrank-conversions-filter" action="<?php echo esc_url( admin_url( 'admin.php' ) ); ?>">
			<input type="hidden" name="page" value="<?php echo esc_attr( Menu::CONVERSIONS ); ?>">
			<span class="affrank-filter">
			<label for="affrank-filter-source"><?php esc_html_e( 'Source', 'affrank' ); ?></label>
			<select name="<?php echo esc_attr( Conversions_Page::FILTER_SOURCE ); ?>" id="affrank-filter-source">
				<option value=""><?php esc_html_e( 'All sources', 'affrank' ); ?></option>
				<?php foreach ( Conversions_Page::SOURCES as $affrank_source ) : ?>
					<option value="<?php echo esc_attr( $affrank_source ); ?>"<?php selected( $affrank_filters['source'], $affrank_source ); ?>><?php echo esc_html( Conversions_Page::source_label( $affrank_source ) ); ?></option>
				<?php endforeach; ?>
			</select>
			</span>
			<span class="affrank-filter">
			<label for="affrank-filter-network"><?php esc_html_e( 'Network', 'affrank' ); ?></label>
			<select name="<?php echo esc_attr( Conversions_Page::FILTER_NETWORK ); ?>" id="affrank-filter-network">
				<option value=""><?php esc_html_e( 'All networks', 'affrank' ); ?></option>
				<?php foreach ( $view['networks'] + ( '' !== $affrank_filters['network'] && ! isset( $view['networks'][ $affrank_filters['network'] ] ) ? array( $affrank_filters['network'] => $affrank_filters['network'] ) : array() ) as $affrank_id => $affrank_name ) : ?>
					<option value="<?php echo esc_attr( (string) $affrank_id ); ?>"<?php selected( $affrank_filters['network'], (string) $affrank_id ); ?>><?php echo esc_html( $affrank_name ); ?></option>
				<?php endforeach; ?>
			</select>
			</span>
			<span class="affrank-filter">
			<label for="affrank-filter-status"><?php esc_html_e( 'Status', 'affrank' ); ?></label>
			<select name="<?php echo esc_attr( Conversions_Page::FILTER_STATUS ); ?>" id="affrank-filter-status">
				<option value=""><?php esc_html_e( 'All statuses', 'affrank' ); ?></option>
				<?php foreach ( $affrank_statuses as $affrank_status => $affrank_label ) : ?>
					<option value="<?php echo esc_attr( $affrank_status ); ?>"<?php selected( $affrank_filters['status'], $affrank_status ); ?>><?php echo esc_html( $affrank_label ); ?></option>
				<?php endforeach; ?>
			</select>
			</span>
			<button type="submit" class="button"><?php esc_html_e( 'Filter', 'affrank' ); ?></button>
			<a class="button button-primary" href="#affrank-conversion-form"><?php esc_html_e( 'Add a conversion', 'affrank' ); ?></a>
		</form>

		<?php if ( $view['edit_missing'] ) : ?>
			<div class="notice notice-warning"><p><?php esc_html_e( 'That conversion is not on this page of the list, or was not added by hand: only conversions added by hand can be edited. Its status can be changed in the list.', 'affrank' ); ?></p></div>
		<?php endif; ?>

		<div class="affrank-card">
			<?php if ( ! $view['rows'] ) : ?>
				<p class="affrank-muted affrank-conversions-empty"><?php esc_html_e( 'No conversions match yet. They arrive by postback, by importing a network report, or by adding them below.', 'affrank' ); ?></p>
			<?php else : ?>
				<div class="affrank-table-scroll">
				<table class="widefat striped affrank-table affrank-ledger" id="affrank-conversions">
					<thead><tr>
						<th scope="col"><?php esc_html_e( 'Received', 'affrank' ); ?></th>
						<th scope="col"><?php esc_html_e( 'Source', 'affrank' ); ?></th>
						<th scope="col"><?php esc_html_e( 'Network', 'affrank' ); ?></th>
						<th scope="col" class="num"><?php esc_html_e( 'Commission', 'affrank' ); ?></th>
						<th scope="col"><?php esc_html_e( 'Status', 'affrank' ); ?></th>
						<th scope="col"><?php esc_html_e( 'Credited to', 'affrank' ); ?></th>
						<th scope="col"><?php esc_html_e( 'Change', 'affrank' ); ?></th>
					</tr></thead>
					<tbody>
					<?php foreach ( $view['rows'] as $affrank_row ) : ?>
						<?php $affrank_time = '' !== $affrank_row['received_at'] ? strtotime( $affrank_row['received_at'] ) : false; ?>
						<tr id="affrank-conversion-<?php echo esc_attr( (string) $affrank_row['id'] ); ?>" data-source="<?php echo esc_attr( $affrank_row['source'] ); ?>">
							<td data-label="<?php esc_attr_e( 'Received', 'affrank' ); ?>">
								<?php echo esc_html( false !== $affrank_time ? wp_date( $affrank_when, $affrank_time ) : '—' ); ?>
								<br><span class="affrank-muted affrank-mono">
									<?php
									/* translators: 1: the conversion's number, 2: the network's transaction id. */
									echo esc_html( '' !== $affrank_row['transaction_id'] ? sprintf( __( '#%1$s · %2$s', 'affrank' ), (string) $affrank_row['id'], $affrank_row['transaction_id'] ) : '#' . $affrank_row['id'] );
									?>
								</span>
							</td>
							<td data-label="<?php esc_attr_e( 'Source', 'affrank' ); ?>"><span class="affrank-tag affrank-tag--<?php echo esc_attr( $affrank_row['source'] ); ?>"><?php echo esc_html( Conversions_Page::source_label( $affrank_row['source'] ) ); ?></span></td>
							<td data-label="<?php esc_attr_e( 'Network', 'affrank' ); ?>"><?php echo esc_html( '' !== $affrank_row['network'] ? ( $view['networks'][ $affrank_row['network'] ] ?? $affrank_row['network'] ) : '—' ); ?></td>
							<td class="num affrank-col-amount" data-label="<?php esc_attr_e( 'Commission', 'affrank' ); ?>">
								<strong><?php echo esc_html( Format::money( $affrank_row['amount'], '' !== $affrank_row['currency'] ? $affrank_row['currency'] : $view['currency'] ) ); ?></strong>
								<?php if ( '' !== $affrank_row['currency'] && strtoupper( $affrank_row['currency'] ) !== strtoupper( $view['currency'] ) && '' !== $affrank_row['amount_site'] ) : ?>
									<br><span class="affrank-muted"><?php echo esc_html( Format::money( $affrank_row['amount_site'], $view['currency'] ) ); ?></span>
								<?php endif; ?>
							</td>
							<td data-label="<?php esc_attr_e( 'Status', 'affrank' ); ?>"><span class="affrank-badge affrank-badge--<?php echo esc_attr( Conversions_Page::tone( $affrank_row['status'] ) ); ?>"><?php echo esc_html( $affrank_statuses[ $affrank_row['status'] ] ?? $affrank_row['status'] ); ?></span></td>
							<td class="affrank-credited" data-label="<?php esc_attr_e( 'Credited to', 'affrank' ); ?>">
								<?php if ( '' !== $affrank_row['page_url'] && 'none' !== $affrank_row['attribution'] ) : ?>
									<a class="affrank-url" href="<?php echo esc_url( $affrank_row['page_url'] ); ?>" target="_blank" rel="noopener noreferrer"><?php echo esc_html( Report_Table::display_url( $affrank_row['page_url'], $affrank_home ) ); ?></a>
									<?php if ( '' !== $affrank_row['keyword'] && Report_Table::NO_KEYWORD !== $affrank_row['keyword'] ) : ?>
										<br><span class="affrank-muted"><?php echo esc_html( $affrank_row['keyword'] ); ?></span>
									<?php endif; ?>
									<?php if ( 'page' === $affrank_row['attribution'] ) : ?>
										<br><span class="affrank-muted"><?php esc_html_e( 'page only (no click)', 'affrank' ); ?></span>
									<?php endif; ?>
								<?php elseif ( '' !== $affrank_row['label'] ) : ?>
									<?php /* translators: %s: a tracking id. */ ?>
									<span class="affrank-muted"><?php echo esc_html( sprintf( __( 'tracking id %s, no page', 'affrank' ), $affrank_row['label'] ) ); ?></span>
								<?php else : ?>
									<span class="affrank-muted"><?php esc_html_e( 'unattributed', 'affrank' ); ?></span>
								<?php endif; ?>
								<?php if ( '' !== $affrank_row['product'] ) : ?>
									<br><span class="affrank-muted"><?php echo esc_html( $affrank_row['product'] ); ?></span>
								<?php endif; ?>
							</td>
							<td class="affrank-ledger__change" data-label="<?php esc_attr_e( 'Change', 'affrank' ); ?>">
								<form method="post" action="<?php echo esc_url( admin_url( 'admin-post.php' ) ); ?>" class="affrank-status-form">
									<input type="hidden" name="action" value="<?php echo esc_attr( $view['status_action'] ); ?>">
									<input type="hidden" name="affrank_conversion_id" value="<?php echo esc_attr( (string) $affrank_row['id'] ); ?>">
									<input type="hidden" name="affrank_return" value="<?php echo esc_attr( $affrank_return ); ?>">
									<input type="hidden" name="_wpnonce" value="<?php echo esc_attr( wp_create_nonce( $view['status_action'] . '_' . $affrank_row['id'] ) ); ?>">
									<label class="screen-reader-text" for="affrank-status-<?php echo esc_attr( (string) $affrank_row['id'] ); ?>"><?php esc_html_e( 'Status', 'affrank' ); ?></label>
									<select name="affrank_status" id="affrank-status-<?php echo esc_attr( (string) $affrank_row['id'] ); ?>">
										<?php foreach ( $affrank_statuses as $affrank_status => $affrank_label ) : ?>
											<option value="<?php echo esc_attr( $affrank_status ); ?>"<?php selected( $affrank_row['status'], $affrank_status ); ?>><?php echo esc_html( $affrank_label ); ?></option>
										<?php endforeach; ?>
									</select>
									<button type="submit" class="button button-small"><?php esc_html_e( 'Set', 'affrank' ); ?></button>
								</form>
								<?php if ( 'manual' === $affrank_row['source'] ) : ?>
									<span class="affrank-ledger__manual">
										<a href="<?php echo esc_url( Menu::url( Menu::CONVERSIONS, Conversions_Page::screen_query( $affrank_filters ) + array( Conversions_Page::EDIT => (string) $affrank_row['id'] ) ) . '#affrank-conversion-form' ); ?>"><?php esc_html_e( 'Edit', 'affrank' ); ?></a>
										<?php if ( 'reversed' !== $affrank_row['status'] ) : ?>
											<form method="post" action="<?php echo esc_url( admin_url( 'admin-post.php' ) ); ?>" class="affrank-reverse-form">
												<input type="hidden" name="action" value="<?php echo esc_attr( $view['status_action'] ); ?>">
												<input type="hidden" name="affrank_conversion_id" value="<?php echo esc_attr( (string) $affrank_row['id'] ); ?>">
												<input type="hidden" name="affrank_status" value="reversed">
												<input type="hidden" name="affrank_return" value="<?php echo esc_attr( $affrank_return ); ?>">
												<input type="hidden" name="_wpnonce" value="<?php echo esc_attr( wp_create_nonce( $view['status_action'] . '_' . $affrank_row['id'] ) ); ?>">
												<button type="submit" class="button-link affrank-link-danger"><?php esc_html_e( 'Reverse', 'affrank' ); ?></button>
											</form>
										<?php endif; ?>
									</span>
								<?php endif; ?>
							</td>
						</tr>
					<?php endforeach; ?>
					</tbody>
				</table>
				</div>
				<?php
				$affrank_offset = $affrank_filters['offset'];
				$affrank_shown  = count( $view['rows'] );
				?>
				<div class="affrank-pager">
					<span class="affrank-muted">
						<?php
						/* translators: 1: first row shown, 2: last row shown, 3: rows in total. */
						echo esc_html( sprintf( __( '%1$s–%2$s of %3$s', 'affrank' ), Format::count( $affrank_offset + 1 ), Format::count( $affrank_offset + $affrank_shown ), Format::count( $view['total_rows'] ) ) );
						?>
					</span>
					<?php if ( $affrank_offset > 0 ) : ?>
						<a class="button button-small" href="<?php echo esc_url( Menu::url( Menu::CONVERSIONS, Conversions_Page::screen_query( array( 'offset' => max( 0, $affrank_offset - Conversions_Page::LIMIT ) ) + $affrank_filters ) ) ); ?>"><?php esc_html_e( '‹ Newer', 'affrank' ); ?></a>
					<?php endif; ?>
					<?php if ( $affrank_offset + $affrank_shown < $view['total_rows'] ) : ?>
						<a class="button button-small" href="<?php echo esc_url( Menu::url( Menu::CONVERSIONS, Conversions_Page::screen_query( array( 'offset' => $affrank_offset + Conversions_Page::LIMIT ) + $affrank_filters ) ) ); ?>"><?php esc_html_e( 'Older ›', 'affrank' ); ?></a>
					<?php endif; ?>
				</div>
			<?php endif; ?>
		</div>

		<form method="post" action="<?php echo esc_url( admin_url( 'admin-post.php' ) ); ?>" class="affrank-card affrank-conversion-form" id="affrank-conversion-form">
			<?php if ( null !== $affrank_editing ) : ?>
				<input type="hidden" name="action" value="<?php echo esc_attr( $view['edit_action'] ); ?>">
				<input type="hidden" name="affrank_conversion_id" value="<?php echo esc_attr( (string) $affrank_editing['id'] ); ?>">
				<?php wp_nonce_field( $view['edit_action'] . '_' . $affrank_editing['id'] ); ?>
				<?php /* translators: %s: the conversion's number. */ ?>
				<h2><?php echo esc_html( sprintf( __( 'Edit conversion #%s', 'affrank' ), (string) $affrank_editing['id'] ) ); ?></h2>
				<p class="affrank-muted"><?php esc_html_e( 'The date, commission, currency, status and page can be changed; the rest stays as entered.', 'affrank' ); ?></p>
			<?php else : ?>
				<input type="hidden" name="action" value="<?php echo esc_attr( $view['add_action'] ); ?>">
				<?php wp_nonce_field( $view['add_action'] ); ?>
				<h2><?php esc_html_e( 'Add a conversion by hand', 'affrank' ); ?></h2>
				<p class="affrank-muted"><?php esc_html_e( 'For a program that sends no postback and has no report to import: enter the sale as its dashboard shows it. With a session id (the sub-id value the network reported) it is credited to that click; with a page, to that page; otherwise it counts as unattributed revenue.', 'affrank' ); ?></p>
			<?php endif; ?>
			<input type="hidden" name="affrank_return" value="<?php echo esc_attr( $affrank_return ); ?>">
			<table class="form-table" role="presentation">
				<tr>
					<th scope="row"><label for="affrank_network"><?php esc_html_e( 'Network', 'affrank' ); ?></label></th>
					<td>
						<input type="text" class="regular-text" id="affrank_network" name="affrank_network" list="affrank-networks" value="<?php echo esc_attr( $affrank_form['affrank_network'] ); ?>" required<?php disabled( null !== $affrank_editing ); ?> placeholder="<?php esc_attr_e( 'e.g. awin, or the program’s name', 'affrank' ); ?>">
						<datalist id="affrank-networks">
							<?php foreach ( $view['networks'] as $affrank_id => $affrank_name ) : ?>
								<option value="<?php echo esc_attr( (string) $affrank_id ); ?>"><?php echo esc_html( $affrank_name ); ?></option>
							<?php endforeach; ?>
						</datalist>
					</td>
				</tr>
				<tr>
					<th scope="row"><label for="affrank_date"><?php esc_html_e( 'Date', 'affrank' ); ?></label></th>
					<td><input type="date" id="affrank_date" name="affrank_date" value="<?php echo esc_attr( $affrank_form['affrank_date'] ); ?>" required></td>
				</tr>
				<tr>
					<th scope="row"><label for="affrank_amount"><?php esc_html_e( 'Commission', 'affrank' ); ?></label></th>
					<td>
						<input type="text" inputmode="decimal" class="small-text affrank-amount" id="affrank_amount" name="affrank_amount" value="<?php echo esc_attr( $affrank_form['affrank_amount'] ); ?>" required placeholder="12.50">
						<label class="screen-reader-text" for="affrank_currency"><?php esc_html_e( 'Currency', 'affrank' ); ?></label>
						<input type="text" class="small-text code" id="affrank_currency" name="affrank_currency" maxlength="3" value="<?php echo esc_attr( $affrank_form['affrank_currency'] ); ?>">
						<p class="description"><?php esc_html_e( 'Your commission, not the order total; 0 for a lead.', 'affrank' ); ?></p>
					</td>
				</tr>
				<tr>
					<th scope="row"><label for="affrank_status_new"><?php esc_html_e( 'Status', 'affrank' ); ?></label></th>
					<td>
						<select id="affrank_status_new" name="affrank_status">
							<?php foreach ( $affrank_statuses as $affrank_status => $affrank_label ) : ?>
								<option value="<?php echo esc_attr( $affrank_status ); ?>"<?php selected( $affrank_form['affrank_status'], $affrank_status ); ?>><?php echo esc_html( $affrank_label ); ?></option>
							<?php endforeach; ?>
						</select>
					</td>
				</tr>
				<tr>
					<th scope="row"><label for="affrank_page_url"><?php esc_html_e( 'Page', 'affrank' ); ?></label></th>
					<td>
						<input type="url" class="large-text code" id="affrank_page_url" name="affrank_page_url" list="affrank-pages" value="<?php echo esc_attr( $affrank_form['affrank_page_url'] ); ?>" placeholder="<?php echo esc_attr( home_url( '/' ) ); ?>">
						<datalist id="affrank-pages">
							<?php foreach ( $view['pages'] as $affrank_url => $affrank_title ) : ?>
								<option value="<?php echo esc_attr( (string) $affrank_url ); ?>"><?php echo esc_html( $affrank_title ); ?></option>
							<?php endforeach; ?>
						</datalist>
						<p class="description"><?php esc_html_e( 'Optional: the post that earned it, when you know.', 'affrank' ); ?></p>
					</td>
				</tr>
				<tr>
					<th scope="row"><label for="affrank_session_id"><?php esc_html_e( 'Session id', 'affrank' ); ?></label></th>
					<td><input type="text" class="regular-text code" id="affrank_session_id" name="affrank_session_id" maxlength="24" value="<?php echo esc_attr( $affrank_form['affrank_session_id'] ); ?>"<?php disabled( null !== $affrank_editing ); ?>>
						<p class="description"><?php esc_html_e( 'Optional: the sub-id value the network shows for the sale.', 'affrank' ); ?></p>
					</td>
				</tr>
				<tr>
					<th scope="row"><label for="affrank_transaction_id"><?php esc_html_e( 'Transaction id', 'affrank' ); ?></label></th>
					<td><input type="text" class="regular-text code" id="affrank_transaction_id" name="affrank_transaction_id" maxlength="200" value="<?php echo esc_attr( $affrank_form['affrank_transaction_id'] ); ?>"<?php disabled( null !== $affrank_editing ); ?>>
						<p class="description"><?php esc_html_e( 'Optional: the network’s order or commission id, so a later import of the same sale updates this one.', 'affrank' ); ?></p>
					</td>
				</tr>
				<tr>
					<th scope="row"><label for="affrank_product"><?php esc_html_e( 'Product', 'affrank' ); ?></label></th>
					<td><input type="text" class="regular-text" id="affrank_product" name="affrank_product" maxlength="200" value="<?php echo esc_attr( $affrank_form['affrank_product'] ); ?>"<?php disabled( null !== $affrank_editing ); ?>></td>
				</tr>
				<tr>
					<th scope="row"><label for="affrank_note"><?php esc_html_e( 'Note', 'affrank' ); ?></label></th>
					<td><textarea class="large-text" rows="2" id="affrank_note" name="affrank_note" maxlength="1000"<?php disabled( null !== $affrank_editing ); ?>><?php echo esc_textarea( $affrank_form['affrank_note'] ); ?></textarea></td>
				</tr>
			</table>
			<p class="submit">
				<?php submit_button( null !== $affrank_editing ? __( 'Save conversion', 'affrank' ) : __( 'Add conversion', 'affrank' ), 'primary', 'affrank-save-conversion', false ); ?>
				<?php if ( null !== $affrank_editing ) : ?>
					<a class="button" href="<?php echo esc_url( Menu::url( Menu::CONVERSIONS, Conversions_Page::screen_query( $affrank_filters ) ) ); ?>"><?php esc_html_e( 'Cancel', 'affrank' ); ?></a>
				<?php endif; ?>
			</p>
		</form>
	<?php endif; ?>
</div>
