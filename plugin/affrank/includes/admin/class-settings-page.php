<?php
/**
 * AffRank → Settings. The connection (sidecar URL, API key, timeout) is
 * stored in WordPress; link rules, rel policy, currency and bot filtering are
 * the sidecar's settings, read from and written to GET/PUT /api/v1/site.
 *
 * Only the sidecar settings the blogger changed are sent back: the form
 * carries a fingerprint of the values it was loaded with, so a save that
 * changes only the timeout sends the sidecar nothing, and a rule nobody
 * touched is never re-parsed or re-written.
 *
 * @package AffRank
 */

namespace AffRank\Admin;

use AffRank\Options;
use AffRank\Sidecar\Backoff;
use AffRank\Sidecar\Client;
use AffRank\Sidecar\Site_State;
use AffRank\Template;
use WP_Error;

defined( 'ABSPATH' ) || exit;

/**
 * The Settings screen and its two form handlers (save, test connection).
 */
final class Settings_Page {

	public const SAVE_ACTION = 'affrank_save_settings';
	public const TEST_ACTION = 'affrank_test_connection';
	/** User meta: the sidecar fields of a save the sidecar refused, to show again. */
	public const DRAFT_META = 'affrank_settings_draft';

	/** The form's text fields (a list sent for any of them refuses the save). */
	public const TEXT_FIELDS = array(
		'affrank_sidecar_url',
		'affrank_api_key',
		'affrank_timeout_ms',
		'affrank_site_loaded',
		'affrank_tracking_base_url',
		'affrank_link_rules',
		'affrank_currency',
		'affrank_currency_rates',
		'affrank_click_detail_retention_days',
		'affrank_amazon_tracking_ids',
		'affrank_amazon_assignment',
	);

