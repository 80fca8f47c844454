<?php
/**
 * The top-level "AffRank" menu, its four screens, and the admin assets,
 * which load only on those screens (and the dashboard, for the widget).
 *
 * @package AffRank
 */

namespace AffRank\Admin;

defined( 'ABSPATH' ) || exit;

final class Menu {

	public const CAPABILITY = 'manage_options';

	public const REVENUE   = 'affrank';
	public const POSTBACKS = 'affrank-postbacks';
	public const LOG       = 'affrank-postback-log';
	public const SETTINGS  = 'affrank-settings';

	/** @var string[] Hook suffixes of our screens. */
	private array $hooks = array();

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
		$this->hooks[] = add_submenu_page( self::REVENUE, __( 'Postback Setup', 'affrank' ), __( 'Postback Setup', 'affrank' ), self::CAPABILITY, self::POSTBACKS, array( Postback_Setup_Page::class, 'render' ) );
		$this->hooks[] = add_submenu_page( self::REVENUE, __( 'Postback Log', 'affrank' ), __( 'Postback Log', 'affrank' ), self::CAPABILITY, self::LOG, array( Postback_Log_Page::class, 'render' ) );
		$this->hooks[] = add_submenu_page( self::REVENUE, __( 'AffRank Settings', 'affrank' ), __( 'Settings', 'affrank' ), self::CAPABILITY, self::SETTINGS, array( Settings_Page::class, 'render' ) );
	}

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
	 * @param string[] $links The plugin's row links on the Plugins screen.
	 * @return string[]
	 */
	public function action_links( array $links ): array {
		array_unshift( $links, sprintf( '<a href="%s">%s</a>', esc_url( self::url( self::SETTINGS ) ), esc_html__( 'Settings', 'affrank' ) ) );
		return $links;
	}

	public static function url( string $page, array $args = array() ): string {
		return add_query_arg( array_merge( array( 'page' => $page ), $args ), admin_url( 'admin.php' ) );
	}
}
