//! Foreign text made safe to print: the one place that escapes and cuts it.
//!
//! Text from a registry (error messages, tags, `WWW-Authenticate` realms), an engine, a file or
//! the user can hold control characters that move a terminal's cursor, clear the screen, forge a
//! log line or reorder what is shown (`\x1b[2J`, `\n`, U+202E RIGHT-TO-LEFT OVERRIDE), and it can
//! be megabytes long. Everything printed that did not come from this program goes through
//! [`escape`] (for output) or [`quote`] (inside a message), so that no such character reaches a
//! terminal or a log and no single value floods it.
//!
//! What is escaped: every control character (C0 including `\n`, `\r` and `\t`, DEL, and C1
//! U+0080..=U+009F), the Unicode bidirectional controls (U+061C, U+200E, U+200F,
//! U+202A..=U+202E, U+2066..=U+2069) and the line and paragraph separators U+2028 and U+2029.
//! They become visible escapes in Rust's spelling: `\n`, `\r`, `\t`, `\x1b` for the rest of C0
//! and DEL, and `\u{202e}` for the others.
//!
//! ```
//! use oci_registry::text::{escape, quote};
//!
//! assert_eq!(escape("alpine", 100), "alpine");
//! assert_eq!(escape("\x1b[2Jok\nfake line", 100), "\\x1b[2Jok\\nfake line");
//! assert_eq!(escape("abcdef", 3), "abc...(+3 bytes)");
//! assert_eq!(quote("say \"hi\"\n"), "\"say \\\"hi\\\"\\n\"");
//! ```

use std::borrow::Cow;

/// How many characters of a foreign string an error message quotes.
pub const QUOTE_LIMIT: usize = 100;

/// The most characters the cut marker of [`escape`] adds beyond its limit:
/// `...(+18446744073709551615 bytes)`.
pub const MAX_MARKER_LEN: usize = "...(+".len() + 20 + " bytes)".len();

/// `text` escaped and cut at [`QUOTE_LIMIT`] characters (with the marker of [`escape`]), without quotes: for text a
/// message already sets apart, between backticks for example.
pub fn cut(text: &str) -> Cow<'_, str> {
    escape(text, QUOTE_LIMIT)
}

/// `text` for embedding in a message: in double quotes, with `"` and `\` escaped as well as what
/// [`escape`] escapes, cut after [`QUOTE_LIMIT`] characters of `text`; a cut is marked by `... (N bytes)`
/// after the closing quote, N the whole length of `text`. This is what "quote" means in every crate of the
/// workspace (oci-digest's `quote` for refused input is the same).
///
/// The result is at most `QUOTE_LIMIT * 8 + 2 + 30` characters long, however long `text` is.
pub fn quote(text: &str) -> String {
    let mut out = String::with_capacity(text.len().min(QUOTE_LIMIT) + 2);
    out.push('"');
    let mut chars = text.chars();
    for c in chars.by_ref().take(QUOTE_LIMIT) {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c => Piece::of(c).push_to(&mut out),
        }
    }
    out.push('"');
    if chars.next().is_some() {
        out.push_str(&format!("... ({} bytes)", text.len()));
    }
    out
}

/// `text` with every control character, bidirectional control and line or paragraph separator
/// replaced by a visible escape, cut at `limit` characters of output.
///
/// A cut is marked by `...(+N bytes)`, `N` the number of bytes of `text` left out; it falls
/// between characters of `text`, never inside an escape. So the result has at most
/// `limit + MAX_MARKER_LEN` characters, and none that a terminal interprets. It borrows `text`
/// when nothing needed changing. The work done is proportional to `limit`, not to the length of
/// `text`.
pub fn escape(text: &str, limit: usize) -> Cow<'_, str> {
    for (written, (at, c)) in text.char_indices().enumerate() {
        if written == limit || needs_escape(c) {
            return Cow::Owned(escape_from(text, at, written, limit));
        }
    }
    Cow::Borrowed(text)
}

/// The longest foreign string a JSON record carries, in characters: past it, [`bound`] cuts.
pub const JSON_LIMIT: usize = 4096;

