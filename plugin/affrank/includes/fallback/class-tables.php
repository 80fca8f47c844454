<?php
/**
 * The plugin's own tables, for when the sidecar cannot answer /go/: a copy
 * of the site's link map (link id to destination), and the clicks redirected
 * from it, counted per link and UTC day until the sidecar has them.
 *
 * Tables rather than options: a site can have 40,000 links, and a click
 * looks one up by its primary key. Link ids compare byte for byte (ASCII,
 * binary collation): the sidecar's ids are case-sensitive, so "aB1" and
 * "Ab1" are two links and must never collide or match each other.
 *
 * Created on activation and, for upgrades and network-activated multisite
 * installs, whenever the stored schema version differs from this one (one
 * autoloaded option compared per request).
 *
 * @package AffRank
 */

namespace AffRank\Fallback;

use AffRank\Options;

defined( 'ABSPATH' ) || exit;

/**
 * Names, schema and installation of the fallback tables.
 */
final class Tables {

	/** Bumped with every change to schema(); dbDelta brings old tables along. */
	public const VERSION = '1';

	/** The link map, without the site's table prefix. */
	public const LINKS = 'affrank_links';

	/** The untracked clicks, without the site's table prefix. */
	public const UNTRACKED = 'affrank_untracked';

	/**
	 * The link map's table name for the current site.
	 *
	 * @return string
	 */
	public static function links(): string {
		global $wpdb;
		return $wpdb->prefix . self::LINKS;
	}

	/**
	 * The untracked clicks' table name for the current site.
	 *
	 * @return string
	 */
	public static function untracked(): string {
		global $wpdb;
		return $wpdb->prefix . self::UNTRACKED;
	}

	/**
	 * The CREATE TABLE statements, in the form dbDelta() reads (two spaces
	 * after PRIMARY KEY, one column a line).
	 *
	 * @return string[]
	 */
	public static function schema(): array {
		global $wpdb;
		$charset = $wpdb->get_charset_collate();
		$links   = self::links();
		$clicks  = self::untracked();
		return array(
			"CREATE TABLE {$links} (
link_id varchar(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
url text NOT NULL,
network varchar(40) NOT NULL DEFAULT '',
updated_at datetime NOT NULL,
PRIMARY KEY  (link_id)
) {$charset};",
			"CREATE TABLE {$clicks} (
link_id varchar(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
day date NOT NULL,
clicks int(10) unsigned NOT NULL DEFAULT 0,
reported int(10) unsigned NOT NULL DEFAULT 0,
PRIMARY KEY  (link_id,day)
) {$charset};",
		);
	}

	/**
	 * Creates or updates both tables and records the schema version.
	 * The activation callback, and what maybe_upgrade() runs.
	 */
	public static function install(): void {
		require_once ABSPATH . 'wp-admin/includes/upgrade.php';
		dbDelta( self::schema() );
		update_option( Options::DB_VERSION, self::VERSION, true );
	}

	/**
	 * The plugins_loaded callback: installs when the stored version is not
	 * this one (a new install, an upgrade, a site of a network the plugin
	 * was network-activated on).
	 */
	public static function maybe_upgrade(): void {
		if ( self::VERSION !== (string) get_option( Options::DB_VERSION, '' ) ) {
			self::install();
		}
	}
}
