<?php
/**
 * DESIGN.md "Keyword": the post's AffRank keyword, Yoast, Rank Math, AIOSEO, none.
 */

use AffRank\Options;
use AffRank\Tagging\Keyword;
use AffRank\Tagging\Keyword_Resolver;
use AffRank\Tests\Test_Case;

final class KeywordResolverTest extends Test_Case {

	private function resolver( bool $aioseo = false ): Keyword_Resolver {
		return new Keyword_Resolver( static fn () => $aioseo );
	}

	private function aioseo_row( int $post_id, string $keyphrase ): void {
		global $wpdb;
		$wpdb->insert(
			$wpdb->prefix . 'aioseo_posts',
			array(
				'post_id'    => $post_id,
				'keyphrases' => wp_json_encode( array( 'focus' => array( 'keyphrase' => $keyphrase, 'score' => 80 ), 'additional' => array() ) ),
			)
		);
	}

	public function test_no_keyword_anywhere_resolves_to_none(): void {
		$post    = $this->publish_post( '<p>x</p>' );
		$keyword = $this->resolver( true )->resolve( $post->ID );
		$this->assertTrue( $keyword->is_none() );
		$this->assertNull( $keyword->source );
	}

	public function test_the_posts_own_keyword_wins_over_every_seo_plugin(): void {
		$post = $this->publish_post(
			'<p>x</p>',
			array(
				Options::POST_KEYWORD                => 'trail runners',
				Keyword_Resolver::YOAST_META         => 'yoast kw',
				Keyword_Resolver::RANK_MATH_META     => 'rank kw',
			)
		);
		$this->aioseo_row( $post->ID, 'aioseo kw' );
		$keyword = $this->resolver( true )->resolve( $post->ID );
		$this->assertSame( array( 'trail runners', Keyword::SOURCE_AFFRANK ), array( $keyword->keyword, $keyword->source ) );
	}

	public function test_yoast_comes_before_rank_math_and_aioseo(): void {
		$post = $this->publish_post( '<p>x</p>', array( Keyword_Resolver::YOAST_META => 'yoast kw', Keyword_Resolver::RANK_MATH_META => 'rank kw' ) );
		$this->aioseo_row( $post->ID, 'aioseo kw' );
		$keyword = $this->resolver( true )->resolve( $post->ID );
		$this->assertSame( array( 'yoast kw', Keyword::SOURCE_YOAST ), array( $keyword->keyword, $keyword->source ) );
	}

	public function test_rank_math_gives_the_first_of_its_list(): void {
		$post    = $this->publish_post( '<p>x</p>', array( Keyword_Resolver::RANK_MATH_META => ' best tent , tent review,camping' ) );
		$keyword = $this->resolver()->resolve( $post->ID );
		$this->assertSame( array( 'best tent', Keyword::SOURCE_RANK_MATH ), array( $keyword->keyword, $keyword->source ) );
	}

	public function test_aioseo_is_read_from_its_own_table_when_active(): void {
		$post = $this->publish_post( '<p>x</p>' );
		$this->aioseo_row( $post->ID, 'ultralight backpack' );
		$this->assertSame( 'ultralight backpack', $this->resolver( true )->resolve( $post->ID )->keyword );
		$this->assertSame( Keyword::SOURCE_AIOSEO, $this->resolver( true )->resolve( $post->ID )->source );
		$this->assertTrue( $this->resolver( false )->resolve( $post->ID )->is_none(), 'an inactive AIOSEO is not read' );
	}

	public function test_blank_values_fall_through_to_the_next_source(): void {
		$post = $this->publish_post( '<p>x</p>', array( Options::POST_KEYWORD => "  \t ", Keyword_Resolver::YOAST_META => '', Keyword_Resolver::RANK_MATH_META => ',second' ) );
		$this->aioseo_row( $post->ID, 'from aioseo' );
		$keyword = $this->resolver( true )->resolve( $post->ID );
		$this->assertSame( array( 'from aioseo', Keyword::SOURCE_AIOSEO ), array( $keyword->keyword, $keyword->source ) );
	}

	public function test_keywords_are_kept_as_text_trimmed_and_capped(): void {
		$post = $this->publish_post( '<p>x</p>', array( Options::POST_KEYWORD => "  <script>alert(1)</script>\n best  " ) );
		$this->assertSame( '<script>alert(1)</script> best', $this->resolver()->resolve( $post->ID )->keyword, 'no HTML is stripped: it is escaped where shown' );
		$this->assertSame( 200, mb_strlen( (string) Keyword_Resolver::clean( str_repeat( 'é', 300 ) ) ) );
	}

	public function test_the_meta_box_fallback_ignores_the_posts_own_keyword(): void {
		$post     = $this->publish_post( '<p>x</p>', array( Options::POST_KEYWORD => 'mine', Keyword_Resolver::YOAST_META => 'seo one' ) );
		$fallback = $this->resolver()->seo_fallback( $post->ID );
		$this->assertSame( array( 'seo one', Keyword::SOURCE_YOAST ), array( $fallback->keyword, $fallback->source ) );
	}
}
