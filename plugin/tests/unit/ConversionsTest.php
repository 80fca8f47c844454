<?php
/**
 * Manual conversions, the Amazon tracking-id settings and the other #15
 * screens: nonce and capability refusals (a nonce is for one conversion),
 * what the forms send the (fake) sidecar, and escaping.
 */

use AffRank\Admin\Amazon_Pages;
use AffRank\Admin\Conversions_Page;
use AffRank\Admin\Postback_Log_Page;
use AffRank\Admin\Report_Range;
use AffRank\Admin\Revenue_Page;
use AffRank\Admin\Settings_Page;
use AffRank\Options;
use AffRank\Template;
use AffRank\Tests\Test_Case;

final class ConversionsTest extends Test_Case {

	private const HOSTILE = '<script>alert(1)</script>';

	protected function setUp(): void {
		parent::setUp();
		require_once ABSPATH . 'wp-admin/includes/template.php';
		require_once ABSPATH . 'wp-admin/includes/plugin.php';
		$this->use_fake_sidecar();
	}

	private const VALID = array(
		'affrank_network'        => 'Awin',
		'affrank_date'           => '2026-03-02',
		'affrank_amount'         => '15.00',
		'affrank_currency'       => 'usd',
		'affrank_status'         => 'approved',
		'affrank_session_id'     => '',
		'affrank_page_url'       => 'https://blog.test/tents/',
		'affrank_transaction_id' => '',
		'affrank_product'        => 'Tent "Ultra"',
		'affrank_note'           => "Paid by cheque\r\nline two",
	);

	public function test_the_handlers_refuse_an_editor_a_wrong_nonce_and_another_conversions_nonce(): void {
		$cases = array(
			array( array( Conversions_Page::class, 'handle_add' ), Conversions_Page::ADD_ACTION, array() ),
			array( array( Conversions_Page::class, 'handle_edit' ), Conversions_Page::EDIT_ACTION . '_5', array( 'affrank_conversion_id' => '5' ) ),
			array( array( Conversions_Page::class, 'handle_status' ), Conversions_Page::STATUS_ACTION . '_5', array( 'affrank_conversion_id' => '5' ) ),
			array( array( Amazon_Pages::class, 'handle_save' ), Amazon_Pages::SAVE_ACTION, array() ),
		);
		foreach ( $cases as [ $handler, $action, $fields ] ) {
			wp_set_current_user( self::factory_user( 'editor' ) );
			$this->post( $fields + array( '_wpnonce' => wp_create_nonce( $action ) ) );
			$this->assertDies( '/^died 403: Sorry, you are not allowed/', $handler, $action . ': an editor' );

			wp_set_current_user( self::factory_user( 'administrator' ) );
			$this->post( $fields + array( '_wpnonce' => wp_create_nonce( 'affrank_other' ) ) );
			$this->assertDies( '/^died 403: The link you followed has expired/', $handler, $action . ': a wrong nonce' );
		}
		// A nonce made for conversion 5 does not change conversion 6.
		$this->post(
			array(
				'_wpnonce'              => wp_create_nonce( Conversions_Page::STATUS_ACTION . '_5' ),
				'affrank_conversion_id' => '6',
				'affrank_status'        => 'reversed',
			)
		);
		$this->assertDies( '/^died 403: The link you followed has expired/', array( Conversions_Page::class, 'handle_status' ), 'another conversion\'s nonce' );
		$this->assertSame( array(), $this->writes(), 'nothing reached the sidecar' );
	}

