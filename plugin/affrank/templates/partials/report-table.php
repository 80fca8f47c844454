<?php
/**
 * One report table (keywords, pages or links) with sortable columns and a
 * CSV download. $view: table, title, data (rows… or WP_Error), range, currency.
 *
 * @package AffRank
 */

use AffRank\Admin\Menu;
use AffRank\Admin\Report_Table;
use AffRank\Admin\Revenue_Page;
use AffRank\Format;

defined( 'ABSPATH' ) || exit;

$affrank_table   = $view['table'];
$affrank_data    = $view['data'];
$affrank_label   = Report_Table::LABEL[ $affrank_table ];
$affrank_home    = untrailingslashit( home_url() );
$affrank_arrow   = 'asc' === $affrank_data['order'] ? '▲' : '▼';
$affrank_columns = array(
	$affrank_label    => array(
		'keyword'  => __( 'Keyword', 'affrank' ),
		'page_url' => __( 'Page', 'affrank' ),
		'url'      => __( 'Link', 'affrank' ),
	)[ $affrank_label ],
	'clicks'          => __( 'Clicks', 'affrank' ),
	'conversions'     => __( 'Conversions', 'affrank' ),
	'revenue'         => __( 'Revenue', 'affrank' ),
	'epc'             => __( 'EPC', 'affrank' ),
	'conversion_rate' => __( 'Conv. rate', 'affrank' ),
);
?>
<div class="affrank-card affrank-report" id="affrank-<?php echo esc_attr( $affrank_table ); ?>">
	<div class="affrank-card__head">
		<h2><?php echo esc_html( $view['title'] ); ?></h2>
		<?php if ( ! is_wp_error( $affrank_data ) && $affrank_data['rows'] ) : ?>
			<a class="button button-small" href="<?php echo esc_url( Revenue_Page::csv_url( $affrank_table, $view['range'], $affrank_data['orderby'], $affrank_data['order'] ) ); ?>"><?php esc_html_e( 'Download CSV', 'affrank' ); ?></a>
		<?php endif; ?>
	</div>
	<?php if ( is_wp_error( $affrank_data ) ) : ?>
		<p class="affrank-muted"><?php echo esc_html( $affrank_data->get_error_message() ); ?></p>
	<?php elseif ( ! $affrank_data['rows'] ) : ?>
		<p class="affrank-muted"><?php esc_html_e( 'Nothing yet for this period.', 'affrank' ); ?></p>
	<?php else : ?>
		<div class="affrank-table-scroll">
		<table class="widefat striped affrank-table">
			<thead><tr>
				<?php
				foreach ( $affrank_columns as $affrank_column => $affrank_heading ) :
					$affrank_is_sorted = $affrank_column === $affrank_data['orderby'];
					$affrank_next      = Report_Table::next_order( $affrank_column, $affrank_data['orderby'], $affrank_data['order'] );
					$affrank_url       = Menu::url(
						Menu::REVENUE,
						$view['range']->screen_query() + array(
							$affrank_table . '_orderby' => $affrank_column,
							$affrank_table . '_order'   => $affrank_next,
						)
					) . '#affrank-' . $affrank_table;
					?>
					<th scope="col" class="<?php echo $affrank_column === $affrank_label ? 'column-primary' : 'num'; ?>"<?php echo $affrank_is_sorted ? ' aria-sort="' . esc_attr( 'asc' === $affrank_data['order'] ? 'ascending' : 'descending' ) . '"' : ''; ?>>
						<a href="<?php echo esc_url( $affrank_url ); ?>"><?php echo esc_html( $affrank_heading ); ?><?php echo $affrank_is_sorted ? '<span class="affrank-sort" aria-hidden="true">' . esc_html( $affrank_arrow ) . '</span>' : ''; ?></a>
					</th>
				<?php endforeach; ?>
			</tr></thead>
			<tbody>
				<?php foreach ( $affrank_data['rows'] as $affrank_row ) : ?>
					<tr>
						<td class="column-primary">
							<?php
							$affrank_value = $affrank_row[ $affrank_label ] ?? null;
							if ( 'keyword' === $affrank_label ) {
								// The sidecar names links without a keyword "(none)".
								if ( null === $affrank_value || '' === $affrank_value || Report_Table::NO_KEYWORD === $affrank_value ) {
									echo '<span class="affrank-muted">' . esc_html__( '(no keyword)', 'affrank' ) . '</span>';
								} else {
									echo esc_html( (string) $affrank_value );
								}
							} else {
								$affrank_text = Report_Table::display_url( (string) $affrank_value, $affrank_home );
								echo '<a href="' . esc_url( (string) $affrank_value ) . '" class="affrank-url" target="_blank" rel="noopener noreferrer">' . esc_html( $affrank_text ) . '</a>';
								if ( 'links' === $affrank_table && ! empty( $affrank_row['network'] ) ) {
									echo ' <span class="affrank-badge">' . esc_html( (string) $affrank_row['network'] ) . '</span>';
								}
								if ( 'links' === $affrank_table && ! empty( $affrank_row['page_url'] ) ) {
									$affrank_page = Report_Table::display_url( (string) $affrank_row['page_url'], $affrank_home );
									/* translators: %s: the page a link is on. */
									echo '<br><span class="affrank-muted">' . esc_html( sprintf( __( 'on %s', 'affrank' ), $affrank_page ) ) . '</span>';
								}
							}
							if ( Report_Table::is_test_row( $affrank_row ) ) {
								echo ' <span class="affrank-badge affrank-badge--info" title="' . esc_attr__( 'Made by “Send test postback”: a bot click, never counted.', 'affrank' ) . '">' . esc_html__( 'test click', 'affrank' ) . '</span>';
							}
							?>
						</td>
						<td class="num affrank-col-clicks" data-label="<?php echo esc_attr( $affrank_columns['clicks'] ); ?>"><?php echo esc_html( Format::count( $affrank_row['clicks'] ?? 0 ) ); ?></td>
						<td class="num affrank-col-conversions" data-label="<?php echo esc_attr( $affrank_columns['conversions'] ); ?>"><?php echo esc_html( Format::count( $affrank_row['conversions'] ?? 0 ) ); ?></td>
						<td class="num affrank-col-revenue" data-label="<?php echo esc_attr( $affrank_columns['revenue'] ); ?>"><strong><?php echo esc_html( Format::money( $affrank_row['revenue'] ?? '0', $view['currency'] ) ); ?></strong></td>
						<td class="num affrank-col-epc" data-label="<?php echo esc_attr( $affrank_columns['epc'] ); ?>"><?php echo esc_html( Format::money( $affrank_row['epc'] ?? null, $view['currency'] ) ); ?></td>
						<td class="num affrank-col-conversion_rate" data-label="<?php echo esc_attr( $affrank_columns['conversion_rate'] ); ?>"><?php echo esc_html( Format::percent( $affrank_row['conversion_rate'] ?? null ) ); ?></td>
					</tr>
				<?php endforeach; ?>
			</tbody>
		</table>
		</div>
		<?php if ( $affrank_data['total_rows'] > count( $affrank_data['rows'] ) ) : ?>
			<p class="affrank-muted">
				<?php
				printf(
					/* translators: 1: rows shown, 2: rows in total. */
					esc_html__( 'Showing %1$s of %2$s. Download the CSV for all of them.', 'affrank' ),
					esc_html( Format::count( count( $affrank_data['rows'] ) ) ),
					esc_html( Format::count( $affrank_data['total_rows'] ) )
				);
				?>
			</p>
		<?php endif; ?>
	<?php endif; ?>
</div>
