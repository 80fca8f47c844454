<?php
/**
 * The sidecar's settings version, which is part of every rewrite cache key:
 * when the link rules or rel policy change, every cached page is re-tagged.
 *
 * The version is re-read from GET /api/v1/site at most once a minute (on a
 * render, within the same fail-open rules as a rewrite), taken from every
 * rewrite answer, and set right after the Settings screen saves.
 *
 * @package AffRank
 */

namespace AffRank\Sidecar;

use AffRank\Options;

defined( 'ABSPATH' ) || exit;

/**
 * The sidecar's settings version, as the rewrite cache keys it.
 */
final class Site_State {

	public const REFRESH_SECONDS = 60;

	/**
	 * Returns the current Unix time.
	 *
	 * @var callable(): int
	 */
	private $clock;

	/**
	 * Builds the state on the stored option.
	 *
	 * @param Client        $client  Reads GET /api/v1/site when the version is stale.
	 * @param Backoff       $backoff The pause after failed calls.
	 * @param callable|null $clock   Returns the current Unix time; tests pass their own.
	 */
	public function __construct( private Client $client, private Backoff $backoff, ?callable $clock = null ) {
		$this->clock = $clock ?? 'time';
	}

	/**
	 * The current settings version, refreshed when stale. Null when it has
	 * never been read and the sidecar cannot be reached now.
	 */
	public function version(): ?int {
		$state = $this->stored();
		$age   = ( $this->clock )() - (int) ( $state['checked'] ?? 0 );
		if ( isset( $state['version'] ) && $age < (int) apply_filters( 'affrank_site_refresh_seconds', self::REFRESH_SECONDS ) ) {
			return (int) $state['version'];
		}
		if ( ! $this->backoff->allows_call() ) {
			return null;
		}
		$site = $this->client->site();
		if ( is_wp_error( $site ) || ! isset( $site['settings_version'] ) ) {
			$this->backoff->record_failure( is_wp_error( $site ) ? $site->get_error_message() : '' );
			return null;
		}
		$this->backoff->record_success();
		$this->remember( (int) $site['settings_version'] );
		return (int) $site['settings_version'];
	}

	/**
	 * Stores a version learned elsewhere (a rewrite answer, a settings save).
	 *
	 * @param int $version The sidecar's settings version.
	 */
	public function remember( int $version ): void {
		update_option(
			Options::SITE_STATE,
			array(
				'version' => $version,
				'checked' => ( $this->clock )(),
			),
			true
		);
	}

	/** Forgets the version so the next render asks again. */
	public static function forget(): void {
		delete_option( Options::SITE_STATE );
	}

	/**
	 * The stored state: {version, checked}.
	 *
	 * @return array
	 */
	private function stored(): array {
		$state = get_option( Options::SITE_STATE, array() );
		return is_array( $state ) ? $state : array();
	}
}
