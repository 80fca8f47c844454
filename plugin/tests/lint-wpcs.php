<?php
/**
 * The WordPress Coding Standards checks that Debian's PHP_CodeSniffer cannot
 * run, for the plugin's PHP files.
 *
 * WPCS and PHPCSExtra come from Packagist, which this project's machines do
 * not reach; Debian's php-codesniffer has only PHPCS's own sniffs, which
 * plugin/tests/run-lint.sh runs with rulesets taken from WordPress-Docs and
 * WordPress-Core/Extra. This script covers, from PHP's own tokens, the
 * sniffs of WPCS and PHPCSExtra whose findings the plugin has had:
 *
 *   Universal.Operators.DisallowShortTernary            `$a ?: $b`
 *   Universal.Arrays.DisallowShortArraySyntax           `[ 1, 2 ]` (a short list is fine)
 *   Universal.NamingConventions.NoReservedKeywordParameterNames   `$list`
 *   WordPress.PHP.YodaConditions                        `$a === 'x'`
 *   WordPress.PHP.StrictInArray                         in_array() without true
 *   WordPress.Arrays.MultipleStatementAlignment         `=>` out of line
 *   WordPress.Arrays.ArrayDeclarationSpacing            `array( 'a' => 1, 'b' => 2 )` on one line
 *
 * The last two are simplified: array arrows are checked for arrays whose
 * items each start a line, against the column the longest key needs (keys
 * that would push it past column 60 take one space, as WPCS's maxColumn).
 *
 * Usage: php lint-wpcs.php DIR...   Prints "file:line: Sniff message" per
 * finding and exits 1 when there is any.
 *
 * @package AffRank
 */

const AFFRANK_LINT_MAX_COLUMN = 60;

/** Parameter names PHPCSExtra calls reserved (its list, PHP's keywords and types). */
const AFFRANK_LINT_RESERVED = array( 'abstract', 'and', 'array', 'as', 'break', 'callable', 'case', 'catch', 'class', 'clone', 'const', 'continue', 'declare', 'default', 'die', 'do', 'echo', 'else', 'elseif', 'empty', 'enddeclare', 'endfor', 'endforeach', 'endif', 'endswitch', 'endwhile', 'enum', 'eval', 'exit', 'extends', 'final', 'finally', 'fn', 'for', 'foreach', 'function', 'global', 'goto', 'if', 'implements', 'include', 'include_once', 'instanceof', 'insteadof', 'interface', 'isset', 'list', 'match', 'namespace', 'new', 'or', 'print', 'private', 'protected', 'public', 'readonly', 'require', 'require_once', 'return', 'static', 'switch', 'throw', 'trait', 'try', 'unset', 'use', 'var', 'while', 'xor', 'yield', '__CLASS__', '__DIR__', '__FILE__', '__FUNCTION__', '__LINE__', '__METHOD__', '__NAMESPACE__', '__TRAIT__', 'int', 'float', 'bool', 'string', 'true', 'false', 'null', 'void', 'iterable', 'object', 'resource', 'mixed', 'numeric', 'never', 'parent', 'self' );

/**
 * The file's tokens as [id, text, line, column], whitespace and comments kept.
 *
 * @param string $code PHP source.
 * @return array<int, array{0:int|string,1:string,2:int,3:int}>
 */
function affrank_lint_tokens( string $code ): array {
	$tokens = array();
	$line   = 1;
	$column = 1;
	foreach ( token_get_all( $code ) as $token ) {
		$id       = is_array( $token ) ? $token[0] : $token;
		$text     = is_array( $token ) ? $token[1] : $token;
		$tokens[] = array( $id, $text, $line, $column );
		$breaks   = substr_count( $text, "\n" );
		if ( $breaks > 0 ) {
			$line  += $breaks;
			$column = 1 + strlen( str_replace( "\t", '    ', substr( $text, strrpos( $text, "\n" ) + 1 ) ) );
		} else {
			$column += strlen( str_replace( "\t", '    ', $text ) );
		}
	}
	return $tokens;
}

/**
 * Whether a token is whitespace or a comment.
 *
 * @param array $token A token from affrank_lint_tokens().
 * @return bool
 */
function affrank_lint_is_blank( array $token ): bool {
	return in_array( $token[0], array( T_WHITESPACE, T_COMMENT, T_DOC_COMMENT ), true );
}

