<?php
/**
 * Plugin Name:       AffRank
 * Plugin URI:        https://affrank.example/
 * Description:       Revenue attribution for affiliate bloggers: tags affiliate links through the AffRank sidecar and shows which keywords, pages and links earn.
 * Version:           0.1.0
 * Requires at least: 6.1
 * Requires PHP:      8.2
 * Author:            AffRank
 * License:           GPL-2.0-or-later
 * License URI:       https://www.gnu.org/licenses/gpl-2.0.html
 * Text Domain:       affrank
 * Domain Path:       /languages
 *
 * @package AffRank
 */

// This file only guards and boots; everything else lives in includes/.
if ( ! defined( 'ABSPATH' ) ) {
	exit;
}

if ( version_compare( PHP_VERSION, '8.2', '<' ) ) {
	return;
}

define( 'AFFRANK_VERSION', '0.1.0' );
define( 'AFFRANK_FILE', __FILE__ );

require_once __DIR__ . '/includes/autoload.php';

AffRank\Plugin::boot();
