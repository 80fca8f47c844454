<?php
/**
 * Attribution coverage under the Revenue Mapping tiles: how much of the
 * revenue was credited to a click (by session id), to a page only (by an
 * Amazon tracking id), or to nothing. $view: coverage {click, page, none}
 * (decimal strings in the site's currency), currency.
 *
 * @package AffRank
 */

use AffRank\Format;

defined( 'ABSPATH' ) || exit;

$affrank_parts = array();
foreach ( array( 'click', 'page', 'none' ) as $affrank_key ) {
	$affrank_value                 = $view['coverage'][ $affrank_key ] ?? '0';
	$affrank_parts[ $affrank_key ] = is_scalar( $affrank_value ) && is_numeric( (string) $affrank_value ) ? (string) $affrank_value : '0';
}
// The shares are for display only (rounded to a tenth of a percent); the
// amounts themselves are printed from the exact decimal strings.
$affrank_total = array_sum( array_map( 'floatval', $affrank_parts ) );
$affrank_share = static fn ( string $part ): string => $affrank_total > 0 ? Format::percent( (float) $part / $affrank_total ) : '—';
?>
<p class="affrank-muted affrank-coverage" id="affrank-coverage">
	<strong><?php esc_html_e( 'Attribution:', 'affrank' ); ?></strong>
	<span class="affrank-coverage__click">
		<?php
		/* translators: 1: an amount of revenue, 2: its share of the revenue. */
		echo esc_html( sprintf( __( '%1$s matched to a click (%2$s)', 'affrank' ), Format::money( $affrank_parts['click'], $view['currency'] ), $affrank_share( $affrank_parts['click'] ) ) );
		?>
	</span> ·
	<span class="affrank-coverage__page">
		<?php
		/* translators: 1: an amount of revenue, 2: its share of the revenue. */
		echo esc_html( sprintf( __( '%1$s to a page by tracking id (%2$s)', 'affrank' ), Format::money( $affrank_parts['page'], $view['currency'] ), $affrank_share( $affrank_parts['page'] ) ) );
		?>
	</span> ·
	<span class="affrank-coverage__none">
		<?php
		/* translators: 1: an amount of revenue, 2: its share of the revenue. */
		echo esc_html( sprintf( __( '%1$s unattributed (%2$s)', 'affrank' ), Format::money( $affrank_parts['none'], $view['currency'] ), $affrank_share( $affrank_parts['none'] ) ) );
		?>
	</span>
</p>
