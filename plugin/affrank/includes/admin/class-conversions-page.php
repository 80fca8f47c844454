<?php
/**
 * AffRank → Conversions: the sidecar's conversions ledger, whatever brought
 * each one (postback, import, API, ClickBank INS, manual), with filters; a
 * form to add a conversion by hand (for programs with no postback and no
 * export), to edit one added by hand, and a status change for any.
 *
 * Reads GET /api/v1/conversions; writes POST /api/v1/conversions and
 * PUT /api/v1/conversions/{id}. Each change is an admin-post.php handler
 * (capability, then a nonce made for that action and, for a change to one
 * conversion, that conversion's id), then a redirect back to the list.
 *
 * @package AffRank
 */

namespace AffRank\Admin;

use AffRank\Sidecar\Client;
use AffRank\Template;
use WP_Error;

defined( 'ABSPATH' ) || exit;

/**
 * The Conversions screen and its handlers (add, edit, status).
 */
final class Conversions_Page {

	public const ADD_ACTION    = 'affrank_add_conversion';
	public const EDIT_ACTION   = 'affrank_edit_conversion';
	public const STATUS_ACTION = 'affrank_conversion_status';

	public const FILTER_SOURCE  = 'source';
	public const FILTER_NETWORK = 'network';
	public const FILTER_STATUS  = 'status';
	public const OFFSET         = 'offset';
	public const EDIT           = 'edit';

	public const LIMIT = 50;

	public const STATUSES = array( 'approved', 'pending', 'rejected', 'reversed' );
	public const SOURCES  = array( 'postback', 'import', 'api', 'clickbank_ins', 'manual' );

	/** The form's fields: name in the form → name in the sidecar's body. */
	public const FORM_FIELDS = array(
		'affrank_network'        => 'network',
		'affrank_date'           => 'date',
		'affrank_amount'         => 'amount',
		'affrank_currency'       => 'currency',
		'affrank_status'         => 'status',
		'affrank_session_id'     => 'session_id',
		'affrank_page_url'       => 'page_url',
		'affrank_transaction_id' => 'transaction_id',
		'affrank_product'        => 'product',
		'affrank_note'           => 'note',
	);

	/**
	 * Prints the screen.
	 */
	public static function render(): void {
		if ( ! current_user_can( Menu::CAPABILITY ) ) {
			return;
		}
		// phpcs:ignore WordPress.Security.NonceVerification.Recommended -- filtering a read-only list changes nothing.
		$filters = self::filters( wp_unslash( $_GET ) );
		$client  = Client::for_admin();
		$list    = $client->is_configured() ? $client->conversions( self::api_query( $filters ) ) : null;
		$site    = $client->is_configured() ? $client->site() : null;
		$rows    = array();
		if ( is_array( $list ) ) {
			foreach ( (array) ( $list['rows'] ?? array() ) as $row ) {
				if ( is_array( $row ) ) {
					$rows[] = self::present( $row );
				}
			}
		}
		$editing = null;
		// phpcs:ignore WordPress.Security.NonceVerification.Recommended -- which row to show in the form; saving it is checked.
		$edit_id = isset( $_GET[ self::EDIT ] ) && is_string( $_GET[ self::EDIT ] ) ? absint( $_GET[ self::EDIT ] ) : 0;
		foreach ( $rows as $row ) {
			if ( $edit_id > 0 && $row['id'] === $edit_id && 'manual' === $row['source'] ) {
				$editing = $row;
			}
		}
		$networks = array();
		foreach ( is_array( $site ) ? (array) ( $site['networks'] ?? array() ) : array() as $network ) {
			if ( is_array( $network ) && is_string( $network['id'] ?? null ) ) {
				$networks[ $network['id'] ] = is_string( $network['name'] ?? null ) ? $network['name'] : $network['id'];
			}
		}
		Template::render(
			'conversions',
			array(
				'configured'    => $client->is_configured(),
				'error'         => is_wp_error( $list ) ? $list : null,
				'rows'          => $rows,
				'total_rows'    => is_array( $list ) ? (int) ( $list['total_rows'] ?? count( $rows ) ) : 0,
				'filters'       => $filters,
				'editing'       => $editing,
				'edit_missing'  => $edit_id > 0 && null === $editing,
				'networks'      => $networks,
				'currency'      => is_array( $site ) ? (string) ( $site['currency'] ?? 'USD' ) : 'USD',
				'pages'         => self::page_choices(),
				'add_action'    => self::ADD_ACTION,
				'edit_action'   => self::EDIT_ACTION,
				'status_action' => self::STATUS_ACTION,
			)
		);
	}

