<?php
/**
 * The header every AffRank screen shares: title, tabs, pending notices.
 * $view['title'], $view['current'] (a Menu page slug).
 *
 * @package AffRank
 */

use AffRank\Admin\Menu;
use AffRank\Admin\Notices;

defined( 'ABSPATH' ) || exit;

$affrank_tabs = array(
	Menu::REVENUE     => __( 'Revenue Mapping', 'affrank' ),
	Menu::CONVERSIONS => __( 'Conversions', 'affrank' ),
	Menu::IMPORT      => __( 'Import', 'affrank' ),
	Menu::POSTBACKS   => __( 'Postback Setup', 'affrank' ),
	Menu::LOG         => __( 'Postback Log', 'affrank' ),
	Menu::SETTINGS    => __( 'Settings', 'affrank' ),
);
?>
<div class="affrank-header">
	<h1 class="affrank-title"><span class="affrank-logo" aria-hidden="true">A</span><?php echo esc_html( $view['title'] ); ?></h1>
	<nav class="affrank-tabs" aria-label="<?php esc_attr_e( 'AffRank screens', 'affrank' ); ?>">
		<?php foreach ( $affrank_tabs as $affrank_slug => $affrank_label ) : ?>
			<a href="<?php echo esc_url( Menu::url( $affrank_slug ) ); ?>" class="affrank-tab<?php echo $affrank_slug === $view['current'] ? ' is-current' : ''; ?>"<?php echo $affrank_slug === $view['current'] ? ' aria-current="page"' : ''; ?>><?php echo esc_html( $affrank_label ); ?></a>
		<?php endforeach; ?>
	</nav>
</div>
<hr class="wp-header-end">
<?php
Notices::render();
