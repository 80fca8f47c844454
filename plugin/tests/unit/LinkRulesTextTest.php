<?php
/**
 * The Settings screen's text boxes ↔ the sidecar's link rules and rates.
 */

use AffRank\Admin\Link_Rules_Text;
use AffRank\Tests\Test_Case;

final class LinkRulesTextTest extends Test_Case {

	public function test_rules_parse_hosts_regexes_networks_and_comments(): void {
		$text = "# my networks\ngo.partner.example\r\n\n*.trk.example.net = everflow\nregex:^https://shop\\.example/a b/ = CAKE\nx.example = none";
		$this->assertSame(
			array(
				array( 'kind' => 'host', 'pattern' => 'go.partner.example', 'network' => null ),
				array( 'kind' => 'host', 'pattern' => '*.trk.example.net', 'network' => 'everflow' ),
				array( 'kind' => 'regex', 'pattern' => '^https://shop\\.example/a b/', 'network' => 'cake' ),
				array( 'kind' => 'host', 'pattern' => 'x.example', 'network' => null ),
			),
			Link_Rules_Text::parse_rules( $text )
		);
	}

	public function test_rules_round_trip(): void {
		$rules = array(
			array( 'kind' => 'host', 'pattern' => 'go.partner.example', 'network' => null ),
			array( 'kind' => 'regex', 'pattern' => '^https://x\\.test/', 'network' => 'tune' ),
		);
		$this->assertSame( $rules, Link_Rules_Text::parse_rules( Link_Rules_Text::format_rules( $rules ) ) );
	}

	public function test_rates_are_exact_strings_and_errors_name_the_line(): void {
		$this->assertSame( array( 'EUR' => '1.08', 'GBP' => '1.27' ), Link_Rules_Text::parse_rates( "eur = 1.08\n\nGBP: 1.27" ) );
		$error = Link_Rules_Text::parse_rates( "EUR = 1.08\nGBP = one" );
		$this->assertInstanceOf( WP_Error::class, $error );
		$this->assertStringContainsString( 'line 2', $error->get_error_message() );
		$this->assertSame( "EUR = 1.08\nGBP = 1.27", Link_Rules_Text::format_rates( array( 'EUR' => '1.08', 'GBP' => '1.27' ) ) );
	}

	public function test_a_sidecar_field_is_described_as_a_line_of_the_box(): void {
		$text = "# comment\na.example\n\nbad pattern";
		$this->assertSame( 'Affiliate links, line 4', Link_Rules_Text::describe_field( 'link_rules[1].pattern', $text ) );
		$this->assertSame( 'currency', Link_Rules_Text::describe_field( 'currency', $text ) );
	}

	public function test_formatting_keeps_every_pattern_as_it_is(): void {
		$rules = array(
			array( 'kind' => 'host', 'pattern' => 'example.com/go%2Fdeal', 'network' => null ),
			array( 'kind' => 'regex', 'pattern' => '^https://x\.example/(?P<id>\d+)\?u=https%3A', 'network' => 'cake' ),
			array( 'kind' => 'regex', 'pattern' => 'a<b', 'network' => null ),
			array( 'kind' => 'regex', 'pattern' => '^https://eq\.example/\?k = v', 'network' => null ),
			array( 'kind' => 'regex', 'pattern' => '^https://eq\.example/\?k = v', 'network' => 'tune' ),
		);
		$text = Link_Rules_Text::format_rules( $rules );
		$this->assertStringContainsString( "regex:^https://eq\\.example/\\?k = v = none\n", $text, 'a pattern with " = " of its own says it has no network' );
		$this->assertSame( $rules, Link_Rules_Text::parse_rules( $text ) );
	}
}
