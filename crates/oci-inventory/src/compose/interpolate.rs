//! Compose's variable substitution, as compose-go's `template` package does it.
//!
//! - `$$` is a literal `$`.
//! - `$NAME` and `${NAME}`: the value, empty when unset. Names are `[_A-Za-z][_A-Za-z0-9]*`.
//! - `${NAME:-default}`: the default when unset or empty; `${NAME-default}`: only when unset.
//! - `${NAME:?message}`: an error when unset or empty; `${NAME?message}`: only when unset.
//! - `${NAME:+replacement}`: the replacement when set and not empty, else empty; `${NAME+replacement}`: when set.
//! - Defaults, messages and replacements are substituted in turn, so `${A:-${B:-x}}` works.
//! - Any other `$` (`$-`, `${}`, `${1}`, a `$` at the end, an unclosed `${`) is an error.

/// Why substitution failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum InterpolationError {
    /// `${NAME:?message}` or `${NAME?message}` of an unset (or empty) variable.
    Required { name: String, message: String },
    /// A `$` that starts no valid substitution; the text from that `$`.
    Invalid { at: String },
}

/// How deep defaults may nest: `${A:-${B:-${C...}}}`.
const MAX_NESTING: usize = 16;

/// `text` with every substitution made, variables looked up with `lookup`.
pub(crate) fn interpolate(text: &str, lookup: &dyn Fn(&str) -> Option<String>) -> Result<String, InterpolationError> {
    substitute(text, lookup, 0)
}

