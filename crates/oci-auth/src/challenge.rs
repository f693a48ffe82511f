//! `WWW-Authenticate` challenges (RFC 7235 section 4.1), parsed with nom.

use std::fmt;

use nom::bytes::complete::{take_while, take_while1};
use nom::character::complete::char;
use nom::combinator::recognize;
use nom::{IResult, Parser};

use crate::error::{Error, ErrorKind};
use crate::scope::ScopeSet;
use crate::syntax::write_quoted_string;

/// One challenge of a `WWW-Authenticate` header: an auth scheme with either a token68 or parameters.
///
/// Parameter names are stored lower-case (they are case-insensitive); values keep their case. Unknown
/// parameters are kept, in order, and a parameter may repeat (`scope` does on some registries).
/// [`Display`](fmt::Display) writes a header that parses back to an equal challenge.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Challenge {
    scheme: AuthScheme,
    token68: Option<Box<str>>,
    params: Vec<(Box<str>, Box<str>)>,
}

/// The auth scheme of a [`Challenge`]. Schemes are case-insensitive; `Other` keeps the spelling it was given.
#[non_exhaustive]
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum AuthScheme {
    /// `Basic` (RFC 7617): send `Authorization: Basic base64(user:password)` to the registry.
    Basic,
    /// `Bearer` (RFC 6750 and the distribution token protocol): fetch a token from the realm.
    Bearer,
    /// Any other scheme (`Negotiate`, `Digest`, ...), as written.
    Other(Box<str>),
}

/// A `Bearer` challenge as the distribution token protocol reads it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BearerChallenge {
    realm: Box<str>,
    service: Option<Box<str>>,
    scopes: Vec<Box<str>>,
    error: Option<BearerError>,
    error_description: Option<Box<str>>,
}

/// The `error` parameter of a Bearer challenge (RFC 6750 section 3.1).
#[non_exhaustive]
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum BearerError {
    /// `invalid_request`: the request was malformed.
    InvalidRequest,
    /// `invalid_token`: the token is expired, revoked or not valid for this registry.
    InvalidToken,
    /// `insufficient_scope`: the token lacks the scope that the challenge names; the server may have granted
    /// fewer scopes than were asked for.
    InsufficientScope,
    /// Any other value, as written.
    Other(Box<str>),
}

impl Challenge {
    /// Parses one `WWW-Authenticate` header value into its challenges (there may be several, separated by
    /// commas).
    ///
    /// # Errors
    ///
    /// [`ErrorKind::InvalidChallenge`] with the byte offset where the header stops following RFC 7235;
    /// an empty header is an error too.
    pub fn parse_header(header: &str) -> Result<Vec<Self>, Error> {
        parse_header(header)
    }

    /// Parses every `WWW-Authenticate` header of a response, in order, into one list of challenges.
    ///
    /// # Errors
    ///
    /// The error of the first header that does not parse.
    pub fn parse_headers<I, S>(headers: I) -> Result<Vec<Self>, Error>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let mut all = Vec::new();
        for header in headers {
            all.extend(parse_header(header.as_ref())?);
        }
        Ok(all)
    }

    /// The challenge to answer among several: the first `Bearer`, else the first `Basic`.
    pub fn preferred(challenges: &[Self]) -> Option<&Self> {
        challenges
            .iter()
            .find(|c| c.scheme == AuthScheme::Bearer)
            .or_else(|| challenges.iter().find(|c| c.scheme == AuthScheme::Basic))
    }

    /// The auth scheme.
    pub fn scheme(&self) -> &AuthScheme {
        &self.scheme
    }

    /// The token68 form (`Negotiate YWJj`), when the challenge has one instead of parameters.
    pub fn token68(&self) -> Option<&str> {
        self.token68.as_deref()
    }

    /// Every parameter in order, names lower-case.
    pub fn params(&self) -> impl Iterator<Item = (&str, &str)> {
        self.params.iter().map(|(k, v)| (&**k, &**v))
    }

    /// The first value of a parameter; `name` is matched case-insensitively.
    pub fn param(&self, name: &str) -> Option<&str> {
        self.params
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| &**v)
    }

    /// The `realm` parameter: the token endpoint of a Bearer challenge, a label for Basic.
    pub fn realm(&self) -> Option<&str> {
        self.param("realm")
    }

    /// The `service` parameter of a Bearer challenge.
    pub fn service(&self) -> Option<&str> {
        self.param("service")
    }

    /// Every scope named by `scope` parameters: each parameter may hold several, space-separated.
    pub fn scopes(&self) -> Vec<&str> {
        self.params
            .iter()
            .filter(|(k, _)| &**k == "scope")
            .flat_map(|(_, v)| v.split(' '))
            .filter(|s| !s.is_empty())
            .collect()
    }

    /// The `error` parameter of a Bearer challenge.
    pub fn error(&self) -> Option<&str> {
        self.param("error")
    }

    /// The `error_description` parameter of a Bearer challenge.
    pub fn error_description(&self) -> Option<&str> {
        self.param("error_description")
    }

    /// This challenge read as a Bearer challenge, or `None` when its scheme is not `Bearer`.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::IncompleteChallenge`] when a Bearer challenge has no `realm`.
    pub fn bearer(&self) -> Result<Option<BearerChallenge>, Error> {
        if self.scheme != AuthScheme::Bearer {
            return Ok(None);
        }
        let realm = self.realm().ok_or_else(|| {
            Error::new(ErrorKind::IncompleteChallenge, &self.to_string())
                .with_detail("a Bearer challenge needs a realm")
        })?;
        Ok(Some(BearerChallenge {
            realm: realm.into(),
            service: self.service().map(Into::into),
            scopes: self.scopes().into_iter().map(Into::into).collect(),
            error: self.error().map(BearerError::from_value),
            error_description: self.error_description().map(Into::into),
        }))
    }
}

