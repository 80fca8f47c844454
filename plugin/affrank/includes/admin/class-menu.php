<?php
/**
 * The top-level "AffRank" menu, its six screens, and the admin assets,
 * which load only on those screens (and the dashboard, for the widget).
 *
 * @package AffRank
 */

namespace AffRank\Admin;

defined( 'ABSPATH' ) || exit;

/**
 * The admin menu and the assets of the AffRank screens.
 */
final class Menu {

	public const CAPABILITY = 'manage_options';

	public const REVENUE     = 'affrank';
	public const CONVERSIONS = 'affrank-conversions';
	public const IMPORT      = 'affrank-import';
	public const POSTBACKS   = 'affrank-postbacks';
	public const LOG         = 'affrank-postback-log';
	public const SETTINGS    = 'affrank-settings';

	/**
	 * Hook suffixes of our screens.
	 *
	 * @var string[]
	 */
	private array $hooks = array();

	/**
	 * The admin_menu callback: adds the menu and its six screens.
	 */
	public function register(): void {
		$this->hooks[] = add_menu_page(
			__( 'AffRank Revenue Mapping', 'affrank' ),
			__( 'AffRank', 'affrank' ),
			self::CAPABILITY,
			self::REVENUE,
			array( Revenue_Page::class, 'render' ),
			'dashicons-chart-area',
			58
		);
		$this->hooks[] = add_submenu_page( self::REVENUE, __( 'Revenue Mapping', 'affrank' ), __( 'Revenue Mapping', 'affrank' ), self::CAPABILITY, self::REVENUE, array( Revenue_Page::class, 'render' ) );
		$this->hooks[] = add_submenu_page( self::REVENUE, __( 'Conversions', 'affrank' ), __( 'Conversions', 'affrank' ), self::CAPABILITY, self::CONVERSIONS, array( Conversions_Page::class, 'render' ) );
		$this->hooks[] = add_submenu_page( self::REVENUE, __( 'Import', 'affrank' ), __( 'Import', 'affrank' ), self::CAPABILITY, self::IMPORT, array( Import_Page::class, 'render' ) );
		$this->hooks[] = add_submenu_page( self::REVENUE, __( 'Postback Setup', 'affrank' ), __( 'Postback Setup', 'affrank' ), self::CAPABILITY, self::POSTBACKS, array( Postback_Setup_Page::class, 'render' ) );
		$this->hooks[] = add_submenu_page( self::REVENUE, __( 'Postback Log', 'affrank' ), __( 'Postback Log', 'affrank' ), self::CAPABILITY, self::LOG, array( Postback_Log_Page::class, 'render' ) );
		$this->hooks[] = add_submenu_page( self::REVENUE, __( 'AffRank Settings', 'affrank' ), __( 'Settings', 'affrank' ), self::CAPABILITY, self::SETTINGS, array( Settings_Page::class, 'render' ) );
	}

	/**
	 * The admin_enqueue_scripts callback: the style on our screens and the
	 * dashboard, the copy-button script on our screens only.
	 *
	 * @param string $hook_suffix The screen being loaded.
	 */
	public function enqueue_assets( string $hook_suffix ): void {
		$ours = in_array( $hook_suffix, $this->hooks, true );
		if ( ! $ours && 'index.php' !== $hook_suffix ) {
			return;
		}
		$base = plugins_url( 'assets/', AFFRANK_FILE );
		wp_enqueue_style( 'affrank-admin', $base . 'admin.css', array(), AFFRANK_VERSION );
		if ( $ours ) {
			wp_enqueue_script( 'affrank-admin', $base . 'admin.js', array(), AFFRANK_VERSION, true );
			wp_localize_script(
				'affrank-admin',
				'affrankAdmin',
				array(
					'copied'     => __( 'Copied', 'affrank' ),
					'copyFailed' => __( 'Press Ctrl+C to copy', 'affrank' ),
				)
			);
		}
	}

	/**
	 * Adds "Settings" to the plugin's row on the Plugins screen.
	 *
	 * @param string[] $links The plugin's row links on the Plugins screen.
	 * @return string[]
	 */
	public function action_links( array $links ): array {
		array_unshift( $links, sprintf( '<a href="%s">%s</a>', esc_url( self::url( self::SETTINGS ) ), esc_html__( 'Settings', 'affrank' ) ) );
		return $links;
	}

	/**
	 * The URL of one of our screens.
	 *
	 * @param string $page A page slug (self::REVENUE, …).
	 * @param array  $args Extra query arguments.
	 * @return string
	 */
	public static function url( string $page, array $args = array() ): string {
		return add_query_arg( array_merge( array( 'page' => $page ), $args ), admin_url( 'admin.php' ) );
	}
}
