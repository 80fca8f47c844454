<?php
/**
 * Money is formatted from its decimal string, never through a float.
 */

use AffRank\Format;
use AffRank\Tests\Test_Case;

final class FormatTest extends Test_Case {

	public function test_money(): void {
		$this->assertSame( '$1,234.50', Format::money( '1234.5', 'USD' ) );
		$this->assertSame( '€0.13', Format::money( '0.125', 'eur' ) );
		$this->assertSame( '$10.00', Format::money( '9.995', 'USD' ) );
		$this->assertSame( '$0.00', Format::money( '-0.004', 'USD' ), 'no negative zero' );
		$this->assertSame( '−$12.00', Format::money( '-12', 'USD' ) );
		$this->assertSame( '¥1,235', Format::money( '1234.5', 'JPY' ) );
		$this->assertSame( '12.30 CHF', Format::money( '12.3', 'CHF' ) );
		$this->assertSame( '$90,071,992,547,409,930.01', Format::money( '90071992547409930.005', 'USD' ), 'beyond float precision' );
		$this->assertSame( '—', Format::money( 'abc', 'USD' ) );
		$this->assertSame( '—', Format::money( '1e5', 'USD' ) );
	}

	public function test_percent_and_count(): void {
		$this->assertSame( '3.4%', Format::percent( 0.0342 ) );
		$this->assertSame( '—', Format::percent( null ) );
		$this->assertSame( '12,345', Format::count( 12345 ) );
	}
}
