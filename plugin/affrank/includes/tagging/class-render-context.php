<?php
/**
 * Decides whether a the_content call should be tagged. Feeds and REST
 * answers are read by people who click, so they are tagged; previews and
 * drafts are not public pages; admin screens and automatic excerpts (whose
 * links are stripped anyway) would only cost calls.
 *
 * @package AffRank
 */

namespace AffRank\Tagging;

use WP_Post;

defined( 'ABSPATH' ) || exit;

/**
 * Which renders of the_content are tagged.
 */
final class Render_Context {

	/**
	 * Why this render is not tagged, or null when it is.
	 *
	 * @param WP_Post|null $post The post being rendered.
	 * @return string|null
	 */
	public function skip_reason( ?WP_Post $post ): ?string {
		if ( ! $post instanceof WP_Post ) {
			return 'no_post';
		}
		if ( is_admin() && ! wp_doing_ajax() ) {
			return 'admin';
		}
		if ( is_preview() ) {
			return 'preview';
		}
		if ( doing_filter( 'get_the_excerpt' ) || doing_filter( 'wp_trim_excerpt' ) ) {
			return 'excerpt';
		}
		if ( self::is_rest_edit_context() ) {
			return 'rest_edit';
		}
		if ( 'publish' !== get_post_status( $post ) ) {
			return 'not_published';
		}
		if ( post_password_required( $post ) ) {
			return 'password';
		}
		/**
		 * Filters whether a render is skipped; return a reason string to skip.
		 *
		 * @param string|null $reason Null to tag.
		 * @param WP_Post     $post   The post being rendered.
		 */
		return apply_filters( 'affrank_skip_tagging', null, $post );
	}

	/**
	 * Whether this is a REST request with context=edit, as the block editor
	 * makes to load a post.
	 *
	 * @return bool
	 */
	private static function is_rest_edit_context(): bool {
		if ( ! defined( 'REST_REQUEST' ) || ! REST_REQUEST ) {
			return false;
		}
		// phpcs:ignore WordPress.Security.NonceVerification.Recommended -- read-only; decides whether to tag.
		$context = isset( $_GET['context'] ) ? sanitize_key( wp_unslash( $_GET['context'] ) ) : '';
		return 'edit' === $context;
	}

	/**
	 * Cheap test before any work: no anchor or area element, nothing to tag.
	 *
	 * @param string $html The rendered content.
	 * @return bool
	 */
	public static function has_links( string $html ): bool {
		return false !== stripos( $html, '<a' ) || false !== stripos( $html, '<area' );
	}
}