	/**
	 * The admin-post.php handler of "Add conversion".
	 */
	public static function handle_add(): void {
		Request_Guard::check( self::ADD_ACTION );
		// phpcs:ignore WordPress.Security.NonceVerification.Missing -- verified by Request_Guard::check().
		$return = self::return_filters( $_POST );
		// phpcs:ignore WordPress.Security.NonceVerification.Missing -- verified by Request_Guard::check().
		$body = self::read_form( $_POST, true );
		if ( is_wp_error( $body ) ) {
			Notices::flash( 'error', $body->get_error_message() );
			Request_Guard::redirect( Menu::CONVERSIONS, $return );
		}
		$stored = Client::for_admin()->add_conversion( $body );
		if ( is_wp_error( $stored ) ) {
			Notices::flash( 'error', $stored->get_error_message() );
			Request_Guard::redirect( Menu::CONVERSIONS, $return );
		}
		Notices::flash(
			'success',
			isset( $stored['id'] ) && is_numeric( $stored['id'] )
				/* translators: %s: the conversion's number. */
				? sprintf( __( 'Conversion #%s added. It counts in Revenue Mapping like any other.', 'affrank' ), (string) (int) $stored['id'] )
				: __( 'Conversion added. It counts in Revenue Mapping like any other.', 'affrank' )
		);
		Request_Guard::redirect( Menu::CONVERSIONS, $return );
	}

	/**
	 * The admin-post.php handler of the edit form (conversions added by hand).
	 */
	public static function handle_edit(): void {
		$id = self::posted_id();
		Request_Guard::check( self::EDIT_ACTION . '_' . $id );
		// phpcs:ignore WordPress.Security.NonceVerification.Missing -- verified by Request_Guard::check().
		$return = self::return_filters( $_POST );
		// phpcs:ignore WordPress.Security.NonceVerification.Missing -- verified by Request_Guard::check().
		$body = self::read_form( $_POST, false );
		if ( is_wp_error( $body ) ) {
			Notices::flash( 'error', $body->get_error_message() );
			Request_Guard::redirect( Menu::CONVERSIONS, $return + array( self::EDIT => (string) $id ) );
		}
		$stored = Client::for_admin()->update_conversion( $id, $body );
		if ( is_wp_error( $stored ) ) {
			Notices::flash( 'error', $stored->get_error_message() );
			Request_Guard::redirect( Menu::CONVERSIONS, $return + array( self::EDIT => (string) $id ) );
		}
		/* translators: %s: the conversion's number. */
		Notices::flash( 'success', sprintf( __( 'Conversion #%s saved.', 'affrank' ), (string) $id ) );
		Request_Guard::redirect( Menu::CONVERSIONS, $return );
	}

	/**
	 * The admin-post.php handler of a status change (any conversion;
	 * "reversed" takes its revenue out).
	 */
	public static function handle_status(): void {
		$id = self::posted_id();
		Request_Guard::check( self::STATUS_ACTION . '_' . $id );
		// phpcs:ignore WordPress.Security.NonceVerification.Missing -- verified by Request_Guard::check().
		$return = self::return_filters( $_POST );
		// phpcs:ignore WordPress.Security.NonceVerification.Missing -- verified by Request_Guard::check().
		$status = Form_Input::text( $_POST, 'affrank_status' );
		if ( null === $status || ! in_array( $status, self::STATUSES, true ) ) {
			Notices::flash( 'error', __( 'Choose approved, pending, rejected or reversed.', 'affrank' ) );
			Request_Guard::redirect( Menu::CONVERSIONS, $return );
		}
		$stored = Client::for_admin()->update_conversion( $id, array( 'status' => $status ) );
		if ( is_wp_error( $stored ) ) {
			Notices::flash( 'error', $stored->get_error_message() );
		} else {
			/* translators: 1: the conversion's number, 2: its new status. */
			Notices::flash( 'success', sprintf( __( 'Conversion #%1$s is now %2$s.', 'affrank' ), (string) $id, $status ) );
		}
		Request_Guard::redirect( Menu::CONVERSIONS, $return );
	}

