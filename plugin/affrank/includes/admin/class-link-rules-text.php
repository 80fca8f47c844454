<?php
/**
 * Link rules and currency rates as the lines of a text box.
 *
 * The Settings screen edits link rules and currency rates as plain text, one
 * per line, which is easier to paste and review than a repeating form:
 *
 *     partner.example.com
 *     *.trk.example.net = everflow
 *     regex:^https://shop\.example/aff/ = cake
 *
 *     EUR = 1.08
 *
 * This class turns that text into the sidecar's JSON and back.
 *
 * @package AffRank
 */

namespace AffRank\Admin;

defined( 'ABSPATH' ) || exit;

/**
 * Parses and formats the Settings screen's text boxes.
 */
final class Link_Rules_Text {

	public const REGEX_PREFIX = 'regex:';

	/**
	 * The rules in the "Affiliate links" box, one a line: "regex:" starts a
	 * regular expression, " = network" names the network ("none": no network).
	 *
	 * @param string $text The box's text.
	 * @return array<int, array{kind:string,pattern:string,network:?string}>
	 */
	public static function parse_rules( string $text ): array {
		$rules = array();
		foreach ( self::lines( $text ) as $line ) {
			$network = null;
			$split   = strrpos( $line, ' = ' );
			if ( false !== $split ) {
				$network = strtolower( trim( substr( $line, $split + 3 ) ) );
				$line    = trim( substr( $line, 0, $split ) );
				$network = '' === $network || 'none' === $network ? null : $network;
			}
			if ( str_starts_with( strtolower( $line ), self::REGEX_PREFIX ) ) {
				$rules[] = array(
					'kind'    => 'regex',
					'pattern' => trim( substr( $line, strlen( self::REGEX_PREFIX ) ) ),
					'network' => $network,
				);
			} else {
				$rules[] = array(
					'kind'    => 'host',
					'pattern' => $line,
					'network' => $network,
				);
			}
		}
		return $rules;
	}

	/**
	 * The sidecar's rules as the box shows them; parse_rules() reads them
	 * back exactly.
	 *
	 * @param array $rules The sidecar's link_rules.
	 * @return string
	 */
	public static function format_rules( array $rules ): string {
		$lines = array();
		foreach ( $rules as $rule ) {
			if ( ! is_array( $rule ) || ! isset( $rule['pattern'] ) ) {
				continue;
			}
			$line = ( 'regex' === ( $rule['kind'] ?? '' ) ? self::REGEX_PREFIX : '' ) . $rule['pattern'];
			if ( ! empty( $rule['network'] ) ) {
				$line .= ' = ' . $rule['network'];
			} elseif ( str_contains( (string) $rule['pattern'], ' = ' ) ) {
				// Else parse_rules() would read the pattern's own " = " as a network.
				$line .= ' = none';
			}
			$lines[] = $line;
		}
		return implode( "\n", $lines );
	}

	/**
	 * Reads "EUR = 1.08" lines into {"EUR": "1.08"}. Rates stay strings: exact decimals.
	 *
	 * @param string $text The box's text.
	 * @return array<string,string>|\WP_Error
	 */
	public static function parse_rates( string $text ): array|\WP_Error {
		$rates = array();
		foreach ( self::lines( $text ) as $number => $line ) {
			if ( ! preg_match( '/^([A-Za-z]{3})\s*[=:]\s*([0-9]+(?:\.[0-9]+)?)$/', $line, $m ) ) {
				return new \WP_Error(
					'affrank_bad_rate',
					/* translators: %d: line number in the conversion rates box. */
					sprintf( __( 'Conversion rates, line %d: write it like “EUR = 1.08”.', 'affrank' ), $number )
				);
			}
			$rates[ strtoupper( $m[1] ) ] = $m[2];
		}
		return $rates;
	}

	/**
	 * The sidecar's rates as the box shows them.
	 *
	 * @param array $rates Currency code → rate.
	 * @return string
	 */
	public static function format_rates( array $rates ): string {
		$lines = array();
		foreach ( $rates as $code => $rate ) {
			$lines[] = $code . ' = ' . $rate;
		}
		return implode( "\n", $lines );
	}

	/**
	 * Names a field the sidecar refused as the blogger sees it:
	 * "link_rules[1].pattern" → "Affiliate links, line 3" (when line 2 is
	 * blank). The sidecar names rules by index; the blogger thinks in lines.
	 *
	 * @param string $field      The sidecar's field name.
	 * @param string $rules_text The "Affiliate links" box as sent.
	 * @return string
	 */
	public static function describe_field( string $field, string $rules_text ): string {
		if ( preg_match( '/^link_rules\[(\d+)\]/', $field, $m ) ) {
			$line_numbers = array_keys( self::lines( $rules_text ) );
			$line         = $line_numbers[ (int) $m[1] ] ?? ( (int) $m[1] + 1 );
			/* translators: %d: line number in the affiliate links box. */
			return sprintf( __( 'Affiliate links, line %d', 'affrank' ), $line );
		}
		return $field;
	}

	/**
	 * Non-empty, trimmed lines keyed by their 1-based line number; "#" starts a comment.
	 *
	 * @param string $text A box's text.
	 * @return array<int,string>
	 */
	private static function lines( string $text ): array {
		$lines = array();
		foreach ( preg_split( '/\r\n|\r|\n/', $text ) as $i => $line ) {
			$line = trim( $line );
			if ( '' !== $line && ! str_starts_with( $line, '#' ) ) {
				$lines[ $i + 1 ] = $line;
			}
		}
		return $lines;
	}
}
