<?php
/**
 * The first thing a new user sees: what to do next, in order.
 *
 * @package AffRank
 */

use AffRank\Admin\Menu;

defined( 'ABSPATH' ) || exit;
?>
<div class="affrank-empty affrank-welcome">
	<span class="dashicons dashicons-chart-area" aria-hidden="true"></span>
	<h2><?php esc_html_e( 'See which keywords earn you money', 'affrank' ); ?></h2>
	<p><?php esc_html_e( 'AffRank follows each affiliate sale back to the post, keyword and link that sent the reader. Three steps to your first figures:', 'affrank' ); ?></p>
	<ol class="affrank-steps">
		<li><?php echo wp_kses( __( 'Start the AffRank sidecar and create this site with <code>affrank site add</code>.', 'affrank' ), array( 'code' => array() ) ); ?></li>
		<li><?php esc_html_e( 'Enter the sidecar URL and API key under Settings, then press “Test connection”.', 'affrank' ); ?></li>
		<li><?php esc_html_e( 'Paste your postback URL into each affiliate network (Postback Setup shows it per network).', 'affrank' ); ?></li>
	</ol>
	<p><a class="button button-primary button-hero" href="<?php echo esc_url( Menu::url( Menu::SETTINGS ) ); ?>"><?php esc_html_e( 'Connect AffRank', 'affrank' ); ?></a></p>
</div>
