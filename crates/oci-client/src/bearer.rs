//! A minimal Bearer token flow: parse the challenge, fetch one token from the realm, use it.
//!
//! Deliberately small and isolated: `oci-auth` will replace the challenge parser, the token request and the cache
//! (expiry, refresh tokens, shared fetches). Until then a token is cached per registry and scope, and a refused one is
//! fetched again once.

use http::header::{self, HeaderValue};
use http::{StatusCode, Uri};
use tokio::time::Instant;

use crate::client::{Call, Client, read_body};
use crate::config::Credentials;
use crate::error::{Error, ErrorKind, ServerError, truncate};

/// The largest token response read.
const TOKEN_BODY_LIMIT: u64 = 256 * 1024;

/// The challenge of a `WWW-Authenticate` header, as far as the client uses it.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Challenge {
    Basic,
    Bearer(Params),
}

/// The parameters of a Bearer challenge.
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct Params {
    pub(crate) realm: String,
    pub(crate) service: Option<String>,
    pub(crate) scope: Option<String>,
}

impl Challenge {
    /// Parses the first challenge of a header value; `None` for schemes other than Basic and Bearer or a Bearer
    /// challenge without a realm.
    pub(crate) fn parse(value: &str) -> Option<Self> {
        let value = value.trim_start();
        let (scheme, rest) = value.split_once(' ').unwrap_or((value, ""));
        if scheme.eq_ignore_ascii_case("basic") {
            return Some(Self::Basic);
        }
        if !scheme.eq_ignore_ascii_case("bearer") {
            return None;
        }
        let mut params = Params::default();
        let mut realm = None;
        for (name, value) in parse_params(rest)? {
            match name.to_ascii_lowercase().as_str() {
                "realm" => realm = Some(value),
                "service" => params.service = Some(value),
                "scope" => params.scope = Some(value),
                _ => {}
            }
        }
        params.realm = realm?;
        Some(Self::Bearer(params))
    }
}

/// `name=value` or `name="quoted \" value"` pairs separated by commas.
fn parse_params(mut input: &str) -> Option<Vec<(String, String)>> {
    let mut params = Vec::new();
    loop {
        input = input.trim_start_matches([' ', '\t', ',']);
        if input.is_empty() {
            return Some(params);
        }
        let (name, rest) = input.split_once('=')?;
        let name = name.trim();
        if name.is_empty() || name.contains([' ', '"', ',']) {
            return None;
        }
        let rest = rest.trim_start();
        let mut value = String::new();
        if let Some(quoted) = rest.strip_prefix('"') {
            let mut chars = quoted.char_indices();
            let mut end = None;
            while let Some((i, c)) = chars.next() {
                match c {
                    '\\' => value.push(chars.next()?.1),
                    '"' => {
                        end = Some(i + 1);
                        break;
                    }
                    c => value.push(c),
                }
            }
            input = &quoted[end?..];
        } else {
            let end = rest.find(',').unwrap_or(rest.len());
            value.push_str(rest[..end].trim_end());
            input = &rest[end..];
        }
        params.push((name.to_owned(), value));
    }
}

