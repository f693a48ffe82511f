//! Go's `strings.ToLower`, as far as the reference rules look at it.
//!
//! Go lowercases rune by rune with the simple case mapping of its Unicode tables. Rust's
//! [`char::to_lowercase`] is the full mapping, which differs in one place that matters: `İ`
//! (U+0130) becomes `i̇` (two characters) in Rust and `i` in Go. Both change exactly the same
//! characters, so "does this string change" is answered by either; the lowered text is built
//! with Go's mapping.

/// Whether Go's `strings.ToLower(s) != s`: some character has a lower-case mapping other than itself.
pub(crate) fn changes(s: &str) -> bool {
    if s.is_ascii() {
        return s.bytes().any(|b| b.is_ascii_uppercase());
    }
    s.chars().any(changes_char)
}

/// Whether Go's `unicode.ToLower(c) != c`.
pub(crate) fn changes_char(c: char) -> bool {
    lower_char(c) != c
}

/// Go's `strings.ToLower(s)`.
pub(crate) fn to_lower(s: &str) -> String {
    s.chars().map(lower_char).collect()
}

/// Go's `unicode.ToLower(c)`: the simple lower-case mapping.
fn lower_char(c: char) -> char {
    if c.is_ascii() {
        return c.to_ascii_lowercase();
    }
    if c == '\u{130}' {
        return 'i';
    }
    let mut lower = c.to_lowercase();
    match (lower.next(), lower.next()) {
        (Some(single), None) => single,
        // Only U+0130 has a multi-character lower-case mapping, handled above.
        _ => c,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn simple_mapping_like_go() {
        assert!(changes("\u{130}stanbul"));
        assert_eq!(to_lower("\u{130}stanbul"), "istanbul");
        assert!(changes("\u{212A}ube"));
        assert_eq!(to_lower("\u{212A}ube"), "kube");
        assert!(changes("École"));
        assert_eq!(to_lower("École"), "école");
        assert!(changes("ΣΑΣ"));
        assert_eq!(to_lower("ΣΑΣ"), "σασ");
        assert!(!changes("école"));
        assert!(!changes("ß"));
        assert!(!changes("abc-1.2_3"));
        assert!(changes("abC"));
    }
}