	/**
	 * Prints the screen.
	 */
	public static function render(): void {
		if ( ! current_user_can( Menu::CAPABILITY ) ) {
			return;
		}
		$client = Client::for_admin();
		$site   = $client->is_configured() ? $client->site() : null;
		$draft  = get_user_meta( get_current_user_id(), self::DRAFT_META, true );
		delete_user_meta( get_current_user_id(), self::DRAFT_META );

		$fields = null;
		$loaded = '';
		if ( is_array( $site ) && ! is_wp_error( $site ) ) {
			$fields = self::site_fields( $site );
			// The fingerprint is of what the sidecar has, not of a draft shown
			// again: a draft sent back unchanged still differs, and is sent.
			$loaded = self::fingerprint( $fields + array( 'time_zone' => (string) ( $site['time_zone'] ?? '' ) ) );
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
				'loaded'          => $loaded,
				'backoff'         => ( new Backoff() )->state(),
				'save_action'     => self::SAVE_ACTION,
				'test_action'     => self::TEST_ACTION,
			)
		);
	}

	/**
	 * The sidecar's settings as the form shows them.
	 *
	 * @param array $site GET /api/v1/site.
	 * @return array{tracking_base_url:string,link_rules:string,rel_sponsored:bool,exclude_bots:bool,currency:string,currency_rates:string,retention_days:string,amazon_tracking_ids:string,amazon_assignment:string}
	 */
	public static function site_fields( array $site ): array {
		return array(
			'tracking_base_url'   => (string) ( $site['tracking_base_url'] ?? '' ),
			'link_rules'          => Link_Rules_Text::format_rules( (array) ( $site['link_rules'] ?? array() ) ),
			'rel_sponsored'       => 'none' !== ( $site['rel_policy'] ?? 'sponsored_nofollow' ),
			'exclude_bots'        => (bool) ( $site['exclude_bots'] ?? true ),
			'currency'            => (string) ( $site['currency'] ?? 'USD' ),
			'currency_rates'      => Link_Rules_Text::format_rates( (array) ( $site['currency_rates'] ?? array() ) ),
			// '' from a sidecar without the setting: the field is not shown.
			'retention_days'      => isset( $site['click_detail_retention_days'] ) ? (string) (int) $site['click_detail_retention_days'] : '',
			// The pool, one id a line; an assignment of '' from a sidecar
			// without the setting: the Amazon card is not shown.
			'amazon_tracking_ids' => Amazon_Pages::format_ids( (array) ( $site['amazon_tracking_ids'] ?? array() ) ),
			'amazon_assignment'   => in_array( $site['amazon_tracking_assignment'] ?? null, array( 'auto', 'manual' ), true ) ? (string) $site['amazon_tracking_assignment'] : '',
		);
	}

	/**
	 * The admin-post.php handler of the form: saves the connection in
	 * WordPress and sends the changed sidecar settings to the sidecar.
	 */
	public static function handle_save(): void {
		Request_Guard::check( self::SAVE_ACTION );
		// phpcs:ignore WordPress.Security.NonceVerification.Missing -- verified by Request_Guard::check().
		$form = self::read_form( $_POST );
		if ( is_wp_error( $form ) ) {
			Notices::flash( 'error', $form->get_error_message() );
			Request_Guard::redirect( Menu::SETTINGS );
		}
		$url = self::sanitize_sidecar_url( $form['sidecar_url'] );
		if ( null === $url ) {
			Notices::flash( 'error', __( 'The sidecar URL must start with http:// or https://.', 'affrank' ) );
			Request_Guard::redirect( Menu::SETTINGS );
		}
		$key = self::sanitize_api_key( $form['api_key'] );

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
		update_option( Options::TIMEOUT_MS, $form['timeout_ms'], true );
		update_option( Options::TAGGING_ENABLED, $form['tagging_enabled'] ? '1' : '0', true );

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
		if ( '' === $form['loaded'] ) {
			Notices::flash( 'success', __( 'Settings saved.', 'affrank' ) );
			Request_Guard::redirect( Menu::SETTINGS );
		}

		$posted = $form['site'];
		$patch  = self::sidecar_patch( $posted, self::changed_fields( $posted + self::time_zone_field(), $form['loaded'] ) );
		if ( is_wp_error( $patch ) ) {
			self::keep_draft( $posted );
			Notices::flash( 'error', $patch->get_error_message() );
			Request_Guard::redirect( Menu::SETTINGS );
		}
		if ( array() === $patch ) {
			// Nothing of the sidecar's changed: it is not asked to save (which
			// would re-tag every page for nothing).
			Notices::flash( 'success', __( 'Settings saved.', 'affrank' ) );
			Request_Guard::redirect( Menu::SETTINGS );
		}
		$site = Client::for_admin()->update_site( $patch );
		if ( is_wp_error( $site ) ) {
			self::keep_draft( $posted );
			$data  = $site->get_error_data();
			$field = is_array( $data ) ? (string) ( $data['field'] ?? '' ) : '';
			$where = '' !== $field ? Amazon_Pages::describe_field( $field, $posted['amazon_tracking_ids'] ) ?? Link_Rules_Text::describe_field( $field, $posted['link_rules'] ) : '';
			$where = '' !== $where ? $where . ': ' : '';
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

	/**
	 * The admin-post.php handler of "Test connection".
	 */
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
	 * Reads the submitted form. A field sent as a list where the form has
	 * one value refuses the whole save: nothing half-read is stored.
	 *
	 * @param array $input The submitted fields ($_POST, slashed).
	 * @return array{sidecar_url:string,api_key:string,timeout_ms:int,tagging_enabled:bool,loaded:string,site:array}|WP_Error
	 */
	public static function read_form( array $input ): array|WP_Error {
		$lists = Form_Input::not_text( $input, self::TEXT_FIELDS );
		if ( $lists ) {
			return new WP_Error(
				'affrank_bad_form',
				sprintf(
					/* translators: %s: the names of the form fields, comma-separated. */
					__( 'Nothing was saved: the form sent a list where one value belongs (%s). Reload the Settings page and try again.', 'affrank' ),
					implode( ', ', $lists )
				)
			);
		}
		$timeout = Form_Input::single_line( (string) Form_Input::text( $input, 'affrank_timeout_ms' ) );
		return array(
			'sidecar_url'     => (string) Form_Input::text( $input, 'affrank_sidecar_url' ),
			'api_key'         => (string) Form_Input::text( $input, 'affrank_api_key' ),
			'timeout_ms'      => Options::clamp_timeout( '' === $timeout ? Options::DEFAULT_TIMEOUT_MS : absint( $timeout ) ),
			'tagging_enabled' => Form_Input::checkbox( $input, 'affrank_tagging_enabled' ),
			'loaded'          => (string) Form_Input::text( $input, 'affrank_site_loaded' ),
			'site'            => array(
				'tracking_base_url'   => Form_Input::single_line( (string) Form_Input::text( $input, 'affrank_tracking_base_url' ) ),
				'link_rules'          => Form_Input::multi_line( (string) Form_Input::text( $input, 'affrank_link_rules' ) ),
				'rel_sponsored'       => Form_Input::checkbox( $input, 'affrank_rel_sponsored' ),
				'exclude_bots'        => Form_Input::checkbox( $input, 'affrank_exclude_bots' ),
				'currency'            => Form_Input::single_line( (string) Form_Input::text( $input, 'affrank_currency' ) ),
				'currency_rates'      => Form_Input::multi_line( (string) Form_Input::text( $input, 'affrank_currency_rates' ) ),
				'retention_days'      => Form_Input::single_line( (string) Form_Input::text( $input, 'affrank_click_detail_retention_days' ) ),
				'amazon_tracking_ids' => Form_Input::multi_line( (string) Form_Input::text( $input, 'affrank_amazon_tracking_ids' ) ),
				'amazon_assignment'   => Form_Input::single_line( (string) Form_Input::text( $input, 'affrank_amazon_assignment' ) ),
			),
		);
	}

	/**
	 * The fingerprint of the values a form was loaded with: field → a short
	 * hash of its value. Only used to tell which fields were edited.
	 *
	 * @param array $fields Field → value (string or bool).
	 * @return string JSON.
	 */
	public static function fingerprint( array $fields ): string {
		return (string) wp_json_encode( array_map( static fn ( $value ): string => self::digest( $value ), $fields ) );
	}

	/**
	 * The fields whose value differs from the one the form was loaded with.
	 * Without a readable fingerprint every field counts as changed.
	 *
	 * @param array  $fields      Field → value now.
	 * @param string $fingerprint What fingerprint() gave when the form was shown.
	 * @return string[] The changed fields' names.
	 */
	public static function changed_fields( array $fields, string $fingerprint ): array {
		$loaded  = json_decode( $fingerprint, true );
		$changed = array();
		foreach ( $fields as $name => $value ) {
			if ( ! is_array( $loaded ) || ! isset( $loaded[ $name ] ) || self::digest( $value ) !== $loaded[ $name ] ) {
				$changed[] = $name;
			}
		}
		return $changed;
	}

	/**
	 * The PUT /api/v1/site body for the posted form: the changed fields only,
	 * and the blog's time zone (days in reports follow it) when that differs.
	 *
	 * @param array         $posted  The form's sidecar fields (read_form()['site']).
	 * @param string[]|null $changed The fields to send; null for all of them.
	 * @return array|WP_Error The body (empty when nothing is to be sent), or why the form is wrong.
	 */
	public static function sidecar_patch( array $posted, ?array $changed = null ): array|WP_Error {
		$send  = static fn ( string $name ): bool => null === $changed || in_array( $name, $changed, true );
		$patch = array();
		if ( $send( 'tracking_base_url' ) ) {
			$patch['tracking_base_url'] = '' === $posted['tracking_base_url'] ? null : $posted['tracking_base_url'];
		}
		if ( $send( 'link_rules' ) ) {
			$patch['link_rules'] = Link_Rules_Text::parse_rules( $posted['link_rules'] );
		}
		if ( $send( 'rel_sponsored' ) ) {
			$patch['rel_policy'] = $posted['rel_sponsored'] ? 'sponsored_nofollow' : 'none';
		}
		if ( $send( 'exclude_bots' ) ) {
			$patch['exclude_bots'] = (bool) $posted['exclude_bots'];
		}
		if ( $send( 'currency' ) ) {
			$patch['currency'] = strtoupper( $posted['currency'] );
		}
		if ( $send( 'currency_rates' ) ) {
			$rates = Link_Rules_Text::parse_rates( $posted['currency_rates'] );
			if ( is_wp_error( $rates ) ) {
				return $rates;
			}
			// A JSON object, even when empty.
			$patch['currency_rates'] = (object) $rates;
		}
		$days = (string) ( $posted['retention_days'] ?? '' );
		if ( '' !== $days && $send( 'retention_days' ) ) {
			if ( ! ctype_digit( $days ) || (int) $days < 1 || (int) $days > 3650 ) {
				return new WP_Error( 'affrank_bad_retention', __( 'Keep click details: enter a whole number of days from 1 to 3650.', 'affrank' ) );
			}
			$patch['click_detail_retention_days'] = (int) $days;
		}
		// Only when the form had the Amazon card (its radio always sends a value).
		$assignment = (string) ( $posted['amazon_assignment'] ?? '' );
		if ( '' !== $assignment ) {
			if ( ! in_array( $assignment, array( 'auto', 'manual' ), true ) ) {
				return new WP_Error( 'affrank_bad_assignment', __( 'Amazon tracking ids: choose automatic or by-hand assignment.', 'affrank' ) );
			}
			if ( $send( 'amazon_tracking_ids' ) ) {
				$patch['amazon_tracking_ids'] = Amazon_Pages::parse_ids( (string) ( $posted['amazon_tracking_ids'] ?? '' ) );
			}
			if ( $send( 'amazon_assignment' ) ) {
				$patch['amazon_tracking_assignment'] = $assignment;
			}
		}
		$zone = self::time_zone_field();
		if ( $zone && $send( 'time_zone' ) ) {
			$patch['time_zone'] = $zone['time_zone'];
		}
		return $patch;
	}

	/**
	 * Only http(s) URLs; null for anything else. Empty stays empty.
	 *
	 * @param string $raw The URL as typed.
	 * @return string|null The URL without a trailing slash, '' or null.
	 */
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
	 *
	 * @param string $url A sidecar URL.
	 * @return string The origin.
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

	/**
	 * Keys are printable ASCII; anything else is a copy-paste accident.
	 *
	 * @param string $raw The key as typed.
	 * @return string The key.
	 */
	public static function sanitize_api_key( string $raw ): string {
		return (string) preg_replace( '/[^\x21-\x7E]/', '', $raw );
	}

	/**
	 * The blog's time zone as the sidecar takes it (a region name or UTC),
	 * or nothing for a fixed offset such as "+02:00".
	 *
	 * @return array{time_zone?:string}
	 */
	private static function time_zone_field(): array {
		$zone = wp_timezone_string();
		return str_contains( $zone, '/' ) || 'UTC' === $zone ? array( 'time_zone' => $zone ) : array();
	}

	/**
	 * A short hash of one field's value, as fingerprint() keeps it.
	 *
	 * @param mixed $value A string, or a bool for a checkbox.
	 * @return string 16 hex digits.
	 */
	private static function digest( mixed $value ): string {
		$text = is_bool( $value ) ? ( $value ? '1' : '0' ) : (string) $value;
		return substr( hash( 'sha256', $text ), 0, 16 );
	}

	/**
	 * Keeps the posted sidecar fields to show again after a refused save.
	 *
	 * @param array $posted The form's sidecar fields.
	 */
	private static function keep_draft( array $posted ): void {
		update_user_meta( get_current_user_id(), self::DRAFT_META, $posted );
	}
}
