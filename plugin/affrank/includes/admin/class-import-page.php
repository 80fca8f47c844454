<?php
/**
 * AffRank → Import: a network's transaction export (CSV, TSV or XLSX) into
 * the sidecar's conversions ledger, in two steps.
 *
 * 1. Upload and preview: the file is kept (Import_Store) and sent to
 *    POST /api/v1/imports with dry_run=1; the screen shows the first rows as
 *    the sidecar read them, the rejected rows with their row numbers and
 *    reasons, and what applying would do.
 * 2. Apply: the same file is sent again without dry_run (with skip_rejected
 *    when the box is ticked); the sidecar applies it whole or not at all
 *    (422), and the screen shows the counts.
 *
 * Every step is an admin-post.php handler: capability, nonce, sanitised
 * input, redirect. The file is sent from disk (Upload_Stream), never read
 * into memory.
 *
 * @package AffRank
 */

namespace AffRank\Admin;

use AffRank\Options;
use AffRank\Sidecar\Client;
use AffRank\Template;
use WP_Error;

defined( 'ABSPATH' ) || exit;

/**
 * The Import screen and its three handlers (preview, apply, cancel).
 */
final class Import_Page {

	public const PREVIEW_ACTION = 'affrank_import_preview';
	public const APPLY_ACTION   = 'affrank_import_apply';
	public const CANCEL_ACTION  = 'affrank_import_cancel';

	/** The file field of the upload form. */
	public const FILE_FIELD = 'affrank_import_file';

	/** The fields a column can be mapped to, in the order the form lists them. */
	public const FIELDS = array( 'transaction_id', 'amount', 'date', 'session_id', 'currency', 'status', 'network', 'label', 'product' );

	/** The fields a mapping must have. */
	public const REQUIRED = array( 'transaction_id', 'amount', 'date' );

	/** How many preview rows and rejected rows the screen keeps and shows. */
	public const PREVIEW_ROWS  = 50;
	public const REJECTED_ROWS = 200;

	/** The largest file taken unless the affrank_import_max_bytes filter says otherwise. */
	public const DEFAULT_MAX_BYTES = 64 * MB_IN_BYTES;

	/**
	 * Prints the screen.
	 */
	public static function render(): void {
		if ( ! current_user_can( Menu::CAPABILITY ) ) {
			return;
		}
		$client  = Client::for_admin();
		$presets = $client->is_configured() ? $client->import_presets() : null;
		$result  = get_user_meta( get_current_user_id(), Options::USER_IMPORT_RESULT, true );
		delete_user_meta( get_current_user_id(), Options::USER_IMPORT_RESULT );

		Template::render(
			'import',
			array(
				'configured'     => $client->is_configured(),
				'presets'        => is_array( $presets ) ? self::presets( $presets ) : array(),
				'presets_error'  => is_wp_error( $presets ) ? $presets : null,
				'pending'        => Import_Store::pending(),
				'result'         => is_array( $result ) ? $result : null,
				'max_bytes'      => self::max_bytes(),
				'fields'         => self::field_labels(),
				'required'       => self::REQUIRED,
				'preview_action' => self::PREVIEW_ACTION,
				'apply_action'   => self::APPLY_ACTION,
				'cancel_action'  => self::CANCEL_ACTION,
			)
		);
	}

	/**
	 * The largest file the screen takes: PHP's upload limit, at most
	 * DEFAULT_MAX_BYTES, or what the affrank_import_max_bytes filter says.
	 *
	 * @return int Bytes.
	 */
	public static function max_bytes(): int {
		$limit = min( (int) wp_max_upload_size(), self::DEFAULT_MAX_BYTES );
		/**
		 * Filters the largest import file the Import screen takes, in bytes.
		 * PHP's own upload_max_filesize and post_max_size still apply.
		 *
		 * @param int $limit Bytes.
		 */
		return max( 1, (int) apply_filters( 'affrank_import_max_bytes', $limit ) );
	}