	/** The fields an edit may change (the sidecar takes no others). */
	public const EDITABLE = array( 'affrank_date', 'affrank_amount', 'affrank_currency', 'affrank_status', 'affrank_page_url' );

	/**
	 * Reads the add/edit form into the sidecar's body. Adding omits what was
	 * left empty. Editing sends what a conversion entered by hand can change
	 * (date, commission, currency, status, page), an emptied page as null
	 * (its credit taken off); the other fields are shown but not sent.
	 *
	 * @param array $input  The submitted fields ($_POST, slashed).
	 * @param bool  $is_new Whether this adds a conversion (else edits one).
	 * @return array|WP_Error The body, or why the form is wrong (naming the field).
	 */
	public static function read_form( array $input, bool $is_new ): array|WP_Error {
		$names = $is_new ? array_keys( self::FORM_FIELDS ) : self::EDITABLE;
		$lists = Form_Input::not_text( $input, $names );
		if ( $lists ) {
			return new WP_Error(
				'affrank_bad_form',
				/* translators: %s: the names of the form fields, comma-separated. */
				sprintf( __( 'Nothing was saved: the form sent a list where one value belongs (%s). Reload the page and try again.', 'affrank' ), implode( ', ', $lists ) )
			);
		}
		$value = static fn ( string $name ): string => 'affrank_note' === $name
			? trim( Form_Input::multi_line( (string) Form_Input::text( $input, $name ) ) )
			: Form_Input::single_line( (string) Form_Input::text( $input, $name ) );
		$fail  = static fn ( string $label, string $why ): WP_Error => new WP_Error(
			'affrank_bad_conversion',
			/* translators: 1: a form field's label, 2: what is wrong with it. */
			sprintf( __( '%1$s: %2$s', 'affrank' ), $label, $why )
		);

		$network = strtolower( $value( 'affrank_network' ) );
		if ( $is_new && ! preg_match( '/^[a-z0-9_.-]{1,64}$/', $network ) ) {
			return $fail( __( 'Network', 'affrank' ), __( 'choose a network, or type its name in letters, digits, “-” and “_”.', 'affrank' ) );
		}
		$date = $value( 'affrank_date' );
		$day  = \DateTimeImmutable::createFromFormat( '!Y-m-d', $date );
		if ( ! $day || $day->format( 'Y-m-d' ) !== $date ) {
			return $fail( __( 'Date', 'affrank' ), __( 'enter a date as YYYY-MM-DD.', 'affrank' ) );
		}
		$amount = $value( 'affrank_amount' );
		if ( ! preg_match( '/^\d{1,12}(\.\d{1,6})?$/', $amount ) ) {
			return $fail( __( 'Commission', 'affrank' ), __( 'enter a number with a dot for decimals, such as 12.50 (0 for a lead; a refund is the status “reversed”).', 'affrank' ) );
		}
		$currency = strtoupper( $value( 'affrank_currency' ) );
		if ( '' !== $currency && ! preg_match( '/^[A-Z]{3}$/', $currency ) ) {
			return $fail( __( 'Currency', 'affrank' ), __( 'enter a three-letter code such as USD or EUR.', 'affrank' ) );
		}
		$status = $value( 'affrank_status' );
		$status = '' === $status ? 'approved' : $status;
		if ( ! in_array( $status, self::STATUSES, true ) ) {
			return $fail( __( 'Status', 'affrank' ), __( 'choose approved, pending, rejected or reversed.', 'affrank' ) );
		}
		$page = $value( 'affrank_page_url' );
		if ( '' !== $page ) {
			$clean = esc_url_raw( $page, array( 'http', 'https' ) );
			if ( '' === $clean || ! in_array( wp_parse_url( $clean, PHP_URL_SCHEME ), array( 'http', 'https' ), true ) ) {
				return $fail( __( 'Page', 'affrank' ), __( 'choose one of your pages, or enter its full address starting with https://.', 'affrank' ) );
			}
			$page = $clean;
		}
		if ( ! $is_new ) {
			$body = array(
				'date'     => $date,
				'amount'   => $amount,
				'status'   => $status,
				'page_url' => '' !== $page ? $page : null,
			);
			if ( '' !== $currency ) {
				$body['currency'] = $currency;
			}
			return $body;
		}

		$session = $value( 'affrank_session_id' );
		if ( '' !== $session && ! preg_match( '/^[A-Za-z0-9]{1,24}$/', $session ) ) {
			return $fail( __( 'Session id', 'affrank' ), __( 'a session id is 1 to 24 letters and digits, as the network reported it in the sub-id.', 'affrank' ) );
		}
		$transaction = $value( 'affrank_transaction_id' );
		$product     = $value( 'affrank_product' );
		$note        = $value( 'affrank_note' );
		foreach ( array(
			array( $transaction, 200, __( 'Transaction id', 'affrank' ) ),
			array( $product, 200, __( 'Product', 'affrank' ) ),
			array( $note, 1000, __( 'Note', 'affrank' ) ),
		) as [ $text, $max, $label ] ) {
			if ( mb_strlen( $text ) > $max ) {
				/* translators: %d: a number of characters. */
				return $fail( $label, sprintf( __( 'at most %d characters.', 'affrank' ), $max ) );
			}
		}
		$body = array(
			'network' => $network,
			'date'    => $date,
			'amount'  => $amount,
			'status'  => $status,
		);
		foreach ( array(
			'currency'       => $currency,
			'session_id'     => $session,
			'page_url'       => $page,
			'transaction_id' => $transaction,
			'product'        => $product,
			'note'           => $note,
		) as $name => $text ) {
			if ( '' !== $text ) {
				$body[ $name ] = $text;
			}
		}
		return $body;
	}

