<?php
/**
 * Keeps the browser from loading /go/ links ahead of a click.
 *
 * WordPress 6.8+ prints speculation rules that let browsers prefetch or
 * prerender same-site links on hover. A /go/ link loaded that way is a
 * redirect the sidecar answers without recording a click (nobody clicked
 * yet), and the browser then follows the prefetched redirect when the
 * visitor does click: the network receives a session id that has no click
 * behind it, and the sale is reported unattributed. Core already skips
 * links with rel="nofollow", which the sidecar adds by default; this covers
 * sites that turned that policy off. On older WordPress the filter never
 * runs.
 *
 * @package AffRank
 */

namespace AffRank\Tagging;

defined( 'ABSPATH' ) || exit;

/**
 * Excludes /go/ links from WordPress's speculative loading.
 */
final class Speculation {

	/** Where the sidecar's redirects live on the blog's host (see README). */
	public const GO_PATH_PATTERN = '/go/*';

	/**
	 * The wp_speculation_rules_href_exclude_paths callback.
	 *
	 * @param mixed $paths Path patterns other code excluded already.
	 * @return array<int, string>
	 */
	public static function exclude_go_links( $paths ): array {
		$paths = is_array( $paths ) ? $paths : array();
		if ( ! in_array( self::GO_PATH_PATTERN, $paths, true ) ) {
			$paths[] = self::GO_PATH_PATTERN;
		}
		return $paths;
	}
}
