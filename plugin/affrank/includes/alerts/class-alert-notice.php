<?php
/**
 * The current alerts as an admin notice on AffRank's own screens.
 *
 * @package AffRank
 */

namespace AffRank\Alerts;

use AffRank\Admin\Menu;
use AffRank\Template;

defined( 'ABSPATH' ) || exit;

/**
 * Shows the alerts above the content of every AffRank screen (WordPress
 * moves notices below the screen's header), and nowhere else in wp-admin:
 * the dashboard shows them in AffRank's widget.
 */
final class Alert_Notice {

	/**
	 * The admin_notices callback.
	 *
	 * @return void
	 */
	public static function render(): void {
		global $plugin_page;
		$screens = array( Menu::REVENUE, Menu::POSTBACKS, Menu::LOG, Menu::SETTINGS );
		if ( ! is_string( $plugin_page ) || ! in_array( $plugin_page, $screens, true ) || ! current_user_can( Menu::CAPABILITY ) ) {
			return;
		}
		Template::render(
			'partials/alerts',
			array(
				'alerts' => Health_Report::create()->alerts(),
				'inline' => false,
			)
		);
	}
}
