<?php
/**
 * The Amazon tracking-id pool, sidecar settings inside the Settings form.
 * $view: ids (one a line), assignment ("auto" or "manual").
 *
 * @package AffRank
 */

defined( 'ABSPATH' ) || exit;
?>
<div class="affrank-card" id="affrank-amazon">
	<h2><?php esc_html_e( 'Amazon tracking ids', 'affrank' ); ?></h2>
	<p class="affrank-muted"><?php esc_html_e( 'Amazon shows sub-tags only to large publishers, so its reports cannot name the click. Give each page its own tracking id instead: AffRank sets the tag of the page’s Amazon links to it, and an imported Amazon report credits each sale to the page (and keyword) of its tracking id.', 'affrank' ); ?></p>
	<table class="form-table" role="presentation">
		<tr>
			<th scope="row"><label for="affrank_amazon_tracking_ids"><?php esc_html_e( 'Tracking ids', 'affrank' ); ?></label></th>
			<td>
				<textarea class="code" rows="5" cols="30" id="affrank_amazon_tracking_ids" name="affrank_amazon_tracking_ids" placeholder="myblog-boots-20&#10;myblog-tents-20"><?php echo esc_textarea( $view['ids'] ); ?></textarea>
				<p class="description"><?php esc_html_e( 'One a line. Create them in Amazon Associates Central under Account Settings → Manage Your Tracking IDs (up to 100).', 'affrank' ); ?></p>
			</td>
		</tr>
		<tr>
			<th scope="row"><?php esc_html_e( 'Assign them', 'affrank' ); ?></th>
			<td>
				<fieldset>
					<legend class="screen-reader-text"><?php esc_html_e( 'Assign them', 'affrank' ); ?></legend>
					<label><input type="radio" name="affrank_amazon_assignment" id="affrank_amazon_assignment_auto" value="auto" <?php checked( 'auto', $view['assignment'] ); ?>> <?php esc_html_e( 'Automatically: each page with an Amazon link gets the next free id', 'affrank' ); ?></label><br>
					<label><input type="radio" name="affrank_amazon_assignment" id="affrank_amazon_assignment_manual" value="manual" <?php checked( 'manual', $view['assignment'] ); ?>> <?php esc_html_e( 'By hand, in the table below', 'affrank' ); ?></label>
				</fieldset>
			</td>
		</tr>
	</table>
</div>
