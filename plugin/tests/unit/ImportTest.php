<?php
/**
 * The Import screen (#15): its handlers refuse without the capability or
 * the nonce, read only what the form can hold, keep the file where no
 * request can name it, stream it to the (fake) sidecar byte for byte, and
 * print the sidecar's rows as text.
 */

use AffRank\Admin\Import_Page;
use AffRank\Admin\Import_Store;
use AffRank\Options;
use AffRank\Sidecar\Client;
use AffRank\Template;
use AffRank\Tests\Test_Case;

final class ImportTest extends Test_Case {

	private const HOSTILE = '<script>alert(1)</script>';

	protected function setUp(): void {
		parent::setUp();
		require_once ABSPATH . 'wp-admin/includes/template.php';
	}

	protected function tearDown(): void {
		Import_Store::forget();
		delete_user_meta( get_current_user_id(), Options::USER_IMPORT_RESULT );
		parent::tearDown();
	}

	public function test_every_handler_refuses_an_editor_and_a_wrong_nonce(): void {
		$this->use_fake_sidecar();
		foreach ( array(
			Import_Page::PREVIEW_ACTION => array( Import_Page::class, 'handle_preview' ),
			Import_Page::APPLY_ACTION   => array( Import_Page::class, 'handle_apply' ),
			Import_Page::CANCEL_ACTION  => array( Import_Page::class, 'handle_cancel' ),
		) as $action => $handler ) {
			wp_set_current_user( self::factory_user( 'editor' ) );
			$_POST    = array( '_wpnonce' => wp_create_nonce( $action ) );
			$_REQUEST = $_POST;
			$this->assertDies( '/^died 403: Sorry, you are not allowed/', $handler, $action . ': an editor' );

			wp_set_current_user( self::factory_user( 'administrator' ) );
			$_POST    = array( '_wpnonce' => wp_create_nonce( Import_Page::PREVIEW_ACTION === $action ? Import_Page::APPLY_ACTION : Import_Page::PREVIEW_ACTION ) );
			$_REQUEST = $_POST;
			$this->assertDies( '/^died 403: The link you followed has expired/', $handler, $action . ': another step\'s nonce' );
		}
		$this->assertSame( 0, $this->fake_calls( 'ok' ), 'nothing reached the sidecar' );
	}

	public function test_the_form_reads_a_preset_or_a_full_mapping_and_nothing_else(): void {
		$this->assertSame( array( 'preset' => 'cj' ), Import_Page::read_source( array( 'affrank_import_preset' => 'cj' ) ) );
		$this->assertSame( array( 'preset' => 'amazon-earnings' ), Import_Page::read_source( array( 'affrank_import_preset' => " amazon-earnings\n" ) ) );
		$this->assertWPError( Import_Page::read_source( array( 'affrank_import_preset' => '../cj' ) ), 'Choose one of the listed' );
		$this->assertWPError( Import_Page::read_source( array( 'affrank_import_preset' => array( 'cj' ) ) ), 'a list where one value belongs' );
		$this->assertWPError( Import_Page::read_source( array() ), 'Choose the report’s format' );
		$this->assertWPError( Import_Page::read_source( array( 'affrank_column_amount' => 'Commission' ) ), 'transaction_id, date' );
		$this->assertWPError(
			Import_Page::read_source(
				array(
					'affrank_column_transaction_id' => 'Id',
					'affrank_column_amount'         => 'Commission, USD',
					'affrank_column_date'           => 'Date',
				)
			),
			'without commas'
		);

		$source = Import_Page::read_source(
			wp_slash(
				array(
					'affrank_column_transaction_id' => ' Order "Id" ',
					'affrank_column_amount'         => 'Ad Fees($)',
					'affrank_column_date'           => "Date\tShipped",
					'affrank_column_label'          => 'Tracking ID',
					'affrank_column_product'        => '',
				)
			)
		);
		$this->assertSame(
			array(
				'columns' => array(
					'transaction_id' => 'Order "Id"',
					'amount'         => 'Ad Fees($)',
					'date'           => 'Date Shipped',
					'label'          => 'Tracking ID',
				),
			),
			$source,
			'unslashed, one line, empty fields left out'
		);
		$this->assertSame( array( 'columns' => 'transaction_id=Order "Id",amount=Ad Fees($),date=Date Shipped,label=Tracking ID' ), Import_Page::api_query( $source ) );
	}

