//! Token requests as plain data, and token responses.

use std::fmt;
use std::time::{Duration, SystemTime};

use serde::Deserialize;
use serde_json::Value;

use crate::challenge::BearerChallenge;
use crate::credentials::Credential;
use crate::encoding::{base64_decode, parse_rfc3339, percent_encode};
use crate::error::{Error, ErrorKind};
use crate::json::parse_object;
use crate::registry::{Registry, basic_header};
use crate::scope::{Scope, ScopeSet};
use crate::secret::Secret;

/// The shortest token lifetime the protocol allows; `expires_in` below it (or missing) means this.
pub const MINIMUM_LIFETIME: Duration = Duration::from_secs(60);

/// The longest token lifetime believed: a longer `expires_in` (up to `u64::MAX` seconds, which no time
/// arithmetic survives) means this. A token is then fetched anew daily, which costs one request.
pub const MAXIMUM_LIFETIME: Duration = Duration::from_secs(24 * 60 * 60);

/// The `client_id` sent with OAuth2 token requests unless configured otherwise.
pub const DEFAULT_CLIENT_ID: &str = "oci-auth";

/// An HTTP method of a token request.
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Method {
    /// `GET`, the distribution token protocol.
    Get,
    /// `POST` with a form body, the OAuth2 token protocol.
    Post,
}

/// A token request for the caller to send: method, URL with query, headers and body.
///
/// `Debug` hides the `Authorization` header's value and the body, which carry secrets.
#[derive(Clone, PartialEq, Eq)]
pub struct TokenRequest {
    method: Method,
    url: String,
    headers: Vec<(&'static str, String)>,
    body: Option<String>,
    fallback: Option<Box<Self>>,
}

/// What to do to get a token for a challenge.
#[non_exhaustive]
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TokenPlan {
    /// Send this request and read the answer with [`Token::parse`].
    Request(TokenRequest),
    /// Use this bearer token as is (docker's `registrytoken`); there is nothing to request.
    Bearer(Secret),
}

/// Builds the token request that answers a Bearer challenge.
#[derive(Clone, Debug)]
pub struct TokenRequestBuilder<'a> {
    registry: &'a Registry,
    challenge: &'a BearerChallenge,
    scopes: ScopeSet,
    credential: Option<&'a Credential>,
    client_id: &'a str,
    oauth_password: bool,
}

/// A token from a token response.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Token {
    token: Secret,
    expires_in: Duration,
    issued_at: SystemTime,
    expires_at: SystemTime,
    refresh_token: Option<Secret>,
}

#[derive(Deserialize)]
struct RawToken {
    #[serde(default)]
    token: Option<String>,
    #[serde(default)]
    access_token: Option<String>,
    #[serde(default)]
    expires_in: Option<Value>,
    #[serde(default)]
    issued_at: Option<String>,
    #[serde(default)]
    refresh_token: Option<String>,
}

#[derive(Deserialize)]
struct Claims {
    #[serde(default)]
    access: Option<Vec<Access>>,
}

#[derive(Deserialize)]
struct Access {
    #[serde(rename = "type")]
    kind: String,
    name: String,
    #[serde(default)]
    actions: Vec<String>,
}

impl TokenRequest {
    /// The method.
    pub fn method(&self) -> Method {
        self.method
    }

    /// The URL with its query.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The headers to send, in order: `Authorization` when there are credentials, `Content-Type` for a form.
    pub fn headers(&self) -> impl Iterator<Item = (&str, &str)> {
        self.headers.iter().map(|(k, v)| (*k, v.as_str()))
    }

    /// The body, for a form POST.
    pub fn body(&self) -> Option<&[u8]> {
        self.body.as_deref().map(str::as_bytes)
    }

    /// The request to send instead when this one was answered with `status`: a form POST that gets 404 or 405
    /// (a token server without OAuth2) falls back to the GET form of the protocol.
    pub fn fallback(&self, status: u16) -> Option<&Self> {
        match status {
            404 | 405 => self.fallback.as_deref(),
            _ => None,
        }
    }
}

impl fmt::Debug for TokenRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let headers: Vec<(&str, &str)> = self
            .headers
            .iter()
            .map(|(k, v)| {
                (
                    *k,
                    if k.eq_ignore_ascii_case("authorization") {
                        "<redacted>"
                    } else {
                        v.as_str()
                    },
                )
            })
            .collect();
        f.debug_struct("TokenRequest")
            .field("method", &self.method)
            .field("url", &self.url)
            .field("headers", &headers)
            .field(
                "body",
                &self.body.as_ref().map(|b| format!("<{} bytes redacted>", b.len())),
            )
            .field("fallback", &self.fallback)
            .finish()
    }
}

impl<'a> TokenRequestBuilder<'a> {
    /// A request to the realm of `challenge`, which `registry` sent. Without scopes or credentials it asks for
    /// an anonymous token without scope.
    pub fn new(registry: &'a Registry, challenge: &'a BearerChallenge) -> Self {
        Self {
            registry,
            challenge,
            scopes: ScopeSet::new(),
            credential: None,
            client_id: DEFAULT_CLIENT_ID,
            oauth_password: false,
        }
    }

