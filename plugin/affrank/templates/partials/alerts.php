<?php
/**
 * The current alerts. $view['alerts']: list of {code, severity, message};
 * $view['inline']: true inside a box (the dashboard widget), where WordPress
 * must not move the notices to the top of the screen.
 *
 * @package AffRank
 */

defined( 'ABSPATH' ) || exit;

foreach ( $view['alerts'] as $affrank_alert ) :
	$affrank_classes = array(
		'notice',
		'error' === $affrank_alert['severity'] ? 'notice-error' : 'notice-warning',
		'affrank-alert',
	);
	if ( ! empty( $view['inline'] ) ) {
		$affrank_classes[] = 'inline';
	}
	?>
	<div class="<?php echo esc_attr( implode( ' ', $affrank_classes ) ); ?>" data-affrank-alert="<?php echo esc_attr( $affrank_alert['code'] ); ?>"><p><strong><?php esc_html_e( 'AffRank:', 'affrank' ); ?></strong> <?php echo esc_html( $affrank_alert['message'] ); ?></p></div>
	<?php
endforeach;
