<?php
/**
 * Dashboard widget: the last 7 days' revenue and EPC at a glance.
 *
 * @package AffRank
 */

namespace AffRank\Admin;

use AffRank\Alerts\Health_Report;
use AffRank\Sidecar\Client;
use AffRank\Template;

defined( 'ABSPATH' ) || exit;

/**
 * The dashboard widget.
 */
final class Dashboard_Widget {

	/**
	 * The wp_dashboard_setup callback: adds the widget for users who may see reports.
	 */
	public static function register(): void {
		if ( current_user_can( Menu::CAPABILITY ) ) {
			wp_add_dashboard_widget( 'affrank_dashboard', __( 'AffRank: last 7 days', 'affrank' ), array( self::class, 'render' ) );
		}
	}

	/**
	 * Prints the widget.
	 */
	public static function render(): void {
		$client  = Client::for_admin();
		$range   = Report_Range::from_query( array( 'range' => '7' ) );
		$summary = $client->is_configured() ? $client->report( 'summary', $range->api_query() ) : null;
		Template::render(
			'dashboard-widget',
			array(
				'configured' => $client->is_configured(),
				'summary'    => is_array( $summary ) ? $summary : null,
				'error'      => is_wp_error( $summary ) ? $summary : null,
				'alerts'     => Health_Report::create()->alerts(),
			)
		);
	}
}