impl fmt::Display for Challenge {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.scheme.as_str())?;
        if let Some(token68) = &self.token68 {
            return write!(f, " {token68}");
        }
        for (i, (name, value)) in self.params.iter().enumerate() {
            f.write_str(if i == 0 { " " } else { "," })?;
            write!(f, "{name}=")?;
            write_quoted_string(f, value)?;
        }
        Ok(())
    }
}

impl AuthScheme {
    /// The scheme's name: `Basic`, `Bearer`, or another scheme as written.
    pub fn as_str(&self) -> &str {
        match self {
            Self::Basic => "Basic",
            Self::Bearer => "Bearer",
            Self::Other(name) => name,
        }
    }

    fn from_name(name: &str) -> Self {
        if name.eq_ignore_ascii_case("bearer") {
            Self::Bearer
        } else if name.eq_ignore_ascii_case("basic") {
            Self::Basic
        } else {
            Self::Other(name.into())
        }
    }
}

impl fmt::Display for AuthScheme {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl BearerChallenge {
    /// The token endpoint, as written in the challenge. Check it with
    /// [`Registry::check_realm`](crate::Registry::check_realm) before sending anything there.
    pub fn realm(&self) -> &str {
        &self.realm
    }

    /// The `service` to name in the token request.
    pub fn service(&self) -> Option<&str> {
        self.service.as_deref()
    }

    /// The scopes the challenge names, as written.
    pub fn scopes(&self) -> impl Iterator<Item = &str> {
        self.scopes.iter().map(AsRef::as_ref)
    }

    /// The scopes the challenge names, parsed.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::InvalidScope`] for the first scope that does not parse.
    pub fn scope_set(&self) -> Result<ScopeSet, Error> {
        self.scopes().map(str::parse).collect()
    }

    /// The `error` parameter.
    pub fn error(&self) -> Option<&BearerError> {
        self.error.as_ref()
    }

    /// The `error_description` parameter.
    pub fn error_description(&self) -> Option<&str> {
        self.error_description.as_deref()
    }
}

impl BearerError {
    fn from_value(value: &str) -> Self {
        match value {
            "invalid_request" => Self::InvalidRequest,
            "invalid_token" => Self::InvalidToken,
            "insufficient_scope" => Self::InsufficientScope,
            other => Self::Other(other.into()),
        }
    }

