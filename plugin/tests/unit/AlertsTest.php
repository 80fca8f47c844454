<?php
/**
 * Alerts: the notice on AffRank's screens, the dashboard widget, the e-mail
 * (captured with pre_wp_mail) at most once a day and only when opted in, the
 * opt-out setting, the "sidecar unreachable for 15 minutes" alert, and the
 * privacy retention field. Time is a clock each test sets.
 *
 * @package AffRank
 */

use AffRank\Admin\Dashboard_Widget;
use AffRank\Admin\Settings_Page;
use AffRank\Alerts\Alert_Mailer;
use AffRank\Alerts\Alert_Notice;
use AffRank\Alerts\Alert_Settings;
use AffRank\Alerts\Health_Report;
use AffRank\Options;
use AffRank\Sidecar\Backoff;
use AffRank\Sidecar\Client;
use AffRank\Tests\Test_Case;

/**
 * The alerts, end to end within WordPress, against the fake sidecar.
 */
final class AlertsTest extends Test_Case {

	/**
	 * The current Unix time as the classes under test see it.
	 *
	 * @var int
	 */
	private int $now = 1800000000;

	/**
	 * The e-mails wp_mail() was asked to send.
	 *
	 * @var array<int, array>
	 */
	private array $mails = array();

	/**
	 * Captures e-mails instead of sending them, and signs in an admin.
	 */
	protected function setUp(): void {
		parent::setUp();
		add_filter( 'pre_wp_mail', array( $this, 'capture_mail' ), 10, 2 );
		wp_set_current_user( self::factory_user( 'administrator' ) );
	}

	/**
	 * Stops capturing e-mails and forgets the screen.
	 */
	protected function tearDown(): void {
		remove_filter( 'pre_wp_mail', array( $this, 'capture_mail' ), 10 );
		$GLOBALS['plugin_page'] = null;
		parent::tearDown();
	}

	/**
	 * The pre_wp_mail filter: keeps the message, reports it sent.
	 *
	 * @param null|bool $short_circuit Null unless another filter decided.
	 * @param array     $atts          The wp_mail() arguments.
	 * @return bool
	 */
	public function capture_mail( $short_circuit, array $atts ): bool {
		$this->mails[] = $atts;
		return true;
	}

	public function test_the_notice_lists_the_alerts_on_affrank_screens_errors_first(): void {
		$this->use_fake_sidecar( 'alerts' );
		$GLOBALS['plugin_page'] = 'affrank-postback-log';
		$html                   = $this->notice();
		$this->assertSame( 2, substr_count( $html, 'class="notice ' ) );
		$this->assertLessThan( strpos( $html, 'network_silent' ), strpos( $html, 'records_set_aside' ), 'the error first' );
		$this->assertStringContainsString( 'notice notice-error affrank-alert" data-affrank-alert="records_set_aside"', $html );
		$this->assertStringContainsString( 'notice notice-warning affrank-alert" data-affrank-alert="network_silent"', $html );
		$this->assertStringContainsString( 'Awin has reported no conversion since 2026-03-01 &lt;script&gt;', $html );
		$this->assertStringNotContainsString( '<script>', $html );
		$this->assertStringNotContainsString( 'inline', $html, 'WordPress moves it below the screen header' );

		$this->assertSame( $html, $this->notice(), 'the same alerts from the cached answer' );
		$this->assertSame( 1, $this->fake_calls( 'alerts' ), 'the sidecar was asked once' );

		$GLOBALS['plugin_page'] = 'some-other-plugin';
		$this->assertSame( '', $this->notice(), 'only on AffRank screens' );
		$GLOBALS['plugin_page'] = 'affrank';
		wp_set_current_user( self::factory_user( 'editor' ) );
		$this->assertSame( '', $this->notice(), 'only for those who manage AffRank' );
	}

	public function test_no_alert_no_notice(): void {
		$this->use_fake_sidecar( 'ok' );
		$GLOBALS['plugin_page'] = 'affrank';
		$this->assertSame( '', $this->notice() );
		$this->assertSame( 1, $this->fake_calls( 'ok' ) );
	}

	public function test_the_dashboard_widget_shows_the_alerts_inline(): void {
		$this->use_fake_sidecar( 'alerts' );
		ob_start();
		Dashboard_Widget::render();
		$html = (string) ob_get_clean();
		$this->assertStringContainsString( 'notice notice-error affrank-alert inline" data-affrank-alert="records_set_aside"', $html );
		$this->assertStringContainsString( 'The database refused 2 clicks or postbacks.', $html );
		$this->assertStringContainsString( 'data-affrank-alert="network_silent"', $html );
	}

