<?php
/**
 * AffRank → Postback Setup.
 *
 * @package AffRank
 */

use AffRank\Admin\Menu;
use AffRank\Admin\Postback_Networks;
use AffRank\Template;

defined( 'ABSPATH' ) || exit;

$affrank_site = $view['site'];
?>
<div class="wrap affrank">
	<?php
	Template::render(
		'partials/header',
		array(
			'title'   => __( 'Postback Setup', 'affrank' ),
			'current' => Menu::POSTBACKS,
		)
	);
	?>

	<?php if ( ! $view['configured'] ) : ?>
		<?php Template::render( 'partials/get-started', array() ); ?>
	<?php elseif ( null !== $view['error'] ) : ?>
		<div class="affrank-empty affrank-empty--error">
			<span class="dashicons dashicons-warning" aria-hidden="true"></span>
			<h2><?php esc_html_e( 'The postback settings could not be loaded', 'affrank' ); ?></h2>
			<p><?php echo esc_html( $view['error']->get_error_message() ); ?></p>
			<p><a class="button" href="<?php echo esc_url( Menu::url( Menu::SETTINGS ) ); ?>"><?php esc_html_e( 'Check the connection', 'affrank' ); ?></a></p>
		</div>
	<?php else : ?>
		<div class="affrank-card">
			<h2><?php esc_html_e( 'Your postback URL', 'affrank' ); ?></h2>
			<p><?php esc_html_e( 'Affiliate networks call this address when a reader buys. It carries the session id AffRank added to the click, so the sale is credited to the right keyword, page and link.', 'affrank' ); ?></p>
			<div class="affrank-copy">
				<textarea readonly rows="2" class="large-text code affrank-copy__field" id="affrank-postback-url" aria-label="<?php esc_attr_e( 'Postback URL', 'affrank' ); ?>"><?php echo esc_textarea( (string) ( $affrank_site['postback_url'] ?? '' ) ); ?></textarea>
				<button type="button" class="button affrank-copy__button" data-affrank-copy="affrank-postback-url"><?php esc_html_e( 'Copy', 'affrank' ); ?></button>
			</div>
			<p class="affrank-muted">
				<?php
				echo wp_kses(
					sprintf(
						/* translators: 1, 2 and 3: the placeholders for the session id, the commission and the transaction id, as code. */
						__( 'Replace %1$s, %2$s and %3$s with your network’s macros — or copy the ready-made URL for your network below. Keep the token private: it proves a postback is genuine.', 'affrank' ),
						'<code>{SESSION_ID}</code>',
						'<code>{COMMISSION}</code>',
						'<code>{TRANSACTION_ID}</code>'
					),
					array( 'code' => array() )
				);
				?>
			</p>
			<form method="post" action="<?php echo esc_url( admin_url( 'admin-post.php' ) ); ?>" class="affrank-inline-form">
				<input type="hidden" name="action" value="<?php echo esc_attr( $view['test_action'] ); ?>">
				<?php wp_nonce_field( $view['test_action'] ); ?>
				<?php submit_button( __( 'Send test postback', 'affrank' ), 'secondary', 'affrank-test-postback', false ); ?>
				<span class="affrank-muted"><?php esc_html_e( 'Makes a test click (recorded as a bot, so it is never billable) and sends a test postback (test=1) for it through the real endpoints. The sidecar checks the URL, the token and the click, and counts nothing: your figures do not change.', 'affrank' ); ?></span>
			</form>
		</div>

		<h2 class="affrank-section-title"><?php esc_html_e( 'Per network', 'affrank' ); ?></h2>
		<p class="affrank-muted"><?php esc_html_e( 'On every click AffRank puts the session id into the network’s own sub-id parameter, which is the one value a network sends back. Paste the URL below where the network keeps its postback setting.', 'affrank' ); ?></p>
		<div class="affrank-networks">
			<?php foreach ( $view['entries'] as $affrank_index => $affrank_entry ) : ?>
				<section class="affrank-card affrank-network affrank-network--<?php echo esc_attr( $affrank_entry['postback'] ); ?>" id="affrank-network-<?php echo esc_attr( $affrank_entry['id'] ); ?>">
					<header class="affrank-card__head">
						<h3><?php echo esc_html( $affrank_entry['name'] ); ?></h3>
						<?php if ( Postback_Networks::SUPPORTED === $affrank_entry['postback'] ) : ?>
							<span class="affrank-badge affrank-badge--ok"><?php esc_html_e( 'Postback', 'affrank' ); ?></span>
						<?php elseif ( Postback_Networks::OWN_NOTIFICATION === $affrank_entry['postback'] ) : ?>
							<span class="affrank-badge affrank-badge--warn"><?php esc_html_e( 'Own notification', 'affrank' ); ?></span>
						<?php else : ?>
							<span class="affrank-badge affrank-badge--muted"><?php esc_html_e( 'No postback', 'affrank' ); ?></span>
						<?php endif; ?>
					</header>
					<dl class="affrank-facts">
						<dt><?php esc_html_e( 'Session id travels in', 'affrank' ); ?></dt>
						<dd><code><?php echo esc_html( $affrank_entry['sub_id'] ); ?></code></dd>
						<dt><?php esc_html_e( 'Where to set it up', 'affrank' ); ?></dt>
						<dd><?php echo esc_html( $affrank_entry['setup'] ); ?></dd>
					</dl>
					<?php if ( null !== $affrank_entry['url'] ) : ?>
						<div class="affrank-copy">
							<textarea readonly rows="4" class="large-text code affrank-copy__field" id="affrank-url-<?php echo esc_attr( (string) $affrank_index ); ?>" aria-label="<?php echo esc_attr( sprintf( /* translators: %s: network name. */ __( 'Postback URL for %s', 'affrank' ), $affrank_entry['name'] ) ); ?>"><?php echo esc_textarea( $affrank_entry['url'] ); ?></textarea>
							<button type="button" class="button affrank-copy__button" data-affrank-copy="affrank-url-<?php echo esc_attr( (string) $affrank_index ); ?>"><?php esc_html_e( 'Copy', 'affrank' ); ?></button>
						</div>
					<?php else : ?>
						<p class="affrank-network__none"><?php echo esc_html( Postback_Networks::no_url_message( $affrank_entry['postback'], $affrank_entry['id'] ) ); ?></p>
					<?php endif; ?>
					<?php if ( '' !== $affrank_entry['note'] && null !== $affrank_entry['url'] ) : ?>
						<p class="affrank-muted"><?php echo esc_html( $affrank_entry['note'] ); ?></p>
					<?php endif; ?>
				</section>
			<?php endforeach; ?>
		</div>
	<?php endif; ?>
</div>
