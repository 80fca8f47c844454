<?php
/**
 * Keeps the plugin's copy of the link map in step with the sidecar, and
 * hands the sidecar the clicks redirected from it, on a wp-cron schedule
 * (every 15 minutes).
 *
 * The map comes from GET /api/v1/links a page at a time after the cursor
 * the last page gave, so the first run copies a large site in pages (and,
 * past MAX_PAGES, goes on at the next run) and later runs fetch only the
 * links registered or changed since. Links of a fresh rewrite arrive
 * sooner, through Link_Map::remember(). When the plugin is connected to
 * another sidecar or site, the copy starts over.
 *
 * Runs in the background (wp-cron), never during a page render, with the
 * admin timeout; a failure is kept for the Settings screen and retried at
 * the next run.
 *
 * @package AffRank
 */

namespace AffRank\Fallback;

use AffRank\Options;
use AffRank\Sidecar\Client;
use WP_Error;

defined( 'ABSPATH' ) || exit;

/**
 * The scheduled sync of the link map and the untracked clicks.
 */
final class Link_Sync {

	/** The wp-cron hook. */
	public const HOOK = 'affrank_sync_links';

	/** The wp-cron schedule's name. */
	public const SCHEDULE = 'affrank_quarter_hour';

	/** Links per page of GET /api/v1/links. */
	public const PAGE_SIZE = 1000;

	/** Pages per run: a larger map goes on at the next run. */
	public const MAX_PAGES = 50;

	/** Untracked counts per POST (the sidecar takes up to 1,000). */
	public const REPORT_BATCH = 500;

	/** Reports per run. */
	public const MAX_REPORTS = 20;

	/**
	 * Builds a sync.
	 *
	 * @param Client        $client    The sidecar client.
	 * @param callable|null $clock     Returns the current Unix time; tests pass their own.
	 * @param int           $page_size Links per page.
	 * @param int           $max_pages Pages per run.
	 */
	public function __construct(
		private Client $client,
		private $clock = null,
		private int $page_size = self::PAGE_SIZE,
		private int $max_pages = self::MAX_PAGES
	) {
		$this->clock = $clock ?? 'time';
	}

	/**
	 * The wp-cron callback.
	 */
	public static function run_scheduled(): void {
		( new self( Client::for_admin() ) )->run();
	}

	/**
	 * The cron_schedules callback: adds the 15-minute schedule.
	 *
	 * @param mixed $schedules The schedules other code defined.
	 * @return array
	 */
	public static function add_schedule( $schedules ): array {
		$schedules                   = is_array( $schedules ) ? $schedules : array();
		$schedules[ self::SCHEDULE ] = array(
			'interval' => 15 * MINUTE_IN_SECONDS,
			'display'  => __( 'Every 15 minutes (AffRank link map)', 'affrank' ),
		);
		return $schedules;
	}

	/**
	 * The init callback: makes sure the sync is scheduled (reads only the
	 * autoloaded cron option when it is).
	 */
	public static function ensure_scheduled(): void {
		if ( false === wp_next_scheduled( self::HOOK ) ) {
			wp_schedule_event( time(), self::SCHEDULE, self::HOOK );
		}
	}

	/**
	 * The deactivation callback: no sync while the plugin is off.
	 */
	public static function unschedule(): void {
		wp_clear_scheduled_hook( self::HOOK );
	}

	/**
	 * Fetches what changed in the map, then reports untracked clicks. Each
	 * half runs even when the other fails.
	 *
	 * @return array{links:int|null,reported:int|null,error:string} What the run did; null where a half failed.
	 */
	public function run(): array {
		$result = array(
			'links'    => null,
			'reported' => null,
			'error'    => '',
		);
		if ( ! $this->client->is_configured() ) {
			return $result;
		}
		$links    = $this->pull();
		$reported = $this->push();
		$errors   = array();
		foreach ( array( $links, $reported ) as $half ) {
			if ( is_wp_error( $half ) ) {
				$errors[] = $half->get_error_message();
			}
		}
		$result = array(
			'links'    => is_wp_error( $links ) ? null : $links,
			'reported' => is_wp_error( $reported ) ? null : $reported,
			'error'    => implode( ' ', $errors ),
		);

		$state          = self::state();
		$state['run']   = ( $this->clock )();
		$state['error'] = $result['error'];
		if ( '' === $result['error'] ) {
			$state['ok'] = $state['run'];
		}
		self::save_state( $state );
		Untracked_Clicks::prune( ( $this->clock )() );
		return $result;
	}