/**
 * The index of the next (or previous) token that is not blank.
 *
 * @param array $tokens All tokens.
 * @param int   $i      Where to start (exclusive).
 * @param int   $step   1 forward, -1 backward.
 * @return int|null
 */
function affrank_lint_next( array $tokens, int $i, int $step = 1 ): ?int {
	for ( $j = $i + $step; isset( $tokens[ $j ] ); $j += $step ) {
		if ( ! affrank_lint_is_blank( $tokens[ $j ] ) ) {
			return $j;
		}
	}
	return null;
}

/**
 * The index of the bracket that closes the one at $open.
 *
 * @param array $tokens All tokens.
 * @param int   $open   An "(" or "[" token.
 * @return int|null
 */
function affrank_lint_closer( array $tokens, int $open ): ?int {
	$depth = 0;
	$count = count( $tokens );
	for ( $j = $open; $j < $count; $j++ ) {
		$id = $tokens[ $j ][0];
		if ( in_array( $id, array( '(', '[', '{', T_CURLY_OPEN, T_DOLLAR_OPEN_CURLY_BRACES ), true ) ) {
			++$depth;
		} elseif ( in_array( $id, array( ')', ']', '}' ), true ) ) {
			--$depth;
			if ( 0 === $depth ) {
				return $j;
			}
		}
	}
	return null;
}

/**
 * The top-level items between an opening bracket and its closer, as
 * [first token, last token] index pairs (blank tokens excluded).
 *
 * @param array $tokens All tokens.
 * @param int   $open   The opening bracket.
 * @param int   $close  Its closer.
 * @return array<int, array{0:int,1:int}>
 */
function affrank_lint_items( array $tokens, int $open, int $close ): array {
	$items = array();
	$start = null;
	$last  = null;
	for ( $j = $open + 1; $j < $close; $j++ ) {
		$id = $tokens[ $j ][0];
		if ( ',' === $id ) {
			if ( null !== $start ) {
				$items[] = array( $start, $last );
			}
			$start = null;
			continue;
		}
		if ( affrank_lint_is_blank( $tokens[ $j ] ) ) {
			continue;
		}
		$start = $start ?? $j;
		if ( in_array( $id, array( '(', '[', '{' ), true ) ) {
			$j = affrank_lint_closer( $tokens, $j ) ?? $j;
		}
		$last = $j;
	}
	if ( null !== $start ) {
		$items[] = array( $start, $last );
	}
	return $items;
}

/**
 * Whether a token is in the "as …" part of a foreach, where "[ … ]" is a list.
 *
 * @param array $tokens All tokens.
 * @param int   $i      The token.
 * @return bool
 */
function affrank_lint_after_as( array $tokens, int $i ): bool {
	$depth = 0;
	for ( $j = $i - 1; $j >= 0; $j-- ) {
		$id = $tokens[ $j ][0];
		if ( in_array( $id, array( ')', ']' ), true ) ) {
			++$depth;
		} elseif ( in_array( $id, array( '(', '[' ), true ) ) {
			if ( 0 === $depth ) {
				return false;
			}
			--$depth;
		} elseif ( T_AS === $id && 0 === $depth ) {
			return true;
		} elseif ( ';' === $id || '{' === $id ) {
			return false;
		}
	}
	return false;
}

/**
 * Every finding in one file.
 *
 * @param string $code PHP source.
 * @return array<int, array{0:int,1:string,2:string}> Line, sniff, message.
 */
