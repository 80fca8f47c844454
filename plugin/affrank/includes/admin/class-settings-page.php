<?php
/**
 * AffRank → Settings. The connection (sidecar URL, API key, timeout) is
 * stored in WordPress; link rules, rel policy, currency and bot filtering are
 * the sidecar's settings, read from and written to GET/PUT /api/v1/site.
 *
 * @package AffRank
 */

namespace AffRank\Admin;

use AffRank\Options;
use AffRank\Sidecar\Backoff;
use AffRank\Sidecar\Client;
use AffRank\Sidecar\Site_State;
use AffRank\Template;

defined( 'ABSPATH' ) || exit;

final class Settings_Page {

	public const SAVE_ACTION = 'affrank_save_settings';
	public const TEST_ACTION = 'affrank_test_connection';
	/** User meta: the sidecar fields of a save the sidecar refused, to show again. */
	public const DRAFT_META = 'affrank_settings_draft';

	public static function render(): void {
		if ( ! current_user_can( Menu::CAPABILITY ) ) {
			return;
		}
		$client = Client::for_admin();
		$site   = $client->is_configured() ? $client->site() : null;
		$draft  = get_user_meta( get_current_user_id(), self::DRAFT_META, true );
		delete_user_meta( get_current_user_id(), self::DRAFT_META );

		$fields = null;
		if ( is_array( $site ) && ! is_wp_error( $site ) ) {
			$fields = array(
				'tracking_base_url' => (string) ( $site['tracking_base_url'] ?? '' ),
				'link_rules'        => Link_Rules_Text::format_rules( (array) ( $site['link_rules'] ?? array() ) ),
				'rel_sponsored'     => 'none' !== ( $site['rel_policy'] ?? 'sponsored_nofollow' ),
				'exclude_bots'      => (bool) ( $site['exclude_bots'] ?? true ),
				'currency'          => (string) ( $site['currency'] ?? 'USD' ),
				'currency_rates'    => Link_Rules_Text::format_rates( (array) ( $site['currency_rates'] ?? array() ) ),
			);
			if ( is_array( $draft ) ) {
				$fields = array_merge( $fields, array_intersect_key( $draft, $fields ) );
			}
		}

		Template::render(
			'settings',
			array(
				'sidecar_url'     => Options::sidecar_url(),
				'has_key'         => Options::has_api_key(),
				'timeout_ms'      => Options::timeout_ms(),
				'tagging_enabled' => Options::tagging_enabled(),
				'site'            => is_array( $site ) ? $site : null,
				'site_error'      => is_wp_error( $site ) ? $site : null,
				'fields'          => $fields,
				'backoff'         => ( new Backoff() )->state(),
				'save_action'     => self::SAVE_ACTION,
				'test_action'     => self::TEST_ACTION,
			)
		);
	}

	public static function handle_save(): void {
		Request_Guard::check( self::SAVE_ACTION );
		// phpcs:disable WordPress.Security.NonceVerification.Missing -- verified by Request_Guard::check().
		$url     = self::sanitize_sidecar_url( wp_unslash( $_POST['affrank_sidecar_url'] ?? '' ) );
		$key     = self::sanitize_api_key( wp_unslash( $_POST['affrank_api_key'] ?? '' ) );
		$timeout = Options::clamp_timeout( absint( wp_unslash( $_POST['affrank_timeout_ms'] ?? Options::DEFAULT_TIMEOUT_MS ) ) );
		$enabled = ! empty( $_POST['affrank_tagging_enabled'] );
		$loaded  = isset( $_POST['affrank_site_loaded'] );
		$posted  = array(
			'tracking_base_url' => trim( sanitize_text_field( wp_unslash( $_POST['affrank_tracking_base_url'] ?? '' ) ) ),
			'link_rules'        => sanitize_textarea_field( wp_unslash( $_POST['affrank_link_rules'] ?? '' ) ),
			'rel_sponsored'     => ! empty( $_POST['affrank_rel_sponsored'] ),
			'exclude_bots'      => ! empty( $_POST['affrank_exclude_bots'] ),
			'currency'          => strtoupper( sanitize_key( wp_unslash( $_POST['affrank_currency'] ?? 'USD' ) ) ),
			'currency_rates'    => sanitize_textarea_field( wp_unslash( $_POST['affrank_currency_rates'] ?? '' ) ),
		);
		// phpcs:enable

		if ( null === $url ) {
			Notices::flash( 'error', __( 'The sidecar URL must start with http:// or https://.', 'affrank' ) );
			Request_Guard::redirect( Menu::SETTINGS );
		}

		$old_url = Options::sidecar_url();
		// The key is sent only to the sidecar it was entered for: a new address
		// (scheme, host or port) without a new key forgets the stored one.
		$key_dropped        = '' === $key && Options::has_api_key() && self::origin( $old_url ) !== self::origin( $url );
		$connection_changed = $old_url !== $url || ( '' !== $key && Options::api_key() !== $key );
		update_option( Options::SIDECAR_URL, $url, true );
		if ( '' !== $key ) {
			Options::save_api_key( $key );
		} elseif ( $key_dropped ) {
			delete_option( Options::API_KEY );
		}
		update_option( Options::TIMEOUT_MS, $timeout, true );
		update_option( Options::TAGGING_ENABLED, $enabled ? '1' : '0', true );

		if ( $connection_changed ) {
			// A new sidecar: forget what we knew of the old one and try it now.
			Site_State::forget();
			( new Backoff() )->record_success();
			if ( $key_dropped ) {
				Notices::flash( 'warning', __( 'Connection saved. The sidecar address changed, so the saved API key was removed: enter the API key for the new sidecar and save again.', 'affrank' ) );
			} else {
				Notices::flash( 'success', __( 'Connection saved. The link settings below now come from this sidecar: review them and save again if needed.', 'affrank' ) );
			}
			Request_Guard::redirect( Menu::SETTINGS );
		}
		if ( ! $loaded ) {
			Notices::flash( 'success', __( 'Settings saved.', 'affrank' ) );
			Request_Guard::redirect( Menu::SETTINGS );
		}

		$patch = self::sidecar_patch( $posted );
		if ( is_wp_error( $patch ) ) {
			self::keep_draft( $posted );
			Notices::flash( 'error', $patch->get_error_message() );
			Request_Guard::redirect( Menu::SETTINGS );
		}
		$site = Client::for_admin()->update_site( $patch );
		if ( is_wp_error( $site ) ) {
			self::keep_draft( $posted );
			$data  = $site->get_error_data();
			$field = is_array( $data ) ? (string) ( $data['field'] ?? '' ) : '';
			$where = '' !== $field ? Link_Rules_Text::describe_field( $field, $posted['link_rules'] ) . ': ' : '';
			Notices::flash( 'error', $where . $site->get_error_message() );
			Request_Guard::redirect( Menu::SETTINGS );
		}
		if ( isset( $site['settings_version'] ) ) {
			// New rules re-tag every page: the version is part of the cache key.
			( new Site_State( Client::for_admin(), new Backoff() ) )->remember( (int) $site['settings_version'] );
		}
		Notices::flash( 'success', __( 'Settings saved. Pages will be re-tagged with the new link settings as they are viewed.', 'affrank' ) );
		Request_Guard::redirect( Menu::SETTINGS );
	}

