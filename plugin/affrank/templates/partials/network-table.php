<?php
/**
 * Revenue by network on Revenue Mapping, with where each network's revenue
 * came from (postback, import, API…). $view: rows (GET
 * /api/v1/reports/networks rows), range (the network filter is marked),
 * currency.
 *
 * @package AffRank
 */

use AffRank\Admin\Conversions_Page;
use AffRank\Admin\Menu;
use AffRank\Format;

defined( 'ABSPATH' ) || exit;

$affrank_range = $view['range'];
?>
<div class="affrank-card affrank-report affrank-networks-report" id="affrank-networks">
	<div class="affrank-card__head">
		<h2><?php esc_html_e( 'Networks', 'affrank' ); ?></h2>
		<a class="button button-small" href="<?php echo esc_url( Menu::url( Menu::IMPORT ) ); ?>"><?php esc_html_e( 'Import a network report', 'affrank' ); ?></a>
	</div>
	<?php if ( ! $view['rows'] ) : ?>
		<p class="affrank-muted"><?php esc_html_e( 'Nothing yet for this period.', 'affrank' ); ?></p>
	<?php else : ?>
		<div class="affrank-table-scroll">
		<table class="widefat striped affrank-table">
			<thead><tr>
				<th scope="col" class="column-primary"><?php esc_html_e( 'Network', 'affrank' ); ?></th>
				<th scope="col" class="num"><?php esc_html_e( 'Clicks', 'affrank' ); ?></th>
				<th scope="col" class="num"><?php esc_html_e( 'Conversions', 'affrank' ); ?></th>
				<th scope="col" class="num"><?php esc_html_e( 'Revenue', 'affrank' ); ?></th>
				<th scope="col" class="num"><?php esc_html_e( 'EPC', 'affrank' ); ?></th>
				<th scope="col" class="num"><?php esc_html_e( 'Conv. rate', 'affrank' ); ?></th>
				<th scope="col" class="affrank-col-sources"><?php esc_html_e( 'Revenue from', 'affrank' ); ?></th>
			</tr></thead>
			<tbody>
			<?php foreach ( $view['rows'] as $affrank_row ) : ?>
				<?php
				$affrank_network = is_scalar( $affrank_row['network'] ?? null ) ? (string) $affrank_row['network'] : '';
				$affrank_sources = is_array( $affrank_row['sources'] ?? null ) ? $affrank_row['sources'] : array();
				?>
				<tr class="<?php echo $affrank_network === $affrank_range->network ? 'is-current' : ''; ?>">
					<td class="column-primary">
						<?php if ( '' === $affrank_network ) : ?>
							<span class="affrank-muted"><?php esc_html_e( '(unknown network)', 'affrank' ); ?></span>
						<?php else : ?>
							<a href="<?php echo esc_url( Menu::url( Menu::REVENUE, array( 'network' => $affrank_network ) + $affrank_range->screen_query() ) ); ?>"><?php echo esc_html( $affrank_network ); ?></a>
						<?php endif; ?>
					</td>
					<td class="num affrank-col-clicks" data-label="<?php esc_attr_e( 'Clicks', 'affrank' ); ?>"><?php echo esc_html( Format::count( $affrank_row['clicks'] ?? 0 ) ); ?></td>
					<td class="num affrank-col-conversions" data-label="<?php esc_attr_e( 'Conversions', 'affrank' ); ?>"><?php echo esc_html( Format::count( $affrank_row['conversions'] ?? 0 ) ); ?></td>
					<td class="num affrank-col-revenue" data-label="<?php esc_attr_e( 'Revenue', 'affrank' ); ?>"><strong><?php echo esc_html( Format::money( $affrank_row['revenue'] ?? '0', $view['currency'] ) ); ?></strong></td>
					<td class="num affrank-col-epc" data-label="<?php esc_attr_e( 'EPC', 'affrank' ); ?>"><?php echo esc_html( Format::money( $affrank_row['epc'] ?? null, $view['currency'] ) ); ?></td>
					<td class="num affrank-col-conversion_rate" data-label="<?php esc_attr_e( 'Conv. rate', 'affrank' ); ?>"><?php echo esc_html( Format::percent( $affrank_row['conversion_rate'] ?? null ) ); ?></td>
					<td class="affrank-col-sources" data-label="<?php esc_attr_e( 'Revenue from', 'affrank' ); ?>">
						<?php
						foreach ( $affrank_sources as $affrank_source => $affrank_amount ) :
							// Every source is listed, zeros too: only those that brought money are shown.
							if ( ! is_scalar( $affrank_amount ) || preg_match( '/^-?0*(\.0*)?$/', (string) $affrank_amount ) ) {
								continue;
							}
							?>
							<span class="affrank-tag affrank-tag--<?php echo esc_attr( (string) $affrank_source ); ?>"><?php echo esc_html( Conversions_Page::source_label( (string) $affrank_source ) . ' ' . Format::money( is_scalar( $affrank_amount ) ? (string) $affrank_amount : '', $view['currency'] ) ); ?></span>
						<?php endforeach; ?>
					</td>
				</tr>
			<?php endforeach; ?>
			</tbody>
		</table>
		</div>
	<?php endif; ?>
</div>