function affrank_lint_file( string $code ): array {
	$tokens   = affrank_lint_tokens( $code );
	$findings = array();
	$count    = count( $tokens );
	for ( $i = 0; $i < $count; $i++ ) {
		$id = $tokens[ $i ][0];

		// Short ternary: "?" directly followed by ":".
		if ( '?' === $id ) {
			$next = affrank_lint_next( $tokens, $i );
			if ( null !== $next && ':' === $tokens[ $next ][0] ) {
				$findings[] = array( $tokens[ $i ][2], 'Universal.Operators.DisallowShortTernary.Found', 'Using short ternaries is not allowed' );
			}
		}

		// Short arrays: a "[" that is neither an index nor a list being assigned to.
		if ( '[' === $id ) {
			$prev  = affrank_lint_next( $tokens, $i, -1 );
			$close = affrank_lint_closer( $tokens, $i );
			$after = null === $close ? null : affrank_lint_next( $tokens, $close );
			$index = null !== $prev && in_array( $tokens[ $prev ][0], array( T_VARIABLE, T_STRING, ']', ')', '}', T_CONSTANT_ENCAPSED_STRING ), true );
			$list  = null !== $after && in_array( $tokens[ $after ][0], array( '=', T_AS ), true );
			$list  = $list || affrank_lint_after_as( $tokens, $i );
			if ( ! $index && ! $list ) {
				$findings[] = array( $tokens[ $i ][2], 'Universal.Arrays.DisallowShortArraySyntax.Found', 'Short array syntax is not allowed' );
			}
		}

		// Reserved keywords as parameter names.
		if ( T_FUNCTION === $id || T_FN === $id ) {
			$open = affrank_lint_next( $tokens, $i );
			while ( null !== $open && '(' !== $tokens[ $open ][0] ) {
				$open = affrank_lint_next( $tokens, $open );
			}
			$close = null === $open ? null : affrank_lint_closer( $tokens, $open );
			for ( $j = (int) $open; null !== $close && $j < $close; $j++ ) {
				if ( T_VARIABLE === $tokens[ $j ][0] && in_array( substr( $tokens[ $j ][1], 1 ), AFFRANK_LINT_RESERVED, true ) ) {
					$findings[] = array( $tokens[ $j ][2], 'Universal.NamingConventions.NoReservedKeywordParameterNames', 'Reserved keyword as a parameter name: ' . $tokens[ $j ][1] );
				}
			}
		}

		// Yoda conditions: a variable compared with a literal on its right.
		if ( in_array( $id, array( T_IS_EQUAL, T_IS_NOT_EQUAL, T_IS_IDENTICAL, T_IS_NOT_IDENTICAL ), true ) ) {
			$left  = affrank_lint_next( $tokens, $i, -1 );
			$right = affrank_lint_next( $tokens, $i );
			$after = null === $right ? null : affrank_lint_next( $tokens, $right );
			$is_literal = null !== $right && ( in_array( $tokens[ $right ][0], array( T_CONSTANT_ENCAPSED_STRING, T_LNUMBER, T_DNUMBER ), true )
				|| ( T_STRING === $tokens[ $right ][0] && in_array( strtolower( $tokens[ $right ][1] ), array( 'true', 'false', 'null' ), true ) ) );
			$ends       = null === $after || in_array( $tokens[ $after ][0], array( ')', ';', ',', '?', ']', T_BOOLEAN_AND, T_BOOLEAN_OR, T_CLOSE_TAG ), true );
			if ( null !== $left && T_VARIABLE === $tokens[ $left ][0] && $is_literal && $ends ) {
				$findings[] = array( $tokens[ $i ][2], 'WordPress.PHP.YodaConditions.NotYoda', 'Use Yoda Condition checks, you must.' );
			}
		}

		// in_array() and array_search() compare strictly.
		if ( T_STRING === $id && in_array( strtolower( $tokens[ $i ][1] ), array( 'in_array', 'array_search' ), true ) ) {
			$prev = affrank_lint_next( $tokens, $i, -1 );
			$open = affrank_lint_next( $tokens, $i );
			if ( null !== $open && '(' === $tokens[ $open ][0] && ( null === $prev || ! in_array( $tokens[ $prev ][0], array( T_FUNCTION, T_OBJECT_OPERATOR, T_DOUBLE_COLON ), true ) ) ) {
				$items = affrank_lint_items( $tokens, $open, (int) affrank_lint_closer( $tokens, $open ) );
				if ( count( $items ) < 3 || 'true' !== strtolower( $tokens[ $items[2][0] ][1] ) ) {
					$findings[] = array( $tokens[ $i ][2], 'WordPress.PHP.StrictInArray.MissingTrueStrict', 'Not using strict comparison for ' . $tokens[ $i ][1] . '(); supply true for the third argument.' );
				}
			}
		}

		// Array arrows in multi-line arrays line up.
		if ( T_ARRAY === $id ) {
			$open  = affrank_lint_next( $tokens, $i );
			$close = null === $open ? null : affrank_lint_closer( $tokens, $open );
			if ( null !== $close && $tokens[ $open ][2] !== $tokens[ $close ][2] ) {
				$findings = array_merge( $findings, affrank_lint_arrows( $tokens, $open, $close ) );
			} elseif ( null !== $close ) {
				$keyed = 0;
				foreach ( affrank_lint_items( $tokens, $open, $close ) as list( $first, $last ) ) {
					for ( $j = $first; $j <= $last; $j++ ) {
						if ( in_array( $tokens[ $j ][0], array( '(', '[', '{' ), true ) ) {
							$j = affrank_lint_closer( $tokens, $j ) ?? $j;
						} elseif ( T_DOUBLE_ARROW === $tokens[ $j ][0] ) {
							++$keyed;
							break;
						}
					}
				}
				if ( $keyed > 1 ) {
					$findings[] = array( $tokens[ $i ][2], 'WordPress.Arrays.ArrayDeclarationSpacing.AssociativeArrayFound', 'When an array uses associative keys, each value should start on a new line.' );
				}
			}
		}
	}
	return $findings;
}

