/**
 * AffRank admin: copy buttons. Everything else on our screens works
 * without JavaScript; this only saves a select-and-copy.
 */
( function () {
	'use strict';

	function flash( button, text ) {
		var original = button.getAttribute( 'data-label' ) || button.textContent;
		button.setAttribute( 'data-label', original );
		button.textContent = text;
		window.setTimeout( function () {
			button.textContent = original;
		}, 1600 );
	}

	document.addEventListener( 'click', function ( event ) {
		var button = event.target.closest( '[data-affrank-copy]' );
		if ( ! button ) {
			return;
		}
		var field = document.getElementById( button.getAttribute( 'data-affrank-copy' ) );
		if ( ! field ) {
			return;
		}
		var strings = window.affrankAdmin || { copied: 'Copied', copyFailed: 'Press Ctrl+C to copy' };
		field.focus();
		field.select();
		if ( navigator.clipboard && window.isSecureContext ) {
			navigator.clipboard.writeText( field.value ).then(
				function () { flash( button, strings.copied ); },
				function () { flash( button, strings.copyFailed ); }
			);
			return;
		}
		// Plain-http admin screens have no Clipboard API.
		var ok = false;
		try {
			ok = document.execCommand( 'copy' );
		} catch ( e ) {
			ok = false;
		}
		flash( button, ok ? strings.copied : strings.copyFailed );
	} );
}() );
