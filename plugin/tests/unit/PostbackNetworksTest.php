<?php
/**
 * Postback Setup per network: URLs built with each network's macros, and
 * plain statements for networks that never call a postback URL.
 */

use AffRank\Admin\Postback_Networks;
use AffRank\Tests\Test_Case;

final class PostbackNetworksTest extends Test_Case {

	private const TEMPLATE = 'https://t.test/api/v1/postbacks/S1?sessionId={SESSION_ID}&amount={COMMISSION}&transaction_id={TRANSACTION_ID}&token=TOK';

	private function by_id( array $site ): array {
		return array_column( Postback_Networks::entries( $site ), null, 'id' );
	}

	public function test_fill_puts_values_into_the_placeholders(): void {
		$this->assertSame(
			'https://t.test/api/v1/postbacks/S1?sessionId=abc&amount=1.00&transaction_id=T9&token=TOK',
			Postback_Networks::fill( self::TEMPLATE, 'abc', '1.00', 'T9' )
		);
	}

	public function test_each_network_gets_its_own_macros_from_the_template(): void {
		$entries  = $this->by_id( array( 'postback_url' => self::TEMPLATE ) );
		$expected = array(
			'shareasale' => 'sessionId=!!afftrack!!&amount=!!commission!!&transaction_id=!!transID!!',
			'impact'     => 'sessionId={SubId1}&amount={Payout}&transaction_id={ActionId}',
			'awin'       => 'sessionId=!!!clickRef!!!&amount=!!!commission!!!&transaction_id=!!!transactionId!!!',
			'everflow'   => 'sessionId={sub1}&amount={payout}&transaction_id={transaction_id}',
			'cake'       => 'sessionId=#s2#&amount=#price#&transaction_id=#tid#',
			'tune'       => 'sessionId={aff_click_id}&amount={payout}&transaction_id={transaction_id}',
			// Rakuten fills in its own macros: it gets the generic template.
			'rakuten'    => 'sessionId={SESSION_ID}&amount={COMMISSION}&transaction_id={TRANSACTION_ID}',
		);
		foreach ( $expected as $id => $query ) {
			$this->assertSame( 'https://t.test/api/v1/postbacks/S1?' . $query . '&token=TOK', $entries[ $id ]['url'], $id );
			$this->assertSame( Postback_Networks::SUPPORTED, $entries[ $id ]['postback'], $id );
		}
	}

	public function test_the_issue_lists_nine_networks_in_order(): void {
		$this->assertSame(
			array( 'shareasale', 'cj', 'impact', 'rakuten', 'clickbank', 'awin', 'everflow', 'cake', 'tune' ),
			array_column( Postback_Networks::entries( array( 'postback_url' => self::TEMPLATE ) ), 'id' )
		);
	}

	public function test_sub_ids_follow_design_md(): void {
		$entries = $this->by_id( array( 'postback_url' => self::TEMPLATE ) );
		$this->assertSame(
			array( 'shareasale' => 'afftrack', 'cj' => 'sid', 'impact' => 'subId1', 'rakuten' => 'u1', 'clickbank' => 'tid', 'awin' => 'clickref', 'everflow' => 'sub1', 'cake' => 's2', 'tune' => 'aff_click_id' ),
			array_map( static fn ( $e ) => $e['sub_id'], $entries )
		);
	}

	public function test_cj_and_clickbank_show_no_url_and_say_why(): void {
		$entries = $this->by_id( array( 'postback_url' => self::TEMPLATE ) );
		$this->assertNull( $entries['cj']['url'] );
		$this->assertSame( Postback_Networks::NONE, $entries['cj']['postback'] );
		$this->assertStringContainsString( 'no publisher postback', Postback_Networks::no_url_message( 'none', 'cj' ) );
		$this->assertNull( $entries['clickbank']['url'] );
		$this->assertSame( Postback_Networks::OWN_NOTIFICATION, $entries['clickbank']['postback'] );
		$this->assertStringContainsString( 'encrypted', Postback_Networks::no_url_message( 'own_notification', 'clickbank' ) );
	}

	public function test_the_sidecars_own_entries_win_and_extra_networks_are_appended(): void {
		$entries = $this->by_id(
			array(
				'postback_url' => self::TEMPLATE,
				'networks'     => array(
					array( 'id' => 'impact', 'name' => 'Impact', 'sub_id' => 'subId1', 'postback' => 'supported', 'postback_url' => 'https://sidecar.test/impact', 'setup' => 'S', 'note' => '' ),
					array( 'id' => 'amazon', 'name' => 'Amazon Associates', 'sub_id' => 'ascsubtag', 'postback' => 'none', 'postback_url' => null, 'setup' => '—', 'note' => 'n' ),
				),
			)
		);
		$this->assertSame( 'https://sidecar.test/impact', $entries['impact']['url'] );
		$this->assertSame( 'S', $entries['impact']['setup'] );
		$this->assertArrayHasKey( 'amazon', $entries );
		$this->assertNull( $entries['amazon']['url'] );
	}

	public function test_no_template_means_no_url_rather_than_a_broken_one(): void {
		$this->assertNull( $this->by_id( array() )['impact']['url'] );
	}
}
