<?php
/**
 * The privacy retention, a sidecar setting inside the Settings form.
 * $view['days']: click_detail_retention_days as the sidecar holds it (a string).
 *
 * @package AffRank
 */

defined( 'ABSPATH' ) || exit;
?>
<div class="affrank-card">
	<h2><?php esc_html_e( 'Privacy', 'affrank' ); ?></h2>
	<table class="form-table" role="presentation">
		<tr>
			<th scope="row"><label for="affrank_click_detail_retention_days"><?php esc_html_e( 'Keep click details', 'affrank' ); ?></label></th>
			<td>
				<input type="number" class="small-text" id="affrank_click_detail_retention_days" name="affrank_click_detail_retention_days" min="1" max="3650" step="1" value="<?php echo esc_attr( (string) $view['days'] ); ?>"> <?php esc_html_e( 'days', 'affrank' ); ?>
				<p class="description"><?php esc_html_e( 'After this many days, the sidecar deletes the browser (user agent) and referring address recorded with each click. The click itself and every report figure stay. Visitors’ IP addresses are never stored.', 'affrank' ); ?></p>
			</td>
		</tr>
	</table>
</div>