	public function test_the_conversion_form_is_read_and_checked_field_by_field(): void {
		$body = Conversions_Page::read_form( wp_slash( self::VALID ), true );
		$this->assertSame(
			array(
				'network'  => 'awin',
				'date'     => '2026-03-02',
				'amount'   => '15.00',
				'status'   => 'approved',
				'currency' => 'USD',
				'page_url' => 'https://blog.test/tents/',
				'product'  => 'Tent "Ultra"',
				'note'     => "Paid by cheque\nline two",
			),
			$body,
			'adding leaves out what was left empty'
		);
		$edit = Conversions_Page::read_form( wp_slash( array( 'affrank_page_url' => '', 'affrank_currency' => '', 'affrank_network' => array( 'not read' ) ) + self::VALID ), false );
		$this->assertSame(
			array(
				'date'     => '2026-03-02',
				'amount'   => '15.00',
				'status'   => 'approved',
				'page_url' => null,
			),
			$edit,
			'an edit sends only what the sidecar lets a manual conversion change; an emptied page is taken off, an empty currency keeps the stored one'
		);

		foreach ( array(
			array( 'affrank_amount', '12,50', 'Commission:' ),
			array( 'affrank_amount', '1e3', 'Commission:' ),
			array( 'affrank_amount', '', 'Commission:' ),
			array( 'affrank_amount', '-5.00', 'a refund is the status' ),
			array( 'affrank_date', '2026-02-30', 'Date:' ),
			array( 'affrank_date', '02/03/2026', 'Date:' ),
			array( 'affrank_network', '', 'Network:' ),
			array( 'affrank_network', 'a b', 'Network:' ),
			array( 'affrank_currency', 'US', 'Currency:' ),
			array( 'affrank_status', 'paid', 'Status:' ),
			array( 'affrank_session_id', 'abc-def', 'Session id:' ),
			array( 'affrank_session_id', str_repeat( 'a', 25 ), 'Session id:' ),
			array( 'affrank_page_url', 'javascript:alert(1)', 'Page:' ),
			array( 'affrank_page_url', '/tents/', 'Page:' ),
			array( 'affrank_product', str_repeat( 'x', 201 ), 'Product:' ),
			array( 'affrank_note', array( 'x' ), 'a list where one value belongs' ),
		) as [ $field, $value, $message ] ) {
			$result = Conversions_Page::read_form( wp_slash( array( $field => $value ) + self::VALID ), true );
			$this->assertInstanceOf( WP_Error::class, $result, $field . ' = ' . var_export( $value, true ) );
			$this->assertStringContainsString( $message, $result->get_error_message(), $field );
		}
	}

	public function test_adding_sends_the_form_and_a_duplicate_transaction_id_is_explained(): void {
		wp_set_current_user( self::factory_user( 'administrator' ) );
		$notices = $this->run_handler( array( Conversions_Page::class, 'handle_add' ), self::VALID + array( '_wpnonce' => wp_create_nonce( Conversions_Page::ADD_ACTION ), 'affrank_return' => 'source=manual&offset=50&evil=1' ) );
		$this->assertSame( 'success', $notices[0]['type'], $notices[0]['message'] );
		$this->assertStringContainsString( 'Conversion #77 added', $notices[0]['message'] );
		$this->assertSame( 'POST', $this->writes()[0][0] );
		$this->assertSame( 'awin', $this->writes()[0][3]['network'] );
		$this->assertStringContainsString( 'source=manual', $this->last_redirect );
		$this->assertStringContainsString( 'offset=50', $this->last_redirect );
		$this->assertStringNotContainsString( 'evil', $this->last_redirect, 'only the list\'s own filters go back' );

		$notices = $this->run_handler( array( Conversions_Page::class, 'handle_add' ), array( 'affrank_transaction_id' => 'taken' ) + self::VALID + array( '_wpnonce' => wp_create_nonce( Conversions_Page::ADD_ACTION ) ) );
		$this->assertSame( 'error', $notices[0]['type'] );
		$this->assertSame( 'Not saved: a conversion with transaction id taken exists', $notices[0]['message'] );
	}

