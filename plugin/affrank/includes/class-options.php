<?php
/**
 * The plugin's own settings, stored in WordPress options. Settings that shape
 * link tagging (rules, rel policy, currency…) live in the sidecar, which is
 * their single source of truth; only what WordPress needs to reach it is here.
 *
 * @package AffRank
 */

namespace AffRank;

defined( 'ABSPATH' ) || exit;

/**
 * Option names and typed accessors for the plugin's WordPress settings.
 */
final class Options {

	public const SIDECAR_URL = 'affrank_sidecar_url';
	/** Stored with autoload off so the key is not loaded on every request. */
	public const API_KEY         = 'affrank_api_key';
	public const TIMEOUT_MS      = 'affrank_timeout_ms';
	public const TAGGING_ENABLED = 'affrank_tagging_enabled';
	/** Autoloaded: read on every tagged render, written rarely. */
	public const BACKOFF    = 'affrank_backoff';
	public const SITE_STATE = 'affrank_site_state';

	/** The fallback tables' schema version (autoloaded: compared on every request). */
	public const DB_VERSION = 'affrank_db_version';
	/** The link map sync's cursor and last run (not autoloaded). */
	public const LINK_SYNC = 'affrank_link_sync';

	/** Alerts: the e-mail opt-out ("1"/"0"), the last e-mail's time, the sidecar's last answer. */
	public const ALERT_EMAILS    = 'affrank_alert_emails';
	public const ALERT_MAIL_SENT = 'affrank_alert_mail_sent';
	public const HEALTH_CACHE    = 'affrank_health_cache';

	/** Transients: the rewrite cache is "affrank_rw_" + a hash. */
	public const REWRITE_CACHE_PREFIX = 'affrank_rw_';

	/** User meta holding one flash notice for the next admin screen. */
	public const USER_NOTICE = 'affrank_notice';

	/** User meta: the import waiting between preview and apply, and the last import's result. */
	public const USER_IMPORT        = 'affrank_import';
	public const USER_IMPORT_RESULT = 'affrank_import_result';

	/** Post meta: the post's own AffRank keyword. */
	public const POST_KEYWORD = '_affrank_keyword';

	public const DEFAULT_TIMEOUT_MS = 300;
	public const MIN_TIMEOUT_MS     = 50;
	public const MAX_TIMEOUT_MS     = 5000;

	/**
	 * Every option the plugin writes; uninstall.php deletes exactly these.
	 *
	 * @return string[]
	 */
	public static function all_option_names(): array {
		return array(
			self::SIDECAR_URL,
			self::API_KEY,
			self::TIMEOUT_MS,
			self::TAGGING_ENABLED,
			self::BACKOFF,
			self::SITE_STATE,
			self::DB_VERSION,
			self::LINK_SYNC,
			self::ALERT_EMAILS,
			self::ALERT_MAIL_SENT,
			self::HEALTH_CACHE,
		);
	}

	/**
	 * The sidecar's base URL, without a trailing slash; '' when not set.
	 *
	 * @return string
	 */
	public static function sidecar_url(): string {
		return untrailingslashit( (string) get_option( self::SIDECAR_URL, '' ) );
	}

	/**
	 * The site's API key for the sidecar; '' when not set.
	 *
	 * @return string
	 */
	public static function api_key(): string {
		return (string) get_option( self::API_KEY, '' );
	}

	/**
	 * Whether an API key is stored.
	 *
	 * @return bool
	 */
	public static function has_api_key(): bool {
		return '' !== self::api_key();
	}

	/**
	 * How long a page render waits for the sidecar, in milliseconds.
	 *
	 * @return int
	 */
	public static function timeout_ms(): int {
		return self::clamp_timeout( (int) get_option( self::TIMEOUT_MS, self::DEFAULT_TIMEOUT_MS ) );
	}

	/**
	 * A timeout brought into the range the Settings screen allows.
	 *
	 * @param int $ms Milliseconds.
	 * @return int Milliseconds, from MIN_TIMEOUT_MS to MAX_TIMEOUT_MS.
	 */
	public static function clamp_timeout( int $ms ): int {
		return max( self::MIN_TIMEOUT_MS, min( self::MAX_TIMEOUT_MS, $ms ) );
	}

	/**
	 * Whether link tagging is switched on (it is unless turned off).
	 *
	 * @return bool
	 */
	public static function tagging_enabled(): bool {
		return '0' !== (string) get_option( self::TAGGING_ENABLED, '1' );
	}

	/**
	 * Whether both the sidecar URL and an API key are set.
	 *
	 * @return bool
	 */
	public static function is_configured(): bool {
		return '' !== self::sidecar_url() && self::has_api_key();
	}

	/**
	 * Stores the API key, never autoloaded.
	 *
	 * @param string $key The key.
	 */
	public static function save_api_key( string $key ): void {
		// The add_option() call creates a brand-new option with autoload off.
		if ( false === get_option( self::API_KEY, false ) ) {
			add_option( self::API_KEY, $key, '', false );
		} else {
			update_option( self::API_KEY, $key, false );
		}
	}
}