	public function test_the_alert_email_goes_to_the_admin_at_most_once_a_day(): void {
		$this->use_fake_sidecar( 'alerts' );
		update_option( 'admin_email', 'owner@blog.test' );
		update_option( 'blogname', 'Trail & Gear' );
		$mailer = $this->mailer();

		$this->assertTrue( $mailer->maybe_send() );
		$this->assertCount( 1, $this->mails );
		$mail = $this->mails[0];
		$this->assertSame( 'owner@blog.test', $mail['to'] );
		$this->assertSame( '[Trail & Gear] AffRank needs your attention', $mail['subject'] );
		$this->assertStringContainsString( "- The database refused 2 clicks or postbacks.\n- Awin has reported no conversion", $mail['message'] );
		$this->assertStringContainsString( 'page=affrank-settings', $mail['message'], 'it says how to stop them' );
		$this->assertSame( $this->now, (int) get_option( Options::ALERT_MAIL_SENT ) );

		$this->now += DAY_IN_SECONDS - 1;
		$this->assertFalse( $mailer->maybe_send(), 'not twice within a day' );
		$this->assertCount( 1, $this->mails );
		$this->now += 1;
		$this->assertTrue( $mailer->maybe_send(), 'a day later, the alerts still there' );
		$this->assertCount( 2, $this->mails );
		$this->assertSame( 2, $this->fake_calls( 'alerts' ), 'each sent e-mail asked the sidecar afresh; the refused one did not get that far' );
	}

	public function test_no_email_without_alerts(): void {
		$this->use_fake_sidecar( 'ok' );
		$this->assertFalse( $this->mailer()->maybe_send() );
		$this->assertSame( array(), $this->mails );
		$this->assertFalse( get_option( Options::ALERT_MAIL_SENT ) );
	}

	public function test_no_email_for_an_admin_who_opted_out(): void {
		$this->use_fake_sidecar( 'alerts' );
		update_option( Options::ALERT_EMAILS, '0' );
		$this->assertFalse( Alert_Settings::emails_enabled() );
		$this->assertFalse( $this->mailer()->maybe_send() );
		$this->assertSame( array(), $this->mails );
		update_option( Options::ALERT_EMAILS, '1' );
		$this->assertTrue( $this->mailer()->maybe_send(), 'opted in again' );
	}

	public function test_the_opt_out_is_a_sanitised_setting_of_its_own_group(): void {
		Alert_Settings::register();
		$registered = get_registered_settings();
		$this->assertSame( Alert_Settings::GROUP, $registered[ Options::ALERT_EMAILS ]['group'] );
		// What options.php consults before it saves anything of the group.
		global $new_allowed_options;
		$this->assertContains( Options::ALERT_EMAILS, $new_allowed_options[ Alert_Settings::GROUP ] ?? array() );
		$this->assertTrue( Alert_Settings::emails_enabled(), 'on until the admin says otherwise' );
		// What options.php stores: an unticked box posts nothing (null).
		foreach ( array( null, '', '0', 'yes', '<script>', array( '1' ) ) as $posted ) {
			update_option( Options::ALERT_EMAILS, $posted );
			$this->assertSame( '0', get_option( Options::ALERT_EMAILS ), var_export( $posted, true ) );
		}
		update_option( Options::ALERT_EMAILS, '1' );
		$this->assertSame( '1', get_option( Options::ALERT_EMAILS ) );
	}