    /// The value as it appears in a challenge.
    pub fn as_str(&self) -> &str {
        match self {
            Self::InvalidRequest => "invalid_request",
            Self::InvalidToken => "invalid_token",
            Self::InsufficientScope => "insufficient_scope",
            Self::Other(value) => value,
        }
    }
}

impl fmt::Display for BearerError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

// The parser. `WWW-Authenticate = 1#challenge`, `challenge = auth-scheme [ 1*SP ( token68 / #auth-param ) ]`.
// Both challenges and their parameters are separated by commas, so after a comma an item is a parameter of
// the current challenge when it reads `token BWS "="` followed by a value, and a new challenge otherwise.

type PResult<'a, T> = IResult<&'a str, T>;

fn parse_header(header: &str) -> Result<Vec<Challenge>, Error> {
    let fail = |rest: &str, why: &'static str| {
        Error::new(
            ErrorKind::InvalidChallenge {
                position: header.len() - rest.len(),
            },
            header,
        )
        .with_detail(why)
    };
    let mut challenges: Vec<Challenge> = Vec::new();
    let mut rest = header;
    loop {
        // Empty list elements (`, ,`) are allowed by the list rule.
        rest = skip_separators(rest);
        if rest.is_empty() {
            break;
        }
        let in_params = challenges
            .last()
            .is_some_and(|c| c.token68.is_none() && !c.params.is_empty());
        let param = auth_param(rest).map_err(|at| fail(at, "invalid quoted string"))?;
        if in_params {
            if let Some((after, name, value)) = param {
                if let Some(current) = challenges.last_mut() {
                    current.params.push((name.to_ascii_lowercase().into(), value.into()));
                }
                rest = end_of_item(after).map_err(|at| fail(at, "expected `,` after a parameter"))?;
                continue;
            }
        } else if param.is_some() && !challenges.is_empty() {
            return Err(fail(
                rest,
                "a parameter cannot follow a token68 or a scheme without parameters",
            ));
        }
        let (after, scheme) = token(rest).map_err(|_| fail(rest, "expected an auth scheme"))?;
        let mut challenge = Challenge {
            scheme: AuthScheme::from_name(scheme),
            token68: None,
            params: Vec::new(),
        };
        let after_space = after.trim_start_matches([' ', '\t']);
        let spaces = &after[..after.len() - after_space.len()];
        rest = after;
        if !spaces.is_empty() && !after_space.is_empty() && !after_space.starts_with(',') {
            let param = auth_param(after_space).map_err(|at| fail(at, "invalid quoted string"))?;
            if let Some((after, name, value)) = param {
                challenge.params.push((name.to_ascii_lowercase().into(), value.into()));
                rest = end_of_item(after).map_err(|at| fail(at, "expected `,` after a parameter"))?;
            } else if let Ok((after, t68)) = token68(after_space) {
                challenge.token68 = Some(t68.into());
                rest = end_of_item(after).map_err(|at| fail(at, "expected `,` after a token68"))?;
            } else {
                return Err(fail(
                    after_space,
                    "expected a parameter or a token68 after the auth scheme",
                ));
            }
        } else {
            rest = end_of_item(rest).map_err(|at| fail(at, "expected a space or `,` after the auth scheme"))?;
        }
        challenges.push(challenge);
    }
    if challenges.is_empty() {
        return Err(fail(rest, "expected at least one challenge"));
    }
    Ok(challenges)
}

/// After an item: optional whitespace, then `,` or the end. Returns the rest starting at the `,`.
fn end_of_item(input: &str) -> Result<&str, &str> {
    let rest = input.trim_start_matches([' ', '\t']);
    if rest.is_empty() || rest.starts_with(',') {
        Ok(rest)
    } else {
        Err(rest)
    }
}

fn skip_separators(mut input: &str) -> &str {
    loop {
        let trimmed = input.trim_start_matches([' ', '\t']);
        match trimmed.strip_prefix(',') {
            Some(after) => input = after,
            None => return trimmed,
        }
    }
}

fn is_tchar(c: char) -> bool {
    c.is_ascii_alphanumeric() || "!#$%&'*+-.^_`|~".contains(c)
}

fn token(input: &str) -> PResult<'_, &str> {
    take_while1(is_tchar).parse(input)
}

fn ows(input: &str) -> PResult<'_, &str> {
    take_while(|c| c == ' ' || c == '\t').parse(input)
}

fn token68(input: &str) -> PResult<'_, &str> {
    recognize((
        take_while1(|c: char| c.is_ascii_alphanumeric() || "-._~+/".contains(c)),
        take_while(|c| c == '='),
    ))
    .parse(input)
}

/// `auth-param = token BWS "=" BWS ( token / quoted-string )`.
///
/// `Ok(None)` when the input does not start like a parameter (it may be a scheme or a token68); `Err` with the
/// rest of the input at the fault when it is a parameter whose quoted string is broken.
fn auth_param(input: &str) -> Result<Option<(&str, &str, String)>, &str> {
    let head: PResult<'_, _> = (token, ows, char('='), ows).parse(input);
    let Ok((rest, (name, _, _, _))) = head else {
        return Ok(None);
    };
    if rest.starts_with('"') {
        return match quoted_string(rest) {
            Ok((after, value)) => Ok(Some((after, name, value))),
            Err(nom::Err::Error(e) | nom::Err::Failure(e)) => Err(e.input),
            Err(nom::Err::Incomplete(_)) => Err(rest),
        };
    }
    Ok(token(rest).ok().map(|(after, value)| (after, name, value.to_owned())))
}

/// `quoted-string = DQUOTE *( qdtext / quoted-pair ) DQUOTE`, unescaped.
fn quoted_string(input: &str) -> PResult<'_, String> {
    let (mut rest, _) = char('"').parse(input)?;
    let mut out = String::new();
    let fail = |at| Err(nom::Err::Error(nom::error::Error::new(at, nom::error::ErrorKind::Char)));
    loop {
        let mut chars = rest.chars();
        match chars.next() {
            None => return fail(rest),
            Some('"') => return Ok((chars.as_str(), out)),
            Some('\\') => match chars.next() {
                Some(c) if c == '\t' || c == ' ' || (c > ' ' && c != '\u{7f}') => out.push(c),
                _ => return fail(rest),
            },
            Some(c) if c == '\t' || c == ' ' || (c > ' ' && c != '\u{7f}') => out.push(c),
            Some(_) => return fail(rest),
        }
        rest = chars.as_str();
    }
}
