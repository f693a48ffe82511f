//! `.env` files as compose reads them.
//!
//! - One `KEY=VALUE` per line (`KEY: VALUE` too), optionally after `export `; blank lines and lines starting
//!   with `#` are skipped. Keys are `[A-Za-z0-9_.-]+`.
//! - Unquoted values are trimmed and end at ` #` (a comment); `'single'` quotes keep their content as is;
//!   `"double"` quotes understand `\n`, `\r`, `\t`, `\\`, `\"` and `\$`. Quoted values may span lines.
//! - Unquoted and double-quoted values are interpolated like the compose file, from the environment first and
//!   then the lines above.
//!
//! Reading is linear in the file: earlier values are looked up in a map, and what substitution makes is bounded by
//! [`MAX_SUBSTITUTED`] for the whole file.

use std::collections::HashMap;

use super::interpolate::{InterpolationError, MAX_SUBSTITUTED, interpolate};

/// A line compose would refuse.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct DotenvError {
    pub(crate) line: usize,
    pub(crate) kind: DotenvErrorKind,
}

/// What is wrong with the line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum DotenvErrorKind {
    /// Not `KEY=VALUE`; the reason.
    Syntax(&'static str),
    /// A substitution in the value failed.
    Interpolation(InterpolationError),
}

/// The `(key, value)` pairs of `text`, in order (a later line with the same key wins when collected).
pub(crate) fn parse(
    text: &str,
    environment: &dyn Fn(&str) -> Option<String>,
) -> Result<Vec<(String, String)>, DotenvError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut pairs: Vec<(String, String)> = Vec::new();
    // The latest value of each key so far, as an index into `pairs`.
    let mut latest: HashMap<&str, usize> = HashMap::new();
    let mut budget = MAX_SUBSTITUTED;
    let mut rest = text;
    let mut line = 1;
    while !rest.is_empty() {
        let (current, next) = split_line(rest);
        let start_line = line;
        let trimmed = current.trim();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            rest = next;
            line += 1;
            continue;
        }
        let syntax = |reason| DotenvError {
            line: start_line,
            kind: DotenvErrorKind::Syntax(reason),
        };
        let body = trimmed.strip_prefix("export ").map_or(trimmed, str::trim_start);
        let Some(separator) = body.find(['=', ':']) else {
            return Err(syntax("expected KEY=VALUE"));
        };
        let key = body[..separator].trim_end();
        if key.is_empty()
            || !key
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-'))
        {
            return Err(syntax("the key may have only letters, digits, `_`, `.` and `-`"));
        }
        // The value starts in `current` but a quoted one may run on: work on everything from here.
        let value_start = current.len() - current.trim_start().len() + (trimmed.len() - body.len()) + separator + 1;
        let from_value = rest[value_start..].trim_start_matches([' ', '\t']);
        let (earlier, index) = (&pairs, &latest);
        let lookup = |name: &str| -> Option<String> {
            environment(name).or_else(|| index.get(name).map(|&at| earlier[at].1.clone()))
        };
        let (value, consumed) = match from_value.chars().next() {
            Some(quote @ ('\'' | '"')) => {
                let Some((raw, len)) = quoted(&from_value[1..], quote) else {
                    return Err(syntax("the quoted value is not closed"));
                };
                let after = &from_value[1 + len + 1..];
                let (tail, _) = split_line(after);
                let tail = tail.trim();
                if !tail.is_empty() && !tail.starts_with('#') {
                    return Err(syntax("text after the closing quote"));
                }
                let value = if quote == '"' {
                    expand(&unescape(raw), &lookup, start_line, &mut budget)?
                } else {
                    raw.to_owned()
                };
                line += raw.matches('\n').count();
                (value, 1 + len + 1 + tail_len(after))
            }
            _ => {
                let (raw, _) = split_line(from_value);
                let raw = match raw.find(" #").or_else(|| raw.find("\t#")) {
                    Some(comment) => &raw[..comment],
                    None => raw,
                };
                (
                    expand(raw.trim(), &lookup, start_line, &mut budget)?,
                    split_line(from_value).0.len(),
                )
            }
        };
        latest.insert(key, pairs.len());
        pairs.push((key.to_owned(), value));
        let consumed_total = (rest.len() - from_value.len()) + consumed;
        rest = split_line(&rest[consumed_total..]).1;
        line += 1;
    }
    Ok(pairs)
}

/// The first line of `text` (without its `\n` or `\r\n`) and what follows it.
fn split_line(text: &str) -> (&str, &str) {
    match text.find('\n') {
        Some(end) => (text[..end].strip_suffix('\r').unwrap_or(&text[..end]), &text[end + 1..]),
        None => (text, ""),
    }
}