/// Serialized JSON with every C1 control, bidirectional control and line or paragraph separator written as a
/// `\uXXXX` escape: still valid JSON, and the same value. `serde_json` escapes only C0, so a JSON line from a
/// hostile engine or file could otherwise reorder or split what a terminal or a log shows. (Those characters can
/// only stand inside JSON strings, where `\u` escapes mean the same characters.)
///
/// ```
/// assert_eq!(oci_registry::text::json_escape("{\"a\":\"x\u{202e}y\u{85}\"}"), r#"{"a":"x\u202ey\u0085"}"#);
/// ```
pub fn json_escape(json: &str) -> Cow<'_, str> {
    let Some(first) = json.find(is_hidden_in_json) else {
        return Cow::Borrowed(json);
    };
    let mut out = String::with_capacity(json.len() + 16);
    out.push_str(&json[..first]);
    for c in json[first..].chars() {
        if is_hidden_in_json(c) {
            out.push_str(&format!("\\u{:04x}", u32::from(c)));
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// `text` cut at `limit` characters with the marker of [`escape`] (`...(+N bytes)`), not escaped: for values that a
/// serializer escapes, such as JSON strings.
///
/// ```
/// assert_eq!(oci_registry::text::bound("abcdef", 3), "abc...(+3 bytes)");
/// assert_eq!(oci_registry::text::bound("abc", 3), "abc");
/// ```
pub fn bound(text: &str, limit: usize) -> Cow<'_, str> {
    match text.char_indices().nth(limit) {
        None => Cow::Borrowed(text),
        Some((at, _)) => Cow::Owned(format!("{}...(+{} bytes)", &text[..at], text.len() - at)),
    }
}

/// What JSON leaves raw but must not reach a terminal: C1 controls, bidirectional controls, U+2028 and U+2029.
fn is_hidden_in_json(c: char) -> bool {
    needs_escape(c) && !c.is_ascii()
}

/// How one character of foreign text is printed.
enum Piece {
    /// As itself.
    Plain(char),
    /// As a two-character escape such as `\n`.
    Named(&'static str),
    /// As `\xHH`, for the C0 controls without a name and DEL.
    Hex(u8),
    /// As `\u{H..}`.
    Unicode(char),
}

impl Piece {
    fn of(c: char) -> Self {
        match c {
            '\n' => Self::Named("\\n"),
            '\r' => Self::Named("\\r"),
            '\t' => Self::Named("\\t"),
            // The guard keeps the conversion exact: these are all below 0x80.
            '\0'..='\x1f' | '\x7f' => Self::Hex(c as u8),
            c if needs_escape(c) => Self::Unicode(c),
            c => Self::Plain(c),
        }
    }

    /// The characters this piece takes in the output.
    fn len(&self) -> usize {
        match self {
            Self::Plain(_) => 1,
            Self::Named(_) => 2,
            Self::Hex(_) => 4,
            Self::Unicode(c) => c.escape_unicode().len(),
        }
    }

    fn push_to(&self, out: &mut String) {
        const HEX: &[u8; 16] = b"0123456789abcdef";
        match self {
            Self::Plain(c) => out.push(*c),
            Self::Named(name) => out.push_str(name),
            Self::Hex(byte) => {
                out.push_str("\\x");
                out.push(char::from(HEX[usize::from(byte >> 4)]));
                out.push(char::from(HEX[usize::from(byte & 0xf)]));
            }
            Self::Unicode(c) => out.extend(c.escape_unicode()),
        }
    }
}

/// Whether `c` must not reach a terminal or a log as itself.
fn needs_escape(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{061c}' | '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{2028}' | '\u{2029}'
        )
}

/// [`escape`] from byte `start` of `text` on, `written` characters (all plain) already taken.
fn escape_from(text: &str, start: usize, mut written: usize, limit: usize) -> String {
    let mut out = String::with_capacity(start + limit.saturating_sub(written).min(text.len() - start) + MAX_MARKER_LEN);
    out.push_str(&text[..start]);
    for (offset, c) in text[start..].char_indices() {
        let piece = Piece::of(c);
        if written + piece.len() > limit {
            out.push_str("...(+");
            out.push_str(&(text.len() - start - offset).to_string());
            out.push_str(" bytes)");
            return out;
        }
        piece.push_to(&mut out);
        written += piece.len();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// No character of `out` is one a terminal would interpret.
    #[track_caller]
    fn assert_printable(out: &str) {
        if let Some(c) = out.chars().find(|&c| needs_escape(c)) {
            panic!("{c:?} left in {out:?}");
        }
    }

    #[track_caller]
    fn check(input: &str, limit: usize, expected: &str) {
        let out = escape(input, limit);
        assert_eq!(out, expected, "{input:?} at {limit}");
        assert_printable(&out);
        assert!(out.chars().count() <= limit + MAX_MARKER_LEN, "{out:?}");
        assert_eq!(matches!(out, Cow::Borrowed(_)), input == expected, "{input:?}");
    }

    #[test]
    fn escapes_what_a_terminal_interprets() {
        check("", 100, "");
        check("", 0, "");
        check("library/alpine:3.20", 100, "library/alpine:3.20");
        check("naïve 日本語 ✓ \\n \"quoted\"", 100, "naïve 日本語 ✓ \\n \"quoted\"");
        check("\x1b[2J", 100, "\\x1b[2J");
        check("\x1b]0;owned\x07", 100, "\\x1b]0;owned\\x07");
        check("ok\nERROR forged line\r\n", 100, "ok\\nERROR forged line\\r\\n");
        check("a\tb", 100, "a\\tb");
        check("\0\x01\x7f", 100, "\\x00\\x01\\x7f");
        check(
            "\u{80}\u{85}\u{9b}2J\u{9f}\u{a0}",
            100,
            "\\u{80}\\u{85}\\u{9b}2J\\u{9f}\u{a0}",
        );
        check("abc\u{202e}gpj.exe", 100, "abc\\u{202e}gpj.exe");
        check(
            "\u{061c}\u{200e}\u{200f}\u{202a}\u{202b}\u{202c}\u{202d}\u{2066}\u{2067}\u{2068}\u{2069}",
            1000,
            "\\u{61c}\\u{200e}\\u{200f}\\u{202a}\\u{202b}\\u{202c}\\u{202d}\\u{2066}\\u{2067}\\u{2068}\\u{2069}",
        );
        check("line\u{2028}para\u{2029}", 100, "line\\u{2028}para\\u{2029}");
        // Zero-width and other format characters that do not reorder or break lines stay.
        check("a\u{200b}b\u{200d}c", 100, "a\u{200b}b\u{200d}c");
    }

    #[test]
    fn cuts_at_the_limit_and_says_how_much() {
        check("abcdef", 6, "abcdef");
        check("abcdef", 5, "abcde...(+1 bytes)");
        check("abcdef", 0, "...(+6 bytes)");
        // Characters, not bytes, and never inside one: "é" is 2 bytes, "日" 3, "🦀" 4.
        check("éé日🦀x", 4, "éé日🦀...(+1 bytes)");
        check("éé日🦀x", 3, "éé日...(+5 bytes)");
        check("🦀🦀", 1, "🦀...(+4 bytes)");
        // An escape is kept whole or left out whole.
        check("ab\x1bcd", 5, "ab...(+3 bytes)");
        check("ab\x1bcd", 6, "ab\\x1b...(+2 bytes)");
        check("ab\u{202e}", 9, "ab...(+3 bytes)");
        check("ab\u{202e}", 10, "ab\\u{202e}");
        check("\n\n\n", 4, "\\n\\n...(+1 bytes)");
    }

    #[test]
    fn a_huge_line_is_cut_without_copying_it() {
        let line = format!("{}\x1b[2J", "x".repeat(20 * 1024 * 1024));
        let out = escape(&line, 200).into_owned();
        assert_eq!(out, format!("{}...(+{} bytes)", "x".repeat(200), line.len() - 200));
        assert!(out.capacity() < 1024, "{}", out.capacity());
        let out = escape(&line, usize::MAX);
        assert!(out.ends_with("xxx\\x1b[2J"), "{}", &out[out.len() - 20..]);
        assert_eq!(out.len(), line.len() + 3);
        let quoted = quote(&line);
        assert_eq!(
            quoted,
            format!("\"{}\"... ({} bytes)", "x".repeat(QUOTE_LIMIT), line.len())
        );
    }

    #[test]
    fn quote_marks_quotes_and_cuts() {
        let check = |input: &str, expected: &str| {
            let out = quote(input);
            assert_eq!(out, expected, "{input:?}");
            assert_printable(&out);
        };
        check("", "\"\"");
        check("latest", "\"latest\"");
        check("a\"b\\c", "\"a\\\"b\\\\c\"");
        check("x\n\x1b[31mred\u{202e}", "\"x\\n\\x1b[31mred\\u{202e}\"");
        let hundred = "é".repeat(QUOTE_LIMIT);
        check(&hundred, &format!("\"{hundred}\""));
        check(&format!("{hundred}é"), &format!("\"{hundred}\"... (202 bytes)"));
        let worst = quote(&"\u{202e}".repeat(1000));
        assert_eq!(worst.chars().count(), QUOTE_LIMIT * 8 + 2 + "... (3000 bytes)".len());
    }

    #[test]
    fn the_marker_bound_holds_for_the_largest_count() {
        assert_eq!(MAX_MARKER_LEN, format!("...(+{} bytes)", usize::MAX).len());
    }
}
