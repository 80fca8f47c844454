<?php
/**
 * Amazon without sub-tags: the site's pool of Amazon tracking ids (a sidecar
 * setting, edited in the Settings form) and which page has which id
 * (GET/PUT /api/v1/amazon/pages), shown under Settings.
 *
 * The sidecar sets the tag= of a page's Amazon links to that page's id, so
 * an Amazon report row without a sub-tag is credited to the page of its
 * tracking id. With automatic assignment the sidecar hands the pool's ids
 * to pages in order; by hand, this table does.
 *
 * @package AffRank
 */

namespace AffRank\Admin;

use AffRank\Sidecar\Client;
use AffRank\Template;
use WP_Error;

defined( 'ABSPATH' ) || exit;

/**
 * The Amazon tracking-id pool's text and the page assignment table.
 */
final class Amazon_Pages {

	public const SAVE_ACTION = 'affrank_save_amazon_pages';

	/** The field of the table: affrank_amazon_page[<md5 of the page URL>] = tracking id. */
	public const FIELD = 'affrank_amazon_page';

	/**
	 * The pool as the text box shows it: one id a line.
	 *
	 * @param array $ids The sidecar's list.
	 * @return string
	 */
	public static function format_ids( array $ids ): string {
		return implode( "\n", array_filter( $ids, 'is_string' ) );
	}

	/**
	 * The text box's ids: one a line, trimmed, empty lines and repeats dropped
	 * (Amazon's ids ignore case, so "Blog-20" repeats "blog-20"; the first
	 * spelling stays). The sidecar checks each id's form and names the one it
	 * refuses.
	 *
	 * @param string $text The box's text.
	 * @return string[]
	 */
	public static function parse_ids( string $text ): array {
		$ids = array();
		foreach ( preg_split( '/\r\n|\r|\n/', $text ) as $line ) {
			$line = trim( $line );
			if ( '' !== $line && ! in_array( strtolower( $line ), array_map( 'strtolower', $ids ), true ) ) {
				$ids[] = $line;
			}
		}
		return $ids;
	}

	/**
	 * Where in the form a field the sidecar refused is, when it is the pool's:
	 * "amazon_tracking_ids[2]" is the box's third id.
	 *
	 * @param string $field The sidecar's field name.
	 * @param string $text  The box's text as posted.
	 * @return string|null The place, or null for another field.
	 */
	public static function describe_field( string $field, string $text ): ?string {
		if ( ! str_starts_with( $field, 'amazon_tracking' ) ) {
			return null;
		}
		if ( preg_match( '/^amazon_tracking_ids\[(\d+)\]/', $field, $m ) ) {
			$ids = self::parse_ids( $text );
			$id  = $ids[ (int) $m[1] ] ?? '';
			/* translators: %s: an Amazon tracking id as typed. */
			return '' !== $id ? sprintf( __( 'Amazon tracking id “%s”', 'affrank' ), $id ) : __( 'Amazon tracking ids', 'affrank' );
		}
		return __( 'Amazon tracking ids', 'affrank' );
	}

	/**
	 * Prints the page table under Settings (nothing when the sidecar has no
	 * tracking ids feature or no id in the pool).
	 *
	 * @param array|null $site GET /api/v1/site, or null.
	 */
	public static function render( ?array $site ): void {
		if ( null === $site || ! isset( $site['amazon_tracking_assignment'] ) ) {
			return;
		}
		$pool = array_values( array_filter( (array) ( $site['amazon_tracking_ids'] ?? array() ), 'is_string' ) );
		if ( ! $pool ) {
			return;
		}
		$pages = Client::for_admin()->amazon_pages();
		Template::render(
			'partials/amazon-pages',
			array(
				'pool'   => $pool,
				'manual' => 'manual' === $site['amazon_tracking_assignment'],
				'rows'   => is_array( $pages ) ? self::rows( $pages ) : array(),
				'unused' => is_array( $pages ) ? array_values( array_filter( (array) ( $pages['unassigned_ids'] ?? array() ), 'is_string' ) ) : array(),
				'error'  => is_wp_error( $pages ) ? $pages : null,
				'action' => self::SAVE_ACTION,
			)
		);
	}

