<?php
/**
 * The fallback for /go/ while the sidecar is down: the plugin's tables, its
 * copy of the link map, and /?affrank_go={id}, against the real WordPress
 * tables. Only an id the map holds is ever redirected.
 */

use AffRank\Fallback\Go_Route;
use AffRank\Fallback\Link_Map;
use AffRank\Fallback\Tables;
use AffRank\Fallback\Untracked_Clicks;
use AffRank\Tagging\Content_Filter;
use AffRank\Tests\Test_Case;

final class GoRouteTest extends Test_Case {

	private const BROWSER = array( 'user-agent' => 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36' );

	private const NOW = 1767225600; // 2026-01-01T00:00:00Z.

	private const OFFER = 'https://www.awin1.com/cread.php?awinmid=1001&awinaffid=12345&p=https%3A%2F%2Fshop.test%2F';

	/** Total untracked clicks counted, over every link and day. */
	private function counted(): int {
		global $wpdb;
		return (int) $wpdb->get_var( 'SELECT COALESCE(SUM(clicks), 0) FROM ' . Tables::untracked() );
	}

	public function test_the_tables_exist_and_installing_again_changes_nothing(): void {
		global $wpdb;
		foreach ( array( Tables::links(), Tables::untracked() ) as $table ) {
			$this->assertSame( $table, $wpdb->get_var( $wpdb->prepare( 'SHOW TABLES LIKE %s', $table ) ) );
		}
		$this->assertSame( Tables::VERSION, get_option( AffRank\Options::DB_VERSION ) );
		require_once ABSPATH . 'wp-admin/includes/upgrade.php';
		$this->assertSame( array(), dbDelta( Tables::schema(), false ), 'dbDelta finds nothing to change' );
	}

	public function test_the_map_keeps_only_links_and_ids_are_case_sensitive(): void {
		$stored = Link_Map::remember(
			array(
				array( 'id' => 'aB1xxxxxxxx', 'url' => self::OFFER, 'network' => 'awin' ),
				array( 'id' => 'Ab1xxxxxxxx', 'url' => 'https://shop.test/other', 'network' => null ),
				array( 'id' => 'jsLinkxxxxx', 'url' => 'javascript:alert(1)' ),
				array( 'id' => 'relativexxx', 'url' => '/wp-admin/' ),
				array( 'id' => 'schemelessx', 'url' => '//evil.test/' ),
				array( 'id' => 'splitxxxxxx', 'url' => "https://shop.test/\r\nSet-Cookie: x=1" ),
				array( 'id' => '../../etc', 'url' => 'https://shop.test/' ),
				array( 'id' => 'noUrlxxxxxx' ),
				'not an entry',
			)
		);
		$this->assertSame( 2, $stored );
		$this->assertSame( 2, Link_Map::size() );
		$this->assertSame( self::OFFER, Link_Map::destination( 'aB1xxxxxxxx' ) );
		$this->assertSame( 'https://shop.test/other', Link_Map::destination( 'Ab1xxxxxxxx' ) );
		$this->assertNull( Link_Map::destination( 'ab1xxxxxxxx' ), 'another case is another id' );
		$this->assertNull( Link_Map::destination( 'jsLinkxxxxx' ) );

		// A link seen again takes its new description.
		Link_Map::remember( array( array( 'id' => 'aB1xxxxxxxx', 'url' => 'https://shop.test/moved', 'network' => 'awin' ) ) );
		$this->assertSame( 'https://shop.test/moved', Link_Map::destination( 'aB1xxxxxxxx' ) );
		$this->assertSame( 2, Link_Map::size() );
		$this->assertSame( 0, Link_Map::remember( 'not a list' ) );
	}

	public function test_a_known_id_redirects_to_its_destination_and_counts_the_click(): void {
		Link_Map::remember( array( array( 'id' => 'cDUkZkhNXr8', 'url' => self::OFFER, 'network' => 'awin' ) ) );
		$answer = Go_Route::answer( 'cDUkZkhNXr8', 'GET', self::BROWSER, self::NOW );
		$this->assertSame( 302, $answer['status'] );
		$this->assertSame( self::OFFER, $answer['location'], 'the destination as written, no session id' );
		$this->assertTrue( $answer['counted'] );
		Go_Route::answer( 'cDUkZkhNXr8', 'GET', self::BROWSER, self::NOW + 60 );
		Go_Route::answer( 'cDUkZkhNXr8', 'GET', self::BROWSER, self::NOW + DAY_IN_SECONDS );
		$this->assertSame(
			array(
				array(
					'link_id' => 'cDUkZkhNXr8',
					'day'     => '2026-01-01',
					'clicks'  => 2,
				),
				array(
					'link_id' => 'cDUkZkhNXr8',
					'day'     => '2026-01-02',
					'clicks'  => 1,
				),
			),
			Untracked_Clicks::unreported( 10 ),
			'counted per link and UTC day'
		);
	}

	public function test_head_prefetches_and_bots_are_redirected_but_not_counted(): void {
		Link_Map::remember( array( array( 'id' => 'cDUkZkhNXr8', 'url' => self::OFFER ) ) );
		$visits = array(
			array( 'HEAD', self::BROWSER ),
			array( 'GET', self::BROWSER + array( 'sec-purpose' => 'prefetch;prerender' ) ),
			array( 'GET', self::BROWSER + array( 'purpose' => 'prefetch' ) ),
			array( 'GET', array( 'user-agent' => 'Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)' ) ),
			array( 'GET', array( 'user-agent' => 'curl/8.5.0' ) ),
			array( 'GET', array( 'user-agent' => 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/131.0 Safari/537.36' ) ),
			array( 'GET', array() ),
		);
		foreach ( $visits as $i => $visit ) {
			$answer = Go_Route::answer( 'cDUkZkhNXr8', $visit[0], $visit[1], self::NOW );
			$this->assertSame( 302, $answer['status'], "visit $i" );
			$this->assertFalse( $answer['counted'], "visit $i" );
		}
		$this->assertSame( 0, $this->counted() );
	}

	public function test_anything_but_a_known_id_is_a_404_never_a_redirect(): void {
		Link_Map::remember( array( array( 'id' => 'cDUkZkhNXr8', 'url' => self::OFFER ) ) );
		$crafted = array(
			'',
			'unknownId01',
			'cdukzkhnxr8',
			'CDUKZKHNXR8',
			'cDUkZkhNXr8 ',
			'cDUkZkhNXr8/',
			'cDUkZkhNXr8%00',
			"cDUkZkhNXr8\r\nLocation: https://evil.test/",
			'https://evil.test/',
			'//evil.test',
			'/\\evil.test',
			'../wp-admin/',
			"' OR '1'='1",
			'cDUkZkhNXr8\' OR link_id LIKE \'%',
			'%',
			str_repeat( 'a', 65 ),
			array( 'cDUkZkhNXr8' ),
			null,
			42,
		);
		foreach ( $crafted as $raw ) {
			$answer = Go_Route::answer( $raw, 'GET', self::BROWSER, self::NOW );
			$this->assertSame( 404, $answer['status'], var_export( $raw, true ) );
			$this->assertArrayNotHasKey( 'location', $answer, var_export( $raw, true ) );
		}
		$this->assertSame( 0, $this->counted() );
	}

	public function test_the_location_carries_the_whole_url(): void {
		$this->assertSame( self::OFFER, Go_Route::location( self::OFFER ) );
		$url = "https://shop.test/a b/{x}|y'z\$w?q=\u{e9}t\u{e9}";
		$this->assertSame( 'https://shop.test/a%20b/%7Bx%7D%7Cy%27z%24w?q=%C3%A9t%C3%A9', Go_Route::location( $url ) );
		$this->assertSame( Go_Route::location( $url ), wp_sanitize_redirect( Go_Route::location( $url ) ), 'nothing left for WordPress to strip' );
	}

	public function test_a_rewrite_answer_fills_the_map_at_once(): void {
		$this->use_fake_sidecar( 'linkmap' );
		$html            = '<p><a href="https://www.awin1.com/cread.php?awinmid=77&amp;p=x">Offer</a></p>';
		$post            = $this->publish_post( $html );
		$GLOBALS['post'] = $post;
		setup_postdata( $post );
		Content_Filter::create()->filter( $html );
		$id = substr( md5( 'https://www.awin1.com/cread.php?awinmid=77&amp;p=x' ), 0, 11 );
		$this->assertSame( 'https://www.awin1.com/cread.php?awinmid=77&p=x', Link_Map::destination( $id ) );
	}

	public function test_the_route_is_hooked_before_wordpress_routes_the_request(): void {
		$this->assertSame( 0, has_action( 'init', array( Go_Route::class, 'handle_request' ) ) );
		$this->assertSame( 10, has_action( 'affrank_links_registered', array( Link_Map::class, 'remember' ) ) );
	}
}