	/**
	 * The admin-post.php handler of step 1: takes the file, asks the sidecar
	 * for a dry run, keeps both for step 2.
	 */
	public static function handle_preview(): void {
		Request_Guard::check( self::PREVIEW_ACTION );
		// phpcs:ignore WordPress.Security.NonceVerification.Missing -- verified by Request_Guard::check().
		$source = self::read_source( $_POST );
		if ( is_wp_error( $source ) ) {
			Notices::flash( 'error', $source->get_error_message() );
			Request_Guard::redirect( Menu::IMPORT );
		}
		// phpcs:ignore WordPress.Security.NonceVerification.Missing -- verified by Request_Guard::check().
		$upload = isset( $_FILES[ self::FILE_FIELD ] ) && is_array( $_FILES[ self::FILE_FIELD ] ) ? $_FILES[ self::FILE_FIELD ] : array();
		$stored = Import_Store::take_upload( $upload, self::max_bytes() );
		if ( is_wp_error( $stored ) ) {
			Notices::flash( 'error', $stored->get_error_message() );
			Request_Guard::redirect( Menu::IMPORT );
		}
		$pending = $stored + array(
			'token'   => bin2hex( random_bytes( 16 ) ),
			'source'  => $source,
			'created' => time(),
			'preview' => null,
		);
		// Kept before the call, so a failed preview's file is deleted by
		// forget() below or replaced by the next upload, never orphaned.
		Import_Store::keep( $pending );

		$answer = Client::for_admin()->import_file( Import_Store::path( $stored['file'] ), self::api_query( $source ) + array( 'dry_run' => '1' ) );
		// (The name goes with the apply, where the sidecar's log records it.)
		if ( is_wp_error( $answer ) ) {
			Import_Store::forget();
			Notices::flash( 'error', $answer->get_error_message() );
			Request_Guard::redirect( Menu::IMPORT );
		}
		$pending['preview'] = self::trim_answer( $answer );
		Import_Store::keep( $pending );
		Request_Guard::redirect( Menu::IMPORT );
	}

	/**
	 * The admin-post.php handler of step 2: applies the previewed file.
	 */
	public static function handle_apply(): void {
		Request_Guard::check( self::APPLY_ACTION );
		$pending = Import_Store::pending();
		// phpcs:ignore WordPress.Security.NonceVerification.Missing -- verified by Request_Guard::check().
		$token = Form_Input::text( $_POST, 'affrank_import_token' );
		if ( null === $pending || null === $token || ! hash_equals( (string) $pending['token'], $token ) ) {
			Notices::flash( 'error', __( 'This preview is out of date: the file was applied, cancelled or replaced by another upload. Upload the file again.', 'affrank' ) );
			Request_Guard::redirect( Menu::IMPORT );
		}
		// phpcs:ignore WordPress.Security.NonceVerification.Missing -- verified by Request_Guard::check().
		$skip  = Form_Input::checkbox( $_POST, 'affrank_skip_rejected' );
		$query = self::api_query( (array) $pending['source'] ) + ( $skip ? array( 'skip_rejected' => '1' ) : array() ) + array( 'file_name' => (string) $pending['name'] );

		$answer = Client::for_admin()->import_file( Import_Store::path( (string) $pending['file'] ), $query );
		if ( is_wp_error( $answer ) ) {
			Notices::flash( 'error', $answer->get_error_message() );
			Request_Guard::redirect( Menu::IMPORT );
		}
		$answer = self::trim_answer( $answer );
		if ( 422 === $answer['http_status'] || ! $answer['applied'] ) {
			// Nothing applied: the preview stays, now with the sidecar's answer.
			$pending['preview'] = $answer;
			Import_Store::keep( $pending );
			Notices::flash(
				'warning',
				sprintf(
					/* translators: %s: number of rows. */
					_n(
						'Nothing was imported: %s row was rejected. Fix the file, or tick “Skip rejected rows” to import the others.',
						'Nothing was imported: %s rows were rejected. Fix the file, or tick “Skip rejected rows” to import the others.',
						max( 1, $answer['rejected_total'] ),
						'affrank'
					),
					number_format_i18n( $answer['rejected_total'] )
				)
			);
			Request_Guard::redirect( Menu::IMPORT );
		}
		Import_Store::forget();
		$answer['name']   = (string) $pending['name'];
		$answer['source'] = (array) $pending['source'];
		update_user_meta( get_current_user_id(), Options::USER_IMPORT_RESULT, $answer );
		Notices::flash( 'success', self::summary( $answer ) );
		Request_Guard::redirect( Menu::IMPORT );
	}

