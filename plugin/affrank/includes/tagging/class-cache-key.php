<?php
/**
 * The rewrite cache key: everything that changes the sidecar's answer.
 * The content's hash (a post edit re-tags), the permalink (the page a click
 * is credited to), the keyword and its source, and the sidecar's settings
 * version (new link rules re-tag every page).
 *
 * @package AffRank
 */

namespace AffRank\Tagging;

use AffRank\Options;

defined( 'ABSPATH' ) || exit;

/**
 * Builds the rewrite cache's transient names.
 */
final class Cache_Key {

	/** Transient names are limited to 172 characters; ours are 51. */
	private const HASH_CHARS = 40;

	/**
	 * The transient name for one rewrite.
	 *
	 * @param string  $html             The rendered content sent to the sidecar.
	 * @param string  $page_url         The post's permalink.
	 * @param Keyword $keyword          The post's keyword.
	 * @param int     $settings_version The sidecar's settings version.
	 * @return string "affrank_rw_" and 40 hex digits.
	 */
	public static function for_rewrite( string $html, string $page_url, Keyword $keyword, int $settings_version ): string {
		$parts = array(
			'v1',
			hash( 'sha256', $html ),
			$page_url,
			$keyword->keyword ?? '',
			$keyword->source ?? '',
			(string) $settings_version,
		);
		// JSON keeps the parts apart: "a|b" + "c" never equals "a" + "b|c".
		$digest = hash( 'sha256', (string) wp_json_encode( $parts ) );
		return Options::REWRITE_CACHE_PREFIX . substr( $digest, 0, self::HASH_CHARS );
	}
}
