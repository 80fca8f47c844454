<?php
/**
 * The link map sync against a fake sidecar over real HTTP: paging after the
 * cursor, going on where a run stopped, starting over for another site, and
 * reporting untracked clicks as totals that the sidecar accepts once.
 */

use AffRank\Fallback\Link_Map;
use AffRank\Fallback\Link_Sync;
use AffRank\Fallback\Untracked_Clicks;
use AffRank\Options;
use AffRank\Sidecar\Client;
use AffRank\Tests\Test_Case;

final class LinkSyncTest extends Test_Case {

	/** Seven links in the fake's map, and two entries that are not links. */
	private const FAKE_LINKS = 7;
	private const FAKE_ENTRIES = 9;

	/** The query strings of GET /api/v1/links the fake answered, in order. */
	private function link_requests(): array {
		$log = (string) getenv( 'AFFRANK_FAKE_SIDECAR_LOG' ) . '/linkmap-queries.log';
		clearstatcache();
		return is_file( $log ) ? file( $log, FILE_IGNORE_NEW_LINES ) : array();
	}

	/** The bodies of POST /api/v1/clicks/untracked the fake accepted. */
	private function reports(): array {
		$log = (string) getenv( 'AFFRANK_FAKE_SIDECAR_LOG' ) . '/linkmap-untracked.log';
		clearstatcache();
		$lines = is_file( $log ) ? file( $log, FILE_IGNORE_NEW_LINES ) : array();
		return array_map( static fn ( string $line ) => json_decode( $line, true )['counts'], $lines );
	}

	private function sync( int $page_size, int $max_pages = Link_Sync::MAX_PAGES ): Link_Sync {
		return new Link_Sync( Client::for_admin(), static fn () => 1767225600, $page_size, $max_pages );
	}

	public function test_the_map_is_copied_page_by_page_then_only_after_the_cursor(): void {
		$this->use_fake_sidecar( 'linkmap' );
		$result = $this->sync( 2 )->run();
		$this->assertSame( '', $result['error'] );
		$this->assertSame( self::FAKE_LINKS, $result['links'], 'every link, none of the entries that are not links' );
		$this->assertSame( self::FAKE_LINKS, Link_Map::size() );
		$this->assertSame( 'https://www.awin1.com/cread.php?awinmid=4&p=fake', Link_Map::destination( 'fakeLink0004' ) );
		$this->assertCount( (int) ceil( self::FAKE_ENTRIES / 2 ), $this->link_requests(), 'pages of two' );
		$this->assertSame( 'c' . self::FAKE_ENTRIES, Link_Sync::state()['cursor'] );
		$this->assertSame( 1767225600, Link_Sync::state()['ok'] );

		// The next run asks after the cursor, once.
		$result = $this->sync( 2 )->run();
		$this->assertSame( 0, $result['links'] );
		$requests = $this->link_requests();
		$this->assertCount( 6, $requests );
		$this->assertSame( 'limit=2&since=c' . self::FAKE_ENTRIES, $requests[5] );
	}

	public function test_a_run_stops_after_its_pages_and_the_next_goes_on(): void {
		$this->use_fake_sidecar( 'linkmap' );
		$this->sync( 2, 2 )->run();
		$this->assertSame( 3, Link_Map::size(), 'two pages of two entries, one of them not a link' );
		$this->assertSame( 'c4', Link_Sync::state()['cursor'] );
		$this->sync( 2, 2 )->run();
		$this->sync( 2, 2 )->run();
		$this->assertSame( self::FAKE_LINKS, Link_Map::size() );
		$this->assertSame( array( 'limit=2', 'limit=2&since=c2', 'limit=2&since=c4', 'limit=2&since=c6', 'limit=2&since=c8' ), $this->link_requests(), 'no page fetched twice' );
	}