	/**
	 * The admin-post.php handler of "Cancel": forgets the file.
	 */
	public static function handle_cancel(): void {
		Request_Guard::check( self::CANCEL_ACTION );
		Import_Store::forget();
		Notices::flash( 'info', __( 'Import cancelled; the uploaded file was deleted.', 'affrank' ) );
		Request_Guard::redirect( Menu::IMPORT );
	}

	/**
	 * Reads the upload form's choice: a preset, or columns mapped by hand.
	 *
	 * @param array $input The submitted fields ($_POST, slashed).
	 * @return array{preset:string}|array{columns:array<string,string>}|WP_Error
	 */
	public static function read_source( array $input ): array|WP_Error {
		$names = array_merge( array( 'affrank_import_preset' ), array_map( static fn ( string $f ): string => 'affrank_column_' . $f, self::FIELDS ) );
		$lists = Form_Input::not_text( $input, $names );
		if ( $lists ) {
			return new WP_Error(
				'affrank_bad_form',
				/* translators: %s: the names of the form fields, comma-separated. */
				sprintf( __( 'Nothing was imported: the form sent a list where one value belongs (%s). Reload the page and try again.', 'affrank' ), implode( ', ', $lists ) )
			);
		}
		$preset = Form_Input::single_line( (string) Form_Input::text( $input, 'affrank_import_preset' ) );
		if ( '' !== $preset ) {
			if ( ! preg_match( '/^[a-z0-9_-]{1,64}$/', $preset ) ) {
				return new WP_Error( 'affrank_import_preset', __( 'Choose one of the listed report formats.', 'affrank' ) );
			}
			return array( 'preset' => $preset );
		}
		$columns = array();
		foreach ( self::FIELDS as $field ) {
			$column = Form_Input::single_line( (string) Form_Input::text( $input, 'affrank_column_' . $field ) );
			if ( '' === $column ) {
				continue;
			}
			if ( strlen( $column ) > 200 || str_contains( $column, ',' ) ) {
				return new WP_Error(
					'affrank_import_columns',
					/* translators: %s: a field such as "amount". */
					sprintf( __( 'The column for “%s” must be one column name of at most 200 characters, without commas.', 'affrank' ), $field )
				);
			}
			$columns[ $field ] = $column;
		}
		if ( ! $columns ) {
			return new WP_Error( 'affrank_import_columns', __( 'Choose the report’s format, or name its columns under “Map columns by hand”.', 'affrank' ) );
		}
		$missing = array_values( array_diff( self::REQUIRED, array_keys( $columns ) ) );
		if ( $missing ) {
			return new WP_Error(
				'affrank_import_columns',
				/* translators: %s: field names, comma-separated. */
				sprintf( __( 'Map a column to each of these: %s.', 'affrank' ), implode( ', ', $missing ) )
			);
		}
		return array( 'columns' => $columns );
	}

	/**
	 * The query parameters that tell the sidecar how to read the file.
	 *
	 * @param array $source What read_source() gave.
	 * @return array<string,string> preset=…, or columns=field=Column,…
	 */
	public static function api_query( array $source ): array {
		if ( isset( $source['preset'] ) ) {
			return array( 'preset' => (string) $source['preset'] );
		}
		$pairs = array();
		foreach ( (array) ( $source['columns'] ?? array() ) as $field => $column ) {
			$pairs[] = $field . '=' . $column;
		}
		return array( 'columns' => implode( ',', $pairs ) );
	}

