<?php
/**
 * Test environment only: no mail leaves the machine.
 */

add_filter( 'pre_wp_mail', '__return_true' );