	/**
	 * The list's filters from a query, each checked against what it can be.
	 *
	 * @param array $query Unslashed query arguments.
	 * @return array{source:string,network:string,status:string,offset:int}
	 */
	public static function filters( array $query ): array {
		$text    = static fn ( string $key ): string => isset( $query[ $key ] ) && is_string( $query[ $key ] ) ? sanitize_key( $query[ $key ] ) : '';
		$source  = $text( self::FILTER_SOURCE );
		$status  = $text( self::FILTER_STATUS );
		$network = isset( $query[ self::FILTER_NETWORK ] ) && is_string( $query[ self::FILTER_NETWORK ] ) && preg_match( '/^[a-z0-9_.-]{1,64}$/', $query[ self::FILTER_NETWORK ] ) ? $query[ self::FILTER_NETWORK ] : '';
		$offset  = isset( $query[ self::OFFSET ] ) && is_string( $query[ self::OFFSET ] ) ? absint( $query[ self::OFFSET ] ) : 0;
		return array(
			'source'  => in_array( $source, self::SOURCES, true ) ? $source : '',
			'network' => $network,
			'status'  => in_array( $status, self::STATUSES, true ) ? $status : '',
			'offset'  => min( $offset - $offset % self::LIMIT, 1000000 ),
		);
	}

	/**
	 * The screen's query arguments for a set of filters (empty ones left out).
	 *
	 * @param array $filters What filters() gave.
	 * @return array<string,string>
	 */
	public static function screen_query( array $filters ): array {
		$query = array();
		foreach ( array( self::FILTER_SOURCE, self::FILTER_NETWORK, self::FILTER_STATUS ) as $key ) {
			if ( '' !== ( $filters[ $key ] ?? '' ) ) {
				$query[ $key ] = $filters[ $key ];
			}
		}
		if ( ( $filters['offset'] ?? 0 ) > 0 ) {
			$query[ self::OFFSET ] = (string) $filters['offset'];
		}
		return $query;
	}

