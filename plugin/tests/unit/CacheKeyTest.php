<?php
/**
 * The rewrite cache key changes with each thing that changes the answer.
 */

use AffRank\Tagging\Cache_Key;
use AffRank\Tagging\Keyword;
use AffRank\Tests\Test_Case;

final class CacheKeyTest extends Test_Case {

	private function key( string $html = '<a href="x">', string $url = 'https://b.test/p/', ?string $kw = 'boots', ?string $source = 'yoast', int $version = 1 ): string {
		return Cache_Key::for_rewrite( $html, $url, new Keyword( $kw, $source ), $version );
	}

	public function test_the_same_inputs_give_the_same_key(): void {
		$this->assertSame( $this->key(), $this->key() );
	}

	public function test_each_input_changes_the_key(): void {
		$keys = array(
			$this->key(),
			$this->key( html: '<a href="y">' ),
			$this->key( url: 'https://b.test/other/' ),
			$this->key( kw: 'shoes' ),
			$this->key( source: 'rank_math' ),
			$this->key( kw: null, source: null ),
			$this->key( version: 2 ),
		);
		$this->assertCount( count( $keys ), array_unique( $keys ) );
	}

	public function test_parts_cannot_run_into_each_other(): void {
		$this->assertNotSame(
			Cache_Key::for_rewrite( 'x', 'https://b.test/a', new Keyword( 'b c', null ), 1 ),
			Cache_Key::for_rewrite( 'x', 'https://b.test/a b', new Keyword( 'c', null ), 1 )
		);
	}

	public function test_keys_are_valid_transient_names_with_our_prefix(): void {
		$key = $this->key();
		$this->assertStringStartsWith( 'affrank_rw_', $key );
		$this->assertLessThanOrEqual( 172, strlen( $key ) );
		$this->assertMatchesRegularExpression( '/^affrank_rw_[0-9a-f]{40}$/', $key );
	}
}
