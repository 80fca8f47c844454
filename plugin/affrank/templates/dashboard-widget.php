<?php
/**
 * Dashboard widget body.
 *
 * @package AffRank
 */

use AffRank\Admin\Menu;
use AffRank\Format;
use AffRank\Template;

defined( 'ABSPATH' ) || exit;

$affrank_summary = $view['summary'];
?>
<div class="affrank affrank-widget">
	<?php
	Template::render(
		'partials/alerts',
		array(
			'alerts' => $view['alerts'] ?? array(),
			'inline' => true,
		)
	);
	?>
	<?php if ( ! $view['configured'] ) : ?>
		<p><?php esc_html_e( 'Connect AffRank to see which keywords earn you money.', 'affrank' ); ?></p>
		<p><a class="button button-primary" href="<?php echo esc_url( Menu::url( Menu::SETTINGS ) ); ?>"><?php esc_html_e( 'Connect AffRank', 'affrank' ); ?></a></p>
	<?php elseif ( null !== $view['error'] ) : ?>
		<p class="affrank-muted">
			<?php
			echo esc_html(
				'affrank_not_available' === $view['error']->get_error_code()
					? __( 'Your links are being tracked. Revenue figures appear here once the sidecar serves reports.', 'affrank' )
					: $view['error']->get_error_message()
			);
			?>
		</p>
	<?php else : ?>
		<?php $affrank_currency = (string) ( $affrank_summary['currency'] ?? 'USD' ); ?>
		<div class="affrank-tiles affrank-tiles--compact">
			<div class="affrank-tile"><span class="affrank-tile__label"><?php esc_html_e( 'Revenue', 'affrank' ); ?></span><span class="affrank-tile__value"><?php echo esc_html( Format::money( $affrank_summary['revenue'] ?? '0', $affrank_currency ) ); ?></span></div>
			<div class="affrank-tile"><span class="affrank-tile__label"><?php esc_html_e( 'EPC', 'affrank' ); ?></span><span class="affrank-tile__value"><?php echo esc_html( Format::money( $affrank_summary['epc'] ?? null, $affrank_currency ) ); ?></span></div>
			<div class="affrank-tile"><span class="affrank-tile__label"><?php esc_html_e( 'Clicks', 'affrank' ); ?></span><span class="affrank-tile__value"><?php echo esc_html( Format::count( $affrank_summary['clicks'] ?? 0 ) ); ?></span></div>
		</div>
	<?php endif; ?>
	<?php if ( $view['configured'] ) : ?>
		<p class="affrank-widget__more"><a href="<?php echo esc_url( Menu::url( Menu::REVENUE, array( 'range' => '7' ) ) ); ?>"><?php esc_html_e( 'Open Revenue Mapping →', 'affrank' ); ?></a></p>
	<?php endif; ?>
</div>
