//! Compose's variable substitution, as compose-go's `template` package does it.
//!
//! - `$$` is a literal `$`.
//! - `$NAME` and `${NAME}`: the value, empty when unset. Names are `[_A-Za-z][_A-Za-z0-9]*`.
//! - `${NAME:-default}`: the default when unset or empty; `${NAME-default}`: only when unset.
//! - `${NAME:?message}`: an error when unset or empty; `${NAME?message}`: only when unset.
//! - `${NAME:+replacement}`: the replacement when set and not empty, else empty; `${NAME+replacement}`: when set.
//! - Defaults, messages and replacements are substituted in turn, so `${A:-${B:-x}}` works.
//! - Any other `$` (`$-`, `${}`, `${1}`, a `$` at the end, an unclosed `${`) is an error.
//!
//! Substitution can make far more text than it reads (`B=$A$A$A...` in a `.env` file, a long value aliased into
//! every service), so every call draws on a budget of bytes its caller keeps for the whole input, and stops with
//! [`InterpolationError::TooLong`] when that runs out.

/// Why substitution failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum InterpolationError {
    /// `${NAME:?message}` or `${NAME?message}` of an unset (or empty) variable; the message as written, not
    /// substituted (`${X:?$SECRET}` must not print the secret).
    Required { name: String, message: String },
    /// A `$` that starts no valid substitution; the text from that `$`.
    Invalid { at: String },
    /// Substitution made more than [`MAX_SUBSTITUTED`] bytes for one input.
    TooLong,
}

/// The most text substitution makes for one input (a project's compose files, or one `.env` file), counting the
/// raw values too: far above what image names and platforms need, far below what exhausts memory.
pub(crate) const MAX_SUBSTITUTED: usize = 16 * 1024 * 1024;

/// How deep defaults may nest: `${A:-${B:-${C...}}}`.
const MAX_NESTING: usize = 16;

/// `text` with every substitution made, variables looked up with `lookup`; what it makes is taken from `budget`.
pub(crate) fn interpolate(
    text: &str,
    lookup: &dyn Fn(&str) -> Option<String>,
    budget: &mut usize,
) -> Result<String, InterpolationError> {
    let out = substitute(text, lookup, 0, *budget)?;
    *budget -= out.len();
    Ok(out)
}

/// What substitution makes of `text`, at most `room` bytes of it.
fn substitute(
    text: &str,
    lookup: &dyn Fn(&str) -> Option<String>,
    depth: usize,
    room: usize,
) -> Result<String, InterpolationError> {
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
            out.push_str(&braced_value(inner, lookup, depth, room).map_err(|err| match err {
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
        if out.len() > room {
            return Err(InterpolationError::TooLong);
        }
    }
    out.push_str(rest);
    if out.len() > room {
        return Err(InterpolationError::TooLong);
    }
    Ok(out)
}

/// The value of `${inner}`. An `Invalid` with an empty `at` means: the whole `${...}` is invalid.
fn braced_value(
    inner: &str,
    lookup: &dyn Fn(&str) -> Option<String>,
    depth: usize,
    room: usize,
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
        b'-' => substitute(argument, lookup, depth + 1, room),
        b'?' if present => Ok(value.unwrap_or("").to_owned()),
        b'?' => {
            // Substituted only to refuse what compose would refuse in it.
            substitute(argument, lookup, depth + 1, room)?;
            Err(InterpolationError::Required {
                name: name.to_owned(),
                message: argument.to_owned(),
            })
        }
        b'+' if present => substitute(argument, lookup, depth + 1, room),
        b'+' => Ok(String::new()),
        _ => Err(whole()),
    }
}

/// The names of the variables `text` substitutes (`$NAME`, `${NAME...}`, nested ones too), each once, in order.
pub(crate) fn names(text: &str) -> Vec<&str> {
    let mut names: Vec<&str> = Vec::new();
    let mut rest = text;
    while let Some(dollar) = rest.find('$') {
        let after = &rest[dollar + 1..];
        if let Some(tail) = after.strip_prefix('$') {
            rest = tail;
            continue;
        }
        let from = after.strip_prefix('{').unwrap_or(after);
        let len = name_length(from);
        if len > 0 && !names.contains(&&from[..len]) {
            names.push(&from[..len]);
        }
        rest = &from[len..];
    }
    names
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

    fn run(text: &str) -> Result<String, InterpolationError> {
        let mut budget = MAX_SUBSTITUTED;
        interpolate(text, &env, &mut budget)
    }

    #[track_caller]
    fn check(text: &str, expected: &str) {
        assert_eq!(run(text).as_deref(), Ok(expected), "{text:?}");
    }

    #[track_caller]
    fn invalid(text: &str) {
        let err = run(text).unwrap_err();
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
            // The message as written: a substituted one could show a value.
            ("${UNSET?tag ${TAG}}", "UNSET", "tag ${TAG}"),
        ] {
            assert_eq!(
                run(text),
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

    #[test]
    fn names_of_variables() {
        for (text, expected) in [
            ("nginx", &[][..]),
            ("$A/${B}:${C:-$D}", &["A", "B", "C", "D"][..]),
            ("$$A ${A} $A", &["A"][..]),
            ("$", &[][..]),
        ] {
            assert_eq!(names(text), expected, "{text:?}");
        }
    }

    #[test]
    fn the_budget_bounds_what_substitution_makes() {
        let mut budget = 10;
        assert_eq!(interpolate("$TAG$TAG", &env, &mut budget).as_deref(), Ok("1.251.25"));
        assert_eq!(budget, 2);
        assert_eq!(interpolate("$TAG", &env, &mut budget), Err(InterpolationError::TooLong));
        assert_eq!(budget, 2, "a refused substitution takes nothing");
        // A value referenced a million times stops at the budget, not after making gigabytes.
        let big = |name: &str| (name == "BIG").then(|| "x".repeat(1 << 20));
        let mut budget = MAX_SUBSTITUTED;
        let text = "$BIG".repeat(1 << 20);
        assert_eq!(interpolate(&text, &big, &mut budget), Err(InterpolationError::TooLong));
        let text = format!("${{U:-{}}}", "${BIG}".repeat(1 << 10));
        assert_eq!(interpolate(&text, &big, &mut budget), Err(InterpolationError::TooLong));
    }
}
