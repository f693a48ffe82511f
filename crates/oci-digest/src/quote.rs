//! How an error message quotes refused input, the one copy that oci-digest, oci-ref and oci-manifest share (through
//! [`crate::internal`]): quoted and escaped, and cut so that a huge input cannot flood a log.

use std::fmt;

/// The longest part of an input that an error message quotes, in characters.
pub const QUOTE_LIMIT: usize = 100;

/// Writes `s` quoted and escaped as Rust's `Debug` does, cut at [`QUOTE_LIMIT`] characters and then followed by
/// its whole length in bytes.
pub fn write_quoted(out: &mut impl fmt::Write, s: &str) -> fmt::Result {
    match s.char_indices().nth(QUOTE_LIMIT) {
        None => write!(out, "{s:?}"),
        Some((cut, _)) => write!(out, "{:?}... ({} bytes)", &s[..cut], s.len()),
    }
}

/// [`write_quoted`] into a new string.
pub fn quote(s: &str) -> String {
    let mut out = String::new();
    write_quoted(&mut out, s).expect("writing to a String cannot fail");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotes_escape_and_cut_at_the_limit() {
        assert_eq!(quote("nginx"), r#""nginx""#);
        assert_eq!(quote("a\"b\n\u{1b}"), r#""a\"b\n\u{1b}""#);
        let long = "é".repeat(QUOTE_LIMIT + 1);
        assert_eq!(
            quote(&long),
            format!("\"{}\"... ({} bytes)", "é".repeat(QUOTE_LIMIT), long.len())
        );
        assert_eq!(
            quote(&long[..2 * QUOTE_LIMIT]),
            format!("\"{}\"", "é".repeat(QUOTE_LIMIT))
        );
    }
}
