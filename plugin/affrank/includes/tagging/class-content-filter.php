<?php
/**
 * The late the_content filter: sends the rendered post to the sidecar and
 * prints the tagged HTML, from cache once warm. Never breaks a page: any
 * failure serves the original HTML, and a failing sidecar is left alone for
 * a back-off period (see Backoff).
 *
 * @package AffRank
 */

namespace AffRank\Tagging;

use AffRank\Options;
use AffRank\Sidecar\Backoff;
use AffRank\Sidecar\Client;
use AffRank\Sidecar\Site_State;
use WP_Error;

defined( 'ABSPATH' ) || exit;

/**
 * Tags a post's rendered content through the sidecar, from cache when warm.
 */
final class Content_Filter {

	/** After do_blocks (9), wpautop (10), shortcodes (11) and embeds. */
	public const PRIORITY = 1000;

	/** The sidecar's own body limit is 5 MiB; stay well below it. */
	public const MAX_HTML_BYTES = 4 * 1024 * 1024;

	/** How long a tagged page is kept; a settings change re-tags sooner. */
	public const CACHE_SECONDS = DAY_IN_SECONDS;

	/** A post the sidecar refused (400/413) is not re-sent for this long. */
	public const REFUSED_SECONDS = HOUR_IN_SECONDS;

	/**
	 * Builds a filter from its parts; create() builds the one WordPress uses.
	 *
	 * @param Client           $client     The sidecar client (render timeout).
	 * @param Backoff          $backoff    The pause after failures.
	 * @param Site_State       $site_state The sidecar's settings version.
	 * @param Keyword_Resolver $keywords   Finds the post's keyword.
	 * @param Render_Context   $context    Decides which renders are tagged.
	 */
	public function __construct(
		private Client $client,
		private Backoff $backoff,
		private Site_State $site_state,
		private Keyword_Resolver $keywords,
		private Render_Context $context
	) {}

	/**
	 * The filter with the configured client and the stored state.
	 *
	 * @return self
	 */
	public static function create(): self {
		$client  = Client::for_render();
		$backoff = new Backoff();
		return new self( $client, $backoff, new Site_State( $client, $backoff ), new Keyword_Resolver(), new Render_Context() );
	}

	/**
	 * The the_content callback.
	 *
	 * @param mixed $html The post's rendered content.
	 * @return mixed The tagged content, or the original.
	 */
	public function filter( $html ) {
		if ( ! is_string( $html ) || '' === $html || ! Options::tagging_enabled() || ! $this->client->is_configured() ) {
			return $html;
		}
		if ( ! Render_Context::has_links( $html ) || strlen( $html ) > self::MAX_HTML_BYTES ) {
			return $html;
		}
		$post = get_post();
		if ( null !== $this->context->skip_reason( $post ) ) {
			return $html;
		}
		// A sidecar known to be down also serves /go/: hand out the original
		// links, even where a tagged copy is cached.
		if ( ! $this->backoff->allows_call() ) {
			return $html;
		}
		$version = $this->site_state->version();
		if ( null === $version ) {
			return $html;
		}

		$page_url = (string) get_permalink( $post );
		$keyword  = $this->keywords->resolve( $post->ID );
		$key      = Cache_Key::for_rewrite( $html, $page_url, $keyword, $version );
		$cached   = get_transient( $key );
		if ( is_string( $cached ) ) {
			return $cached;
		}

		$result = $this->client->rewrite(
			array(
				'html'           => $html,
				'page_url'       => $page_url,
				'post_id'        => $post->ID,
				'keyword'        => $keyword->keyword,
				'keyword_source' => $keyword->source,
			)
		);
		if ( is_wp_error( $result ) ) {
			return $this->on_failure( $result, $key, $html );
		}
		$this->backoff->record_success();
		/**
		 * Fires with the links a rewrite registered ({"id", "url", "network"}
		 * each), before the tagged page is cached.
		 *
		 * @param array $links The rewrite answer's links.
		 */
		do_action( 'affrank_links_registered', $result['links'] );

		$answered_version = $result['settings_version'];
		if ( null !== $answered_version && $answered_version !== $version ) {
			// The rules changed since we last looked: file the answer under the new version.
			$this->site_state->remember( $answered_version );
			$key = Cache_Key::for_rewrite( $html, $page_url, $keyword, $answered_version );
		}
		set_transient( $key, $result['html'], (int) apply_filters( 'affrank_rewrite_cache_seconds', self::CACHE_SECONDS ) );
		return $result['html'];
	}

	/**
	 * Serves the original after a failed call, and decides what it costs:
	 * a refused post (400/413) is remembered for an hour; anything else
	 * pauses calls (Backoff).
	 *
	 * @param WP_Error $error The failure.
	 * @param string   $key   The rewrite's cache key.
	 * @param string   $html  The original content.
	 * @return string The original content.
	 */
	private function on_failure( WP_Error $error, string $key, string $html ): string {
		if ( in_array( $error->get_error_code(), array( 'affrank_invalid', 'affrank_too_large' ), true ) ) {
			// This post, not the sidecar, is the problem: remember the
			// refusal for this content and keep calling for other posts.
			set_transient( $key, $html, self::REFUSED_SECONDS );
			return $html;
		}
		$this->backoff->record_failure( $error->get_error_message() );
		return $html;
	}
}
