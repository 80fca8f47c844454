<?php
/**
 * The file an import keeps between its preview and its apply.
 *
 * The uploaded file is moved (move_uploaded_file(), so only a real upload of
 * this request can be taken) into uploads/affrank-imports/ under a random
 * 128-bit name, readable by its owner only, with an index.php and a
 * deny-all .htaccess beside it. Which file belongs to which import is kept in
 * the uploading user's meta, never in the form: the apply step reads the
 * path from there, and the form only carries a random token that must match,
 * so a stale preview in another tab cannot apply a newer file. A file is
 * deleted when its import is applied, cancelled or replaced, and a wp-cron
 * event deletes any left over after a day.
 *
 * @package AffRank
 */

namespace AffRank\Admin;

use AffRank\Options;
use WP_Error;

defined( 'ABSPATH' ) || exit;

/**
 * One pending import per user: its file, its settings, its preview.
 */
final class Import_Store {

	/** The folder below uploads/. */
	public const DIR = 'affrank-imports';

	/** The wp-cron event that deletes files older than MAX_AGE. */
	public const CLEANUP_HOOK = 'affrank_import_cleanup';

	/** How long an upload waits for its apply. */
	public const MAX_AGE = DAY_IN_SECONDS;

	/** Stored file names: "import-" + 32 hex digits + ".upload". */
	private const NAME_PATTERN = '/^import-[0-9a-f]{32}\.upload$/';

	/**
	 * The folder the files go in, created with its guards on first use.
	 *
	 * @return string|WP_Error The absolute path, without a trailing slash.
	 */
	public static function dir(): string|WP_Error {
		$uploads = wp_upload_dir( null, false );
		if ( ! empty( $uploads['error'] ) || empty( $uploads['basedir'] ) ) {
			return new WP_Error( 'affrank_import_dir', __( 'WordPress’s uploads folder is not writable, so the file cannot be kept for the import.', 'affrank' ) );
		}
		$dir = untrailingslashit( $uploads['basedir'] ) . '/' . self::DIR;
		if ( ! is_dir( $dir ) && ! wp_mkdir_p( $dir ) ) {
			return new WP_Error( 'affrank_import_dir', __( 'WordPress’s uploads folder is not writable, so the file cannot be kept for the import.', 'affrank' ) );
		}
		// Web servers that read .htaccess refuse the folder; on the others the
		// 128-bit random names, never shown to anyone, keep the files private.
		foreach ( array(
			'index.php' => "<?php\n// Silence is golden.\n",
			'.htaccess' => "Require all denied\nDeny from all\n",
		) as $name => $content ) {
			if ( ! is_file( $dir . '/' . $name ) ) {
				// phpcs:ignore WordPress.WP.AlternativeFunctions.file_system_operations_file_put_contents -- a guard file in our own folder.
				file_put_contents( $dir . '/' . $name, $content );
			}
		}
		return $dir;
	}

	/**
	 * Takes the request's uploaded file into the folder under a random name.
	 *
	 * @param array $file      One entry of $_FILES.
	 * @param int   $max_bytes The largest file accepted.
	 * @return array{file:string,name:string,size:int}|WP_Error The stored name, the name as uploaded (for display) and the size.
	 */
	public static function take_upload( array $file, int $max_bytes ): array|WP_Error {
		$error = $file['error'] ?? UPLOAD_ERR_NO_FILE;
		if ( ! is_int( $error ) || ! isset( $file['tmp_name'], $file['size'] ) || ! is_string( $file['tmp_name'] ) ) {
			return new WP_Error( 'affrank_import_upload', __( 'Choose one file to import.', 'affrank' ) );
		}
		if ( UPLOAD_ERR_INI_SIZE === $error || UPLOAD_ERR_FORM_SIZE === $error || (int) $file['size'] > $max_bytes ) {
			return new WP_Error(
				'affrank_import_upload',
				/* translators: %s: the largest file size, such as "8 MB". */
				sprintf( __( 'The file is too large: files up to %s can be imported. Export a shorter date range.', 'affrank' ), size_format( $max_bytes ) )
			);
		}
		if ( UPLOAD_ERR_NO_FILE === $error || '' === $file['tmp_name'] ) {
			return new WP_Error( 'affrank_import_upload', __( 'Choose the file to import.', 'affrank' ) );
		}
		if ( UPLOAD_ERR_OK !== $error || ! is_uploaded_file( $file['tmp_name'] ) ) {
			return new WP_Error( 'affrank_import_upload', __( 'The upload did not arrive whole. Try again.', 'affrank' ) );
		}
		if ( 0 === (int) $file['size'] ) {
			return new WP_Error( 'affrank_import_upload', __( 'The file is empty.', 'affrank' ) );
		}
		$dir = self::dir();
		if ( is_wp_error( $dir ) ) {
			return $dir;
		}
		$stored = 'import-' . bin2hex( random_bytes( 16 ) ) . '.upload';
		if ( ! move_uploaded_file( $file['tmp_name'], $dir . '/' . $stored ) ) {
			return new WP_Error( 'affrank_import_dir', __( 'WordPress’s uploads folder is not writable, so the file cannot be kept for the import.', 'affrank' ) );
		}
		// phpcs:ignore WordPress.WP.AlternativeFunctions.file_system_operations_chmod -- owner only: the file holds the blog's earnings.
		chmod( $dir . '/' . $stored, 0600 );
		wp_schedule_single_event( time() + self::MAX_AGE + MINUTE_IN_SECONDS, self::CLEANUP_HOOK );
		$name = isset( $file['name'] ) && is_string( $file['name'] ) ? sanitize_file_name( wp_basename( $file['name'] ) ) : '';
		return array(
			'file' => $stored,
			'name' => '' !== $name ? $name : __( '(unnamed file)', 'affrank' ),
			'size' => (int) $file['size'],
		);
	}

