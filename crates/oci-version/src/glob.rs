//! [`Glob`]: shell-style patterns over tags, matched by hand (no regex engine).

use std::fmt;
use std::hash::{Hash, Hasher};
use std::str::FromStr;

use crate::{Error, ErrorKind};

/// A shell-style pattern for tags: `*` matches any run of characters, `?` one character,
/// `[...]` one character of a class (`[0-9a-f]`, with ranges), and `[!...]` or `[^...]` one
/// character not in it. Everything else matches itself, case-sensitively.
///
/// A glob has only the characters of a tag besides those: one with any other character could
/// never match, so it is refused, like an unclosed or empty class and a reversed range.
/// [`Display`](fmt::Display) gives back the pattern as written. Equality is that of the pattern.
///
/// ```
/// use oci_version::Glob;
///
/// let glob: Glob = "*-rc[0-9]*".parse()?;
/// assert!(glob.matches("1.28.0-rc1"));
/// assert!(!glob.matches("1.28.0"));
/// # Ok::<(), oci_version::Error>(())
/// ```
#[derive(Clone)]
pub struct Glob {
    pattern: Box<str>,
    tokens: Box<[Token]>,
}

#[derive(Clone, Debug)]
enum Token {
    /// This byte.
    Byte(u8),
    /// `?`: any one character.
    One,
    /// `*`: any run of characters, even none.
    Many,
    /// `[...]`: one character in (or with `negated`, not in) the inclusive ranges.
    Class { negated: bool, ranges: Box<[(u8, u8)]> },
}

impl Glob {
    /// Parses a glob; the same as [`str::parse`].
    pub fn parse(s: &str) -> Result<Self, Error> {
        if s.is_empty() {
            return Err(Error::new(ErrorKind::EmptyGlob, s));
        }
        let bytes = s.as_bytes();
        let mut tokens = Vec::new();
        let mut i = 0;
        while i < bytes.len() {
            match bytes[i] {
                b'*' => {
                    // `**` is `*`; one token keeps matching linear in the number of stars.
                    if !matches!(tokens.last(), Some(Token::Many)) {
                        tokens.push(Token::Many);
                    }
                    i += 1;
                }
                b'?' => {
                    tokens.push(Token::One);
                    i += 1;
                }
                b'[' => {
                    let (token, next) = class(s, i + 1)?;
                    tokens.push(token);
                    i = next;
                }
                b if is_tag_byte(b) => {
                    tokens.push(Token::Byte(b));
                    i += 1;
                }
                _ => return Err(Error::new(ErrorKind::GlobCharacter, s)),
            }
        }
        Ok(Self {
            pattern: s.into(),
            tokens: tokens.into_boxed_slice(),
        })
    }

    /// The pattern as written.
    pub fn as_str(&self) -> &str {
        &self.pattern
    }

    /// Whether the whole of `text` matches the pattern.
    pub fn matches(&self, text: &str) -> bool {
        if text.is_ascii() {
            matches_bytes(&self.tokens, text.as_bytes())
        } else {
            // Tags are ASCII, but any string may be asked about. One byte per character keeps
            // `?` meaning one character; 0xFF is no pattern byte, so only `?`, `*` and negated
            // classes match it.
            let one_byte_each: Vec<u8> = text.chars().map(|c| u8::try_from(c).unwrap_or(0xFF)).collect();
            matches_bytes(&self.tokens, &one_byte_each)
        }
    }
}

impl FromStr for Glob {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self, Error> {
        Self::parse(s)
    }
}

impl fmt::Display for Glob {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.pattern)
    }
}

impl fmt::Debug for Glob {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Glob").field(&&*self.pattern).finish()
    }
}

// The tokens are a function of the pattern.
impl PartialEq for Glob {
    fn eq(&self, other: &Self) -> bool {
        self.pattern == other.pattern
    }
}

impl Eq for Glob {}

impl Hash for Glob {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.pattern.hash(state);
    }
}

impl Token {
    fn matches(&self, byte: u8) -> bool {
        match self {
            Self::Byte(b) => *b == byte,
            Self::One => true,
            Self::Many => false,
            Self::Class { negated, ranges } => ranges.iter().any(|&(lo, hi)| (lo..=hi).contains(&byte)) != *negated,
        }
    }
}

/// A character a tag can have.
fn is_tag_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-')
}

/// The class that starts at `start`, just after its `[`, and the index just after its `]`.
fn class(pattern: &str, start: usize) -> Result<(Token, usize), Error> {
    let bytes = pattern.as_bytes();
    let negated = matches!(bytes.get(start), Some(b'!' | b'^'));
    let body_start = start + usize::from(negated);
    let rest = bytes.get(body_start..).unwrap_or_default();
    let Some(len) = rest.iter().position(|&b| b == b']') else {
        return Err(Error::new(ErrorKind::UnclosedClass, pattern));
    };
    let body = &rest[..len];
    if body.is_empty() {
        return Err(Error::new(ErrorKind::EmptyClass, pattern));
    }
    let mut ranges = Vec::new();
    let mut k = 0;
    while k < body.len() {
        let lo = body[k];
        if !is_tag_byte(lo) {
            return Err(Error::new(ErrorKind::GlobCharacter, pattern));
        }
        // A `-` first or last in the class is itself; between two characters it makes a range.
        if body.get(k + 1) == Some(&b'-') && k + 2 < body.len() {
            let hi = body[k + 2];
            if !is_tag_byte(hi) {
                return Err(Error::new(ErrorKind::GlobCharacter, pattern));
            }
            if hi < lo {
                return Err(Error::new(ErrorKind::ReversedRange, pattern));
            }
            ranges.push((lo, hi));
            k += 3;
        } else {
            ranges.push((lo, lo));
            k += 1;
        }
    }
    let token = Token::Class {
        negated,
        ranges: ranges.into_boxed_slice(),
    };
    Ok((token, body_start + len + 1))
}

/// Matching with one backtracking point, the last `*`: at most pattern × text steps.
fn matches_bytes(tokens: &[Token], text: &[u8]) -> bool {
    let (mut p, mut t) = (0, 0);
    // Where to resume after the last `*`: the token after it, and the text it swallowed up to.
    let mut star: Option<(usize, usize)> = None;
    while t < text.len() {
        match tokens.get(p) {
            Some(Token::Many) => {
                star = Some((p + 1, t));
                p += 1;
                continue;
            }
            Some(token) if token.matches(text[t]) => {
                p += 1;
                t += 1;
                continue;
            }
            _ => {}
        }
        let Some((after_star, swallowed)) = star else {
            return false;
        };
        p = after_star;
        t = swallowed + 1;
        star = Some((after_star, swallowed + 1));
    }
    tokens[p..].iter().all(|token| matches!(token, Token::Many))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stars_and_backtracking() {
        let glob = Glob::parse("*a*b").unwrap();
        assert!(glob.matches("xaxxb"));
        assert!(glob.matches("ab"));
        assert!(!glob.matches("xaxxbx"));
        assert!(Glob::parse("**").unwrap().matches(""));
    }

    #[test]
    fn non_ascii_text_is_one_character_each() {
        assert!(Glob::parse("a?b").unwrap().matches("aéb"));
        assert!(Glob::parse("a[!x]b").unwrap().matches("aéb"));
        assert!(!Glob::parse("a[a-z]b").unwrap().matches("aéb"));
    }

    #[test]
    fn pathological_pattern_is_quick() {
        let glob = Glob::parse(&"*a".repeat(50)).unwrap();
        assert!(!glob.matches(&"a".repeat(49)));
        assert!(glob.matches(&"a".repeat(128)));
    }
}
