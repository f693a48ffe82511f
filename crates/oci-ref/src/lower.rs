//! Go's `strings.ToLower`, as far as the reference rules look at it.
//!
//! Go lowercases rune by rune with the simple case mapping of its Unicode tables. Rust's
//! [`char::to_lowercase`] is the full mapping, which differs in one place that matters: `İ`
//! (U+0130) becomes `i̇` (two characters) in Rust and `i` in Go. Both change exactly the same
//! characters, so "does this string change" is answered by either; the lowered text is built
//! with Go's mapping.
//!
//! The tables are pinned to Go's: Unicode 15.0, which Go uses since 1.21 (the Go that builds
//! Docker and containerd today; checked against Go 1.24 on every character Rust lowercases).
//! Rust's tables are newer, so the upper-case letters Unicode added later are left alone. Go
//! before 1.21 (Unicode 13.0) also lacks the 40 upper-case letters of Unicode 14.

/// Whether Go's `strings.ToLower(s) != s`: some character has a lower-case mapping other than itself.
pub(crate) fn changes(s: &str) -> bool {
    // One pass over the bytes; only the rest after the first non-ASCII byte needs characters.
    match s.bytes().position(|b| b.is_ascii_uppercase() || !b.is_ascii()) {
        None => false,
        Some(at) => s[at..].chars().any(changes_char),
    }
}

/// Whether Go's `unicode.ToLower(c) != c`.
pub(crate) fn changes_char(c: char) -> bool {
    lower_char(c) != c
}

/// Go's `strings.ToLower` of the concatenation of `pieces`.
pub(crate) fn to_lower(pieces: &[&str]) -> String {
    let mut lower = String::with_capacity(pieces.iter().map(|piece| piece.len()).sum());
    for piece in pieces {
        if piece.is_ascii() {
            let start = lower.len();
            lower.push_str(piece);
            lower[start..].make_ascii_lowercase();
        } else {
            lower.extend(piece.chars().map(lower_char));
        }
    }
    lower
}

/// Go's `unicode.ToLower(c)`: the simple lower-case mapping.
fn lower_char(c: char) -> char {
    if c.is_ascii() {
        return c.to_ascii_lowercase();
    }
    if c == '\u{130}' {
        return 'i';
    }
    if newer_than_go(c) {
        return c;
    }
    let mut lower = c.to_lowercase();
    match (lower.next(), lower.next()) {
        (Some(single), None) => single,
        // Only U+0130 has a multi-character lower-case mapping, handled above.
        _ => c,
    }
}

/// The upper-case letters of Unicode 16.0 and 17.0, which Go's Unicode 15.0 tables do not know.
fn newer_than_go(c: char) -> bool {
    matches!(
        c,
        '\u{1C89}'
            | '\u{A7CB}'
            | '\u{A7CC}'
            | '\u{A7CE}'
            | '\u{A7D2}'
            | '\u{A7D4}'
            | '\u{A7DA}'
            | '\u{A7DC}'
            | '\u{10D50}'..='\u{10D65}'
            | '\u{16EA0}'..='\u{16EB8}'
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn simple_mapping_like_go() {
        assert!(changes("\u{130}stanbul"));
        assert_eq!(to_lower(&["\u{130}stanbul"]), "istanbul");
        assert!(changes("\u{212A}ube"));
        assert_eq!(to_lower(&["\u{212A}ube"]), "kube");
        assert!(changes("École"));
        assert_eq!(to_lower(&["École"]), "école");
        assert!(changes("ΣΑΣ"));
        assert_eq!(to_lower(&["ΣΑΣ"]), "σασ");
        assert_eq!(to_lower(&["Docker.IO", "/", "\u{212A}"]), "docker.io/k");
        assert!(!changes("école"));
        assert!(!changes("ß"));
        assert!(!changes("abc-1.2_3"));
        assert!(changes("abC"));
        // Unicode 14 (Go 1.21+) and Unicode 16 (not in Go yet).
        assert!(changes("\u{2C2F}"));
        assert!(!changes("\u{1C89}"));
    }

    /// Go 1.21 to 1.25 (Unicode 15.0) lowercase exactly 1433 characters. When Rust moves to a newer
    /// Unicode this count changes: add the new upper-case letters to `newer_than_go`.
    #[test]
    fn as_many_characters_change_as_in_go() {
        let count = (0..=0x10FFFF)
            .filter_map(char::from_u32)
            .filter(|&c| changes_char(c))
            .count();
        assert_eq!(count, 1433, "Unicode {:?}", char::UNICODE_VERSION);
    }
}
