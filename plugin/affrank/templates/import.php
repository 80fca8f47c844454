<?php
/**
 * AffRank → Import.
 *
 * $view: configured, presets (Import_Page::presets()), presets_error
 * (WP_Error|null), pending (Import_Store::pending(): name, size, source,
 * token, preview), result (the last applied import, shown once), max_bytes,
 * fields (field → label), required, preview_action, apply_action,
 * cancel_action.
 *
 * @package AffRank
 */

use AffRank\Admin\Conversions_Page;
use AffRank\Admin\Import_Page;
use AffRank\Admin\Menu;
use AffRank\Format;
use AffRank\Template;

defined( 'ABSPATH' ) || exit;

$affrank_pending     = $view['pending'];
$affrank_preview     = is_array( $affrank_pending ) ? ( $affrank_pending['preview'] ?? null ) : null;
$affrank_result      = $view['result'];
$affrank_counts      = static function ( array $answer, bool $done ): array {
	return array(
		array( __( 'Rows read', 'affrank' ), $answer['rows'], 'rows' ),
		array( $done ? __( 'New conversions', 'affrank' ) : __( 'New', 'affrank' ), $answer['imported'], 'imported' ),
		array( __( 'Updated', 'affrank' ), $answer['updated'], 'updated' ),
		array( __( 'Already imported', 'affrank' ), $answer['duplicate'], 'duplicate' ),
		array( __( 'Not matched to a click', 'affrank' ), $answer['unattributed'], 'unattributed' ),
		array( $done ? __( 'Rejected, skipped', 'affrank' ) : __( 'Rejected', 'affrank' ), $answer['rejected_total'], 'rejected' ),
	);
};
$affrank_source_text = static function ( array $source ) use ( $view ): string {
	if ( isset( $source['preset'] ) ) {
		foreach ( $view['presets'] as $affrank_preset ) {
			if ( $affrank_preset['id'] === $source['preset'] ) {
				return $affrank_preset['name'];
			}
		}
		return (string) $source['preset'];
	}
	$pairs = array();
	foreach ( (array) ( $source['columns'] ?? array() ) as $field => $column ) {
		$pairs[] = $field . ' ← “' . $column . '”';
	}
	/* translators: %s: the mapped columns, e.g. amount ← "Commission". */
	return sprintf( __( 'Columns mapped by hand: %s', 'affrank' ), implode( ', ', $pairs ) );
};
?>
<div class="wrap affrank affrank-import">
	<?php
	Template::render(
		'partials/header',
		array(
			'title'   => __( 'Import', 'affrank' ),
			'current' => Menu::IMPORT,
		)
	);
	?>

	<?php if ( ! $view['configured'] ) : ?>
		<?php Template::render( 'partials/get-started', array() ); ?>
	<?php elseif ( null !== $view['presets_error'] && 'affrank_not_available' === $view['presets_error']->get_error_code() ) : ?>
		<div class="affrank-empty">
			<span class="dashicons dashicons-upload" aria-hidden="true"></span>
			<h2><?php esc_html_e( 'Report imports arrive with the next sidecar update', 'affrank' ); ?></h2>
			<p><?php esc_html_e( 'The connected sidecar does not import network reports yet. Update the AffRank sidecar to bring in sales from Amazon, CJ and other networks that send no postback.', 'affrank' ); ?></p>
		</div>
	<?php elseif ( null !== $view['presets_error'] ) : ?>
		<div class="affrank-empty affrank-empty--error">
			<span class="dashicons dashicons-warning" aria-hidden="true"></span>
			<h2><?php esc_html_e( 'The import formats could not be loaded', 'affrank' ); ?></h2>
			<p><?php echo esc_html( $view['presets_error']->get_error_message() ); ?></p>
			<p><a class="button" href="<?php echo esc_url( Menu::url( Menu::SETTINGS ) ); ?>"><?php esc_html_e( 'Check the connection', 'affrank' ); ?></a></p>
		</div>
	<?php else : ?>

		<?php if ( null !== $affrank_result ) : ?>
			<div class="affrank-card affrank-import-result" id="affrank-import-result">
				<h2><?php esc_html_e( 'Imported', 'affrank' ); ?></h2>
				<p class="affrank-muted">
					<?php
					/* translators: 1: file name, 2: report format. */
					echo esc_html( sprintf( __( '%1$s, read as %2$s.', 'affrank' ), (string) ( $affrank_result['name'] ?? '' ), $affrank_source_text( (array) ( $affrank_result['source'] ?? array() ) ) ) );
					?>
				</p>
				<div class="affrank-tiles affrank-tiles--counts">
					<?php foreach ( $affrank_counts( $affrank_result, true ) as $affrank_count ) : ?>
						<div class="affrank-tile affrank-count--<?php echo esc_attr( $affrank_count[2] ); ?><?php echo $affrank_count[1] > 0 ? ' is-nonzero' : ''; ?>">
							<span class="affrank-tile__label"><?php echo esc_html( $affrank_count[0] ); ?></span>
							<span class="affrank-tile__value"><?php echo esc_html( Format::count( $affrank_count[1] ) ); ?></span>
						</div>
					<?php endforeach; ?>
				</div>
				<p>
					<a class="button button-primary" href="<?php echo esc_url( Menu::url( Menu::REVENUE ) ); ?>"><?php esc_html_e( 'See Revenue Mapping', 'affrank' ); ?></a>
					<a class="button" href="<?php echo esc_url( Menu::url( Menu::CONVERSIONS, array( Conversions_Page::FILTER_SOURCE => 'import' ) ) ); ?>"><?php esc_html_e( 'See the imported conversions', 'affrank' ); ?></a>
				</p>
			</div>
		<?php endif; ?>

		<?php if ( is_array( $affrank_preview ) ) : ?>
			<div class="affrank-card affrank-import-check" id="affrank-import-check">
				<h2><?php esc_html_e( 'Step 2: check the rows, then import', 'affrank' ); ?></h2>
				<p class="affrank-muted">
					<?php
					echo esc_html(
						sprintf(
							/* translators: 1: file name, 2: file size, 3: report format. */
							__( '%1$s (%2$s), read as %3$s. Nothing is imported until you press “Import”.', 'affrank' ),
							(string) $affrank_pending['name'],
							size_format( (int) $affrank_pending['size'] ),
							$affrank_source_text( (array) $affrank_pending['source'] )
						)
					);
					?>
				</p>
				<div class="affrank-tiles affrank-tiles--counts">
					<?php foreach ( $affrank_counts( $affrank_preview, false ) as $affrank_count ) : ?>
						<div class="affrank-tile affrank-count--<?php echo esc_attr( $affrank_count[2] ); ?><?php echo $affrank_count[1] > 0 ? ' is-nonzero' : ''; ?>">
							<span class="affrank-tile__label"><?php echo esc_html( $affrank_count[0] ); ?></span>
							<span class="affrank-tile__value"><?php echo esc_html( Format::count( $affrank_count[1] ) ); ?></span>
						</div>
					<?php endforeach; ?>
				</div>

				<?php if ( ( $affrank_preview['skipped'] ?? 0 ) > 0 ) : ?>
					<p class="affrank-muted">
						<?php
						/* translators: %s: number of rows. */
						echo esc_html( sprintf( _n( '%s row that is no transaction (a total, a blank or test line) is left out.', '%s rows that are no transactions (totals, blank or test lines) are left out.', (int) $affrank_preview['skipped'], 'affrank' ), Format::count( $affrank_preview['skipped'] ) ) );
						?>
					</p>
				<?php endif; ?>
				<?php if ( $affrank_preview['rejected'] ) : ?>
					<h3><?php esc_html_e( 'Rejected rows', 'affrank' ); ?></h3>
					<div class="affrank-table-scroll">
					<table class="widefat striped affrank-table affrank-import-rejected" id="affrank-import-rejected">
						<thead><tr>
							<th scope="col" class="num affrank-col-row"><?php esc_html_e( 'Row', 'affrank' ); ?></th>
							<th scope="col"><?php esc_html_e( 'Why', 'affrank' ); ?></th>
						</tr></thead>
						<tbody>
						<?php foreach ( $affrank_preview['rejected'] as $affrank_row ) : ?>
							<tr>
								<td class="num affrank-col-row"><?php echo esc_html( null !== $affrank_row['row'] ? Format::count( $affrank_row['row'] ) : '—' ); ?></td>
								<td><?php echo esc_html( $affrank_row['reason'] ); ?></td>
							</tr>
						<?php endforeach; ?>
						</tbody>
					</table>
					</div>
					<?php if ( $affrank_preview['rejected_total'] > count( $affrank_preview['rejected'] ) ) : ?>
						<p class="affrank-muted">
							<?php
							/* translators: 1: rows shown, 2: rows in total. */
							echo esc_html( sprintf( __( 'The first %1$s of %2$s rejected rows.', 'affrank' ), Format::count( count( $affrank_preview['rejected'] ) ), Format::count( $affrank_preview['rejected_total'] ) ) );
							?>
						</p>
					<?php endif; ?>
				<?php endif; ?>

				<?php if ( $affrank_preview['preview'] ) : ?>
					<h3><?php esc_html_e( 'The first rows, as AffRank read them', 'affrank' ); ?></h3>
					<?php if ( $affrank_preview['columns'] ) : ?>
						<p class="affrank-muted affrank-import-columns">
							<?php
							/* translators: %s: the file's column names, comma-separated. */
							echo esc_html( sprintf( __( 'Columns in the file: %s', 'affrank' ), implode( ', ', $affrank_preview['columns'] ) ) );
							?>
						</p>
					<?php endif; ?>
					<div class="affrank-table-scroll">
					<table class="widefat striped affrank-table affrank-import-rows" id="affrank-import-rows">
						<thead><tr>
							<th scope="col" class="num affrank-col-row"><?php esc_html_e( 'Row', 'affrank' ); ?></th>
							<th scope="col"><?php esc_html_e( 'Date', 'affrank' ); ?></th>
							<th scope="col"><?php esc_html_e( 'Transaction', 'affrank' ); ?></th>
							<th scope="col" class="num"><?php esc_html_e( 'Commission', 'affrank' ); ?></th>
							<th scope="col"><?php esc_html_e( 'Status', 'affrank' ); ?></th>
							<th scope="col"><?php esc_html_e( 'Credited to', 'affrank' ); ?></th>
							<th scope="col"><?php esc_html_e( 'Product', 'affrank' ); ?></th>
						</tr></thead>
						<tbody>
						<?php foreach ( $affrank_preview['preview'] as $affrank_row ) : ?>
							<tr>
								<td class="num affrank-col-row"><?php echo esc_html( $affrank_row['row'] ); ?></td>
								<td><?php echo esc_html( $affrank_row['date'] ); ?></td>
								<td class="affrank-mono"><?php echo esc_html( $affrank_row['transaction_id'] ); ?></td>
								<td class="num">
									<?php
									// Exactly as read: "7.781 USD" rather than a rounded "$7.78".
									$affrank_exact = '' === $affrank_row['currency'] || (bool) preg_match( '/\.\d{3,}$/', $affrank_row['amount'] );
									echo esc_html( $affrank_exact ? trim( $affrank_row['amount'] . ' ' . $affrank_row['currency'] ) : Format::money( $affrank_row['amount'], $affrank_row['currency'] ) );
									?>
								</td>
								<td><span class="affrank-badge affrank-badge--<?php echo esc_attr( Conversions_Page::tone( $affrank_row['status'] ) ); ?>"><?php echo esc_html( $affrank_row['status'] ); ?></span></td>
								<td>
									<?php if ( '' !== $affrank_row['session_id'] ) : ?>
										<?php /* translators: %s: a session id. */ ?>
										<span class="affrank-mono"><?php echo esc_html( sprintf( __( 'click %s', 'affrank' ), $affrank_row['session_id'] ) ); ?></span>
									<?php elseif ( '' !== $affrank_row['label'] ) : ?>
										<?php /* translators: %s: a tracking id such as an Amazon tag. */ ?>
										<span class="affrank-mono"><?php echo esc_html( sprintf( __( 'tracking id %s', 'affrank' ), $affrank_row['label'] ) ); ?></span>
									<?php else : ?>
										<span class="affrank-muted"><?php esc_html_e( 'nothing (unattributed)', 'affrank' ); ?></span>
									<?php endif; ?>
									<?php if ( '' !== $affrank_row['network'] ) : ?>
										<span class="affrank-tag"><?php echo esc_html( $affrank_row['network'] ); ?></span>
									<?php endif; ?>
								</td>
								<td><?php echo esc_html( $affrank_row['product'] ); ?></td>
							</tr>
						<?php endforeach; ?>
						</tbody>
					</table>
					</div>
					<?php if ( $affrank_preview['rows'] > count( $affrank_preview['preview'] ) ) : ?>
						<p class="affrank-muted">
							<?php
							/* translators: 1: rows shown, 2: rows in the file. */
							echo esc_html( sprintf( __( 'The first %1$s of %2$s rows.', 'affrank' ), Format::count( count( $affrank_preview['preview'] ) ), Format::count( $affrank_preview['rows'] ) ) );
							?>
						</p>
					<?php endif; ?>
				<?php endif; ?>

				<form method="post" action="<?php echo esc_url( admin_url( 'admin-post.php' ) ); ?>" class="affrank-import-apply">
					<input type="hidden" name="action" value="<?php echo esc_attr( $view['apply_action'] ); ?>">
					<input type="hidden" name="affrank_import_token" value="<?php echo esc_attr( (string) $affrank_pending['token'] ); ?>">
					<?php wp_nonce_field( $view['apply_action'] ); ?>
					<?php if ( $affrank_preview['rejected_total'] > 0 ) : ?>
						<p><label><input type="checkbox" name="affrank_skip_rejected" id="affrank_skip_rejected" value="1"> <?php esc_html_e( 'Skip rejected rows and import the others', 'affrank' ); ?></label></p>
						<p class="description"><?php esc_html_e( 'Without this, a file with a rejected row imports nothing: fix the rows in the file and upload it again.', 'affrank' ); ?></p>
					<?php endif; ?>
					<p class="affrank-import-buttons">
						<?php submit_button( __( 'Import', 'affrank' ), 'primary', 'affrank-import-apply', false ); ?>
						<?php // Submits the cancel form below (HTML's form attribute), beside Import. ?>
						<button type="submit" class="button" id="affrank-import-cancel" form="affrank-import-cancel-form"><?php esc_html_e( 'Cancel and delete the file', 'affrank' ); ?></button>
					</p>
				</form>
				<form method="post" action="<?php echo esc_url( admin_url( 'admin-post.php' ) ); ?>" id="affrank-import-cancel-form">
					<input type="hidden" name="action" value="<?php echo esc_attr( $view['cancel_action'] ); ?>">
					<input type="hidden" name="_wpnonce" value="<?php echo esc_attr( wp_create_nonce( $view['cancel_action'] ) ); ?>">
				</form>
			</div>
		<?php endif; ?>

		<form method="post" enctype="multipart/form-data" action="<?php echo esc_url( admin_url( 'admin-post.php' ) ); ?>" class="affrank-card affrank-import-form">
			<input type="hidden" name="action" value="<?php echo esc_attr( $view['preview_action'] ); ?>">
			<input type="hidden" name="MAX_FILE_SIZE" value="<?php echo esc_attr( (string) $view['max_bytes'] ); ?>">
			<?php wp_nonce_field( $view['preview_action'] ); ?>
			<h2><?php echo is_array( $affrank_preview ) ? esc_html__( 'Or upload another file', 'affrank' ) : esc_html__( 'Step 1: upload a network report', 'affrank' ); ?></h2>
			<p class="affrank-muted"><?php esc_html_e( 'For sales that reach AffRank by no postback: download the transactions report from your network (CSV, TSV or Excel) and upload it here. Sales are matched to clicks by the sub-id, Amazon sales to pages by tracking id; importing the same report again changes nothing, and a newer report updates statuses.', 'affrank' ); ?></p>
			<table class="form-table" role="presentation">
				<tr>
					<th scope="row"><label for="affrank_import_file"><?php esc_html_e( 'Report file', 'affrank' ); ?></label></th>
					<td>
						<input type="file" id="affrank_import_file" name="<?php echo esc_attr( Import_Page::FILE_FIELD ); ?>" accept=".csv,.tsv,.txt,.xlsx,text/csv,text/tab-separated-values,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet" required>
						<p class="description">
							<?php
							/* translators: %s: the largest file size, such as "8 MB". */
							echo esc_html( sprintf( __( 'CSV, TSV or XLSX, up to %s.', 'affrank' ), size_format( $view['max_bytes'] ) ) );
							?>
						</p>
					</td>
				</tr>
				<tr>
					<th scope="row"><label for="affrank_import_preset"><?php esc_html_e( 'Report format', 'affrank' ); ?></label></th>
					<td>
						<select id="affrank_import_preset" name="affrank_import_preset">
							<?php foreach ( $view['presets'] as $affrank_preset ) : ?>
								<option value="<?php echo esc_attr( $affrank_preset['id'] ); ?>"><?php echo esc_html( $affrank_preset['name'] ); ?></option>
							<?php endforeach; ?>
							<option value=""><?php esc_html_e( 'Another report: map its columns by hand', 'affrank' ); ?></option>
						</select>
					</td>
				</tr>
			</table>
			<fieldset class="affrank-columns">
				<legend><?php esc_html_e( 'Map columns by hand', 'affrank' ); ?></legend>
				<p class="description"><?php esc_html_e( 'Only for “Another report”: type each column’s name exactly as the file’s first row has it. Transaction id, commission and date are needed; leave the others empty if the file has none.', 'affrank' ); ?></p>
				<div class="affrank-columns__grid">
					<?php foreach ( $view['fields'] as $affrank_field => $affrank_label ) : ?>
						<label for="affrank_column_<?php echo esc_attr( $affrank_field ); ?>">
							<span>
								<?php echo esc_html( $affrank_label ); ?>
								<?php if ( in_array( $affrank_field, $view['required'], true ) ) : ?>
									<span class="affrank-required"><?php esc_html_e( '(needed)', 'affrank' ); ?></span>
								<?php endif; ?>
							</span>
							<input type="text" class="regular-text" id="affrank_column_<?php echo esc_attr( $affrank_field ); ?>" name="affrank_column_<?php echo esc_attr( $affrank_field ); ?>" autocomplete="off">
						</label>
					<?php endforeach; ?>
				</div>
			</fieldset>
			<p class="submit"><?php submit_button( __( 'Preview', 'affrank' ), is_array( $affrank_preview ) ? 'secondary' : 'primary', 'affrank-import-preview', false ); ?></p>
		</form>

		<?php if ( $view['presets'] ) : ?>
			<details class="affrank-card affrank-presets">
				<summary><?php esc_html_e( 'Which report to download from each network', 'affrank' ); ?></summary>
				<table class="widefat striped affrank-table">
					<thead><tr>
						<th scope="col"><?php esc_html_e( 'Format', 'affrank' ); ?></th>
						<th scope="col"><?php esc_html_e( 'Files', 'affrank' ); ?></th>
						<th scope="col"><?php esc_html_e( 'Where to find it', 'affrank' ); ?></th>
					</tr></thead>
					<tbody>
					<?php foreach ( $view['presets'] as $affrank_preset ) : ?>
						<tr>
							<td><?php echo esc_html( $affrank_preset['name'] ); ?></td>
							<td><?php echo esc_html( $affrank_preset['formats'] ); ?></td>
							<td><?php echo esc_html( $affrank_preset['note'] ); ?></td>
						</tr>
					<?php endforeach; ?>
					</tbody>
				</table>
			</details>
		<?php endif; ?>
	<?php endif; ?>
</div>