fn substitute(text: &str, lookup: &dyn Fn(&str) -> Option<String>, depth: usize) -> Result<String, InterpolationError> {
    let invalid = |at: &str| InterpolationError::Invalid {
        at: at.chars().take(40).collect(),
    };
    if depth > MAX_NESTING {
        return Err(invalid(text));
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(dollar) = rest.find('$') {
        out.push_str(&rest[..dollar]);
        let from_dollar = &rest[dollar..];
        let after = &from_dollar[1..];
        if let Some(tail) = after.strip_prefix('$') {
            out.push('$');
            rest = tail;
        } else if let Some(braced) = after.strip_prefix('{') {
            let Some(close) = closing_brace(braced) else {
                return Err(invalid(from_dollar));
            };
            let inner = &braced[..close];
            out.push_str(&braced_value(inner, lookup, depth).map_err(|err| match err {
                InterpolationError::Invalid { at } if at.is_empty() => invalid(from_dollar),
                other => other,
            })?);
            rest = &braced[close + 1..];
        } else {
            let name_len = name_length(after);
            if name_len == 0 {
                return Err(invalid(from_dollar));
            }
            out.push_str(&lookup(&after[..name_len]).unwrap_or_default());
            rest = &after[name_len..];
        }
    }
    out.push_str(rest);
    Ok(out)
}

/// The value of `${inner}`. An `Invalid` with an empty `at` means: the whole `${...}` is invalid.
fn braced_value(
    inner: &str,
    lookup: &dyn Fn(&str) -> Option<String>,
    depth: usize,
) -> Result<String, InterpolationError> {
    let whole = || InterpolationError::Invalid { at: String::new() };
    let name_len = name_length(inner);
    if name_len == 0 {
        return Err(whole());
    }
    let name = &inner[..name_len];
    let operator = &inner[name_len..];
    let value = lookup(name);
    let value = value.as_deref();
    let set_and_not_empty = value.is_some_and(|v| !v.is_empty());
    let (colon, operator) = match operator.strip_prefix(':') {
        Some(rest) => (true, rest),
        None => (false, operator),
    };
    if operator.is_empty() {
        return if colon {
            Err(whole())
        } else {
            Ok(value.unwrap_or("").to_owned())
        };
    }
    let present = if colon { set_and_not_empty } else { value.is_some() };
    // The operator is one ASCII character; anything else (even a multi-byte one) makes the template invalid.
    let (op, argument) = match operator.as_bytes()[0] {
        op @ (b'-' | b'?' | b'+') => (op, &operator[1..]),
        _ => return Err(whole()),
    };
    match op {
        b'-' if present => Ok(value.unwrap_or("").to_owned()),
        b'-' => substitute(argument, lookup, depth + 1),
        b'?' if present => Ok(value.unwrap_or("").to_owned()),
        b'?' => Err(InterpolationError::Required {
            name: name.to_owned(),
            message: substitute(argument, lookup, depth + 1)?,
        }),
        b'+' if present => substitute(argument, lookup, depth + 1),
        b'+' => Ok(String::new()),
        _ => Err(whole()),
    }
}

/// The length of the variable name at the start of `text`: `[_A-Za-z][_A-Za-z0-9]*`, or 0.
fn name_length(text: &str) -> usize {
    let bytes = text.as_bytes();
    match bytes.first() {
        Some(b) if b.is_ascii_alphabetic() || *b == b'_' => {
            1 + bytes[1..]
                .iter()
                .take_while(|b| b.is_ascii_alphanumeric() || **b == b'_')
                .count()
        }
        _ => 0,
    }
}

/// Where the `}` closing a `${` is in `text` (which starts after the `{`), counting nested `${`.
fn closing_brace(text: &str) -> Option<usize> {
    let bytes = text.as_bytes();
    let mut open = 1usize;
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'}' {
            open -= 1;
            if open == 0 {
                return Some(i);
            }
        } else if bytes[i] == b'$' && bytes.get(i + 1) == Some(&b'{') {
            open += 1;
            i += 1;
        }
        i += 1;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(name: &str) -> Option<String> {
        let value = match name {
            "TAG" => "1.25",
            "EMPTY" => "",
            "REGISTRY" => "ghcr.io",
            "lower_case" => "yes",
            _ => return None,
        };
        Some(value.to_owned())
    }

    #[track_caller]
    fn check(text: &str, expected: &str) {
        assert_eq!(interpolate(text, &env).as_deref(), Ok(expected), "{text:?}");
    }

    #[track_caller]
    fn invalid(text: &str) {
        let err = interpolate(text, &env).unwrap_err();
        assert!(matches!(err, InterpolationError::Invalid { .. }), "{text:?}: {err:?}");
    }

    #[test]
    fn substitutions() {
        check("nginx", "nginx");
        check("nginx:$TAG", "nginx:1.25");
        check("nginx:${TAG}", "nginx:1.25");
        check("$REGISTRY/app:$TAG-alpine", "ghcr.io/app:1.25-alpine");
        check("${lower_case}", "yes");
        check("a$$b", "a$b");
        check("$${TAG}", "${TAG}");
        check("$$$TAG", "$1.25");
        check("x${UNSET}y", "xy");
        check("$UNSET", "");
        check("${UNSET:-def}", "def");
        check("${EMPTY:-def}", "def");
        check("${EMPTY-def}", "");
        check("${UNSET-def}", "def");
        check("${TAG:-def}", "1.25");
        check("${TAG:+alt}", "alt");
        check("${EMPTY:+alt}", "");
        check("${EMPTY+alt}", "alt");
        check("${UNSET+alt}", "");
        check("${TAG:?missing}", "1.25");
        check("${EMPTY?missing}", "");
        check("${UNSET:-${REGISTRY}/x}", "ghcr.io/x");
        check("${UNSET:-${ALSO_UNSET:-deep}}", "deep");
        check("${UNSET:-a}b}", "ab}");
        check("${UNSET:-}", "");
        check("é$TAG€", "é1.25€");
    }

    #[test]
    fn required() {
        for (text, name, message) in [
            ("${UNSET:?set UNSET}", "UNSET", "set UNSET"),
            ("${EMPTY:?no empty}", "EMPTY", "no empty"),
            ("${UNSET?}", "UNSET", ""),
            ("${UNSET?tag ${TAG}}", "UNSET", "tag 1.25"),
        ] {
            assert_eq!(
                interpolate(text, &env),
                Err(InterpolationError::Required {
                    name: name.to_owned(),
                    message: message.to_owned()
                }),
                "{text:?}"
            );
        }
    }

    #[test]
    fn invalid_templates() {
        for text in [
            "$",
            "a$",
            "$-",
            "$1",
            "${}",
            "${",
            "${TAG",
            "${1}",
            "${TAG:}",
            "${TAG:x}",
            "${TAG x}",
            "${-a}",
            "$é",
            "${UNSET:-${}",
            "${R\u{feff}STRY}",
            "${TAG€}",
        ] {
            invalid(text);
        }
        let nested = format!("{}x{}", "${U:-".repeat(40), "}".repeat(40));
        invalid(&nested);
    }
}
