<?php
/**
 * Fail open and fast: a failure pauses calls, the pause doubles, a success clears it.
 */

use AffRank\Sidecar\Backoff;
use AffRank\Tests\Test_Case;

final class BackoffTest extends Test_Case {

	private int $now = 1_700_000_000;

	private function backoff(): Backoff {
		return new Backoff( fn () => $this->now );
	}

	public function test_a_fresh_install_allows_calls(): void {
		$this->assertTrue( $this->backoff()->allows_call() );
	}

	public function test_a_failure_pauses_calls_for_the_base_period(): void {
		$this->backoff()->record_failure( 'timeout' );
		$this->assertFalse( $this->backoff()->allows_call() );
		$this->now += Backoff::BASE_SECONDS - 1;
		$this->assertFalse( $this->backoff()->allows_call() );
		$this->now += 1;
		$this->assertTrue( $this->backoff()->allows_call() );
		$this->assertSame( 'timeout', $this->backoff()->state()['reason'] );
	}

	public function test_consecutive_failures_double_the_pause_up_to_the_cap(): void {
		$this->assertSame( array( 30, 60, 120, 240, 480, 600, 600 ), array_map( array( Backoff::class, 'pause_seconds' ), range( 1, 7 ) ) );
		$backoff = $this->backoff();
		$backoff->record_failure();
		$backoff->record_failure();
		$this->assertSame( 2, $backoff->failures() );
		$this->assertSame( $this->now + 60, $backoff->until() );
	}

	public function test_a_success_clears_the_pause(): void {
		$backoff = $this->backoff();
		$backoff->record_failure();
		$backoff->record_success();
		$this->assertTrue( $backoff->allows_call() );
		$this->assertSame( 0, $backoff->failures() );
	}

	public function test_the_state_survives_across_requests_in_an_autoloaded_option(): void {
		$this->backoff()->record_failure();
		wp_cache_flush();
		$this->assertFalse( $this->backoff()->allows_call(), 'a new request (fresh cache) sees the pause' );
		global $wpdb;
		// WordPress 6.6 writes 'on' where earlier versions wrote 'yes'.
		$this->assertContains( $wpdb->get_var( "SELECT autoload FROM {$wpdb->options} WHERE option_name = 'affrank_backoff'" ), array( 'yes', 'on' ) );
	}

	public function test_the_periods_are_filterable(): void {
		add_filter( 'affrank_backoff_base_seconds', static fn () => 5 );
		$this->assertSame( 5, Backoff::pause_seconds( 1 ) );
		$this->assertSame( 10, Backoff::pause_seconds( 2 ) );
	}
}
