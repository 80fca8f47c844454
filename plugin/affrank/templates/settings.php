<?php
/**
 * AffRank → Settings.
 *
 * @package AffRank
 */

use AffRank\Admin\Amazon_Pages;
use AffRank\Admin\Menu;
use AffRank\Alerts\Alert_Settings;
use AffRank\Template;

defined( 'ABSPATH' ) || exit;

$affrank_fields  = $view['fields'];
$affrank_backoff = $view['backoff'];
?>
<div class="wrap affrank">
	<?php
	Template::render(
		'partials/header',
		array(
			'title'   => __( 'Settings', 'affrank' ),
			'current' => Menu::SETTINGS,
		)
	);
	?>

	<?php if ( ! empty( $affrank_backoff['until'] ) && $affrank_backoff['until'] > time() ) : ?>
		<div class="notice notice-warning"><p>
			<?php
			printf(
				/* translators: 1: time until which tagging is paused, 2: the last error. */
				esc_html__( 'The sidecar did not answer in time, so link tagging is paused until %1$s and pages show their original links. Last error: %2$s', 'affrank' ),
				esc_html( wp_date( get_option( 'time_format' ), (int) $affrank_backoff['until'] ) ),
				esc_html( (string) ( $affrank_backoff['reason'] ?? '' ) )
			);
			?>
		</p></div>
	<?php endif; ?>

	<form method="post" action="<?php echo esc_url( admin_url( 'admin-post.php' ) ); ?>" class="affrank-settings">
		<input type="hidden" name="action" value="<?php echo esc_attr( $view['save_action'] ); ?>">
		<?php wp_nonce_field( $view['save_action'] ); ?>

		<div class="affrank-card">
			<h2><?php esc_html_e( 'Connection', 'affrank' ); ?></h2>
			<p class="affrank-muted"><?php esc_html_e( 'The sidecar is the small AffRank server that tags links and counts clicks. “affrank site add” prints the API key once.', 'affrank' ); ?></p>
			<table class="form-table" role="presentation">
				<tr>
					<th scope="row"><label for="affrank_sidecar_url"><?php esc_html_e( 'Sidecar URL', 'affrank' ); ?></label></th>
					<td><input type="url" class="regular-text code" id="affrank_sidecar_url" name="affrank_sidecar_url" value="<?php echo esc_attr( $view['sidecar_url'] ); ?>" placeholder="http://127.0.0.1:8080" autocomplete="off"></td>
				</tr>
				<tr>
					<th scope="row"><label for="affrank_api_key"><?php esc_html_e( 'API key', 'affrank' ); ?></label></th>
					<td>
						<input type="password" class="regular-text code" id="affrank_api_key" name="affrank_api_key" value="" autocomplete="new-password" placeholder="<?php echo $view['has_key'] ? esc_attr__( 'Saved — leave empty to keep it', 'affrank' ) : ''; ?>">
						<p class="description"><?php esc_html_e( 'Stored in WordPress and sent only to the sidecar it was entered for; it is never shown again. A new sidecar address (scheme, host or port) needs the key entered again.', 'affrank' ); ?></p>
					</td>
				</tr>
				<tr>
					<th scope="row"><label for="affrank_timeout_ms"><?php esc_html_e( 'Timeout', 'affrank' ); ?></label></th>
					<td>
						<input type="number" class="small-text" id="affrank_timeout_ms" name="affrank_timeout_ms" min="50" max="5000" step="50" value="<?php echo esc_attr( (string) $view['timeout_ms'] ); ?>"> <?php esc_html_e( 'ms', 'affrank' ); ?>
						<p class="description"><?php esc_html_e( 'The longest a page waits for the sidecar. If it is slower, the page shows its original links and AffRank pauses for a while.', 'affrank' ); ?></p>
					</td>
				</tr>
				<tr>
					<th scope="row"><?php esc_html_e( 'Link tagging', 'affrank' ); ?></th>
					<td><label><input type="checkbox" name="affrank_tagging_enabled" value="1" <?php checked( $view['tagging_enabled'] ); ?>> <?php esc_html_e( 'Tag affiliate links in posts, feeds and the REST API', 'affrank' ); ?></label></td>
				</tr>
			</table>
		</div>

		<?php if ( null !== $affrank_fields ) : ?>
			<?php // What the sidecar's settings were when the form was shown: only fields changed since are sent back. ?>
			<input type="hidden" name="affrank_site_loaded" value="<?php echo esc_attr( $view['loaded'] ); ?>">
			<div class="affrank-card">
				<h2><?php esc_html_e( 'Link tracking', 'affrank' ); ?></h2>
				<table class="form-table" role="presentation">
					<tr>
						<th scope="row"><label for="affrank_link_rules"><?php esc_html_e( 'Affiliate links', 'affrank' ); ?></label></th>
						<td>
							<textarea class="large-text code" rows="5" id="affrank_link_rules" name="affrank_link_rules" placeholder="go.partner.example&#10;*.trk.example.net = everflow&#10;regex:^https://shop\.example/aff/"><?php echo esc_textarea( $affrank_fields['link_rules'] ); ?></textarea>
							<p class="description"><?php esc_html_e( 'Links to ClickBank, CJ, Impact, ShareASale, Rakuten, Awin, Partnerize and Amazon (with tag=) are recognised on their own. Add other affiliate domains here, one a line; “*.” includes subdomains, “regex:” starts a regular expression, and “= everflow”, “= cake” or “= tune” names the network of a custom tracking domain.', 'affrank' ); ?></p>
						</td>
					</tr>
					<tr>
						<th scope="row"><label for="affrank_tracking_base_url"><?php esc_html_e( 'Tracking base URL', 'affrank' ); ?></label></th>
						<td>
							<input type="url" class="regular-text code" id="affrank_tracking_base_url" name="affrank_tracking_base_url" value="<?php echo esc_attr( $affrank_fields['tracking_base_url'] ); ?>" placeholder="<?php /* translators: %s: the blog's address. */ echo esc_attr( sprintf( __( 'e.g. %s', 'affrank' ), home_url() ) ); ?>">
							<p class="description"><?php esc_html_e( 'Where tagged links point (…/go/ID). Leave empty to use the sidecar’s public URL; use your blog’s own address when your web server forwards /go/ to the sidecar.', 'affrank' ); ?></p>
						</td>
					</tr>
					<tr>
						<th scope="row"><?php esc_html_e( 'Link attributes', 'affrank' ); ?></th>
						<td><label><input type="checkbox" name="affrank_rel_sponsored" value="1" <?php checked( $affrank_fields['rel_sponsored'] ); ?>> <?php echo wp_kses( __( 'Add <code>rel="sponsored nofollow"</code> to tagged links (recommended by Google for paid links)', 'affrank' ), array( 'code' => array() ) ); ?></label></td>
					</tr>
					<tr>
						<th scope="row"><?php esc_html_e( 'Bots', 'affrank' ); ?></th>
						<td><label><input type="checkbox" name="affrank_exclude_bots" value="1" <?php checked( $affrank_fields['exclude_bots'] ); ?>> <?php esc_html_e( 'Leave clicks by search engines and other bots out of EPC and conversion rate', 'affrank' ); ?></label></td>
					</tr>
				</table>
			</div>

			<div class="affrank-card">
				<h2><?php esc_html_e( 'Currency', 'affrank' ); ?></h2>
				<table class="form-table" role="presentation">
					<tr>
						<th scope="row"><label for="affrank_currency"><?php esc_html_e( 'Report currency', 'affrank' ); ?></label></th>
						<td><input type="text" class="small-text code" id="affrank_currency" name="affrank_currency" maxlength="3" value="<?php echo esc_attr( $affrank_fields['currency'] ); ?>"></td>
					</tr>
					<tr>
						<th scope="row"><label for="affrank_currency_rates"><?php esc_html_e( 'Conversion rates', 'affrank' ); ?></label></th>
						<td>
							<textarea class="code" rows="3" cols="24" id="affrank_currency_rates" name="affrank_currency_rates" placeholder="EUR = 1.08"><?php echo esc_textarea( $affrank_fields['currency_rates'] ); ?></textarea>
							<p class="description"><?php esc_html_e( 'For commissions paid in other currencies: how much of your report currency one unit is worth, one currency a line.', 'affrank' ); ?></p>
						</td>
					</tr>
				</table>
			</div>
			<?php if ( '' !== $affrank_fields['amazon_assignment'] ) : ?>
				<?php
				Template::render(
					'partials/amazon-settings',
					array(
						'ids'        => $affrank_fields['amazon_tracking_ids'],
						'assignment' => $affrank_fields['amazon_assignment'],
					)
				);
				?>
			<?php endif; ?>
			<?php if ( '' !== $affrank_fields['retention_days'] ) : ?>
				<?php Template::render( 'partials/privacy-settings', array( 'days' => $affrank_fields['retention_days'] ) ); ?>
			<?php endif; ?>
		<?php elseif ( null !== $view['site_error'] ) : ?>
			<div class="affrank-card affrank-card--muted">
				<h2><?php esc_html_e( 'Link tracking and currency', 'affrank' ); ?></h2>
				<p><?php echo esc_html( $view['site_error']->get_error_message() ); ?></p>
				<p class="affrank-muted"><?php esc_html_e( 'These settings are kept by the sidecar and appear here once it answers.', 'affrank' ); ?></p>
			</div>
		<?php endif; ?>

		<p class="submit"><?php submit_button( __( 'Save settings', 'affrank' ), 'primary', 'submit', false ); ?></p>
	</form>

	<?php Amazon_Pages::render( $view['site'] ); ?>

	<form method="post" action="<?php echo esc_url( admin_url( 'admin-post.php' ) ); ?>" class="affrank-inline-form">
		<input type="hidden" name="action" value="<?php echo esc_attr( $view['test_action'] ); ?>">
		<?php wp_nonce_field( $view['test_action'] ); ?>
		<?php submit_button( __( 'Test connection', 'affrank' ), 'secondary', 'affrank-test-connection', false ); ?>
		<span class="affrank-muted"><?php esc_html_e( 'Checks that the sidecar answers and accepts the saved key.', 'affrank' ); ?></span>
	</form>

	<?php Alert_Settings::render(); ?>
</div>
