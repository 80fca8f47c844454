<?php
/**
 * Renders a file from templates/ with one $view array in scope. Templates
 * escape everything they print, at the point of output.
 *
 * @package AffRank
 */

namespace AffRank;

defined( 'ABSPATH' ) || exit;

/**
 * Template rendering.
 */
final class Template {

	/**
	 * Prints templates/{$name}.php; an unknown or odd name prints nothing.
	 *
	 * @param string $name The template's path below templates/, without ".php".
	 * @param array  $view What the template shows.
	 */
	public static function render( string $name, array $view = array() ): void {
		$file = dirname( AFFRANK_FILE ) . '/templates/' . $name . '.php';
		if ( ! preg_match( '/^[a-z0-9\/-]+$/', $name ) || ! is_readable( $file ) ) {
			return;
		}
		// A closure of its own, so the template sees $view and nothing else.
		// phpcs:ignore Generic.CodeAnalysis.UnusedFunctionParameter.FoundAfterLastUsed -- the included template reads $view.
		( static function ( string $file, array $view ): void {
			include $file;
		} )( $file, $view );
	}
}