	public function test_another_site_or_sidecar_starts_the_copy_over(): void {
		$this->use_fake_sidecar( 'linkmap' );
		Link_Map::remember( array( array( 'id' => 'otherSite01', 'url' => 'https://shop.test/' ) ) );
		$this->sync( 1000 )->run();
		$this->assertNull( Link_Map::destination( 'otherSite01' ), 'a link of a site the plugin had before is gone' );
		$this->assertSame( self::FAKE_LINKS, Link_Map::size() );

		Options::save_api_key( 'another-key' );
		$result = $this->sync( 1000 )->run();
		$this->assertNotSame( '', $result['error'], 'the fake refuses the other key' );
		$this->assertSame( 0, Link_Map::size(), 'the old site\'s links are not kept for the new one' );
		$this->assertArrayNotHasKey( 'cursor', Link_Sync::state() );
	}

	public function test_untracked_clicks_travel_as_totals_until_accepted(): void {
		$this->use_fake_sidecar( 'linkmap' );
		Untracked_Clicks::record( 'fakeLink0001', '2026-01-01' );
		Untracked_Clicks::record( 'fakeLink0001', '2026-01-01' );
		Untracked_Clicks::record( 'fakeLink0002', '2026-01-01' );
		$this->assertSame( 3, Untracked_Clicks::pending() );

		$result = $this->sync( 1000 )->run();
		$this->assertSame( 2, $result['reported'] );
		$this->assertSame(
			array(
				array(
					'link_id' => 'fakeLink0001',
					'day'     => '2026-01-01',
					'clicks'  => 2,
				),
				array(
					'link_id' => 'fakeLink0002',
					'day'     => '2026-01-01',
					'clicks'  => 1,
				),
			),
			$this->reports()[0]
		);
		$this->assertSame( 0, Untracked_Clicks::pending() );

		// Nothing new: nothing sent. One more click: the day's new total.
		$this->sync( 1000 )->run();
		$this->assertCount( 1, $this->reports() );
		Untracked_Clicks::record( 'fakeLink0001', '2026-01-01' );
		$this->sync( 1000 )->run();
		$this->assertSame(
			array(
				array(
					'link_id' => 'fakeLink0001',
					'day'     => '2026-01-01',
					'clicks'  => 3,
				),
			),
			$this->reports()[1]
		);
	}

	public function test_a_sidecar_that_is_down_keeps_the_clicks_for_later(): void {
		$this->use_fake_sidecar( 'error500' );
		Untracked_Clicks::record( 'fakeLink0001', '2026-01-01' );
		$result = $this->sync( 1000 )->run();
		$this->assertNull( $result['links'] );
		$this->assertNull( $result['reported'] );
		$this->assertStringContainsString( 'HTTP 500', $result['error'] );
		$this->assertStringContainsString( 'HTTP 500', Link_Sync::state()['error'] );
		$this->assertSame( 1, Untracked_Clicks::pending() );

		$this->use_fake_sidecar( 'linkmap' );
		$this->assertSame( 1, $this->sync( 1000 )->run()['reported'] );
		$this->assertSame( 0, Untracked_Clicks::pending() );
		$this->assertSame( '', Link_Sync::state()['error'] );
	}

	public function test_an_entry_the_sidecar_refuses_does_not_hold_the_others_back(): void {
		$this->use_fake_sidecar( 'linkmap' );
		Untracked_Clicks::record( 'fakeLink0001', '2023-12-31' );
		Untracked_Clicks::record( 'fakeLink0002', '2026-01-01' );
		$result = $this->sync( 1000 )->run();
		$this->assertSame( '', $result['error'] );
		$this->assertSame( 1, $result['reported'] );
		$this->assertSame( 'fakeLink0002', $this->reports()[0][0]['link_id'] );
		$this->assertSame( 0, Untracked_Clicks::pending() );
	}

	public function test_the_sync_is_scheduled_every_fifteen_minutes(): void {
		Link_Sync::unschedule();
		Link_Sync::ensure_scheduled();
		$event = wp_get_scheduled_event( Link_Sync::HOOK );
		$this->assertNotFalse( $event );
		$this->assertSame( Link_Sync::SCHEDULE, $event->schedule );
		$this->assertSame( 900, $event->interval );
		$this->assertSame( 10, has_action( Link_Sync::HOOK, array( Link_Sync::class, 'run_scheduled' ) ) );
	}
}
