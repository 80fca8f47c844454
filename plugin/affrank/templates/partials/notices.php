<?php
/**
 * Flash notices. $view['notices']: list of {type, message}.
 *
 * @package AffRank
 */

defined( 'ABSPATH' ) || exit;

foreach ( $view['notices'] as $notice ) :
	$type = in_array( $notice['type'] ?? '', array( 'success', 'error', 'warning', 'info' ), true ) ? $notice['type'] : 'info';
	?>
	<div class="notice notice-<?php echo esc_attr( $type ); ?> is-dismissible"><p><?php echo esc_html( (string) ( $notice['message'] ?? '' ) ); ?></p></div>
	<?php
endforeach;
