<?php
/**
 * The alert e-mail setting, a form of its own that posts to options.php.
 * $view['group'], $view['option'], $view['enabled'], $view['email'].
 *
 * @package AffRank
 */

defined( 'ABSPATH' ) || exit;

settings_errors( 'general' );
?>
<form method="post" action="<?php echo esc_url( admin_url( 'options.php' ) ); ?>" class="affrank-alert-settings">
	<?php settings_fields( $view['group'] ); ?>
	<div class="affrank-card">
		<h2><?php esc_html_e( 'Alerts', 'affrank' ); ?></h2>
		<p class="affrank-muted"><?php esc_html_e( 'AffRank warns you on its screens and on the dashboard when the sidecar stops answering, a network stops reporting sales, postbacks match no click, or clicks could not be saved.', 'affrank' ); ?></p>
		<table class="form-table" role="presentation">
			<tr>
				<th scope="row"><?php esc_html_e( 'E-mail', 'affrank' ); ?></th>
				<td>
					<label><input type="checkbox" id="affrank_alert_emails" name="<?php echo esc_attr( $view['option'] ); ?>" value="1" <?php checked( $view['enabled'] ); ?>> <?php esc_html_e( 'E-mail me when AffRank needs attention', 'affrank' ); ?></label>
					<p class="description">
						<?php
						printf(
							/* translators: %s: the site's admin e-mail address. */
							esc_html__( 'At most once a day, to %s (Settings → General → Administration Email Address).', 'affrank' ),
							esc_html( $view['email'] )
						);
						?>
					</p>
				</td>
			</tr>
		</table>
		<?php submit_button( __( 'Save alert settings', 'affrank' ), 'secondary', 'affrank-save-alerts', false ); ?>
	</div>
</form>
