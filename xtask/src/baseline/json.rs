//! Just enough JSON for the baseline (xtask has no dependencies): writing strings, reading flat objects.

use std::fmt::Write as _;

use crate::Result;

/// A JSON string literal; non-ASCII is written as is, control characters escaped.
pub(super) fn json_string(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if u32::from(c) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// A value of a flat object, as the Go program and `oci-check ref --json` print them.
#[derive(Debug, PartialEq)]
pub(super) enum Json {
    Null,
    Bool(bool),
    Str(String),
    Number(String),
}

/// Reads JSON text from the front, one token at a time.
pub(super) struct Parser<'a> {
    rest: &'a str,
}

impl<'a> Parser<'a> {
    pub(super) fn new(text: &'a str) -> Self {
        Self { rest: text }
    }

    /// The text is exactly one JSON string.
    pub(super) fn whole_string(mut self) -> Result<String> {
        let value = self.string()?;
        if self.rest.trim().is_empty() {
            Ok(value)
        } else {
            Err(format!("text after the string: {:?}", self.rest).into())
        }
    }

    /// The text is one JSON object whose values are strings, numbers, booleans or null.
    pub(super) fn object(mut self) -> Result<Vec<(String, Json)>> {
        let mut fields = Vec::new();
        self.expect('{')?;
        if self.eat('}') {
            return Ok(fields);
        }
        loop {
            let key = self.string()?;
            self.expect(':')?;
            let value = self.value()?;
            fields.push((key, value));
            if self.eat('}') {
                return Ok(fields);
            }
            self.expect(',')?;
        }
    }

    fn value(&mut self) -> Result<Json> {
        self.skip_space();
        for (word, value) in [
            ("null", Json::Null),
            ("true", Json::Bool(true)),
            ("false", Json::Bool(false)),
        ] {
            if let Some(rest) = self.rest.strip_prefix(word) {
                self.rest = rest;
                return Ok(value);
            }
        }
        if self.rest.starts_with('"') {
            return Ok(Json::Str(self.string()?));
        }
        let end = self
            .rest
            .find(|c: char| !(c.is_ascii_digit() || "+-.eE".contains(c)))
            .unwrap_or(self.rest.len());
        if end == 0 {
            return Err(format!("unexpected value at {:?}", self.rest).into());
        }
        let (number, rest) = self.rest.split_at(end);
        self.rest = rest;
        Ok(Json::Number(number.to_owned()))
    }

    fn string(&mut self) -> Result<String> {
        self.expect('"')?;
        let mut out = String::new();
        let mut chars = self.rest.char_indices();
        while let Some((i, c)) = chars.next() {
            match c {
                '"' => {
                    self.rest = &self.rest[i + 1..];
                    return Ok(out);
                }
                '\\' => {
                    let (_, escape) = chars.next().ok_or("unfinished escape")?;
                    match escape {
                        '"' | '\\' | '/' => out.push(escape),
                        'b' => out.push('\u{8}'),
                        'f' => out.push('\u{c}'),
                        'n' => out.push('\n'),
                        'r' => out.push('\r'),
                        't' => out.push('\t'),
                        'u' => {
                            let first = hex_unit(&mut chars)?;
                            let code = if (0xd800..0xdc00).contains(&first) {
                                let (Some((_, '\\')), Some((_, 'u'))) = (chars.next(), chars.next()) else {
                                    return Err("lone surrogate in a \\u escape".into());
                                };
                                let second = hex_unit(&mut chars)?;
                                0x10000 + ((first - 0xd800) << 10) + (second.wrapping_sub(0xdc00) & 0x3ff)
                            } else {
                                first
                            };
                            out.push(char::from_u32(code).ok_or("a \\u escape that is no character")?);
                        }
                        other => return Err(format!("unknown escape \\{other}").into()),
                    }
                }
                c => out.push(c),
            }
        }
        Err("unterminated string".into())
    }

    fn skip_space(&mut self) {
        self.rest = self.rest.trim_start_matches([' ', '\t', '\n', '\r']);
    }

    fn eat(&mut self, c: char) -> bool {
        self.skip_space();
        match self.rest.strip_prefix(c) {
            Some(rest) => {
                self.rest = rest;
                true
            }
            None => false,
        }
    }

    fn expect(&mut self, c: char) -> Result {
        if self.eat(c) {
            Ok(())
        } else {
            Err(format!("expected `{c}` at {:?}", self.rest.chars().take(20).collect::<String>()).into())
        }
    }
}

/// The four hex digits of a `\\u` escape.
fn hex_unit(chars: &mut std::str::CharIndices<'_>) -> Result<u32> {
    let hex: String = chars.take(4).map(|(_, c)| c).collect();
    u32::from_str_radix(&hex, 16).map_err(|_| format!("bad \\u escape {hex:?}").into())
}

/// A key's value as text (`null`, `true`, `"..."`), or `None` when the key is missing.
pub(super) fn field(fields: &[(String, Json)], key: &str) -> Option<String> {
    let (_, value) = fields.iter().find(|(name, _)| name == key)?;
    Some(match value {
        Json::Null => "null".to_owned(),
        Json::Bool(value) => value.to_string(),
        Json::Str(value) => json_string(value),
        Json::Number(value) => value.clone(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_strings_round_trip() {
        for s in [
            "",
            "nginx",
            "a\"b\\c",
            "\n\r\t\u{0}\u{1f}\u{7f}",
            "İstanbul",
            "🐳",
            "\u{2028}",
        ] {
            let written = json_string(s);
            assert_eq!(Parser::new(&written).whole_string().unwrap(), s, "{written}");
        }
    }

    #[test]
    fn json_escapes_decode() {
        let parsed = Parser::new(r#""\u00e9\ud83d\udc33\/\b\f""#).whole_string().unwrap();
        assert_eq!(parsed, "é🐳/\u{8}\u{c}");
        assert!(Parser::new(r#""\ud83d""#).whole_string().is_err());
        assert!(Parser::new(r#""abc"#).whole_string().is_err());
        assert!(Parser::new(r#""a" x"#).whole_string().is_err());
    }

    #[test]
    fn flat_objects_parse() {
        let fields = Parser::new(r#"{"a":"x","b":true,"c":null,"d":false,"e":-1.5}"#)
            .object()
            .unwrap();
        let keys: Vec<&str> = fields.iter().map(|(key, _)| key.as_str()).collect();
        assert_eq!(keys, ["a", "b", "c", "d", "e"]);
        assert_eq!(field(&fields, "a").as_deref(), Some("\"x\""));
        assert_eq!(field(&fields, "b").as_deref(), Some("true"));
        assert_eq!(field(&fields, "c").as_deref(), Some("null"));
        assert_eq!(field(&fields, "e").as_deref(), Some("-1.5"));
        assert_eq!(field(&fields, "z"), None);
        assert!(Parser::new(r#"{"a":[1]}"#).object().is_err());
    }
}
