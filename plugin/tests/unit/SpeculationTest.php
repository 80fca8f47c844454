<?php
/**
 * /go/ links are kept out of WordPress's speculation rules (6.8+), so a
 * browser never follows a prefetched, unrecorded redirect.
 */

use AffRank\Tagging\Speculation;
use AffRank\Tests\Test_Case;

final class SpeculationTest extends Test_Case {

	public function test_go_links_are_excluded_from_prefetch_and_prerender(): void {
		foreach ( array( 'prefetch', 'prerender' ) as $mode ) {
			$paths = apply_filters( 'wp_speculation_rules_href_exclude_paths', array( '/cart/*' ), $mode );
			$this->assertSame( array( '/cart/*', '/go/*' ), $paths, "mode $mode" );
		}
	}

	public function test_the_exclusion_is_added_once_and_survives_odd_input(): void {
		$this->assertSame( array( '/go/*' ), Speculation::exclude_go_links( array( '/go/*' ) ) );
		$this->assertSame( array( '/go/*' ), Speculation::exclude_go_links( null ) );
	}
}
