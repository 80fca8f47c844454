//! The one rule for free text the sidecar stores (keywords, page URLs, a
//! site's name, link patterns): no control characters, and a bounded
//! length. PostgreSQL's text and jsonb cannot hold NUL at all, and none of
//! these fields has a use for the other control characters, which only
//! ever arrive by mistake or by malice (and break a CSV export or a log
//! line). Every endpoint refuses them the same way, naming the field.
//!
//! What is kept only to be shown, the postback log's copy of a request,
//! is never refused (it records what was sent): `storable` makes it fit.

use std::borrow::Cow;

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum TextError {
    #[error("contains a control character ({0:?} at character {1})")]
    Control(char, usize),
    #[error("is longer than {0} characters")]
    TooLong(usize),
}

/// `value` is at most `max_chars` characters, none of them a control
/// character (Unicode's Cc: U+0000 to U+001F, U+007F to U+009F).
pub fn check(value: &str, max_chars: usize) -> Result<(), TextError> {
    if let Some((at, c)) = value.chars().enumerate().find(|(_, c)| c.is_control()) {
        return Err(TextError::Control(c, at + 1));
    }
    if value.chars().count() > max_chars {
        return Err(TextError::TooLong(max_chars));
    }
    Ok(())
}

/// `value` as PostgreSQL can store it, at most `max_chars` characters: each
/// NUL becomes U+FFFD, the replacement character, so the log still shows
/// that something was there.
pub fn storable(value: &str, max_chars: usize) -> Cow<'_, str> {
    let long = value.chars().nth(max_chars).is_some();
    if !long && !value.contains('\0') {
        return Cow::Borrowed(value);
    }
    Cow::Owned(
        value
            .chars()
            .take(max_chars)
            .map(|c| if c == '\0' { '\u{fffd}' } else { c })
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn control_characters_are_named_where_they_are() {
        assert_eq!(check("best shoes", 200), Ok(()));
        assert_eq!(check("ünïcödé 😀 \u{202e}", 200), Ok(()));
        assert_eq!(check("ab\0", 200), Err(TextError::Control('\0', 3)));
        for c in ['\u{1}', '\t', '\n', '\r', '\u{7f}', '\u{85}', '\u{9f}'] {
            assert!(
                matches!(check(&format!("a{c}"), 200), Err(TextError::Control(_, 2))),
                "{c:?}"
            );
        }
        assert_eq!(check(&"é".repeat(201), 200), Err(TextError::TooLong(200)));
        assert_eq!(check(&"é".repeat(200), 200), Ok(()));
        assert_eq!(
            TextError::Control('\0', 3).to_string(),
            "contains a control character ('\\0' at character 3)"
        );
    }

    proptest! {
        #[test]
        fn storable_text_has_no_nul_and_keeps_the_rest(value in any::<String>(), max in 0usize..50) {
            let kept = storable(&value, max);
            prop_assert!(!kept.contains('\0'));
            prop_assert_eq!(kept.chars().count(), value.chars().count().min(max));
            for (k, v) in kept.chars().zip(value.chars()) {
                prop_assert!(k == v || (v == '\0' && k == char::REPLACEMENT_CHARACTER), "{:?} for {:?}", k, v);
            }
        }
    }
}