	/**
	 * The current user's pending import, if its file is still there.
	 *
	 * @return array|null {token, file, name, size, source, preview, created}.
	 */
	public static function pending(): ?array {
		$pending = get_user_meta( get_current_user_id(), Options::USER_IMPORT, true );
		if ( ! is_array( $pending ) || '' === self::path( (string) ( $pending['file'] ?? '' ) ) ) {
			return null;
		}
		return $pending;
	}

	/**
	 * Keeps an import for the current user, replacing (and deleting the file
	 * of) any earlier one.
	 *
	 * @param array $pending {token, file, name, size, source, preview, created}.
	 */
	public static function keep( array $pending ): void {
		$old = get_user_meta( get_current_user_id(), Options::USER_IMPORT, true );
		if ( is_array( $old ) && ( $old['file'] ?? '' ) !== $pending['file'] ) {
			self::delete_file( (string) ( $old['file'] ?? '' ) );
		}
		update_user_meta( get_current_user_id(), Options::USER_IMPORT, $pending );
	}

	/**
	 * Forgets the current user's pending import and deletes its file.
	 */
	public static function forget(): void {
		$old = get_user_meta( get_current_user_id(), Options::USER_IMPORT, true );
		if ( is_array( $old ) ) {
			self::delete_file( (string) ( $old['file'] ?? '' ) );
		}
		delete_user_meta( get_current_user_id(), Options::USER_IMPORT );
	}

	/**
	 * The absolute path of a stored file; '' for a name that is not one of
	 * ours or a file that is gone.
	 *
	 * @param string $stored A name take_upload() gave.
	 * @return string
	 */
	public static function path( string $stored ): string {
		if ( ! preg_match( self::NAME_PATTERN, $stored ) ) {
			return '';
		}
		$uploads = wp_upload_dir( null, false );
		$path    = untrailingslashit( (string) ( $uploads['basedir'] ?? '' ) ) . '/' . self::DIR . '/' . $stored;
		return is_file( $path ) ? $path : '';
	}

	/**
	 * The wp-cron callback: deletes stored files older than MAX_AGE.
	 *
	 * @param int|null $now The time to compare with (tests); now by default.
	 * @return int How many files were deleted.
	 */
	public static function cleanup( ?int $now = null ): int {
		$uploads = wp_upload_dir( null, false );
		$dir     = untrailingslashit( (string) ( $uploads['basedir'] ?? '' ) ) . '/' . self::DIR;
		$now     = $now ?? time();
		$deleted = 0;
		foreach ( (array) glob( $dir . '/import-*.upload' ) as $path ) {
			if ( is_string( $path ) && preg_match( self::NAME_PATTERN, wp_basename( $path ) ) && filemtime( $path ) < $now - self::MAX_AGE ) {
				wp_delete_file( $path );
				++$deleted;
			}
		}
		return $deleted;
	}

	/**
	 * Deletes one stored file.
	 *
	 * @param string $stored A name take_upload() gave.
	 */
	private static function delete_file( string $stored ): void {
		$path = self::path( $stored );
		if ( '' !== $path ) {
			wp_delete_file( $path );
		}
	}
}