	/**
	 * Copies the map's changes, page by page, keeping the cursor after each.
	 *
	 * @return int|WP_Error How many links were stored.
	 */
	public function pull(): int|WP_Error {
		$state = self::state();
		$owner = $this->owner();
		if ( ( $state['owner'] ?? '' ) !== $owner ) {
			// Another sidecar or site: its links, from the start.
			Link_Map::forget_all();
			$state = array( 'owner' => $owner );
			self::save_state( $state );
		}
		$stored = 0;
		for ( $page = 0; $page < $this->max_pages; $page++ ) {
			$answer = $this->client->links( $state['cursor'] ?? null, $this->page_size );
			if ( is_wp_error( $answer ) ) {
				return $answer;
			}
			$stored += Link_Map::remember( $answer['links'] );
			if ( null !== $answer['next'] ) {
				$state['cursor'] = $answer['next'];
				self::save_state( $state );
			}
			if ( ! $answer['more'] ) {
				break;
			}
		}
		return $stored;
	}

	/**
	 * Reports the untracked clicks the sidecar has not accepted yet.
	 *
	 * @return int|WP_Error How many link-days were reported.
	 */
	public function push(): int|WP_Error {
		$reported = 0;
		for ( $batch = 0; $batch < self::MAX_REPORTS; $batch++ ) {
			$rows = Untracked_Clicks::unreported( self::REPORT_BATCH );
			if ( array() === $rows ) {
				break;
			}
			$answer = $this->client->report_untracked( $rows );
			if ( is_wp_error( $answer ) ) {
				$refused = self::refused_row( $answer, $rows );
				if ( null === $refused ) {
					return $answer;
				}
				// One entry the sidecar will never take (a day out of its
				// range): set it aside, so it cannot hold the others back.
				Untracked_Clicks::mark_reported( array( $refused ) );
				continue;
			}
			Untracked_Clicks::mark_reported( $rows );
			$reported += count( $rows );
		}
		return $reported;
	}

	/**
	 * The sync's state, as the Settings screen shows it.
	 *
	 * @return array{owner?:string,cursor?:string,run?:int,ok?:int,error?:string}
	 */
	public static function state(): array {
		$state = get_option( Options::LINK_SYNC, array() );
		return is_array( $state ) ? $state : array();
	}

	/**
	 * Stores the state, not autoloaded (read only by the sync and wp-admin).
	 *
	 * @param array $state The new state.
	 */
	private static function save_state( array $state ): void {
		update_option( Options::LINK_SYNC, $state, false );
	}

	/**
	 * Who the copy belongs to: the sidecar and the site's key, hashed (the
	 * key itself is never stored twice).
	 *
	 * @return string
	 */
	private function owner(): string {
		return hash( 'sha256', $this->client->base_url() . "\n" . Options::api_key() );
	}

	/**
	 * The row a 400 names ("counts[3].day"), if it names one.
	 *
	 * @param WP_Error                                                $error The sidecar's refusal.
	 * @param array<int, array{link_id:string,day:string,clicks:int}> $rows  What was sent.
	 * @return array{link_id:string,day:string,clicks:int}|null
	 */
	private static function refused_row( WP_Error $error, array $rows ): ?array {
		$data  = $error->get_error_data();
		$field = is_array( $data ) && isset( $data['field'] ) ? (string) $data['field'] : '';
		if ( 'affrank_invalid' !== $error->get_error_code() || 1 !== preg_match( '/^counts\[(\d+)\]\./', $field, $matches ) ) {
			return null;
		}
		return $rows[ (int) $matches[1] ] ?? null;
	}
}
