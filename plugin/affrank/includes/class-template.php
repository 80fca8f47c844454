<?php
/**
 * Renders a file from templates/ with one $view array in scope. Templates
 * escape everything they print, at the point of output.
 *
 * @package AffRank
 */

namespace AffRank;

defined( 'ABSPATH' ) || exit;

final class Template {

	public static function render( string $name, array $view = array() ): void {
		$file = dirname( AFFRANK_FILE ) . '/templates/' . $name . '.php';
		if ( ! preg_match( '/^[a-z0-9\/-]+$/', $name ) || ! is_readable( $file ) ) {
			return;
		}
		( static function ( string $file, array $view ): void {
			include $file;
		} )( $file, $view );
	}
}