	public function test_only_a_real_upload_is_taken_and_its_size_is_bounded(): void {
		wp_set_current_user( self::factory_user( 'administrator' ) );
		$this->assertWPError( Import_Store::take_upload( array(), 1000 ), 'Choose one file' );
		$this->assertWPError( Import_Store::take_upload( $this->upload( '/etc/passwd' ), 1000000 ), 'did not arrive whole', 'a path that is not this request\'s upload is never moved' );
		$this->assertWPError( Import_Store::take_upload( array( 'tmp_name' => array( 'x' ), 'error' => 0, 'size' => 1 ), 1000 ), 'Choose one file' );
		$this->assertWPError( Import_Store::take_upload( $this->upload( __FILE__ ), 100 ), 'files up to 100 B can be imported' );
		$this->assertWPError( Import_Store::take_upload( array( 'tmp_name' => '', 'error' => UPLOAD_ERR_INI_SIZE, 'size' => 0 ), 100 ), 'too large' );
		$this->assertWPError( Import_Store::take_upload( array( 'tmp_name' => '', 'error' => UPLOAD_ERR_NO_FILE, 'size' => 0 ), 100 ), 'Choose the file' );
		$this->assertTrue( is_readable( '/etc/passwd' ), 'and the file named is left alone' );
	}

	public function test_a_stored_file_is_found_only_by_its_own_name(): void {
		$path = $this->stored_file( 'a,b' );
		$name = basename( $path );
		$this->assertSame( $path, Import_Store::path( $name ) );
		foreach ( array( '../' . $name, '/etc/passwd', 'import-' . str_repeat( 'g', 32 ) . '.upload', $name . "\0", 'index.php', '' ) as $bad ) {
			$this->assertSame( '', Import_Store::path( $bad ), var_export( $bad, true ) );
		}
		$dir = dirname( $path );
		$this->assertFileExists( $dir . '/index.php' );
		$this->assertStringContainsString( 'Require all denied', (string) file_get_contents( $dir . '/.htaccess' ) );
	}

	public function test_the_daily_cleanup_deletes_only_files_older_than_a_day(): void {
		$old   = $this->stored_file( 'old' );
		$fresh = $this->stored_file( 'fresh' );
		touch( $old, time() - DAY_IN_SECONDS - 60 );
		$other = dirname( $old ) . '/keep-me.txt';
		file_put_contents( $other, 'x' );
		touch( $other, time() - 10 * DAY_IN_SECONDS );
		try {
			$this->assertSame( 1, Import_Store::cleanup() );
			$this->assertFileDoesNotExist( $old );
			$this->assertFileExists( $fresh );
			$this->assertFileExists( $other, 'only the store\'s own files' );
		} finally {
			unlink( $other );
			unlink( $fresh );
		}
	}

	public function test_a_file_is_streamed_to_the_sidecar_byte_for_byte_without_being_read_into_memory(): void {
		$this->use_fake_sidecar();
		$path = $this->stored_file( '' );
		$fill = fopen( $path, 'wb' );
		for ( $i = 0; $i < 24; $i++ ) {
			fwrite( $fill, "commissionId,amount\n" . str_repeat( sprintf( "%07d,12.50\n", $i ), 65536 ) );
		}
		fclose( $fill );
		$size = filesize( $path );
		$hash = hash_file( 'sha256', $path );
		$this->assertGreaterThan( 20 * MB_IN_BYTES, $size );

		memory_reset_peak_usage();
		$before = memory_get_usage();
		$answer = Client::for_admin()->import_file( $path, array( 'preset' => 'cj', 'dry_run' => '1' ) );
		$peak   = memory_get_peak_usage() - $before;
		unlink( $path );

		$this->assertIsArray( $answer, is_wp_error( $answer ) ? $answer->get_error_message() : '' );
		$this->assertSame( $size, $answer['received']['size'] );
		$this->assertSame( $hash, $answer['received']['sha256'] );
		$this->assertSame( 'application/octet-stream', $answer['received']['content_type'] );
		$this->assertSame( array( 'preset' => 'cj', 'dry_run' => '1' ), $answer['received']['query'] );
		$this->assertLessThan( 4 * MB_IN_BYTES, $peak, 'a 20+ MB file costs PHP less than 4 MB' );
	}

