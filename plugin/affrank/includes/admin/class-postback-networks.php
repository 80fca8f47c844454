<?php
/**
 * What Postback Setup shows per network: where the postback setting lives,
 * which sub-id carries the session id, and the postback URL with that
 * network's macros, or a plain statement when the network never calls one.
 *
 * The sidecar's GET /api/v1/site lists the networks with their URLs; the
 * table below (DESIGN.md's) fills in for a sidecar that lists none, and is
 * what a network's URL is built from when the sidecar gives only the template.
 *
 * @package AffRank
 */

namespace AffRank\Admin;

defined( 'ABSPATH' ) || exit;

/**
 * The per-network part of Postback Setup.
 */
final class Postback_Networks {

	public const SUPPORTED        = 'supported';
	public const NONE             = 'none';
	public const OWN_NOTIFICATION = 'own_notification';

	/** The placeholders of the sidecar's generic postback URL. */
	public const PLACEHOLDERS = array( '{SESSION_ID}', '{COMMISSION}', '{TRANSACTION_ID}' );

	/**
	 * DESIGN.md's network table, in the order Postback Setup lists them.
	 * macros: session id, amount, transaction id; null where the network has none.
	 */
	public const NETWORKS = array(
		'shareasale' => array( 'ShareASale', 'afftrack', self::SUPPORTED, array( '!!afftrack!!', '!!commission!!', '!!transID!!' ), 'On request to ShareASale' ),
		'cj'         => array( 'CJ Affiliate', 'sid', self::NONE, null, '—' ),
		'impact'     => array( 'Impact', 'subId1', self::SUPPORTED, array( '{SubId1}', '{Payout}', '{ActionId}' ), 'Settings → Tracking → Postback URLs' ),
		'rakuten'    => array( 'Rakuten Advertising', 'u1', self::SUPPORTED, null, 'Set up by Rakuten on request' ),
		'clickbank'  => array( 'ClickBank', 'tid', self::OWN_NOTIFICATION, null, 'Account Settings → My Site → Advanced Tools' ),
		'awin'       => array( 'Awin', 'clickref', self::SUPPORTED, array( '!!!clickRef!!!', '!!!commission!!!', '!!!transactionId!!!' ), 'Transaction Notifications, on request' ),
		'everflow'   => array( 'Everflow', 'sub1', self::SUPPORTED, array( '{sub1}', '{payout}', '{transaction_id}' ), 'Partner postback settings' ),
		'cake'       => array( 'CAKE', 's2', self::SUPPORTED, array( '#s2#', '#price#', '#tid#' ), 'Affiliate portal → pixels/postbacks' ),
		'tune'       => array( 'TUNE (HasOffers)', 'aff_click_id', self::SUPPORTED, array( '{aff_click_id}', '{payout}', '{transaction_id}' ), 'Affiliate portal → postbacks' ),
	);

	/**
	 * The generic postback URL with values (or a network's macros) put in.
	 *
	 * @param string $template    The sidecar's postback URL with {SESSION_ID}, {COMMISSION}, {TRANSACTION_ID}.
	 * @param string $session     What replaces {SESSION_ID}.
	 * @param string $amount      What replaces {COMMISSION}.
	 * @param string $transaction What replaces {TRANSACTION_ID}.
	 * @return string
	 */
	public static function fill( string $template, string $session, string $amount, string $transaction ): string {
		return str_replace( self::PLACEHOLDERS, array( $session, $amount, $transaction ), $template );
	}

	/**
	 * One entry per network, ready to show.
	 *
	 * @param array $site GET /api/v1/site.
	 * @return array<int, array{id:string,name:string,sub_id:string,setup:string,postback:string,url:?string,note:string}>
	 */
	public static function entries( array $site ): array {
		$template = (string) ( $site['postback_url'] ?? '' );
		$listed   = array();
		foreach ( (array) ( $site['networks'] ?? array() ) as $network ) {
			if ( is_array( $network ) && isset( $network['id'] ) ) {
				$listed[ (string) $network['id'] ] = $network;
			}
		}

		$entries = array();
		foreach ( self::NETWORKS as $id => [ $name, $sub_id, $postback, $macros, $setup ] ) {
			$from_sidecar = $listed[ $id ] ?? array();
			unset( $listed[ $id ] );
			$entries[] = self::entry( $id, $from_sidecar, $template, $name, $sub_id, $postback, $macros, $setup );
		}
		// Networks the sidecar knows and this table does not (Partnerize, Amazon…).
		foreach ( $listed as $id => $network ) {
			$entries[] = self::entry( $id, $network, $template, (string) ( $network['name'] ?? $id ), (string) ( $network['sub_id'] ?? '' ), self::NONE, null, '—' );
		}
		return $entries;
	}

	/**
	 * One network's entry: the sidecar's word first, this table's otherwise.
	 *
	 * @param string     $id           The network's id.
	 * @param array      $from_sidecar What GET /api/v1/site says of it (may be empty).
	 * @param string     $template     The site's generic postback URL.
	 * @param string     $name         Its name, from the table.
	 * @param string     $sub_id       The sub-id carrying the session id, from the table.
	 * @param string     $postback     self::SUPPORTED, NONE or OWN_NOTIFICATION, from the table.
	 * @param array|null $macros       Its macros for session id, amount and transaction id.
	 * @param string     $setup        Where the postback is set up, from the table.
	 * @return array
	 */
	private static function entry( string $id, array $from_sidecar, string $template, string $name, string $sub_id, string $postback, ?array $macros, string $setup ): array {
		$postback = (string) ( $from_sidecar['postback'] ?? $postback );
		$url      = null;
		if ( self::SUPPORTED === $postback ) {
			$url = isset( $from_sidecar['postback_url'] ) && is_string( $from_sidecar['postback_url'] )
				? $from_sidecar['postback_url']
				: ( '' === $template ? null : ( $macros ? self::fill( $template, ...$macros ) : $template ) );
		}
		return array(
			'id'       => $id,
			'name'     => (string) ( $from_sidecar['name'] ?? $name ),
			'sub_id'   => (string) ( $from_sidecar['sub_id'] ?? $sub_id ),
			'setup'    => (string) ( $from_sidecar['setup'] ?? $setup ),
			'postback' => $postback,
			'url'      => $url,
			'note'     => (string) ( $from_sidecar['note'] ?? '' ),
		);
	}

	/**
	 * The plain-language line shown where a network has no URL to paste.
	 *
	 * @param string $postback The network's postback kind.
	 * @param string $id       The network's id.
	 * @return string
	 */
	public static function no_url_message( string $postback, string $id ): string {
		if ( self::OWN_NOTIFICATION === $postback ) {
			return __( 'ClickBank does not call postback URLs: it sends its own encrypted Instant Notification. AffRank cannot receive it yet, so ClickBank sales are not matched automatically.', 'affrank' );
		}
		if ( 'cj' === $id ) {
			return __( 'CJ Affiliate has no publisher postback. Its commissions have to be pulled from CJ’s API, which AffRank does not do yet. Clicks on CJ links are still counted.', 'affrank' );
		}
		return __( 'This network sends no postback to publishers. Clicks on its links are still counted.', 'affrank' );
	}
}
