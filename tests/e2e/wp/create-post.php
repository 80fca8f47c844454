<?php
/**
 * Publishes a post. Run through tests/wordpress/wp.php.
 * Arguments: title, slug, content file, [Yoast focus keyphrase].
 * Prints the permalink.
 */

[ $title, $slug, $file ] = $args;
wp_set_current_user( 1 );
$id = wp_insert_post(
	wp_slash(
		array(
			'post_title'   => $title,
			'post_name'    => $slug,
			'post_status'  => 'publish',
			'post_content' => file_get_contents( $file ),
		)
	),
	true
);
if ( is_wp_error( $id ) ) {
	fwrite( STDERR, $id->get_error_message() . "\n" );
	exit( 1 );
}
if ( ! empty( $args[3] ) ) {
	update_post_meta( $id, '_yoast_wpseo_focuskw', $args[3] );
}
echo get_permalink( $id ), "\n";
