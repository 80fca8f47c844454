<?php
/**
 * Flash notices. $view['notices']: list of {type, message, detail}.
 *
 * @package AffRank
 */

defined( 'ABSPATH' ) || exit;

foreach ( $view['notices'] as $affrank_notice ) :
	$affrank_type   = in_array( $affrank_notice['type'] ?? '', array( 'success', 'error', 'warning', 'info' ), true ) ? $affrank_notice['type'] : 'info';
	$affrank_detail = (string) ( $affrank_notice['detail'] ?? '' );
	?>
	<div class="notice notice-<?php echo esc_attr( $affrank_type ); ?> is-dismissible">
		<p><?php echo esc_html( (string) ( $affrank_notice['message'] ?? '' ) ); ?></p>
		<?php if ( '' !== $affrank_detail ) : ?>
			<p class="affrank-notice__detail"><?php echo esc_html( $affrank_detail ); ?></p>
		<?php endif; ?>
	</div>
	<?php
endforeach;
