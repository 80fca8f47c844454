<?php
/**
 * The keyword meta box on the post edit screen.
 *
 * @package AffRank
 */

use AffRank\Admin\Keyword_Meta_Box;
use AffRank\Tagging\Keyword;

defined( 'ABSPATH' ) || exit;

$affrank_fallback = $view['fallback'];
wp_nonce_field( Keyword_Meta_Box::nonce_action( $view['post_id'] ), $view['nonce'] );
?>
<p>
	<label for="affrank-keyword-field" class="screen-reader-text"><?php esc_html_e( 'AffRank keyword', 'affrank' ); ?></label>
	<input type="text" id="affrank-keyword-field" name="<?php echo esc_attr( $view['field'] ); ?>" value="<?php echo esc_attr( $view['keyword'] ); ?>" class="widefat" maxlength="200" placeholder="<?php echo esc_attr( $affrank_fallback->keyword ?? '' ); ?>">
</p>
<p class="description">
	<?php if ( $affrank_fallback->is_none() ) : ?>
		<?php esc_html_e( 'The search keyword this post targets. Revenue from its affiliate links is reported against it.', 'affrank' ); ?>
	<?php else : ?>
		<?php
		printf(
			/* translators: 1: where the keyword comes from (e.g. "Yoast SEO focus keyphrase"), 2: the keyword. */
			esc_html__( 'Leave empty to use the %1$s: “%2$s”.', 'affrank' ),
			esc_html( Keyword::source_label( $affrank_fallback->source ) ),
			esc_html( (string) $affrank_fallback->keyword )
		);
		?>
	<?php endif; ?>
</p>
<p class="description"><?php echo wp_kses( __( 'A single link can carry its own keyword with <code>data-affrank-keyword="…"</code>.', 'affrank' ), array( 'code' => array() ) ); ?></p>