	public function test_the_stream_sends_the_exact_bytes(): void {
		$this->use_fake_sidecar();
		$bytes = "\xEF\xBB\xBFcommissionId,amount\r\n\"a\nb\",\"1,5\"\r\n\x00\xFF";
		$path  = $this->stored_file( $bytes );
		$answer = Client::for_admin()->import_file( $path, array( 'preset' => 'cj' ) );
		unlink( $path );
		$this->assertSame( hash( 'sha256', $bytes ), $answer['received']['sha256'] );
	}

	public function test_apply_sends_the_kept_file_and_forgets_it(): void {
		$this->use_fake_sidecar();
		wp_set_current_user( self::factory_user( 'administrator' ) );
		$pending = $this->pending( array( 'preset' => 'cj' ) );

		$notices = $this->run_handler(
			array( Import_Page::class, 'handle_apply' ),
			array(
				'_wpnonce'              => wp_create_nonce( Import_Page::APPLY_ACTION ),
				'affrank_import_token'  => $pending['token'],
				'affrank_skip_rejected' => '1',
			)
		);
		$this->assertSame( 'success', $notices[0]['type'], $notices[0]['message'] );
		$this->assertStringContainsString( '9 new conversions', $notices[0]['message'] );
		$this->assertSame( array( array( 'POST', '/api/v1/imports', 'preset=cj&skip_rejected=1&file_name=cj.csv', array( 'size' => 8 ) ) ), $this->writes() );
		$this->assertNull( Import_Store::pending() );
		$this->assertFileDoesNotExist( $pending['path'], 'the file is deleted once applied' );
		$result = get_user_meta( get_current_user_id(), Options::USER_IMPORT_RESULT, true );
		$this->assertSame( 9, $result['imported'] );
	}

	public function test_apply_with_a_stale_token_sends_nothing(): void {
		$this->use_fake_sidecar();
		wp_set_current_user( self::factory_user( 'administrator' ) );
		$pending = $this->pending( array( 'preset' => 'cj' ) );
		foreach ( array( 'f' . substr( $pending['token'], 1 ), '', array( $pending['token'] ) ) as $token ) {
			$notices = $this->run_handler(
				array( Import_Page::class, 'handle_apply' ),
				array(
					'_wpnonce'             => wp_create_nonce( Import_Page::APPLY_ACTION ),
					'affrank_import_token' => $token,
				)
			);
			$this->assertSame( 'error', $notices[0]['type'] );
			$this->assertStringContainsString( 'out of date', $notices[0]['message'] );
		}
		$this->assertSame( array(), $this->writes(), 'nothing was sent' );
		$this->assertFileExists( $pending['path'], 'the preview stays' );
	}

	public function test_a_rejected_apply_keeps_the_preview_with_the_reasons(): void {
		$this->use_fake_sidecar( 'rejects' );
		wp_set_current_user( self::factory_user( 'administrator' ) );
		$pending = $this->pending( array( 'preset' => 'cj' ) );

		$notices = $this->run_handler(
			array( Import_Page::class, 'handle_apply' ),
			array(
				'_wpnonce'             => wp_create_nonce( Import_Page::APPLY_ACTION ),
				'affrank_import_token' => $pending['token'],
			)
		);
		$this->assertSame( 'warning', $notices[0]['type'] );
		$this->assertStringContainsString( 'Nothing was imported: 2 rows were rejected', $notices[0]['message'] );
		$kept = Import_Store::pending();
		$this->assertNotNull( $kept );
		$this->assertSame( array( 4, 9 ), array_column( $kept['preview']['rejected'], 'row' ) );
		$this->assertFileExists( $pending['path'] );
	}

	public function test_cancel_deletes_the_file(): void {
		wp_set_current_user( self::factory_user( 'administrator' ) );
		$pending = $this->pending( array( 'preset' => 'cj' ) );
		$this->run_handler( array( Import_Page::class, 'handle_cancel' ), array( '_wpnonce' => wp_create_nonce( Import_Page::CANCEL_ACTION ) ) );
		$this->assertFileDoesNotExist( $pending['path'] );
		$this->assertNull( Import_Store::pending() );
	}