	/**
	 * The sidecar's page rows, typed.
	 *
	 * @param array $answer GET /api/v1/amazon/pages.
	 * @return array<int, array{page_url:string,post_id:int,tracking_id:string,assigned:string,key:string}>
	 */
	public static function rows( array $answer ): array {
		$rows = array();
		foreach ( (array) ( $answer['rows'] ?? array() ) as $row ) {
			if ( ! is_array( $row ) || ! is_string( $row['page_url'] ?? null ) || '' === $row['page_url'] ) {
				continue;
			}
			$assigned = $row['assigned'] ?? '';
			$rows[]   = array(
				'page_url'    => $row['page_url'],
				'post_id'     => isset( $row['post_id'] ) && is_numeric( $row['post_id'] ) ? (int) $row['post_id'] : 0,
				'tracking_id' => is_string( $row['tracking_id'] ?? null ) ? $row['tracking_id'] : '',
				'assigned'    => is_bool( $assigned ) ? ( $assigned ? 'manual' : 'auto' ) : ( is_string( $assigned ) ? $assigned : '' ),
				'key'         => md5( $row['page_url'] ),
			);
		}
		return $rows;
	}

	/**
	 * The admin-post.php handler of the table: sends the rows whose id was
	 * changed. Pages are matched by the hash of their URL against the
	 * sidecar's own list, and ids against the pool, so nothing the request
	 * makes up reaches the sidecar.
	 */
	public static function handle_save(): void {
		Request_Guard::check( self::SAVE_ACTION );
		$client = Client::for_admin();
		$site   = $client->site();
		$pages  = is_wp_error( $site ) ? $site : $client->amazon_pages();
		if ( is_wp_error( $pages ) ) {
			Notices::flash( 'error', $pages->get_error_message() );
			Request_Guard::redirect( Menu::SETTINGS );
		}
		// phpcs:ignore WordPress.Security.NonceVerification.Missing -- verified by Request_Guard::check().
		$posted      = isset( $_POST[ self::FIELD ] ) && is_array( $_POST[ self::FIELD ] ) ? wp_unslash( $_POST[ self::FIELD ] ) : array();
		$assignments = self::assignments( self::rows( $pages ), (array) ( $site['amazon_tracking_ids'] ?? array() ), $posted );
		if ( is_wp_error( $assignments ) ) {
			Notices::flash( 'error', $assignments->get_error_message() );
			Request_Guard::redirect( Menu::SETTINGS );
		}
		if ( ! $assignments ) {
			Notices::flash( 'success', __( 'No page’s tracking id changed.', 'affrank' ) );
			Request_Guard::redirect( Menu::SETTINGS );
		}
		$saved = $client->update_amazon_pages( $assignments );
		if ( is_wp_error( $saved ) ) {
			Notices::flash( 'error', $saved->get_error_message() );
		} else {
			Notices::flash(
				'success',
				sprintf(
					/* translators: %s: number of pages. */
					_n( 'Tracking id saved for %s page. Its Amazon links carry the new tag as the page is viewed again.', 'Tracking ids saved for %s pages. Their Amazon links carry the new tags as the pages are viewed again.', count( $assignments ), 'affrank' ),
					number_format_i18n( count( $assignments ) )
				)
			);
		}
		Request_Guard::redirect( Menu::SETTINGS );
	}

	/**
	 * The changes the posted table asks for.
	 *
	 * @param array $rows   What rows() gave for the sidecar's current list.
	 * @param array $pool   The site's tracking ids.
	 * @param array $posted Page key → tracking id ('' for none), unslashed.
	 * @return array<int, array{page_url:string,tracking_id:string|null}>|WP_Error
	 */
	public static function assignments( array $rows, array $pool, array $posted ): array|WP_Error {
		$changes = array();
		foreach ( $rows as $row ) {
			if ( ! array_key_exists( $row['key'], $posted ) ) {
				continue;
			}
			$id = $posted[ $row['key'] ];
			if ( ! is_string( $id ) ) {
				return new WP_Error( 'affrank_bad_form', __( 'Nothing was saved: the form sent a list where one value belongs. Reload the Settings page and try again.', 'affrank' ) );
			}
			if ( '' !== $id && ! in_array( $id, $pool, true ) ) {
				/* translators: %s: the value sent. */
				return new WP_Error( 'affrank_bad_tracking_id', sprintf( __( 'Nothing was saved: “%s” is not one of your Amazon tracking ids.', 'affrank' ), $id ) );
			}
			if ( $id !== $row['tracking_id'] ) {
				$changes[] = array(
					'page_url'    => $row['page_url'],
					'tracking_id' => '' === $id ? null : $id,
				);
			}
		}
		return $changes;
	}
}