/**
 * Misaligned "=>" in one multi-line array whose items each start a line.
 *
 * @param array $tokens All tokens.
 * @param int   $open   The array's "(".
 * @param int   $close  Its ")".
 * @return array<int, array{0:int,1:string,2:string}>
 */
function affrank_lint_arrows( array $tokens, int $open, int $close ): array {
	$arrows = array();
	$line   = $tokens[ $open ][2];
	foreach ( affrank_lint_items( $tokens, $open, $close ) as list( $first, $last ) ) {
		if ( $tokens[ $first ][2] === $line ) {
			return array();
		}
		$line = $tokens[ $last ][2];
		for ( $j = $first; $j <= $last; $j++ ) {
			if ( in_array( $tokens[ $j ][0], array( '(', '[', '{' ), true ) ) {
				$j = affrank_lint_closer( $tokens, $j ) ?? $j;
			} elseif ( T_DOUBLE_ARROW === $tokens[ $j ][0] ) {
				$key_end  = affrank_lint_next( $tokens, $j, -1 );
				$arrows[] = array( $j, $tokens[ $key_end ][3] + strlen( $tokens[ $key_end ][1] ) );
				break;
			}
		}
	}
	if ( count( $arrows ) < 2 ) {
		return array();
	}
	$wanted = 0;
	foreach ( $arrows as list( , $key_end_column ) ) {
		if ( $key_end_column + 1 <= AFFRANK_LINT_MAX_COLUMN ) {
			$wanted = max( $wanted, $key_end_column + 1 );
		}
	}
	$findings = array();
	foreach ( $arrows as list( $arrow, $key_end_column ) ) {
		$expected = $key_end_column + 1 > AFFRANK_LINT_MAX_COLUMN || 0 === $wanted ? $key_end_column + 1 : $wanted;
		if ( $tokens[ $arrow ][3] !== $expected ) {
			$findings[] = array( $tokens[ $arrow ][2], 'WordPress.Arrays.MultipleStatementAlignment', sprintf( 'Array double arrow not aligned: expected column %d, found %d.', $expected, $tokens[ $arrow ][3] ) );
		}
	}
	return $findings;
}

$affrank_lint_total = 0;
foreach ( array_slice( $argv, 1 ) as $affrank_lint_dir ) {
	$affrank_lint_files = new RecursiveIteratorIterator( new RecursiveDirectoryIterator( $affrank_lint_dir, FilesystemIterator::SKIP_DOTS ) );
	$affrank_lint_paths = array();
	foreach ( $affrank_lint_files as $affrank_lint_file ) {
		if ( 'php' === $affrank_lint_file->getExtension() ) {
			$affrank_lint_paths[] = $affrank_lint_file->getPathname();
		}
	}
	sort( $affrank_lint_paths );
	foreach ( $affrank_lint_paths as $affrank_lint_path ) {
		foreach ( affrank_lint_file( (string) file_get_contents( $affrank_lint_path ) ) as list( $affrank_lint_line, $affrank_lint_sniff, $affrank_lint_message ) ) {
			echo $affrank_lint_path, ':', $affrank_lint_line, ': ', $affrank_lint_sniff, ' ', $affrank_lint_message, "\n"; // phpcs:ignore WordPress.Security.EscapeOutput -- a command-line report.
			++$affrank_lint_total;
		}
	}
}
echo 'lint-wpcs: ', $affrank_lint_total, ' finding', 1 === $affrank_lint_total ? '' : 's', "\n"; // phpcs:ignore WordPress.Security.EscapeOutput -- a command-line report.
exit( $affrank_lint_total > 0 ? 1 : 0 );