	public function test_the_screen_prints_the_sidecars_rows_and_reasons_as_text(): void {
		$this->use_fake_sidecar( 'rejects' );
		wp_set_current_user( self::factory_user( 'administrator' ) );
		$pending            = $this->pending( array( 'preset' => 'cj' ) );
		$answer             = Client::for_admin()->import_file( $pending['path'], array( 'preset' => 'cj', 'dry_run' => '1' ) );
		$stored             = Import_Store::pending();
		$stored['preview']  = Import_Page::trim_answer( $answer );
		$stored['name']     = self::HOSTILE . '.csv';
		Import_Store::keep( $stored );

		ob_start();
		Import_Page::render();
		$html = (string) ob_get_clean();
		$this->assertStringNotContainsString( self::HOSTILE, $html );
		$this->assertStringNotContainsString( '<b>x</b>', $html );
		$this->assertStringContainsString( 'missing commissionId &lt;b&gt;x&lt;/b&gt;', $html );
		$this->assertStringContainsString( '&lt;script&gt;alert(1)&lt;/script&gt;', $html );
		$this->assertStringContainsString( 'Amazon Earnings report &lt;i&gt;', $html );
		$this->assertStringContainsString( 'name="affrank_import_token" value="' . $pending['token'] . '"', $html );
		$this->assertStringContainsString( 'name="affrank_skip_rejected"', $html, 'rows were rejected: the box is offered' );
		$this->assertStringNotContainsString( basename( $pending['path'] ), $html, 'the stored file\'s name never reaches the page' );
	}

	/** An entry of $_FILES for a file that was not uploaded in this request. */
	private function upload( string $path ): array {
		return array(
			'name'     => 'report.csv',
			'type'     => 'text/csv',
			'tmp_name' => $path,
			'error'    => UPLOAD_ERR_OK,
			'size'     => (int) filesize( $path ),
		);
	}

	/** A file in the store's folder under a name the store would give. */
	private function stored_file( string $content ): string {
		$path = Import_Store::dir() . '/import-' . bin2hex( random_bytes( 16 ) ) . '.upload';
		file_put_contents( $path, $content );
		chmod( $path, 0600 );
		return $path;
	}

	/** A pending import for the current user, as handle_preview() keeps it. */
	private function pending( array $source ): array {
		$path    = $this->stored_file( "a,b\n1,2\n" );
		$pending = array(
			'file'    => basename( $path ),
			'name'    => 'cj.csv',
			'size'    => 9,
			'token'   => bin2hex( random_bytes( 16 ) ),
			'source'  => $source,
			'created' => time(),
			'preview' => null,
		);
		Import_Store::keep( $pending );
		return $pending + array( 'path' => $path );
	}

	/** Runs an admin-post handler to its redirect; the flash notices it left. */
	private function run_handler( callable $handler, array $post ): array {
		$_POST    = wp_slash( $post );
		$_REQUEST = $_POST;
		delete_user_meta( get_current_user_id(), Options::USER_NOTICE );
		$stop = static function ( string $location ): never {
			throw new \RuntimeException( 'redirect: ' . $location );
		};
		add_filter( 'wp_redirect', $stop );
		try {
			$handler();
			$this->fail( 'the handler ends with a redirect' );
		} catch ( \RuntimeException $redirect ) {
			$this->assertStringContainsString( 'page=affrank-import', $redirect->getMessage() );
		} finally {
			remove_filter( 'wp_redirect', $stop );
		}
		$notices = get_user_meta( get_current_user_id(), Options::USER_NOTICE, true );
		$this->assertIsArray( $notices );
		return $notices;
	}

	/** The writes the fake sidecar received: [method, route, query, body]. */
	private function writes(): array {
		$file = getenv( 'AFFRANK_FAKE_SIDECAR_LOG' ) . '/writes.jsonl';
		clearstatcache();
		return is_file( $file ) ? array_map( static fn ( string $l ) => json_decode( $l, true ), file( $file, FILE_IGNORE_NEW_LINES ) ) : array();
	}

	private function assertWPError( $value, string $contains, string $why = '' ): void {
		$this->assertInstanceOf( WP_Error::class, $value, $why );
		$this->assertStringContainsString( $contains, $value->get_error_message(), $why );
	}

	/** Runs $run and checks that it ended in wp_die() with a matching message. */
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
