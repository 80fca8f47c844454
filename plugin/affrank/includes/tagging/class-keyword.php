<?php
/**
 * A resolved keyword and where it came from (DESIGN.md "Keyword").
 *
 * @package AffRank
 */

namespace AffRank\Tagging;

defined( 'ABSPATH' ) || exit;

final class Keyword {

	/** Sources, as sent to the sidecar in "keyword_source". */
	public const SOURCE_AFFRANK   = 'post_meta';
	public const SOURCE_YOAST     = 'yoast';
	public const SOURCE_RANK_MATH = 'rank_math';
	public const SOURCE_AIOSEO    = 'aioseo';

	public function __construct( public readonly ?string $keyword, public readonly ?string $source ) {}

	public static function none(): self {
		return new self( null, null );
	}

	public function is_none(): bool {
		return null === $this->keyword;
	}

	/** A name for the source that a blogger recognises. */
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
