<?php
/**
 * AffRank → Revenue Mapping.
 *
 * @package AffRank
 */

use AffRank\Admin\Menu;
use AffRank\Format;
use AffRank\Template;

defined( 'ABSPATH' ) || exit;

$affrank_range    = $view['range'];
$affrank_summary  = $view['summary'];
$affrank_currency = $view['currency'];
$affrank_presets  = array(
	'7'  => __( '7 days', 'affrank' ),
	'30' => __( '30 days', 'affrank' ),
	'90' => __( '90 days', 'affrank' ),
);
?>
<div class="wrap affrank">
	<?php
	Template::render(
		'partials/header',
		array(
			'title'   => __( 'Revenue Mapping', 'affrank' ),
			'current' => Menu::REVENUE,
		)
	);
	?>

	<?php if ( 'not_configured' === $view['state'] ) : ?>
		<?php Template::render( 'partials/get-started', array() ); ?>
	<?php else : ?>

	<form method="get" class="affrank-range" action="<?php echo esc_url( admin_url( 'admin.php' ) ); ?>">
		<input type="hidden" name="page" value="<?php echo esc_attr( Menu::REVENUE ); ?>">
		<div class="affrank-segmented" role="group" aria-label="<?php esc_attr_e( 'Date range', 'affrank' ); ?>">
			<?php foreach ( $affrank_presets as $affrank_value => $affrank_label ) : ?>
				<a class="affrank-segment<?php echo (string) $affrank_value === $affrank_range->preset ? ' is-current' : ''; ?>" href="<?php echo esc_url( Menu::url( Menu::REVENUE, array( 'range' => $affrank_value ) + ( '' !== $affrank_range->network ? array( 'network' => $affrank_range->network ) : array() ) ) ); ?>"><?php echo esc_html( $affrank_label ); ?></a>
			<?php endforeach; ?>
		</div>
		<span class="affrank-custom-range">
			<input type="hidden" name="range" value="custom">
			<label><span class="screen-reader-text"><?php esc_html_e( 'From', 'affrank' ); ?></span><input type="date" name="from" value="<?php echo esc_attr( $affrank_range->from ); ?>"></label>
			<span aria-hidden="true">–</span>
			<label><span class="screen-reader-text"><?php esc_html_e( 'To', 'affrank' ); ?></span><input type="date" name="to" value="<?php echo esc_attr( $affrank_range->to ); ?>"></label>
			<?php if ( '' !== $affrank_range->network ) : ?>
				<input type="hidden" name="network" value="<?php echo esc_attr( $affrank_range->network ); ?>">
			<?php endif; ?>
			<button type="submit" class="button"><?php esc_html_e( 'Apply', 'affrank' ); ?></button>
		</span>
	</form>
		<?php if ( is_array( $view['networks'] ) && ( $view['networks'] || '' !== $affrank_range->network ) ) : ?>
		<form method="get" class="affrank-range affrank-network-filter" action="<?php echo esc_url( admin_url( 'admin.php' ) ); ?>">
			<input type="hidden" name="page" value="<?php echo esc_attr( Menu::REVENUE ); ?>">
			<?php foreach ( array_diff_key( $affrank_range->screen_query(), array( 'network' => true ) ) as $affrank_key => $affrank_value ) : ?>
				<input type="hidden" name="<?php echo esc_attr( $affrank_key ); ?>" value="<?php echo esc_attr( $affrank_value ); ?>">
			<?php endforeach; ?>
			<label for="affrank-network"><?php esc_html_e( 'Network', 'affrank' ); ?></label>
			<select name="network" id="affrank-network">
				<option value=""><?php esc_html_e( 'All networks', 'affrank' ); ?></option>
				<?php
				$affrank_choices = array_map( static fn ( array $row ): string => (string) ( $row['network'] ?? '' ), $view['networks'] );
				if ( '' !== $affrank_range->network && ! in_array( $affrank_range->network, $affrank_choices, true ) ) {
					$affrank_choices[] = $affrank_range->network;
				}
				foreach ( array_filter( $affrank_choices, 'strlen' ) as $affrank_choice ) :
					?>
					<option value="<?php echo esc_attr( $affrank_choice ); ?>"<?php selected( $affrank_range->network, $affrank_choice ); ?>><?php echo esc_html( $affrank_choice ); ?></option>
				<?php endforeach; ?>
			</select>
			<button type="submit" class="button"><?php esc_html_e( 'Filter', 'affrank' ); ?></button>
			<?php if ( '' !== $affrank_range->network ) : ?>
				<span class="affrank-muted">
					<?php
					/* translators: %s: a network id such as "cj". */
					echo esc_html( sprintf( __( 'Every figure below is for %s only.', 'affrank' ), $affrank_range->network ) );
					?>
				</span>
			<?php endif; ?>
		</form>
	<?php endif; ?>

		<?php if ( 'reports_unavailable' === $view['state'] ) : ?>
			<div class="affrank-empty">
				<span class="dashicons dashicons-chart-area" aria-hidden="true"></span>
				<h2><?php esc_html_e( 'Your links are being tracked', 'affrank' ); ?></h2>
				<p><?php esc_html_e( 'The connected sidecar tags your affiliate links and records every click, but it does not serve revenue reports yet. Update the AffRank sidecar and your revenue by keyword, page and link appears here — nothing recorded until then is lost.', 'affrank' ); ?></p>
				<p><a class="button" href="<?php echo esc_url( Menu::url( Menu::POSTBACKS ) ); ?>"><?php esc_html_e( 'Meanwhile: set up postbacks', 'affrank' ); ?></a></p>
			</div>
		<?php elseif ( 'error' === $view['state'] ) : ?>
			<div class="affrank-empty affrank-empty--error">
				<span class="dashicons dashicons-warning" aria-hidden="true"></span>
				<h2><?php esc_html_e( 'The reports could not be loaded', 'affrank' ); ?></h2>
				<p><?php echo esc_html( $view['error']->get_error_message() ); ?></p>
				<p><a class="button" href="<?php echo esc_url( Menu::url( Menu::SETTINGS ) ); ?>"><?php esc_html_e( 'Check the connection', 'affrank' ); ?></a></p>
			</div>
		<?php else : ?>

			<?php if ( 'empty' === $view['state'] ) : ?>
				<div class="affrank-callout">
					<strong><?php esc_html_e( 'No clicks in this period yet.', 'affrank' ); ?></strong>
					<?php esc_html_e( 'Publish or update a post with an affiliate link, open it and click the link: the click shows up here within seconds. Revenue follows once your network sends its first postback.', 'affrank' ); ?>
					<a href="<?php echo esc_url( Menu::url( Menu::POSTBACKS ) ); ?>"><?php esc_html_e( 'Set up postbacks', 'affrank' ); ?></a>
				</div>
			<?php endif; ?>

			<div class="affrank-tiles">
				<?php
				$affrank_tiles = array(
					array( __( 'Revenue', 'affrank' ), Format::money( $affrank_summary['revenue'] ?? '0', $affrank_currency ), 'revenue' ),
					array( __( 'Clicks', 'affrank' ), Format::count( $affrank_summary['clicks'] ?? 0 ), 'clicks' ),
					array( __( 'Conversions', 'affrank' ), Format::count( $affrank_summary['conversions'] ?? 0 ), 'conversions' ),
					array( __( 'EPC', 'affrank' ), Format::money( $affrank_summary['epc'] ?? null, $affrank_currency ), 'epc' ),
					array( __( 'Conversion rate', 'affrank' ), Format::percent( $affrank_summary['conversion_rate'] ?? null ), 'conversion_rate' ),
				);
				foreach ( $affrank_tiles as $affrank_tile ) :
					?>
					<div class="affrank-tile affrank-tile--<?php echo esc_attr( $affrank_tile[2] ); ?>">
						<span class="affrank-tile__label"><?php echo esc_html( $affrank_tile[0] ); ?></span>
						<span class="affrank-tile__value"><?php echo esc_html( $affrank_tile[1] ); ?></span>
					</div>
				<?php endforeach; ?>
			</div>
			<p class="affrank-muted affrank-tiles-note">
				<?php
				printf(
					/* translators: 1: pending revenue, 2: revenue that could not be matched to a click, 3: number of bot clicks left out. */
					esc_html__( 'Pending: %1$s · Unattributed: %2$s · Bot clicks left out: %3$s', 'affrank' ),
					esc_html( Format::money( $affrank_summary['pending_revenue'] ?? '0', $affrank_currency ) ),
					esc_html( Format::money( $affrank_summary['unattributed_revenue'] ?? '0', $affrank_currency ) ),
					esc_html( Format::count( $affrank_summary['bot_clicks'] ?? 0 ) )
				);
				?>
			</p>
			<?php if ( isset( $affrank_summary['coverage'] ) && is_array( $affrank_summary['coverage'] ) ) : ?>
				<?php
				Template::render(
					'partials/coverage',
					array(
						'coverage' => $affrank_summary['coverage'],
						'currency' => $affrank_currency,
					)
				);
				?>
			<?php endif; ?>
			<?php if ( (int) ( $affrank_summary['untracked_clicks'] ?? 0 ) > 0 ) : ?>
				<p class="affrank-muted affrank-untracked-note">
					<?php
					echo esc_html(
						sprintf(
							/* translators: %s: number of clicks. */
							_n(
								'%s click reached its offer while the sidecar was down: WordPress redirected it from its copy of your links. No session id could go to the network, so it is not in Clicks, EPC or Conversion rate.',
								'%s clicks reached their offer while the sidecar was down: WordPress redirected them from its copy of your links. No session id could go to the network, so they are not in Clicks, EPC or Conversion rate.',
								(int) $affrank_summary['untracked_clicks'],
								'affrank'
							),
							Format::count( $affrank_summary['untracked_clicks'] )
						)
					);
					?>
				</p>
			<?php endif; ?>
			<?php if ( (int) ( $affrank_summary['unconverted_conversions'] ?? 0 ) > 0 ) : ?>
				<div class="affrank-callout affrank-callout--warn">
					<?php
					echo esc_html(
						sprintf(
							/* translators: %s: number of conversions. */
							_n(
								'%s conversion is in a currency without a conversion rate, so its amount is not in the revenue figures.',
								'%s conversions are in currencies without a conversion rate, so their amounts are not in the revenue figures.',
								(int) $affrank_summary['unconverted_conversions'],
								'affrank'
							),
							Format::count( $affrank_summary['unconverted_conversions'] )
						)
					);
					?>
					<a href="<?php echo esc_url( Menu::url( Menu::SETTINGS ) ); ?>"><?php esc_html_e( 'Add the rate in Settings', 'affrank' ); ?></a>
				</div>
			<?php endif; ?>

			<?php
			Template::render(
				'partials/chart',
				array(
					'chart'    => $view['chart'],
					'currency' => $affrank_currency,
				)
			);

			if ( is_array( $view['networks'] ) ) {
				Template::render(
					'partials/network-table',
					array(
						'rows'     => $view['networks'],
						'range'    => $affrank_range,
						'currency' => $affrank_currency,
					)
				);
			}

			$affrank_titles = array(
				'keywords' => __( 'Keywords', 'affrank' ),
				'pages'    => __( 'Pages', 'affrank' ),
				'links'    => __( 'Links', 'affrank' ),
			);
			foreach ( $view['tables'] as $affrank_table => $affrank_data ) {
				Template::render(
					'partials/report-table',
					array(
						'table'    => $affrank_table,
						'title'    => $affrank_titles[ $affrank_table ],
						'data'     => $affrank_data,
						'range'    => $affrank_range,
						'currency' => $affrank_currency,
					)
				);
			}
			?>
		<?php endif; ?>
	<?php endif; ?>
</div>