	public function test_a_status_change_sends_the_status_alone(): void {
		wp_set_current_user( self::factory_user( 'administrator' ) );
		$notices = $this->run_handler(
			array( Conversions_Page::class, 'handle_status' ),
			array(
				'_wpnonce'              => wp_create_nonce( Conversions_Page::STATUS_ACTION . '_76' ),
				'affrank_conversion_id' => '76',
				'affrank_status'        => 'reversed',
			)
		);
		$this->assertSame( 'success', $notices[0]['type'], $notices[0]['message'] );
		$this->assertSame( array( array( 'PUT', '/api/v1/conversions/76', '', array( 'status' => 'reversed' ) ) ), $this->writes() );

		$notices = $this->run_handler(
			array( Conversions_Page::class, 'handle_status' ),
			array(
				'_wpnonce'              => wp_create_nonce( Conversions_Page::STATUS_ACTION . '_76' ),
				'affrank_conversion_id' => '76',
				'affrank_status'        => 'paid',
			)
		);
		$this->assertSame( 'error', $notices[0]['type'] );
		$this->assertCount( 1, $this->writes(), 'an unknown status is not sent' );
	}

	public function test_the_list_passes_its_filters_and_prints_rows_as_text(): void {
		wp_set_current_user( self::factory_user( 'administrator' ) );
		$_GET = array(
			'source'  => 'manual',
			'network' => 'awin',
			'status'  => 'nonsense',
			'offset'  => '57',
			'edit'    => '77',
		);
		ob_start();
		Conversions_Page::render();
		$html = (string) ob_get_clean();
		$this->assertStringNotContainsString( self::HOSTILE, $html );
		$this->assertStringContainsString( '&lt;script&gt;alert(1)&lt;/script&gt;', $html, 'the keyword, as text' );
		$this->assertStringContainsString( 'Edit conversion #77', $html, 'a manual row opens in the form' );
		$this->assertStringContainsString( 'value="Tent"', $html );
		$this->assertStringContainsString( '€7.78', $html, 'the amount in its own currency' );
		$this->assertStringContainsString( '$8.40', $html, 'and in the site\'s' );
		$this->assertSame( 1, preg_match_all( '/class="affrank-reverse-form"/', $html ), 'reverse only for the manual row' );
		$log = (string) file_get_contents( getenv( 'AFFRANK_FAKE_SIDECAR_LOG' ) . '/ok.log' );
		$this->assertStringContainsString( 'GET /api/v1/conversions', $log );
		$this->assertSame(
			array(
				'limit'  => '50',
				'offset' => '50',
				'source' => 'manual',
				'network' => 'awin',
			),
			Conversions_Page::api_query( Conversions_Page::filters( wp_unslash( $_GET ) ) ),
			'an unknown status is dropped, the offset is a whole page'
		);
	}

	public function test_amazon_assignments_send_only_changes_to_known_pages_with_ids_of_the_pool(): void {
		$rows = Amazon_Pages::rows(
			array(
				'rows' => array(
					array( 'page_url' => 'https://blog.test/boots/', 'tracking_id' => 'blog-boots-20' ),
					array( 'page_url' => 'https://blog.test/tents/', 'tracking_id' => null ),
				),
			)
		);
		$pool  = array( 'blog-boots-20', 'blog-tents-20' );
		$boots = md5( 'https://blog.test/boots/' );
		$tents = md5( 'https://blog.test/tents/' );
		$this->assertSame(
			array( array( 'page_url' => 'https://blog.test/tents/', 'tracking_id' => 'blog-tents-20' ) ),
			Amazon_Pages::assignments( $rows, $pool, array( $boots => 'blog-boots-20', $tents => 'blog-tents-20', md5( 'https://evil.test/' ) => 'blog-tents-20' ) ),
			'unchanged rows and unknown pages are not sent'
		);
		$this->assertSame( array( array( 'page_url' => 'https://blog.test/boots/', 'tracking_id' => null ) ), Amazon_Pages::assignments( $rows, $pool, array( $boots => '' ) ) );
		$this->assertInstanceOf( WP_Error::class, Amazon_Pages::assignments( $rows, $pool, array( $boots => 'someone-else-20' ) ) );
		$this->assertInstanceOf( WP_Error::class, Amazon_Pages::assignments( $rows, $pool, array( $boots => array( 'x' ) ) ) );

		wp_set_current_user( self::factory_user( 'administrator' ) );
		$notices = $this->run_handler( array( Amazon_Pages::class, 'handle_save' ), array( '_wpnonce' => wp_create_nonce( Amazon_Pages::SAVE_ACTION ), Amazon_Pages::FIELD => array( $tents => 'blog-tents-20' ) ), 'page=affrank-settings' );
		$this->assertSame( 'success', $notices[0]['type'], $notices[0]['message'] );
		$this->assertSame( array( array( 'PUT', '/api/v1/amazon/pages', '', array( 'assignments' => array( array( 'page_url' => 'https://blog.test/tents/', 'tracking_id' => 'blog-tents-20' ) ) ) ) ), $this->writes() );
	}

