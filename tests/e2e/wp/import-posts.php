<?php
/**
 * Publishes the posts of a JSON file ([{title, slug, content}]) as the
 * admin, the way an import would. Run through tests/wordpress/wp.php.
 * Prints one permalink a line.
 */

wp_set_current_user( 1 );
foreach ( json_decode( file_get_contents( $args[0] ), true ) as $post ) {
	$id = wp_insert_post(
		wp_slash(
			array(
				'post_title'   => $post['title'],
				'post_name'    => $post['slug'],
				'post_status'  => 'publish',
				'post_content' => $post['content'],
			)
		),
		true
	);
	if ( is_wp_error( $id ) ) {
		fwrite( STDERR, $id->get_error_message() . "\n" );
		exit( 1 );
	}
	echo get_permalink( $id ), "\n";
}