	public static function handle_test_connection(): void {
		Request_Guard::check( self::TEST_ACTION );
		$client = Client::for_admin();
		$health = $client->health();
		$site   = is_wp_error( $health ) ? $health : $client->site();
		if ( is_wp_error( $site ) ) {
			Notices::flash( 'error', $site->get_error_message() );
		} else {
			( new Backoff() )->record_success();
			( new Site_State( $client, new Backoff() ) )->remember( (int) ( $site['settings_version'] ?? 0 ) );
			Notices::flash(
				'success',
				sprintf(
					/* translators: 1: site name, 2: site id. */
					__( 'Connected. The sidecar knows this blog as “%1$s” (site %2$s); link tagging is on.', 'affrank' ),
					(string) ( $site['name'] ?? '' ),
					(string) ( $site['site_id'] ?? '' )
				)
			);
		}
		Request_Guard::redirect( Menu::SETTINGS );
	}

	/**
	 * The PUT /api/v1/site body for the posted form.
	 */
	public static function sidecar_patch( array $posted ): array|\WP_Error {
		$rates = Link_Rules_Text::parse_rates( $posted['currency_rates'] );
		if ( is_wp_error( $rates ) ) {
			return $rates;
		}
		$patch = array(
			'tracking_base_url' => '' === $posted['tracking_base_url'] ? null : $posted['tracking_base_url'],
			'link_rules'        => Link_Rules_Text::parse_rules( $posted['link_rules'] ),
			'rel_policy'        => $posted['rel_sponsored'] ? 'sponsored_nofollow' : 'none',
			'exclude_bots'      => (bool) $posted['exclude_bots'],
			'currency'          => $posted['currency'],
			// JSON objects, even when empty.
			'currency_rates'    => (object) $rates,
		);
		$zone = wp_timezone_string();
		if ( str_contains( $zone, '/' ) || 'UTC' === $zone ) {
			// Days in reports follow the blog's time zone.
			$patch['time_zone'] = $zone;
		}
		return $patch;
	}

	/** Only http(s) URLs; null for anything else. Empty stays empty. */
	public static function sanitize_sidecar_url( string $raw ): ?string {
		$raw = trim( $raw );
		if ( '' === $raw ) {
			return '';
		}
		$scheme = wp_parse_url( $raw, PHP_URL_SCHEME );
		if ( ! in_array( $scheme, array( 'http', 'https' ), true ) ) {
			return null;
		}
		return untrailingslashit( esc_url_raw( $raw, array( 'http', 'https' ) ) );
	}

	/**
	 * The scheme, host and port a sidecar URL points at ("https://host:443"),
	 * lowercased, with the scheme's default port filled in; '' for no URL.
	 * The path is left out: a key may follow its sidecar to another path.
	 */
	public static function origin( string $url ): string {
		$parts = wp_parse_url( trim( $url ) );
		if ( ! is_array( $parts ) || empty( $parts['scheme'] ) || empty( $parts['host'] ) ) {
			return '';
		}
		$scheme = strtolower( $parts['scheme'] );
		$port   = isset( $parts['port'] ) ? (int) $parts['port'] : ( 'https' === $scheme ? 443 : 80 );
		return $scheme . '://' . strtolower( $parts['host'] ) . ':' . $port;
	}

	/** Keys are printable ASCII; anything else is a copy-paste accident. */
	public static function sanitize_api_key( string $raw ): string {
		return (string) preg_replace( '/[^\x21-\x7E]/', '', $raw );
	}

	private static function keep_draft( array $posted ): void {
		update_user_meta( get_current_user_id(), self::DRAFT_META, $posted );
	}
}