	public function test_the_amazon_pool_is_sent_as_a_list_only_when_the_card_was_shown(): void {
		$posted = array(
			'tracking_base_url'   => '',
			'link_rules'          => '',
			'rel_sponsored'       => true,
			'exclude_bots'        => true,
			'currency'            => 'USD',
			'currency_rates'      => '',
			'amazon_tracking_ids' => " blog-boots-20 \r\n\nblog-tents-20\nBlog-Boots-20\n",
			'amazon_assignment'   => 'manual',
		);
		$patch = Settings_Page::sidecar_patch( $posted, array( 'amazon_tracking_ids', 'amazon_assignment' ) );
		$this->assertSame(
			array(
				'amazon_tracking_ids'        => array( 'blog-boots-20', 'blog-tents-20' ),
				'amazon_tracking_assignment' => 'manual',
			),
			$patch
		);
		$this->assertSame( array(), Settings_Page::sidecar_patch( array( 'amazon_assignment' => '' ) + $posted, array( 'amazon_tracking_ids', 'amazon_assignment' ) ), 'no card, nothing sent' );
		$this->assertInstanceOf( WP_Error::class, Settings_Page::sidecar_patch( array( 'amazon_assignment' => 'sometimes' ) + $posted, array( 'amazon_assignment' ) ) );
		$this->assertSame( 'Amazon tracking id “blog-tents-20”', Amazon_Pages::describe_field( 'amazon_tracking_ids[1]', $posted['amazon_tracking_ids'] ) );
		$this->assertNull( Amazon_Pages::describe_field( 'link_rules[1]', '' ) );
	}

	public function test_the_settings_screen_shows_the_pool_and_the_page_table(): void {
		wp_set_current_user( self::factory_user( 'administrator' ) );
		ob_start();
		Settings_Page::render();
		$html = (string) ob_get_clean();
		$this->assertStringContainsString( "blog-boots-20\nblog-tents-20</textarea>", $html );
		$this->assertMatchesRegularExpression( '/value="manual"\s+checked/', $html );
		$this->assertStringContainsString( 'name="' . Amazon_Pages::FIELD . '[' . md5( 'https://blog.test/tents/' ) . ']"', $html );
		$this->assertStringContainsString( 'Not on any page yet: blog-tents-20', $html );
	}

