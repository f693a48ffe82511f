//! HTTP header syntax (RFC 9110 section 5.6) shared by the writers of header values: here `WWW-Authenticate`
//! challenges, in `oci-registry` `Link` headers (through [`crate::internal`]).

use std::fmt;

/// Writes `value` as a quoted-string: in double quotes, with `"` and `\` escaped by a backslash, so that a parser
/// of quoted-strings reads back exactly `value`.
pub fn write_quoted_string(out: &mut impl fmt::Write, value: &str) -> fmt::Result {
    out.write_char('"')?;
    for c in value.chars() {
        if c == '"' || c == '\\' {
            out.write_char('\\')?;
        }
        out.write_char(c)?;
    }
    out.write_char('"')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoted_strings_escape_quotes_and_backslashes_only() {
        for (value, expected) in [
            ("", r#""""#),
            ("plain", r#""plain""#),
            (r#"a"b\c"#, r#""a\"b\\c""#),
            ("é, \t;", "\"é, \t;\""),
        ] {
            let mut out = String::new();
            write_quoted_string(&mut out, value).unwrap();
            assert_eq!(out, expected, "{value:?}");
        }
    }
}