	public function test_the_settings_screen_has_the_alert_form_and_the_retention(): void {
		$this->use_fake_sidecar( 'ok' );
		require_once ABSPATH . 'wp-admin/includes/template.php';
		require_once ABSPATH . 'wp-admin/includes/plugin.php';
		ob_start();
		Settings_Page::render();
		$html = (string) ob_get_clean();
		$this->assertMatchesRegularExpression( '#<form method="post" action="[^"]*/wp-admin/options\.php" class="affrank-alert-settings">#', $html );
		$this->assertStringContainsString( "name='option_page' value='affrank_alerts'", $html );
		$this->assertMatchesRegularExpression( '#name="_wpnonce" value="' . wp_create_nonce( 'affrank_alerts-options' ) . '"#', $html );
		$this->assertMatchesRegularExpression( '#name="affrank_alert_emails" value="1"\s+checked#', $html );
		$this->assertMatchesRegularExpression( '#name="affrank_click_detail_retention_days" min="1" max="3650" step="1" value="45"#', $html, 'the sidecar\'s value' );

		$patch = Settings_Page::sidecar_patch(
			array(
				'tracking_base_url' => '',
				'link_rules'        => '',
				'rel_sponsored'     => true,
				'exclude_bots'      => true,
				'currency'          => 'USD',
				'currency_rates'    => '',
				'retention_days'    => 30,
			)
		);
		$this->assertSame( 30, $patch['click_detail_retention_days'] );

		$form = Settings_Page::read_form( wp_slash( array( 'affrank_click_detail_retention_days' => ' 60 ' ) ) );
		$this->assertSame( '60', $form['site']['retention_days'] );
		$only = Settings_Page::sidecar_patch( $form['site'], array( 'retention_days' ) );
		$this->assertSame( array( 'click_detail_retention_days' => 60 ), $only, 'sent when changed, alone' );
		foreach ( array( '0', '3651', '7.5', '-3', 'ninety' ) as $bad ) {
			$refused = Settings_Page::sidecar_patch( array( 'retention_days' => $bad ), array( 'retention_days' ) );
			$this->assertWPError( $refused, $bad );
		}
		$this->assertSame( array(), Settings_Page::sidecar_patch( array( 'retention_days' => '' ), array( 'retention_days' ) ), 'not on the form: not sent' );
	}

	/**
	 * Fails unless the value is a WP_Error.
	 *
	 * @param mixed  $value   The value.
	 * @param string $message What was tried.
	 */
	private function assertWPError( $value, string $message ): void {
		$this->assertInstanceOf( WP_Error::class, $value, $message );
	}

	public function test_a_sidecar_unreachable_for_15_minutes_is_an_alert_and_an_email(): void {
		update_option( Options::SIDECAR_URL, 'http://127.0.0.1:1' );
		Options::save_api_key( 'test-key' );
		$start  = $this->now;
		$report = $this->report();

		$this->assertSame( array(), $report->alerts(), 'a first failure is no alert yet' );
		$this->assertSame( $start, ( new Backoff() )->state()['since'] );
		$this->now = $start + 14 * MINUTE_IN_SECONDS;
		$this->assertSame( array(), $report->alerts(), '14 minutes' );
		$this->assertSame( 2, ( new Backoff() )->failures(), 'asked again after the pause, failed again' );

		$this->now = $start + 15 * MINUTE_IN_SECONDS;
		$alerts    = $report->alerts();
		$this->assertSame( array( 'sidecar_unreachable' ), array_column( $alerts, 'code' ) );
		$this->assertSame( 'error', $alerts[0]['severity'] );
		$this->assertStringContainsString( 'has not answered for 15 mins', $alerts[0]['message'] );
		$this->assertStringContainsString( 'Could not reach the AffRank sidecar at http://127.0.0.1:1', $alerts[0]['message'] );

		$this->now += MINUTE_IN_SECONDS;
		$this->assertTrue( $this->mailer()->maybe_send() );
		$this->assertStringContainsString( 'has not answered for 16 mins', $this->mails[0]['message'] );

		// Back: the first answer after the pause clears it.
		$this->use_fake_sidecar( 'ok' );
		$this->assertSame( array( 'sidecar_unreachable' ), array_column( $this->report()->alerts( true ), 'code' ), 'not asked during the pause' );
		$this->now += Backoff::MAX_SECONDS;
		$this->assertSame( array(), $this->report()->alerts( true ) );
		$this->assertSame( array(), ( new Backoff() )->state() );
	}

	public function test_a_refusing_sidecar_is_not_unreachable(): void {
		$this->use_fake_sidecar( 'unauth' );
		$this->assertSame( array(), $this->report()->alerts() );
		$this->assertSame( 0, ( new Backoff() )->failures(), 'it answered' );
		$this->assertSame( array(), $this->report()->alerts() );
		$this->assertSame( 1, $this->fake_calls( 'unauth' ), 'and is not asked on every screen' );
	}

	/**
	 * Prints the admin notice and returns it.
	 *
	 * @return string
	 */
	private function notice(): string {
		ob_start();
		Alert_Notice::render();
		return (string) ob_get_clean();
	}

	/**
	 * A report on the configured sidecar with the test's clock.
	 *
	 * @return Health_Report
	 */
	private function report(): Health_Report {
		$clock = fn(): int => $this->now;
		return new Health_Report( Client::for_admin(), new Backoff( $clock ), $clock );
	}

	/**
	 * A mailer with the test's clock.
	 *
	 * @return Alert_Mailer
	 */
	private function mailer(): Alert_Mailer {
		return new Alert_Mailer( $this->report(), fn(): int => $this->now );
	}
}