    /// The scopes to ask for.
    #[must_use]
    pub fn scopes(mut self, scopes: &ScopeSet) -> Self {
        self.scopes = scopes.clone();
        self
    }

    /// One more scope to ask for.
    #[must_use]
    pub fn scope(mut self, scope: Scope) -> Self {
        self.scopes.insert(scope);
        self
    }

    /// The credential to authenticate with.
    #[must_use]
    pub fn credential(mut self, credential: Option<&'a Credential>) -> Self {
        self.credential = credential;
        self
    }

    /// The OAuth2 `client_id` (default [`DEFAULT_CLIENT_ID`]).
    #[must_use]
    pub fn client_id(mut self, client_id: &'a str) -> Self {
        self.client_id = client_id;
        self
    }

    /// Exchange a user name and password with the OAuth2 form POST (`grant_type=password`) instead of GET with
    /// Basic; the POST falls back to GET where it is not served.
    #[must_use]
    pub fn oauth_password(mut self, yes: bool) -> Self {
        self.oauth_password = yes;
        self
    }

    /// Builds the plan.
    ///
    /// # Errors
    ///
    /// The errors of [`Registry::check_realm`]; [`ErrorKind::InsecureTransport`] when there is a credential and
    /// the realm is plain HTTP to a host that is neither loopback nor the host of a registry marked insecure
    /// ([`Registry::may_send_credentials`]), or when a registry token would go to a registry that does not
    /// [allow credentials](Registry::allows_credentials).
    pub fn build(&self) -> Result<TokenPlan, Error> {
        let realm = self.registry.check_realm(self.challenge.realm())?;
        if let Some(credential) = self.credential {
            if let Credential::RegistryToken(token) = credential {
                // This token goes to the registry itself, not to the realm.
                if !self.registry.allows_credentials() {
                    return Err(Error::new(ErrorKind::InsecureTransport, self.registry.host()));
                }
                return Ok(TokenPlan::Bearer(token.clone()));
            }
            if !self.registry.may_send_credentials(realm.is_https(), realm.host()) {
                return Err(Error::new(ErrorKind::InsecureTransport, realm.as_str()));
            }
        }
        let get = self.get_request(realm.as_str());
        let form = |grant: Vec<(&str, &str)>| {
            let mut fields = grant;
            if let Some(service) = self.challenge.service() {
                fields.push(("service", service));
            }
            fields.push(("client_id", self.client_id));
            let scope = self.scopes.to_string();
            let mut body = encode_pairs(&fields);
            if !scope.is_empty() {
                body.push_str("&scope=");
                body.push_str(&percent_encode(&scope));
            }
            TokenRequest {
                method: Method::Post,
                url: realm.as_str().to_owned(),
                headers: vec![("Content-Type", "application/x-www-form-urlencoded".to_owned())],
                body: Some(body),
                fallback: Some(Box::new(get.clone())),
            }
        };
        Ok(TokenPlan::Request(match self.credential {
            Some(Credential::IdentityToken(token)) => {
                form(vec![("grant_type", "refresh_token"), ("refresh_token", token.expose())])
            }
            Some(Credential::Basic { username, password }) if self.oauth_password => form(vec![
                ("grant_type", "password"),
                ("username", username),
                ("password", password.expose()),
                ("access_type", "offline"),
            ]),
            _ => get,
        }))
    }

    /// `GET realm?service=S&scope=A&scope=B`, with Basic when the credential is a password.
    fn get_request(&self, realm: &str) -> TokenRequest {
        let mut pairs: Vec<(&str, &str)> = Vec::new();
        if let Some(service) = self.challenge.service() {
            pairs.push(("service", service));
        }
        let scopes: Vec<String> = self.scopes.iter().map(ToString::to_string).collect();
        pairs.extend(scopes.iter().map(|s| ("scope", s.as_str())));
        let mut headers = Vec::new();
        if let Some(Credential::Basic { username, password }) = self.credential {
            pairs.push(("account", username));
            headers.push(("Authorization", basic_header(username, password.expose())));
        }
        let mut url = realm.to_owned();
        if !pairs.is_empty() {
            url.push(if realm.contains('?') { '&' } else { '?' });
            url.push_str(&encode_pairs(&pairs));
        }
        TokenRequest {
            method: Method::Get,
            url,
            headers,
            body: None,
            fallback: None,
        }
    }
}

