<?php
/**
 * The "AffRank keyword" box on the post edit screen. Empty means: use the
 * SEO plugin's focus keyword, which the box shows as the fallback.
 *
 * @package AffRank
 */

namespace AffRank\Admin;

use AffRank\Options;
use AffRank\Tagging\Keyword_Resolver;
use AffRank\Template;
use WP_Post;

defined( 'ABSPATH' ) || exit;

/**
 * The keyword meta box: shown on public post types, saved on save_post.
 */
final class Keyword_Meta_Box {

	public const FIELD = 'affrank_keyword';
	public const NONCE = 'affrank_keyword_nonce';

	/**
	 * The add_meta_boxes callback: adds the box to every public post type.
	 */
	public static function register(): void {
		foreach ( get_post_types( array( 'public' => true ) ) as $post_type ) {
			if ( 'attachment' !== $post_type ) {
				add_meta_box( 'affrank-keyword', __( 'AffRank keyword', 'affrank' ), array( self::class, 'render' ), $post_type, 'side' );
			}
		}
	}

	/**
	 * Prints the box.
	 *
	 * @param WP_Post $post The post being edited.
	 */
	public static function render( WP_Post $post ): void {
		Template::render(
			'meta-box',
			array(
				'post_id'  => $post->ID,
				'keyword'  => (string) get_post_meta( $post->ID, Options::POST_KEYWORD, true ),
				'fallback' => ( new Keyword_Resolver() )->seo_fallback( $post->ID ),
				'field'    => self::FIELD,
				'nonce'    => self::NONCE,
			)
		);
	}

	/**
	 * The nonce action, per post, so a nonce for one post cannot save another.
	 *
	 * @param int $post_id The post.
	 * @return string
	 */
	public static function nonce_action( int $post_id ): string {
		return 'affrank_keyword_' . $post_id;
	}

	/**
	 * The save_post callback: stores the keyword typed in the box, for users
	 * who may edit the post and with the post's own nonce.
	 *
	 * @param int $post_id The post being saved.
	 */
	public static function save( int $post_id ): void {
		if ( wp_is_post_autosave( $post_id ) || wp_is_post_revision( $post_id ) ) {
			return;
		}
		if ( ! current_user_can( 'edit_post', $post_id ) ) {
			return;
		}
		// phpcs:disable WordPress.Security.NonceVerification.Missing -- this is the nonce check.
		$nonce = Form_Input::text( $_POST, self::NONCE );
		$raw   = Form_Input::text( $_POST, self::FIELD );
		// phpcs:enable
		if ( null === $nonce || '' === $nonce || ! wp_verify_nonce( sanitize_key( $nonce ), self::nonce_action( $post_id ) ) ) {
			return;
		}
		if ( null === $raw ) {
			// A list where one keyword belongs (affrank_keyword[]=…): not a
			// keyword anyone typed, so the stored one stays as it is.
			return;
		}
		// A keyword is plain text kept as typed ("<b>" included): it is escaped
		// wherever it is shown, so only invalid UTF-8 and control characters go.
		$keyword = Keyword_Resolver::clean( (string) preg_replace( '/[\x00-\x1F\x7F]/u', ' ', wp_check_invalid_utf8( $raw ) ) );
		if ( null === $keyword ) {
			delete_post_meta( $post_id, Options::POST_KEYWORD );
		} else {
			update_post_meta( $post_id, Options::POST_KEYWORD, $keyword );
		}
	}
}
