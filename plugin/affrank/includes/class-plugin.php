<?php
/**
 * Boots the plugin. Every hook the plugin uses is registered here, so this
 * file is the map of how AffRank plugs into WordPress.
 *
 * @package AffRank
 */

namespace AffRank;

use AffRank\Admin\Amazon_Pages;
use AffRank\Admin\Conversions_Page;
use AffRank\Admin\Dashboard_Widget;
use AffRank\Admin\Import_Page;
use AffRank\Admin\Import_Store;
use AffRank\Admin\Keyword_Meta_Box;
use AffRank\Admin\Menu;
use AffRank\Admin\Postback_Setup_Page;
use AffRank\Admin\Privacy_Policy;
use AffRank\Admin\Revenue_Page;
use AffRank\Admin\Settings_Page;
use AffRank\Alerts\Alert_Mailer;
use AffRank\Alerts\Alert_Notice;
use AffRank\Alerts\Alert_Settings;
use AffRank\Fallback\Go_Route;
use AffRank\Fallback\Link_Map;
use AffRank\Fallback\Link_Sync;
use AffRank\Fallback\Tables;
use AffRank\Sidecar\Http_Timeout;
use AffRank\Sidecar\Upload_Stream;
use AffRank\Tagging\Content_Filter;
use AffRank\Tagging\Speculation;

defined( 'ABSPATH' ) || exit;

/**
 * Registers the plugin's hooks, once.
 */
final class Plugin {

	/**
	 * Whether boot() has run in this request.
	 *
	 * @var bool
	 */
	private static bool $booted = false;

	/**
	 * Registers every hook; a second call does nothing.
	 */
	public static function boot(): void {
		if ( self::$booted ) {
			return;
		}
		self::$booted = true;

		add_action( 'init', array( self::class, 'load_textdomain' ) );
		add_action( 'http_api_curl', array( Http_Timeout::class, 'apply' ), 10, 2 );
		// Import files go to the sidecar from disk, not from memory.
		add_action( 'http_api_curl', array( Upload_Stream::class, 'apply' ), 10, 2 );

		// Link tagging, late: after blocks, wpautop, shortcodes and embeds.
		add_filter( 'the_content', array( self::class, 'filter_content' ), Content_Filter::PRIORITY );
		// WordPress 6.8+: no prefetching a redirect that records nothing.
		add_filter( 'wp_speculation_rules_href_exclude_paths', array( Speculation::class, 'exclude_go_links' ) );

		// The fallback for /go/ while the sidecar is down: tables, the copy of
		// the link map (from each rewrite and a 15-minute sync), the route.
		register_activation_hook( AFFRANK_FILE, array( Tables::class, 'install' ) );
		register_deactivation_hook( AFFRANK_FILE, array( Link_Sync::class, 'unschedule' ) );
		add_action( 'plugins_loaded', array( Tables::class, 'maybe_upgrade' ) );
		add_action( 'init', array( Go_Route::class, 'handle_request' ), 0 );
		add_action( 'affrank_links_registered', array( Link_Map::class, 'remember' ) );
		add_filter( 'cron_schedules', array( Link_Sync::class, 'add_schedule' ) );
		add_action( 'init', array( Link_Sync::class, 'ensure_scheduled' ) );
		add_action( Link_Sync::HOOK, array( Link_Sync::class, 'run_scheduled' ) );

		// Suggested privacy-policy text; admin_init fires only in wp-admin.
		add_action( 'admin_init', array( Privacy_Policy::class, 'add_suggested_text' ) );

		// Alerts: the hourly check that may e-mail the admin runs from wp-cron.
		add_action( Alert_Mailer::HOOK, array( Alert_Mailer::class, 'run' ) );
		register_deactivation_hook( AFFRANK_FILE, array( Alert_Mailer::class, 'unschedule' ) );

		// Import files left between preview and apply are deleted after a day.
		add_action( Import_Store::CLEANUP_HOOK, array( Import_Store::class, 'cleanup' ), 10, 0 );

		if ( is_admin() ) {
			self::register_admin_hooks();
		}
	}

	/**
	 * The hooks only wp-admin needs: screens, form handlers, widget, meta box.
	 */
	private static function register_admin_hooks(): void {
		$menu = new Menu();
		add_action( 'admin_menu', array( $menu, 'register' ) );
		add_action( 'admin_enqueue_scripts', array( $menu, 'enqueue_assets' ) );
		add_filter( 'plugin_action_links_' . plugin_basename( AFFRANK_FILE ), array( $menu, 'action_links' ) );

		// State changes go through admin-post.php: capability, nonce, redirect back.
		add_action( 'admin_post_affrank_save_settings', array( Settings_Page::class, 'handle_save' ) );
		add_action( 'admin_post_affrank_test_connection', array( Settings_Page::class, 'handle_test_connection' ) );
		add_action( 'admin_post_affrank_download_csv', array( Revenue_Page::class, 'handle_csv' ) );
		add_action( 'admin_post_affrank_test_postback', array( Postback_Setup_Page::class, 'handle_test_postback' ) );
		add_action( 'admin_post_' . Import_Page::PREVIEW_ACTION, array( Import_Page::class, 'handle_preview' ) );
		add_action( 'admin_post_' . Import_Page::APPLY_ACTION, array( Import_Page::class, 'handle_apply' ) );
		add_action( 'admin_post_' . Import_Page::CANCEL_ACTION, array( Import_Page::class, 'handle_cancel' ) );
		add_action( 'admin_post_' . Conversions_Page::ADD_ACTION, array( Conversions_Page::class, 'handle_add' ) );
		add_action( 'admin_post_' . Conversions_Page::EDIT_ACTION, array( Conversions_Page::class, 'handle_edit' ) );
		add_action( 'admin_post_' . Conversions_Page::STATUS_ACTION, array( Conversions_Page::class, 'handle_status' ) );
		add_action( 'admin_post_' . Amazon_Pages::SAVE_ACTION, array( Amazon_Pages::class, 'handle_save' ) );

		add_action( 'wp_dashboard_setup', array( Dashboard_Widget::class, 'register' ) );
		add_action( 'admin_notices', array( Alert_Notice::class, 'render' ) );
		add_action( 'admin_init', array( Alert_Settings::class, 'register' ) );
		add_action( 'admin_init', array( Alert_Mailer::class, 'schedule' ) );
		add_action( 'add_meta_boxes', array( Keyword_Meta_Box::class, 'register' ) );
		add_action( 'save_post', array( Keyword_Meta_Box::class, 'save' ) );
	}

	/**
	 * The the_content callback. The filter is built per call so it always
	 * sees the current settings; building it reads only cached options.
	 *
	 * @param mixed $html The post's rendered content.
	 * @return mixed
	 */
	public static function filter_content( $html ) {
		return Content_Filter::create()->filter( $html );
	}

	/**
	 * The init callback: loads the plugin's translations.
	 */
	public static function load_textdomain(): void {
		load_plugin_textdomain( 'affrank', false, dirname( plugin_basename( AFFRANK_FILE ) ) . '/languages' );
	}
}