impl Token {
    /// Reads a token response received at `now`.
    ///
    /// `token` is used, else `access_token`; `expires_in` missing or below 60 s means 60 s, above a day
    /// ([`MAXIMUM_LIFETIME`]) a day; `issued_at` missing means `now`. The expiry is `issued_at + expires_in`, except that an `issued_at` in the future or so far
    /// in the past that the token would already be expired is taken as clock skew and replaced by `now`.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::InvalidTokenResponse`] when the body is not a JSON object, a field has the wrong type, or
    /// `issued_at` is not RFC 3339; [`ErrorKind::MissingToken`] when neither token field has a value.
    pub fn parse(body: &[u8], now: SystemTime) -> Result<Self, Error> {
        let bad = |why: String| Error::new(ErrorKind::InvalidTokenResponse, "").with_detail(why);
        let raw: RawToken = parse_object(body).map_err(bad)?;
        let token = [raw.token, raw.access_token]
            .into_iter()
            .flatten()
            .find(|t| !t.is_empty())
            .ok_or_else(|| Error::new(ErrorKind::MissingToken, ""))?;
        let expires_in = match raw.expires_in {
            None | Some(Value::Null) => MINIMUM_LIFETIME,
            Some(Value::Number(n)) => {
                let secs = n
                    .as_u64()
                    .or_else(|| n.as_f64().filter(|f| *f > 0.0).map(|f| f.min(1e12) as u64));
                Duration::from_secs(secs.unwrap_or(0)).max(MINIMUM_LIFETIME)
            }
            Some(_) => return Err(bad("`expires_in` is not a number".into())),
        };
        let issued_at = match raw.issued_at.as_deref().filter(|s| !s.is_empty()) {
            None => now,
            Some(text) => parse_rfc3339(text).ok_or_else(|| {
                bad(format!(
                    "`issued_at` {:?} is not RFC 3339",
                    crate::error::excerpt(text, 40)
                ))
            })?,
        };
        Ok(Self::new(
            token.into(),
            expires_in,
            issued_at,
            now,
            raw.refresh_token.filter(|t| !t.is_empty()).map(Into::into),
        ))
    }

    /// A token obtained otherwise (a `registrytoken`, a token from a test server), valid for `expires_in` from
    /// `now`, at most [`MAXIMUM_LIFETIME`].
    pub fn from_parts(token: Secret, expires_in: Duration, now: SystemTime) -> Self {
        Self::new(token, expires_in, now, now, None)
    }

    fn new(
        token: Secret,
        expires_in: Duration,
        issued_at: SystemTime,
        now: SystemTime,
        refresh: Option<Secret>,
    ) -> Self {
        let expires_in = expires_in.min(MAXIMUM_LIFETIME);
        // `checked_add`, not `+`: `issued_at` and `now` are foreign and may sit at either end of time.
        let skewed = issued_at > now || issued_at.checked_add(expires_in).is_none_or(|end| end <= now);
        let start = if skewed { now } else { issued_at };
        Self {
            token,
            expires_in,
            issued_at,
            expires_at: start.checked_add(expires_in).unwrap_or(start),
            refresh_token: refresh,
        }
    }

    /// The token.
    pub fn token(&self) -> &Secret {
        &self.token
    }

    /// `Bearer TOKEN`, the `Authorization` value for registry requests.
    pub fn authorization(&self) -> String {
        format!("Bearer {}", self.token.expose())
    }

    /// The lifetime the server gave, at least 60 s ([`MINIMUM_LIFETIME`]) when parsed and at most a day
    /// ([`MAXIMUM_LIFETIME`]).
    pub fn expires_in(&self) -> Duration {
        self.expires_in
    }

    /// When the server says it issued the token (`now` when it did not say).
    pub fn issued_at(&self) -> SystemTime {
        self.issued_at
    }

    /// When the token expires.
    pub fn expires_at(&self) -> SystemTime {
        self.expires_at
    }

    /// The refresh token, when the server sent one (OAuth2 with `access_type=offline`).
    pub fn refresh_token(&self) -> Option<&Secret> {
        self.refresh_token.as_ref()
    }

    /// The scopes the token grants according to its JWT `access` claim, read without verifying the signature
    /// (the registry verifies it; this only tells the client what to expect). `None` when the token is not a
    /// JWT or has no `access` claim; entries that are not valid scopes are skipped.
    pub fn granted_scopes(&self) -> Option<ScopeSet> {
        let mut parts = self.token.expose().split('.');
        let (_, payload, _) = (parts.next()?, parts.next()?, parts.next()?);
        if parts.next().is_some() {
            return None;
        }
        let json = base64_decode(payload)?;
        let claims: Claims = parse_object(&json).ok()?;
        let mut set = ScopeSet::new();
        for access in claims.access? {
            if access.actions.is_empty() {
                continue;
            }
            let text = format!("{}:{}:{}", access.kind, access.name, access.actions.join(","));
            if let Ok(scope) = Scope::parse(&text) {
                set.insert(scope);
            }
        }
        Some(set)
    }
}

fn encode_pairs(pairs: &[(&str, &str)]) -> String {
    let mut out = String::new();
    for (i, (name, value)) in pairs.iter().enumerate() {
        if i > 0 {
            out.push('&');
        }
        out.push_str(name);
        out.push('=');
        out.push_str(&percent_encode(value));
    }
    out
}
