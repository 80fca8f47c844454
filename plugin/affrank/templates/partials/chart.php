<?php
/**
 * Revenue (bars) and clicks (line) per day, as inline SVG.
 * $view['chart']: Chart::build() output or a WP_Error.
 *
 * @package AffRank
 */

use AffRank\Admin\Chart;
use AffRank\Format;

defined( 'ABSPATH' ) || exit;

$affrank_chart = $view['chart'];
?>
<div class="affrank-card affrank-chart-card">
	<div class="affrank-card__head">
		<h2><?php esc_html_e( 'Revenue and clicks per day', 'affrank' ); ?></h2>
		<span class="affrank-legend">
			<span class="affrank-legend__item affrank-legend__item--revenue"><?php esc_html_e( 'Revenue', 'affrank' ); ?></span>
			<span class="affrank-legend__item affrank-legend__item--clicks"><?php esc_html_e( 'Clicks', 'affrank' ); ?></span>
		</span>
	</div>
	<?php if ( is_wp_error( $affrank_chart ) ) : ?>
		<p class="affrank-muted"><?php echo esc_html( $affrank_chart->get_error_message() ); ?></p>
	<?php elseif ( is_array( $affrank_chart ) ) : ?>
		<svg class="affrank-chart" viewBox="0 0 <?php echo esc_attr( (string) Chart::WIDTH ); ?> <?php echo esc_attr( (string) Chart::HEIGHT ); ?>" preserveAspectRatio="none" role="img" aria-label="<?php esc_attr_e( 'Revenue and clicks per day', 'affrank' ); ?>">
			<line class="affrank-chart__axis" x1="0" x2="<?php echo esc_attr( (string) Chart::WIDTH ); ?>" y1="<?php echo esc_attr( (string) ( Chart::HEIGHT - Chart::PAD_Y ) ); ?>" y2="<?php echo esc_attr( (string) ( Chart::HEIGHT - Chart::PAD_Y ) ); ?>"></line>
			<?php foreach ( $affrank_chart['bars'] as $affrank_bar ) : ?>
				<rect class="affrank-chart__bar" x="<?php echo esc_attr( (string) $affrank_bar['x'] ); ?>" y="<?php echo esc_attr( (string) $affrank_bar['y'] ); ?>" width="<?php echo esc_attr( (string) $affrank_bar['w'] ); ?>" height="<?php echo esc_attr( (string) $affrank_bar['h'] ); ?>"><title>
					<?php
					printf(
						/* translators: 1: date, 2: revenue, 3: clicks. */
						esc_html__( '%1$s: %2$s from %3$s clicks', 'affrank' ),
						esc_html( $affrank_bar['day'] ),
						esc_html( Format::money( $affrank_bar['revenue'], $view['currency'] ) ),
						esc_html( Format::count( $affrank_bar['clicks'] ) )
					);
					?>
				</title></rect>
			<?php endforeach; ?>
			<?php if ( '' !== $affrank_chart['line'] ) : ?>
				<polyline class="affrank-chart__line" points="<?php echo esc_attr( $affrank_chart['line'] ); ?>"></polyline>
			<?php endif; ?>
		</svg>
		<?php // Day labels in HTML, not SVG text: the chart stretches to any width, and text inside it would stretch too. ?>
		<div class="affrank-chart__days" aria-hidden="true">
			<?php foreach ( array_values( $affrank_chart['labels'] ) as $affrank_i => $affrank_label ) : ?>
				<?php
				$affrank_edge = 0 === $affrank_i ? ' is-first' : ( count( $affrank_chart['labels'] ) - 1 === $affrank_i ? ' is-last' : '' );
				$affrank_left = round( 100 * $affrank_label['x'] / Chart::WIDTH, 2 );
				?>
				<span class="affrank-chart__label<?php echo esc_attr( $affrank_edge ); ?>" style="left: <?php echo esc_attr( (string) $affrank_left ); ?>%"><?php echo esc_html( wp_date( 'M j', strtotime( $affrank_label['day'] . ' 12:00' ) ) ); ?></span>
			<?php endforeach; ?>
		</div>
		<p class="affrank-muted affrank-chart__scale">
			<?php
			if ( $affrank_chart['has_data'] ) {
				printf(
					/* translators: 1: highest daily revenue, 2: highest daily clicks. */
					esc_html__( 'Best day: %1$s revenue · %2$s clicks', 'affrank' ),
					esc_html( Format::money( (string) $affrank_chart['max_revenue'], $view['currency'] ) ),
					esc_html( Format::count( $affrank_chart['max_clicks'] ) )
				);
			} else {
				esc_html_e( 'No activity in this period.', 'affrank' );
			}
			?>
		</p>
	<?php endif; ?>
</div>
