<?php
/**
 * Display formats for the sidecar's figures. Money arrives as exact decimal
 * strings and is formatted as a string, never through a float.
 *
 * @package AffRank
 */

namespace AffRank;

defined( 'ABSPATH' ) || exit;

/**
 * Formats money, rates and counts for the admin screens.
 */
final class Format {

	private const SYMBOLS = array(
		'USD' => '$',
		'EUR' => '€',
		'GBP' => '£',
		'JPY' => '¥',
		'INR' => '₹',
		'AUD' => 'A$',
		'CAD' => 'CA$',
		'NZD' => 'NZ$',
		'BRL' => 'R$',
	);

	/** ISO 4217 currencies without minor units. */
	private const NO_DECIMALS = array( 'JPY', 'KRW', 'VND', 'CLP', 'ISK', 'HUF', 'TWD', 'UGX', 'XAF', 'XOF' );

	/**
	 * Formats an amount: "1234.5", "USD" → "$1,234.50". Invalid input shows as "—".
	 *
	 * @param mixed  $amount   A decimal string (or number) from the sidecar.
	 * @param string $currency ISO 4217 code.
	 * @return string
	 */
	public static function money( mixed $amount, string $currency ): string {
		$currency = strtoupper( $currency );
		$places   = in_array( $currency, self::NO_DECIMALS, true ) ? 0 : 2;
		$rounded  = self::round_decimal( (string) $amount, $places );
		if ( null === $rounded ) {
			return '—';
		}
		$negative = str_starts_with( $rounded, '-' );
		$digits   = self::group( ltrim( $rounded, '-' ) );
		$symbol   = self::SYMBOLS[ $currency ] ?? null;
		$text     = null !== $symbol ? $symbol . $digits : $digits . ' ' . $currency;
		return $negative ? '−' . $text : $text;
	}

	/**
	 * Formats a rate from 0 to 1: "3.4%"; "—" for none.
	 *
	 * @param mixed $rate The rate, or null.
	 * @return string
	 */
	public static function percent( mixed $rate ): string {
		if ( ! is_numeric( $rate ) ) {
			return '—';
		}
		return number_format_i18n( 100 * (float) $rate, 1 ) . '%';
	}

	/**
	 * Formats a whole number in the site's locale; "—" for anything else.
	 *
	 * @param mixed $n The number.
	 * @return string
	 */
	public static function count( mixed $n ): string {
		return is_numeric( $n ) ? number_format_i18n( (int) $n ) : '—';
	}

	/**
	 * Rounds a decimal string half away from zero, as a string.
	 *
	 * @param string $value  A plain decimal number such as "-12.345".
	 * @param int    $places Digits after the point.
	 * @return string|null The rounded number; null when $value is not a plain decimal number.
	 */
	public static function round_decimal( string $value, int $places ): ?string {
		$value = trim( $value );
		if ( ! preg_match( '/^(-?)(\d+)(?:\.(\d*))?$/', $value, $m ) ) {
			return null;
		}
		$sign     = $m[1];
		$int      = ltrim( $m[2], '0' );
		$int      = '' === $int ? '0' : $int;
		$fraction = str_pad( $m[3] ?? '', $places + 1, '0' );
		$kept     = $int . substr( $fraction, 0, $places );
		if ( (int) $fraction[ $places ] >= 5 ) {
			$kept = self::increment( $kept );
		}
		$int_part  = substr( $kept, 0, strlen( $kept ) - $places );
		$int_part  = '' === $int_part ? '0' : ltrim( $int_part, '0' );
		$int_part  = '' === $int_part ? '0' : $int_part;
		$frac_part = $places > 0 ? substr( $kept, -$places ) : '';
		$result    = $places > 0 ? $int_part . '.' . $frac_part : $int_part;
		$is_zero   = '' === trim( str_replace( '.', '', $result ), '0' );
		return ( $is_zero ? '' : $sign ) . $result;
	}

	/**
	 * Adds one to a string of digits.
	 *
	 * @param string $digits Digits only.
	 * @return string
	 */
	private static function increment( string $digits ): string {
		$i = strlen( $digits ) - 1;
		while ( $i >= 0 && '9' === $digits[ $i ] ) {
			$digits[ $i ] = '0';
			--$i;
		}
		return $i < 0 ? '1' . $digits : substr_replace( $digits, (string) ( (int) $digits[ $i ] + 1 ), $i, 1 );
	}

	/**
	 * Groups thousands in the site's locale: "1234567.50" → "1,234,567.50".
	 *
	 * @param string $plain An unsigned plain decimal number.
	 * @return string
	 */
	private static function group( string $plain ): string {
		global $wp_locale;
		$thousands = isset( $wp_locale ) ? $wp_locale->number_format['thousands_sep'] : ',';
		$decimal   = isset( $wp_locale ) ? $wp_locale->number_format['decimal_point'] : '.';
		$parts     = explode( '.', $plain );
		$int       = (string) preg_replace( '/\B(?=(\d{3})+(?!\d))/', $thousands, $parts[0] );
		return isset( $parts[1] ) ? $int . $decimal . $parts[1] : $int;
	}
}