/// The length of the rest of the line in `text`, up to its `\n`.
fn tail_len(text: &str) -> usize {
    text.find('\n').unwrap_or(text.len())
}

/// The content of a quoted value starting after its opening `quote`, and its length up to the closing quote.
fn quoted(text: &str, quote: char) -> Option<(&str, usize)> {
    let mut escaped = false;
    for (at, c) in text.char_indices() {
        if quote == '"' && escaped {
            escaped = false;
            continue;
        }
        if quote == '"' && c == '\\' {
            escaped = true;
        } else if c == quote {
            return Some((&text[..at], at));
        }
    }
    None
}

fn unescape(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    let mut chars = raw.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('n') => out.push('\n'),
            Some('r') => out.push('\r'),
            Some('t') => out.push('\t'),
            // `\$` stays an escaped dollar for the substitution that follows.
            Some('$') => out.push_str("$$"),
            Some(other @ ('\\' | '"')) => out.push(other),
            Some(other) => {
                out.push('\\');
                out.push(other);
            }
            None => out.push('\\'),
        }
    }
    out
}

fn expand(
    raw: &str,
    lookup: &dyn Fn(&str) -> Option<String>,
    line: usize,
    budget: &mut usize,
) -> Result<String, DotenvError> {
    interpolate(raw, lookup, budget).map_err(|err| DotenvError {
        line,
        kind: DotenvErrorKind::Interpolation(err),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(name: &str) -> Option<String> {
        (name == "HOME").then(|| "/home/me".to_owned())
    }

    #[track_caller]
    fn check(text: &str, expected: &[(&str, &str)]) {
        let pairs = parse(text, &env).unwrap();
        let pairs: Vec<(&str, &str)> = pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        assert_eq!(pairs, expected, "{text:?}");
    }

    #[track_caller]
    fn refuse(text: &str, line: usize) {
        let err = parse(text, &env).unwrap_err();
        assert_eq!(err.line, line, "{text:?}: {err:?}");
    }

    #[test]
    fn values() {
        check("", &[]);
        check("A=1\n", &[("A", "1")]);
        check("\u{feff}A=1", &[("A", "1")]);
        check(
            "# c\n\nA = 1 \r\nB=two words # comment\n",
            &[("A", "1"), ("B", "two words")],
        );
        check("export TAG=1.25", &[("TAG", "1.25")]);
        check("A: 1", &[("A", "1")]);
        check("A=", &[("A", "")]);
        check("A=x#y", &[("A", "x#y")]);
        check("A='$HOME # not'", &[("A", "$HOME # not")]);
        check("A=\"$HOME\\n\\\"q\\\"\"", &[("A", "/home/me\n\"q\"")]);
        check("A=\"\\$HOME\"", &[("A", "$HOME")]);
        check("A=$HOME/x", &[("A", "/home/me/x")]);
        check("A=1\nB=${A}2\nC=${B:-no}", &[("A", "1"), ("B", "12"), ("C", "12")]);
        check("HOME=mine\nB=$HOME", &[("HOME", "mine"), ("B", "/home/me")]);
        check("A=\"line1\nline2\"\nB=3", &[("A", "line1\nline2"), ("B", "3")]);
        check("A='x' # comment\nB=2", &[("A", "x"), ("B", "2")]);
        check("a.b-c_d=1", &[("a.b-c_d", "1")]);
    }

    #[test]
    fn refusals_name_the_line() {
        refuse("A=1\nNOVALUE\n", 2);
        refuse("A=1\n\nB C=1", 3);
        refuse("=1", 1);
        refuse("A='open\nB=2", 1);
        refuse("A=\"x\" trailing", 1);
        refuse("A=1\nB=${", 2);
        refuse("A=\"a\nb\"\nC=${X:?need X}", 3);
    }

    #[test]
    fn substitution_is_bounded_for_the_whole_file() {
        // Each line doubles the one before: 2^30 bytes by the last line if nothing stopped it.
        let mut text = String::from("A0=xxxxxxxxxxxxxxxx\n");
        for n in 1..27 {
            text.push_str(&format!("A{n}=$A{}$A{}\n", n - 1, n - 1));
        }
        let err = parse(&text, &env).unwrap_err();
        assert_eq!(err.kind, DotenvErrorKind::Interpolation(InterpolationError::TooLong));
        assert_eq!(err.line, 21, "the line where the file's budget ran out");
    }
}
