<?php
/**
 * A resolved keyword and where it came from (DESIGN.md "Keyword").
 *
 * @package AffRank
 */

namespace AffRank\Tagging;

defined( 'ABSPATH' ) || exit;

/**
 * A keyword and its source, or none (both null).
 */
final class Keyword {

	/** Sources, as sent to the sidecar in "keyword_source". */
	public const SOURCE_AFFRANK   = 'post_meta';
	public const SOURCE_YOAST     = 'yoast';
	public const SOURCE_RANK_MATH = 'rank_math';
	public const SOURCE_AIOSEO    = 'aioseo';

	/**
	 * Makes a keyword.
	 *
	 * @param string|null $keyword The keyword, or null for none.
	 * @param string|null $source  Where it came from (a SOURCE_* value), or null.
	 */
	public function __construct( public readonly ?string $keyword, public readonly ?string $source ) {}

	/**
	 * No keyword.
	 *
	 * @return self
	 */
	public static function none(): self {
		return new self( null, null );
	}

	/**
	 * Whether this is no keyword.
	 *
	 * @return bool
	 */
	public function is_none(): bool {
		return null === $this->keyword;
	}

	/**
	 * A name for the source that a blogger recognises.
	 *
	 * @param string|null $source A SOURCE_* value, "link_attribute", or null.
	 * @return string
	 */
	public static function source_label( ?string $source ): string {
		return match ( $source ) {
			self::SOURCE_AFFRANK   => __( 'AffRank keyword', 'affrank' ),
			self::SOURCE_YOAST     => __( 'Yoast SEO focus keyphrase', 'affrank' ),
			self::SOURCE_RANK_MATH => __( 'Rank Math focus keyword', 'affrank' ),
			self::SOURCE_AIOSEO    => __( 'All in One SEO focus keyphrase', 'affrank' ),
			'link_attribute'       => __( 'data-affrank-keyword on the link', 'affrank' ),
			default                => __( 'none', 'affrank' ),
		};
	}
}