	/**
	 * The sidecar's answer, typed and cut to what the screen shows: the
	 * first PREVIEW_ROWS rows and REJECTED_ROWS rejected rows (with the totals).
	 *
	 * @param array $answer The sidecar's answer (import_file()).
	 * @return array
	 */
	public static function trim_answer( array $answer ): array {
		$count    = static fn ( string $key ): int => isset( $answer[ $key ] ) && is_numeric( $answer[ $key ] ) ? (int) $answer[ $key ] : 0;
		$rejected = array();
		foreach ( array_slice( array_values( array_filter( (array) ( $answer['rejected'] ?? array() ), 'is_array' ) ), 0, self::REJECTED_ROWS ) as $row ) {
			$rejected[] = array(
				'row'    => isset( $row['row'] ) && is_numeric( $row['row'] ) ? (int) $row['row'] : null,
				'reason' => is_scalar( $row['reason'] ?? null ) ? (string) $row['reason'] : '',
			);
		}
		$preview = array();
		foreach ( array_slice( array_values( array_filter( (array) ( $answer['preview'] ?? array() ), 'is_array' ) ), 0, self::PREVIEW_ROWS ) as $row ) {
			$clean = array();
			foreach ( array( 'row', 'transaction_id', 'session_id', 'amount', 'currency', 'status', 'date', 'network', 'label', 'product' ) as $key ) {
				$clean[ $key ] = is_scalar( $row[ $key ] ?? null ) ? (string) $row[ $key ] : '';
			}
			$preview[] = $clean;
		}
		return array(
			'http_status'    => $count( 'http_status' ),
			'rows'           => $count( 'rows' ),
			'imported'       => $count( 'imported' ),
			'updated'        => $count( 'updated' ),
			'duplicate'      => $count( 'duplicate' ),
			'unattributed'   => $count( 'unattributed' ),
			'rejected'       => $rejected,
			// The sidecar may list only the first rejected rows; its total counts all.
			'rejected_total' => isset( $answer['rejected_total'] ) && is_numeric( $answer['rejected_total'] ) ? (int) $answer['rejected_total'] : ( is_array( $answer['rejected'] ?? null ) ? count( $answer['rejected'] ) : 0 ),
			'skipped'        => $count( 'skipped' ),
			'applied'        => isset( $answer['applied'] ) ? true === $answer['applied'] : ( $count( 'http_status' ) >= 200 && $count( 'http_status' ) < 300 ),
			'columns'        => array_values( array_map( 'strval', array_filter( (array) ( $answer['columns'] ?? array() ), 'is_scalar' ) ) ),
			'preview'        => $preview,
		);
	}

	/**
	 * One line saying what an applied import did.
	 *
	 * @param array $answer What trim_answer() gave.
	 * @return string
	 */
	public static function summary( array $answer ): string {
		return sprintf(
			/* translators: 1: rows read, 2: new conversions, 3: conversions changed, 4: rows already there, 5: rows skipped. */
			__( 'Imported: %1$s rows read, %2$s new conversions, %3$s updated, %4$s already there, %5$s rejected rows skipped.', 'affrank' ),
			number_format_i18n( $answer['rows'] ),
			number_format_i18n( $answer['imported'] ),
			number_format_i18n( $answer['updated'] ),
			number_format_i18n( $answer['duplicate'] ),
			number_format_i18n( $answer['rejected_total'] )
		);
	}

	/**
	 * The presets as the form lists them.
	 *
	 * @param array $answer GET /api/v1/imports/presets.
	 * @return array<int, array{id:string,name:string,network:string,formats:string,note:string}>
	 */
	public static function presets( array $answer ): array {
		$presets = array();
		foreach ( (array) ( $answer['presets'] ?? array() ) as $preset ) {
			if ( ! is_array( $preset ) || ! is_string( $preset['id'] ?? null ) || '' === $preset['id'] ) {
				continue;
			}
			$formats   = $preset['formats'] ?? array();
			$presets[] = array(
				'id'      => $preset['id'],
				'name'    => is_scalar( $preset['name'] ?? null ) ? (string) $preset['name'] : $preset['id'],
				'network' => is_scalar( $preset['network'] ?? null ) ? (string) $preset['network'] : '',
				'formats' => is_array( $formats ) ? implode( ', ', array_map( 'strtoupper', array_filter( $formats, 'is_string' ) ) ) : ( is_string( $formats ) ? $formats : '' ),
				'note'    => is_scalar( $preset['note'] ?? null ) ? (string) $preset['note'] : '',
			);
		}
		return $presets;
	}

	/**
	 * What each field means, for the column mapping form.
	 *
	 * @return array<string,string>
	 */
	private static function field_labels(): array {
		return array(
			'transaction_id' => __( 'Transaction id', 'affrank' ),
			'amount'         => __( 'Commission', 'affrank' ),
			'date'           => __( 'Date', 'affrank' ),
			'session_id'     => __( 'Sub-id (AffRank session id)', 'affrank' ),
			'currency'       => __( 'Currency', 'affrank' ),
			'status'         => __( 'Status', 'affrank' ),
			'network'        => __( 'Network', 'affrank' ),
			'label'          => __( 'Tracking id or other sub-id', 'affrank' ),
			'product'        => __( 'Product', 'affrank' ),
		);
	}
}
