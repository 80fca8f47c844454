<?php
/**
 * Reading the fields of a submitted admin form.
 *
 * A request can send any field as a list (name[]=x) where the form has one
 * value: PHP then hands over an array, which string functions turn into a
 * TypeError or the text "Array". Every form field the plugin reads goes
 * through this class, which tells text from anything else.
 *
 * @package AffRank
 */

namespace AffRank\Admin;

defined( 'ABSPATH' ) || exit;

/**
 * Typed, unslashed reads of form fields, and the text clean-up they share.
 */
final class Form_Input {

	/**
	 * One text field, unslashed.
	 *
	 * @param array  $input The request's fields as WordPress hands them over ($_POST or $_GET, slashed).
	 * @param string $name  The field's name.
	 * @return string|null The text ('' when the field was not sent), or null when the field is not text.
	 */
	public static function text( array $input, string $name ): ?string {
		if ( ! isset( $input[ $name ] ) ) {
			return '';
		}
		return is_string( $input[ $name ] ) ? wp_unslash( $input[ $name ] ) : null;
	}

	/**
	 * One checkbox: ticked when it sent a value; a list counts as not ticked.
	 *
	 * @param array  $input The request's fields ($_POST or $_GET).
	 * @param string $name  The field's name.
	 * @return bool Whether the box was ticked.
	 */
	public static function checkbox( array $input, string $name ): bool {
		return isset( $input[ $name ] ) && is_string( $input[ $name ] ) && '' !== $input[ $name ] && '0' !== $input[ $name ];
	}

	/**
	 * The names of the fields that were sent as something other than text.
	 *
	 * @param array    $input The request's fields ($_POST or $_GET).
	 * @param string[] $names The fields the form has.
	 * @return string[] The fields among them that are not text.
	 */
	public static function not_text( array $input, array $names ): array {
		return array_values( array_filter( $names, static fn ( string $name ): bool => null === self::text( $input, $name ) ) );
	}

	/**
	 * Text from a text area, kept byte for byte except for what no setting can
	 * hold: line breaks become "\n" (browsers send "\r\n"), and invalid UTF-8
	 * and control characters other than tab and line feed are dropped.
	 * No HTML or percent-encoding is touched: the value is data, validated by
	 * whoever uses it and escaped wherever it is printed.
	 *
	 * @param string $text The unslashed text.
	 * @return string The cleaned text.
	 */
	public static function multi_line( string $text ): string {
		$text = str_replace( array( "\r\n", "\r" ), "\n", $text );
		$text = wp_check_invalid_utf8( $text, true );
		return (string) preg_replace( '/[\x00-\x08\x0B-\x1F\x7F]/', '', $text );
	}

	/**
	 * Text from a one-line field: as multi_line(), without line breaks, trimmed.
	 *
	 * @param string $text The unslashed text.
	 * @return string The cleaned text.
	 */
	public static function single_line( string $text ): string {
		return trim( str_replace( array( "\n", "\t" ), ' ', self::multi_line( $text ) ) );
	}
}
