<?php
/**
 * Resolves a post's keyword, first that exists: the post's AffRank keyword
 * (meta box), Yoast SEO's focus keyphrase, Rank Math's first focus keyword,
 * All in One SEO's focus keyphrase; none.
 *
 * A link's own data-affrank-keyword attribute comes first of all, but it is
 * per link: the sidecar reads it from the HTML and lets it override the
 * post-level keyword sent here (source "link_attribute").
 *
 * @package AffRank
 */

namespace AffRank\Tagging;

use AffRank\Options;

defined( 'ABSPATH' ) || exit;

/**
 * Finds the keyword a post's links are credited to.
 */
final class Keyword_Resolver {

	public const YOAST_META     = '_yoast_wpseo_focuskw';
	public const RANK_MATH_META = 'rank_math_focus_keyword';
	/** The sidecar refuses longer keywords. */
	public const MAX_CHARS = 200;

	/**
	 * Whether All in One SEO is active.
	 *
	 * @var callable(): bool
	 */
	private $aioseo_active;

	/**
	 * Builds a resolver.
	 *
	 * @param callable|null $aioseo_active Whether All in One SEO is active; tests pass their own.
	 */
	public function __construct( ?callable $aioseo_active = null ) {
		$this->aioseo_active = $aioseo_active ?? static fn (): bool => function_exists( 'aioseo' );
	}

	/**
	 * The post's keyword and its source, first that exists (see the file's
	 * comment); the affrank_resolved_keyword filter has the last word.
	 *
	 * @param int $post_id The post.
	 * @return Keyword
	 */
	public function resolve( int $post_id ): Keyword {
		$candidates = array(
			Keyword::SOURCE_AFFRANK   => fn () => get_post_meta( $post_id, Options::POST_KEYWORD, true ),
			Keyword::SOURCE_YOAST     => fn () => get_post_meta( $post_id, self::YOAST_META, true ),
			Keyword::SOURCE_RANK_MATH => fn () => self::first_of_list( (string) get_post_meta( $post_id, self::RANK_MATH_META, true ) ),
			Keyword::SOURCE_AIOSEO    => fn () => $this->aioseo_keyphrase( $post_id ),
		);
		foreach ( $candidates as $source => $read ) {
			$keyword = self::clean( $read() );
			if ( null !== $keyword ) {
				$keyword = new Keyword( $keyword, $source );
				return apply_filters( 'affrank_resolved_keyword', $keyword, $post_id );
			}
		}
		return apply_filters( 'affrank_resolved_keyword', Keyword::none(), $post_id );
	}

	/**
	 * The keyword an SEO plugin has, ignoring the post's own AffRank keyword:
	 * the meta box shows it as the fallback.
	 *
	 * @param int $post_id The post.
	 * @return Keyword
	 */
	public function seo_fallback( int $post_id ): Keyword {
		foreach ( array(
			Keyword::SOURCE_YOAST     => fn () => get_post_meta( $post_id, self::YOAST_META, true ),
			Keyword::SOURCE_RANK_MATH => fn () => self::first_of_list( (string) get_post_meta( $post_id, self::RANK_MATH_META, true ) ),
			Keyword::SOURCE_AIOSEO    => fn () => $this->aioseo_keyphrase( $post_id ),
		) as $source => $read ) {
			$keyword = self::clean( $read() );
			if ( null !== $keyword ) {
				return new Keyword( $keyword, $source );
			}
		}
		return Keyword::none();
	}

	/**
	 * Trims, collapses whitespace and caps the length; empty becomes null.
	 * No HTML escaping here: the value is data, escaped where it is printed.
	 *
	 * @param mixed $value A stored keyword (anything that is not a string is none).
	 * @return string|null
	 */
	public static function clean( mixed $value ): ?string {
		if ( ! is_string( $value ) ) {
			return null;
		}
		$value = trim( (string) preg_replace( '/\s+/u', ' ', $value ) );
		if ( '' === $value ) {
			return null;
		}
		return mb_substr( $value, 0, self::MAX_CHARS );
	}

	/**
	 * The first of Rank Math's keywords: it keeps "primary, secondary, …",
	 * and the first is the focus keyword.
	 *
	 * @param string $keywords Comma-separated keywords.
	 * @return string
	 */
	public static function first_of_list( string $keywords ): string {
		$parts = explode( ',', $keywords );
		return trim( $parts[0] );
	}

	/**
	 * The focus keyphrase of All in One SEO 4, which keeps keyphrases as JSON
	 * in its own table, {prefix}aioseo_posts.keyphrases: {"focus":{"keyphrase":"…"},…}.
	 *
	 * @param int $post_id The post.
	 * @return string|null
	 */
	private function aioseo_keyphrase( int $post_id ): ?string {
		if ( ! ( $this->aioseo_active )() ) {
			return null;
		}
		global $wpdb;
		$table = $wpdb->prefix . 'aioseo_posts';
		$quiet = $wpdb->suppress_errors( true );
		// The table name is ours to build (%i needs WordPress 6.2); AIOSEO's table has no WordPress API.
		// phpcs:ignore WordPress.DB.DirectDatabaseQuery, WordPress.DB.PreparedSQL.InterpolatedNotPrepared
		$json = $wpdb->get_var( $wpdb->prepare( "SELECT keyphrases FROM `{$table}` WHERE post_id = %d LIMIT 1", $post_id ) );
		$wpdb->suppress_errors( $quiet );
		if ( ! is_string( $json ) || '' === $json ) {
			return null;
		}
		$data = json_decode( $json, true );
		return is_array( $data ) && isset( $data['focus']['keyphrase'] ) && is_string( $data['focus']['keyphrase'] )
			? $data['focus']['keyphrase']
			: null;
	}
}