	/**
	 * GET /api/v1/conversions's query for a set of filters.
	 *
	 * @param array $filters What filters() gave.
	 * @return array<string,string>
	 */
	public static function api_query( array $filters ): array {
		$query = array(
			'limit'  => (string) self::LIMIT,
			'offset' => (string) $filters['offset'],
		);
		foreach ( array( 'source', 'network', 'status' ) as $key ) {
			if ( '' !== $filters[ $key ] ) {
				$query[ $key ] = $filters[ $key ];
			}
		}
		return $query;
	}

	/**
	 * One ledger row of the sidecar, ready to show.
	 *
	 * @param array $row GET /api/v1/conversions row.
	 * @return array
	 */
	public static function present( array $row ): array {
		$text = static fn ( string $key ): string => is_scalar( $row[ $key ] ?? null ) ? (string) $row[ $key ] : '';
		return array(
			'id'             => isset( $row['id'] ) && is_numeric( $row['id'] ) ? (int) $row['id'] : 0,
			'source'         => $text( 'source' ),
			'network'        => $text( 'network' ),
			'transaction_id' => $text( 'transaction_id' ),
			'session_id'     => $text( 'session_id' ),
			'status'         => $text( 'status' ),
			'amount'         => $text( 'amount' ),
			'currency'       => $text( 'currency' ),
			'amount_site'    => $text( 'amount_site' ),
			'received_at'    => $text( 'received_at' ),
			'page_url'       => $text( 'page_url' ),
			'keyword'        => $text( 'keyword' ),
			'label'          => $text( 'label' ),
			'product'        => $text( 'product' ),
			'event'          => $text( 'event' ),
			'note'           => $text( 'note' ),
			// What the conversion is credited to: click, page or none.
			'attribution'    => $text( 'attribution' ),
		);
	}

	/**
	 * The badge colour of a status.
	 *
	 * @param string $status A conversion status.
	 * @return string ok, muted, warn or error.
	 */
	public static function tone( string $status ): string {
		return match ( $status ) {
			'approved'             => 'ok',
			'pending'              => 'warn',
			'rejected', 'reversed' => 'error',
			default                => 'muted',
		};
	}

	/**
	 * A source as shown: "postback", "import", "API", "ClickBank INS", "manual".
	 *
	 * @param string $source A conversion source.
	 * @return string
	 */
	public static function source_label( string $source ): string {
		return match ( $source ) {
			'postback'      => __( 'postback', 'affrank' ),
			'import'        => __( 'import', 'affrank' ),
			'api'           => __( 'API', 'affrank' ),
			'clickbank_ins' => __( 'ClickBank INS', 'affrank' ),
			'manual'        => __( 'manual', 'affrank' ),
			default         => $source,
		};
	}

	/**
	 * The blog's published posts and pages the form offers, newest first.
	 *
	 * @return array<string,string> Permalink → title.
	 */
	private static function page_choices(): array {
		$choices = array();
		foreach ( get_posts(
			array(
				'post_type'      => array( 'post', 'page' ),
				'post_status'    => 'publish',
				'posts_per_page' => 200,
				'orderby'        => 'date',
				'order'          => 'DESC',
			)
		) as $post ) {
			$choices[ (string) get_permalink( $post ) ] = get_the_title( $post );
		}
		return $choices;
	}

	/**
	 * The conversion id a form posted (0 when there is none).
	 *
	 * @return int
	 */
	private static function posted_id(): int {
		// phpcs:ignore WordPress.Security.NonceVerification.Missing -- the id picks the nonce action that is then verified.
		$id = Form_Input::text( $_POST, 'affrank_conversion_id' );
		return null === $id ? 0 : absint( $id );
	}

	/**
	 * The list's filters a form carried back, as screen query arguments.
	 *
	 * @param array $input The submitted fields ($_POST, slashed).
	 * @return array<string,string>
	 */
	private static function return_filters( array $input ): array {
		$return = Form_Input::text( $input, 'affrank_return' );
		$query  = array();
		if ( null !== $return && strlen( $return ) <= 300 ) {
			wp_parse_str( $return, $query );
		}
		return self::screen_query( self::filters( $query ) );
	}
}
