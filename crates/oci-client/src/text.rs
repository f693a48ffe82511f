//! Foreign text made safe to print: the one place that escapes and cuts what a registry, an engine, a file or a
//! user wrote before it reaches a message or a terminal.

use std::borrow::Cow;
use std::fmt::Write as _;

/// How many characters of a foreign string an error message quotes.
pub const QUOTE_LIMIT: usize = 100;

/// `text` escaped and cut at [`QUOTE_LIMIT`] characters, for embedding in a message.
pub fn quote(text: &str) -> String {
    escape(text, QUOTE_LIMIT).into_owned()
}

/// `text` with every control character (C0, DEL, C1), the Unicode bidi controls and the line and paragraph
/// separators replaced by visible escapes, cut at `limit` characters with a marker saying how many bytes were cut.
/// Borrowed when nothing needed changing.
pub fn escape(text: &str, limit: usize) -> Cow<'_, str> {
    if text.chars().count() <= limit && !text.chars().any(needs_escape) {
        return Cow::Borrowed(text);
    }
    let mut out = String::new();
    let mut written = 0;
    for (at, c) in text.char_indices() {
        let piece = if needs_escape(c) {
            match c {
                '\n' => "\\n".to_owned(),
                '\r' => "\\r".to_owned(),
                '\t' => "\\t".to_owned(),
                c if (c as u32) < 0x80 => format!("\\x{:02x}", c as u32),
                c => format!("\\u{{{:x}}}", c as u32),
            }
        } else {
            c.to_string()
        };
        let width = piece.chars().count();
        if written + width > limit {
            let _ = write!(out, "...(+{} bytes)", text.len() - at);
            return Cow::Owned(out);
        }
        out.push_str(&piece);
        written += width;
    }
    Cow::Owned(out)
}

/// Whether `c` must not reach a terminal as it is.
fn needs_escape(c: char) -> bool {
    c.is_control()
        || matches!(c, '\u{200e}' | '\u{200f}' | '\u{2028}' | '\u{2029}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}