	public function test_the_log_shows_each_entrys_source_and_the_revenue_screen_its_networks(): void {
		$this->assertSame( 'import', Postback_Log_Page::present( array( 'source' => 'import' ) )['source'] );
		$this->assertSame( '', Postback_Log_Page::present( array() )['source'], 'an older sidecar: no source' );

		$range = Report_Range::from_query( array( 'range' => '7', 'network' => 'cj' ) );
		$this->assertSame( 'cj', $range->api_query()['network'] );
		$this->assertSame( 'cj', $range->screen_query()['network'] );
		$this->assertArrayNotHasKey( 'network', Report_Range::from_query( array( 'network' => '../x' ) )->api_query() );
		$this->assertStringContainsString( 'network=cj', Revenue_Page::csv_url( 'keywords', $range ), 'the CSV is of what the screen shows' );

		ob_start();
		Template::render(
			'partials/network-table',
			array(
				'rows'     => array(
					array( 'network' => 'cj', 'clicks' => 4, 'conversions' => 2, 'revenue' => '30.00', 'epc' => '7.5', 'conversion_rate' => 0.5, 'sources' => array( 'postback' => '0.00', 'import' => '20.00', 'api' => '0', 'manual' => '10.00' ) ),
					array( 'network' => self::HOSTILE, 'clicks' => 0, 'conversions' => 0, 'revenue' => '0', 'epc' => null, 'conversion_rate' => null, 'sources' => array() ),
				),
				'range'    => $range,
				'currency' => 'USD',
			)
		);
		Template::render(
			'partials/coverage',
			array(
				'coverage' => array( 'click' => '30.00', 'page' => '10.00', 'none' => '0' ),
				'currency' => 'USD',
			)
		);
		$html = (string) ob_get_clean();
		$this->assertStringNotContainsString( self::HOSTILE, $html );
		$this->assertStringContainsString( 'import $20.00', $html );
		$this->assertStringContainsString( 'manual $10.00', $html );
		$this->assertStringNotContainsString( 'postback $0.00', $html, 'a source that brought nothing is left out' );
		$this->assertStringContainsString( '$30.00 matched to a click (75.0%)', $html );
		$this->assertStringContainsString( '$10.00 to a page by tracking id (25.0%)', $html );
		$this->assertStringContainsString( '$0.00 unattributed (0.0%)', $html );
	}

	/** @var string Where the last handler redirected to. */
	private string $last_redirect = '';

	private function post( array $fields ): void {
		$_POST    = wp_slash( $fields );
		$_REQUEST = $_POST;
	}

	/** Runs an admin-post handler to its redirect; the flash notices it left. */
	private function run_handler( callable $handler, array $post, string $page = 'page=affrank-conversions' ): array {
		$this->post( $post );
		delete_user_meta( get_current_user_id(), Options::USER_NOTICE );
		$stop = static function ( string $location ): never {
			throw new \RuntimeException( $location );
		};
		add_filter( 'wp_redirect', $stop );
		try {
			$handler();
			$this->fail( 'the handler ends with a redirect' );
		} catch ( \RuntimeException $redirect ) {
			$this->last_redirect = $redirect->getMessage();
			$this->assertStringContainsString( $page, $this->last_redirect );
		} finally {
			remove_filter( 'wp_redirect', $stop );
		}
		$notices = get_user_meta( get_current_user_id(), Options::USER_NOTICE, true );
		$this->assertIsArray( $notices );
		return $notices;
	}

	private function writes(): array {
		$file = getenv( 'AFFRANK_FAKE_SIDECAR_LOG' ) . '/writes.jsonl';
		clearstatcache();
		return is_file( $file ) ? array_map( static fn ( string $l ) => json_decode( $l, true ), file( $file, FILE_IGNORE_NEW_LINES ) ) : array();
	}

	private function assertDies( string $pattern, callable $run, string $why ): void {
		$died = static fn (): callable => static function ( $message, $title = '', $args = array() ): void {
			throw new \RuntimeException( 'died ' . (int) ( $args['response'] ?? 0 ) . ': ' . ( is_string( $message ) ? $message : '' ) );
		};
		add_filter( 'wp_die_handler', $died );
		try {
			$run();
		} catch ( \RuntimeException $e ) {
			$this->assertMatchesRegularExpression( $pattern, $e->getMessage(), $why );
			return;
		} finally {
			remove_filter( 'wp_die_handler', $died );
		}
		$this->fail( $why . ': did not stop' );
	}
}
