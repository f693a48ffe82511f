//! Foreign text in messages: quoted, escaped and cut.
//!
//! This crate cannot reach `oci_registry::text` (it sits below the client), so it quotes the way `oci-digest` does:
//! Rust's `Debug` form, which escapes control characters, bidirectional controls and line separators, cut at
//! [`QUOTE_LIMIT`] characters.

use std::path::Path;

/// How many characters of a foreign string a message quotes.
pub(crate) const QUOTE_LIMIT: usize = 100;

/// `text` in double quotes, escaped, cut after [`QUOTE_LIMIT`] characters and then followed by its whole length
/// (`... (N bytes)` after the quote), as every crate quotes.
pub(crate) fn quote(text: &str) -> String {
    match text.char_indices().nth(QUOTE_LIMIT) {
        None => format!("{text:?}"),
        Some((cut, _)) => format!("{:?}... ({} bytes)", &text[..cut], text.len()),
    }
}

/// `text` escaped and cut at [`QUOTE_LIMIT`] characters (marked by `...`), without quotes: for values printed on
/// their own (a state name).
pub(crate) fn escape_short(text: &str) -> String {
    let (shown, cut) = match text.char_indices().nth(QUOTE_LIMIT) {
        None => (text, ""),
        Some((at, _)) => (&text[..at], "..."),
    };
    let quoted = format!("{shown:?}");
    format!("{}{cut}", &quoted[1..quoted.len() - 1])
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
        assert_eq!(
            quote(&long),
            format!("\"{}\"... ({} bytes)", "x".repeat(QUOTE_LIMIT), long.len())
        );
        assert_eq!(path(Path::new("dir/compose.yaml")), "dir/compose.yaml");
        assert_eq!(path(Path::new("a\nb")), "\"a\\nb\"");
    }
}