/// Fetches a token from the challenge's realm for `scope` (the call's repository scope, or the challenge's own).
pub(crate) async fn fetch_token(
    client: &Client,
    call: &Call<'_>,
    params: &Params,
    scope: &str,
    credentials: Option<&Credentials>,
    deadline: Instant,
) -> Result<String, Error> {
    let realm: Uri = params.realm.parse().map_err(|err| {
        call.error(ErrorKind::Protocol)
            .with_source(err)
            .with_detail(format!("bad realm `{}`", truncate(&params.realm)))
    })?;
    let authority = realm.authority().map(|a| a.as_str()).unwrap_or_default();
    let plain_ok = realm.scheme_str() == Some("http") && client.plain_http_allowed(authority);
    if realm.scheme_str() != Some("https") && !plain_ok {
        return Err(call
            .error(ErrorKind::InsecureTransport)
            .with_detail(format!("token realm `{}` is not HTTPS", truncate(&params.realm))));
    }
    let mut query = Vec::new();
    if let Some(service) = &params.service {
        query.push(format!("service={}", encode(service)));
    }
    let scope = if scope.is_empty() {
        params.scope.as_deref().unwrap_or_default()
    } else {
        scope
    };
    if !scope.is_empty() {
        query.push(format!("scope={}", encode(scope)));
    }
    if let Some(credentials) = credentials {
        query.push(format!("account={}", encode(credentials.username())));
    }
    let separator = if realm.query().is_some() { '&' } else { '?' };
    let url = if query.is_empty() {
        params.realm.clone()
    } else {
        format!("{}{separator}{}", params.realm, query.join("&"))
    };
    let uri: Uri = url
        .parse()
        .map_err(|err| call.error(ErrorKind::Protocol).with_source(err))?;
    let mut get = call.get(String::new());
    get.headers
        .push((header::ACCEPT, HeaderValue::from_static("application/json")));
    let authorization = credentials
        .map(|c| HeaderValue::from_str(&c.basic_header()))
        .transpose()
        .map_err(|_| {
            call.error(ErrorKind::InvalidInput)
                .with_detail("credentials hold characters HTTP forbids")
        })?;
    let response = client.request(&get, uri, authorization.as_ref(), deadline).await?;
    let status = response.status();
    let body = read_body(&get, response, TOKEN_BODY_LIMIT, deadline).await?;
    if status != StatusCode::OK {
        let kind = if status == StatusCode::UNAUTHORIZED || status == StatusCode::FORBIDDEN {
            ErrorKind::Unauthorized
        } else {
            ErrorKind::Status
        };
        return Err(call
            .error(kind)
            .with_status(status, ServerError::parse_body(&body))
            .with_detail(format!(
                "token request to `{}` for scope `{scope}` refused",
                truncate(&params.realm)
            )));
    }
    #[derive(serde::Deserialize)]
    struct TokenResponse {
        token: Option<String>,
        access_token: Option<String>,
    }
    let parsed: TokenResponse = serde_json::from_slice(&body).map_err(|err| {
        call.error(ErrorKind::Protocol)
            .with_source(err)
            .with_detail("bad token response")
    })?;
    parsed
        .token
        .or(parsed.access_token)
        .filter(|token| !token.is_empty())
        .ok_or_else(|| {
            call.error(ErrorKind::Protocol)
                .with_detail("token response without a token")
        })
}

/// Percent-encodes a query value, leaving RFC 3986 unreserved characters as they are.
fn encode(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for byte in value.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bearer(realm: &str, service: Option<&str>, scope: Option<&str>) -> Option<Challenge> {
        Some(Challenge::Bearer(Params {
            realm: realm.to_owned(),
            service: service.map(str::to_owned),
            scope: scope.map(str::to_owned),
        }))
    }

    #[test]
    fn challenges() {
        let check = |input: &str, expected: Option<Challenge>| assert_eq!(Challenge::parse(input), expected, "{input}");
        check(r#"Basic realm="registry""#, Some(Challenge::Basic));
        check("basic", Some(Challenge::Basic));
        check(
            r#"Bearer realm="https://auth.example/token",service="registry.example",scope="repository:a/b:pull,push""#,
            bearer(
                "https://auth.example/token",
                Some("registry.example"),
                Some("repository:a/b:pull,push"),
            ),
        );
        check(
            r#"Bearer realm="http://127.0.0.1:1/t""#,
            bearer("http://127.0.0.1:1/t", None, None),
        );
        check(
            r#"bearer Realm=https://x/t , service="a\"b""#,
            bearer("https://x/t", Some("a\"b"), None),
        );
        check(r#"Bearer service="x""#, None);
        check(r#"Bearer realm="unterminated"#, None);
        check("Negotiate abc", None);
        check("", None);
    }

    #[test]
    fn query_encoding() {
        assert_eq!(encode("repository:a/b:pull,push"), "repository%3Aa%2Fb%3Apull%2Cpush");
        assert_eq!(encode("a-b.c_d~e"), "a-b.c_d~e");
    }
}
