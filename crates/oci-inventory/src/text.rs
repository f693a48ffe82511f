//! Foreign text in messages: quoted, escaped and cut.
//!
//! This crate cannot reach `oci_registry::text` (it sits below the client), so it quotes the way `oci-digest` does:
//! Rust's `Debug` form, which escapes control characters, bidirectional controls and line separators, cut at
//! [`QUOTE_LIMIT`] characters.

use std::path::Path;

/// How many characters of a foreign string a message quotes.
pub(crate) const QUOTE_LIMIT: usize = 100;

/// `text` in double quotes, escaped, cut after [`QUOTE_LIMIT`] characters (marked by `...` after the quote).
pub(crate) fn quote(text: &str) -> String {
    match text.char_indices().nth(QUOTE_LIMIT) {
        None => format!("{text:?}"),
        Some((cut, _)) => format!("{:?}...", &text[..cut]),
    }
}

/// `text` escaped and cut like [`quote`], without the quotes: for values printed on their own (a state name).
pub(crate) fn escape_short(text: &str) -> String {
    let quoted = quote(text);
    let (inner, cut) = match quoted.strip_suffix("...") {
        Some(inner) => (inner, "..."),
        None => (quoted.as_str(), ""),
    };
    format!("{}{cut}", &inner[1..inner.len() - 1])
}

/// A message of another library (serde_json's, the YAML scanner's), which may quote input: characters a terminal
/// interprets escaped as in [`quote`], cut after 200 characters.
pub(crate) fn clip(text: &str) -> String {
    let mut out = String::new();
    for (count, c) in text.chars().enumerate() {
        if count == 2 * QUOTE_LIMIT {
            out.push_str("...");
            break;
        }
        if c == '"' || c == '\\' || c == '\'' {
            out.push(c);
        } else {
            out.extend(c.escape_debug());
        }
    }
    out
}

/// A path for a message: its lossy text, escaped and cut like [`quote`] but without the quotes when it needs no
/// escaping (`compose.yaml:3: ...` reads better than `"compose.yaml":3: ...`).
pub(crate) fn path(path: &Path) -> String {
    let text = path.to_string_lossy();
    let plain = text.chars().count() <= QUOTE_LIMIT
        && text
            .chars()
            .all(|c| !c.is_control() && c != '"' && c != '\\' && format!("{c:?}").chars().count() == 3);
    if plain { text.into_owned() } else { quote(&text) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotes_escape_and_cut() {
        assert_eq!(quote("nginx"), "\"nginx\"");
        assert_eq!(quote("a\u{202e}b\n"), "\"a\\u{202e}b\\n\"");
        let long = "x".repeat(500);
        assert_eq!(quote(&long), format!("\"{}\"...", "x".repeat(QUOTE_LIMIT)));
        assert_eq!(path(Path::new("dir/compose.yaml")), "dir/compose.yaml");
        assert_eq!(path(Path::new("a\nb")), "\"a\\nb\"");
    }
}
