//! Authentication driven by the registry's own challenge, through `oci-auth`.
//!
//! A `401` is answered by what its `WWW-Authenticate` asks for: `Basic` gets the registry's credentials, `Bearer` a
//! token from the realm, requested with [`oci_auth::TokenRequestBuilder`] (HTTP Basic to the realm for a password,
//! the OAuth2 form POST for an identity token, falling back to `GET`) and read with [`oci_auth::Token::parse`].
//! Tokens live in one [`oci_auth::TokenCache`] shared by all clones of a client. Once a registry's challenge is known,
//! later requests are authorized before they are sent, so a cached token costs no extra round trip.
//!
//! Concurrency: requests needing a token for the same registry, service and scopes wait for one fetch (one
//! `tokio::sync::Mutex` per pending key, the cache checked again under it). A cached token that the registry refuses
//! is never offered again and is fetched anew once; an `insufficient_scope` answer to a cached token feeds the
//! cache's signal that this registry grants fewer scopes than asked for, so it is no longer asked for several.
//!
//! Security: the realm must pass [`oci_auth::Registry::check_realm`] (HTTPS for HTTPS registries, loopback excepted;
//! no link-local, metadata or unspecified addresses), and credentials go over plain HTTP only to loopback or to a
//! registry marked insecure.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, SystemTime};

use bytes::Bytes;
use http::header::{self, HeaderName, HeaderValue};
use http::{Method, Response, StatusCode};
use hyper::body::Incoming;
use oci_auth::{
    AuthScheme, BatchConfig, BearerChallenge, BearerError, Challenge, Credential, Scope, ScopeSet, Token, TokenCache,
    TokenPlan, TokenRequest, TokenRequestBuilder,
};
use tokio::time::Instant;

use crate::client::{Call, Client, read_body};
use crate::config::Transport;
use crate::error::{Error, ErrorKind, ServerError, truncate};
use crate::location::is_loopback;

/// The largest token response read.
const TOKEN_BODY_LIMIT: u64 = 256 * 1024;

/// The lifetime given to a registry token used as is (docker's `registrytoken`), which has none of its own.
const REGISTRY_TOKEN_LIFETIME: Duration = Duration::from_secs(3600);

/// The auth state shared by every clone of a client.
#[derive(Default)]
pub(crate) struct AuthState {
    /// Bearer tokens by registry, service and scopes.
    cache: Mutex<TokenCache>,
    /// The last Bearer challenge of each registry, to authorize requests before sending them.
    challenges: Mutex<HashMap<String, BearerChallenge>>,
    /// `Authorization: Basic` values of registries that challenged with Basic.
    basic: Mutex<HashMap<String, HeaderValue>>,
    /// Credentials looked up once per registry (`None`: anonymous).
    credentials: Mutex<HashMap<String, Option<Credential>>>,
    /// Tokens a registry refused: never offered again.
    refused: Mutex<HashSet<String>>,
    /// One lock per token being fetched, so concurrent requests for the same token wait for one fetch.
    flights: Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>,
    /// How many token requests were sent (for tests and benchmarks).
    token_requests: std::sync::atomic::AtomicU64,
}

/// The `Authorization` a request was sent with.
#[derive(Clone, Default)]
pub(crate) struct Sent {
    pub(crate) header: Option<HeaderValue>,
    /// The bearer token, when `header` carries one.
    token: Option<String>,
    /// Whether it was obtained for this very request (so a refusal is final).
    fresh: bool,
    basic: bool,
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

impl AuthState {
    /// How many token requests this client has sent.
    pub(crate) fn token_requests(&self) -> u64 {
        self.token_requests.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// A fresh cached token for `scopes` that no registry refused.
    fn cached(&self, registry: &str, service: Option<&str>, scopes: &ScopeSet) -> Option<String> {
        let cache = lock(&self.cache);
        let token = cache.get(registry, service, scopes)?.token().expose().to_owned();
        if lock(&self.refused).contains(&token) {
            return None;
        }
        Some(token)
    }
}

/// The scopes a call needs: its repository's, or none (`/v2/`).
pub(crate) fn call_scopes(call: &Call<'_>) -> Result<ScopeSet, Error> {
    let mut scopes = ScopeSet::new();
    if let Some(name) = call.repository {
        let actions: Vec<&str> = call.actions.split(',').collect();
        let scope = Scope::repository(name, &actions).map_err(|err| auth_error(call, err))?;
        scopes.insert(scope);
    }
    Ok(scopes)
}

impl Client {
    /// The `Authorization` to send with a call before any challenge: Basic for a registry that asked for it, or a
    /// cached (else freshly fetched) token for a registry whose Bearer challenge is known.
    pub(crate) async fn preauthorize(&self, call: &Call<'_>, scopes: &ScopeSet) -> Result<Sent, Error> {
        let auth = &self.inner().auth;
        if let Some(value) = lock(&auth.basic).get(call.registry).cloned() {
            return Ok(Sent {
                header: Some(value),
                basic: true,
                ..Sent::default()
            });
        }
        let Some(challenge) = lock(&auth.challenges).get(call.registry).cloned() else {
            return Ok(Sent::default());
        };
        if let Some(token) = auth.cached(call.registry, challenge.service(), scopes) {
            return bearer(token, false);
        }
        let deadline = Instant::now() + self.config().request_timeout();
        let token = self.token(call, &challenge, scopes, deadline).await?;
        bearer(token, true)
    }

    /// Answers a `401`: the `Authorization` to try next, or `None` when there is nothing more to try (the response is
    /// then the answer).
    pub(crate) async fn answer_challenge(
        &self,
        call: &Call<'_>,
        scopes: &ScopeSet,
        response: &Response<Incoming>,
        sent: &Sent,
        deadline: Instant,
    ) -> Result<Option<Sent>, Error> {
        let headers: Vec<&str> = response
            .headers()
            .get_all(header::WWW_AUTHENTICATE)
            .iter()
            .filter_map(|value| value.to_str().ok())
            .collect();
        if headers.is_empty() {
            return Ok(None);
        }
        let challenges = Challenge::parse_headers(&headers).map_err(|err| {
            call.error(ErrorKind::Protocol)
                .with_status(response.status(), Vec::new())
                .with_source(err)
                .with_detail(format!(
                    "malformed WWW-Authenticate `{}`",
                    truncate(&headers.join(", "))
                ))
        })?;
        let Some(challenge) = Challenge::preferred(&challenges) else {
            return Ok(None);
        };
        let auth = &self.inner().auth;
        if *challenge.scheme() == AuthScheme::Basic {
            if sent.basic {
                return Ok(None);
            }
            let Some(credential) = self.credential(call).await? else {
                return Ok(None);
            };
            let value = self
                .security(call.registry)
                .basic_authorization(&credential)
                .map_err(|err| auth_error(call, err))?;
            let Some(value) = value else {
                return Ok(None);
            };
            let value = HeaderValue::from_str(&value).map_err(|_| {
                call.error(ErrorKind::InvalidInput)
                    .with_detail("credentials hold characters HTTP forbids")
            })?;
            lock(&auth.basic).insert(call.registry.to_owned(), value.clone());
            return Ok(Some(Sent {
                header: Some(value),
                basic: true,
                ..Sent::default()
            }));
        }
        let Some(bearer_challenge) = challenge.bearer().map_err(|err| {
            call.error(ErrorKind::Protocol)
                .with_source(err)
                .with_detail("unusable Bearer challenge")
        })?
        else {
            return Ok(None);
        };
        lock(&auth.challenges).insert(call.registry.to_owned(), bearer_challenge.clone());
        if sent.fresh {
            // A token fetched for this very request was refused: that is the answer.
            return Ok(None);
        }
        if let Some(token) = &sent.token {
            if bearer_challenge.error() == Some(&BearerError::InsufficientScope) {
                let mut cache = lock(&auth.cache);
                for scope in scopes.iter() {
                    cache.insufficient_scope(call.registry, bearer_challenge.service(), scope);
                }
            } else {
                lock(&auth.refused).insert(token.clone());
            }
        }
        let scopes = if scopes.is_empty() {
            bearer_challenge.scope_set().unwrap_or_default()
        } else {
            scopes.clone()
        };
        let token = self.token(call, &bearer_challenge, &scopes, deadline).await?;
        bearer(token, true).map(Some)
    }

    /// A token for `scopes`, from the cache or fetched once however many requests ask at the same time.
    async fn token(
        &self,
        call: &Call<'_>,
        challenge: &BearerChallenge,
        scopes: &ScopeSet,
        deadline: Instant,
    ) -> Result<String, Error> {
        let auth = &self.inner().auth;
        let key = format!(
            "{}\n{}\n{scopes}",
            call.registry,
            challenge.service().unwrap_or_default()
        );
        let flight = Arc::clone(lock(&auth.flights).entry(key.clone()).or_default());
        let _guard = flight.lock().await;
        if let Some(token) = auth.cached(call.registry, challenge.service(), scopes) {
            return Ok(token);
        }
        let result = self.fetch_token(call, challenge, scopes, deadline).await;
        lock(&auth.flights).remove(&key);
        let token = result?;
        let value = token.token().expose().to_owned();
        lock(&auth.cache).insert(call.registry, challenge.service(), scopes, token);
        Ok(value)
    }

    /// Sends one token request (and its GET fallback) and reads the token.
    async fn fetch_token(
        &self,
        call: &Call<'_>,
        challenge: &BearerChallenge,
        scopes: &ScopeSet,
        deadline: Instant,
    ) -> Result<Token, Error> {
        let credential = self.credential(call).await?;
        let security = self.security(call.registry);
        let plan = TokenRequestBuilder::new(&security, challenge)
            .scopes(scopes)
            .credential(credential.as_ref())
            .build()
            .map_err(|err| auth_error(call, err).with_scope(scopes))?;
        let request = match plan {
            TokenPlan::Request(request) => request,
            TokenPlan::Bearer(secret) => {
                return Ok(Token::from_parts(secret, REGISTRY_TOKEN_LIFETIME, SystemTime::now()));
            }
            _ => {
                return Err(call
                    .error(ErrorKind::Protocol)
                    .with_detail("a token plan this client does not know"));
            }
        };
        let (status, body) = self.send_token_request(call, &request, deadline).await?;
        let (status, body) = match request.fallback(status.as_u16()) {
            Some(fallback) => self.send_token_request(call, fallback, deadline).await?,
            None => (status, body),
        };
        if status != StatusCode::OK {
            let kind = if status == StatusCode::UNAUTHORIZED || status == StatusCode::FORBIDDEN {
                ErrorKind::Unauthorized
            } else {
                ErrorKind::Status
            };
            return Err(call
                .error(kind)
                .with_status(status, ServerError::parse_body(&body))
                .with_scope(scopes)
                .with_detail(format!("token request to `{}` refused", truncate(challenge.realm()))));
        }
        Token::parse(&body, SystemTime::now()).map_err(|err| {
            call.error(ErrorKind::Protocol)
                .with_source(err)
                .with_scope(scopes)
                .with_detail(format!("bad token response from `{}`", truncate(challenge.realm())))
        })
    }

    async fn send_token_request(
        &self,
        call: &Call<'_>,
        request: &TokenRequest,
        deadline: Instant,
    ) -> Result<(StatusCode, Bytes), Error> {
        let uri = request.url().parse().map_err(|err| {
            call.error(ErrorKind::Protocol)
                .with_source(err)
                .with_detail(format!("bad token URL `{}`", truncate(request.url())))
        })?;
        let method = match request.method() {
            oci_auth::Method::Post => Method::POST,
            _ => Method::GET,
        };
        let mut headers = vec![(header::ACCEPT, HeaderValue::from_static("application/json"))];
        for (name, value) in request.headers() {
            let name = HeaderName::from_bytes(name.as_bytes());
            let value = HeaderValue::from_str(value);
            let (Ok(name), Ok(value)) = (name, value) else {
                return Err(call
                    .error(ErrorKind::InvalidInput)
                    .with_detail("credentials hold characters HTTP forbids"));
            };
            headers.push((name, value));
        }
        let body = request.body().map(Bytes::copy_from_slice).unwrap_or_default();
        self.inner()
            .auth
            .token_requests
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let token_call = call.get(String::new());
        let response = self
            .request_parts(&token_call, method, uri, &headers, body, None, deadline)
            .await?;
        let status = response.status();
        let body = read_body(&token_call, response, TOKEN_BODY_LIMIT, deadline).await?;
        Ok((status, body))
    }

    /// The credential for the call's registry: the configured [`Credentials`](crate::Credentials), else the
    /// credential store's (looked up once per registry, helpers run on the blocking pool).
    async fn credential(&self, call: &Call<'_>) -> Result<Option<Credential>, Error> {
        if let Some(credentials) = self
            .config()
            .registry(call.registry)
            .and_then(|o| o.credentials.as_ref())
        {
            return Ok(Some(Credential::basic(credentials.username(), credentials.password())));
        }
        let Some(store) = self.config().credential_store.clone() else {
            return Ok(None);
        };
        let auth = &self.inner().auth;
        if let Some(found) = lock(&auth.credentials).get(call.registry) {
            return Ok(found.clone());
        }
        let registry = call.registry.to_owned();
        let repository = call.repository.map(str::to_owned);
        let found = tokio::task::spawn_blocking(move || store.lookup(&registry, repository.as_deref()))
            .await
            .map_err(|err| {
                call.error(ErrorKind::Credentials)
                    .with_source(err)
                    .with_detail("the credential lookup did not finish")
            })?
            .map_err(|err| auth_error(call, err))?
            .map(|(credential, _source)| credential);
        lock(&auth.credentials).insert(call.registry.to_owned(), found.clone());
        Ok(found)
    }

    /// The security rules of `registry` as `oci-auth` states them.
    fn security(&self, registry: &str) -> oci_auth::Registry {
        let options = self.config().registry(registry);
        let insecure = options.is_some_and(|o| o.insecure);
        match options.map(|o| o.transport).unwrap_or_default() {
            Transport::Http if insecure || is_loopback(registry) => {
                oci_auth::Registry::http(registry).with_insecure(insecure)
            }
            _ => oci_auth::Registry::https(registry).with_insecure(insecure),
        }
    }

    /// Fetches tokens ahead of time for pulling every repository of `repositories` on `registry`, in as few token
    /// requests as the registry allows: one for the whole batch (split only when the query would grow too long),
    /// and one per repository where the registry granted fewer scopes than asked for. Later requests to these
    /// repositories then find their token in the cache.
    ///
    /// Does nothing for a registry that asks for no token (open, or Basic auth). Learns the registry's challenge with
    /// [`Client::ping`] when it is not known yet.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::InvalidInput`] for an invalid registry or repository name, and the errors of a token request
    /// (see [`Client::ping`]). A repository the registry refuses is no error here: its own request will say so.
    pub async fn authorize_batch(&self, registry: &str, repositories: &[&str]) -> Result<(), Error> {
        let registry = crate::location::normalize_registry(registry)?;
        let known = lock(&self.inner().auth.challenges).get(&registry).cloned();
        let challenge = match known {
            Some(challenge) => challenge,
            None => match self.discover(&registry).await? {
                Some(challenge) => challenge,
                None => return Ok(()),
            },
        };
        let call = Call::new(&registry, None, Method::GET, String::new());
        let mut needed = ScopeSet::new();
        for name in repositories {
            let scope = Scope::pull(name).map_err(|err| auth_error(&call, err))?;
            needed.insert(scope);
        }
        let plan =
            lock(&self.inner().auth.cache).plan(&registry, challenge.service(), &needed, &BatchConfig::default());
        let deadline = Instant::now() + self.config().request_timeout();
        for batch in plan {
            self.token(&call, &challenge, &batch, deadline).await?;
            if batch.len() < 2 {
                continue;
            }
            // The server may have granted fewer scopes than asked for: ask for the rest one by one.
            let missing: Vec<Scope> = batch
                .iter()
                .filter(|scope| {
                    let auth = &self.inner().auth;
                    auth.cached(&registry, challenge.service(), &ScopeSet::from((*scope).clone()))
                        .is_none()
                })
                .cloned()
                .collect();
            for scope in missing {
                self.token(&call, &challenge, &ScopeSet::from(scope), deadline).await?;
            }
        }
        Ok(())
    }

    /// Learns a registry's Bearer challenge from an unauthenticated `GET /v2/`, without answering it.
    async fn discover(&self, registry: &str) -> Result<Option<BearerChallenge>, Error> {
        let call = Call::new(registry, None, Method::GET, "/v2/".to_owned());
        let (response, _deadline) = self.send_with_retries(&call, None).await?;
        if response.status() != StatusCode::UNAUTHORIZED {
            return Ok(None);
        }
        let headers: Vec<&str> = response
            .headers()
            .get_all(header::WWW_AUTHENTICATE)
            .iter()
            .filter_map(|value| value.to_str().ok())
            .collect();
        let challenges = Challenge::parse_headers(&headers).map_err(|err| {
            call.error(ErrorKind::Protocol).with_source(err).with_detail(format!(
                "malformed WWW-Authenticate `{}`",
                truncate(&headers.join(", "))
            ))
        })?;
        let Some(challenge) = Challenge::preferred(&challenges) else {
            return Ok(None);
        };
        let bearer = challenge
            .bearer()
            .map_err(|err| call.error(ErrorKind::Protocol).with_source(err))?;
        if let Some(bearer) = &bearer {
            lock(&self.inner().auth.challenges).insert(registry.to_owned(), bearer.clone());
        }
        Ok(bearer)
    }

    /// How many token requests this client (and its clones) has sent so far.
    pub fn token_requests(&self) -> u64 {
        self.inner().auth.token_requests()
    }
}

fn bearer(token: String, fresh: bool) -> Result<Sent, Error> {
    let header = HeaderValue::from_str(&format!("Bearer {token}"))
        .map_err(|_| Error::new(ErrorKind::Protocol).with_detail("a token holds characters HTTP forbids"))?;
    Ok(Sent {
        header: Some(header),
        token: Some(token),
        fresh,
        basic: false,
    })
}

/// An `oci-auth` refusal as this crate's error.
fn auth_error(call: &Call<'_>, err: oci_auth::Error) -> Error {
    use oci_auth::ErrorKind as A;
    let kind = match err.kind() {
        A::InsecureTransport | A::InsecureRealm | A::ForbiddenRealmAddress => ErrorKind::InsecureTransport,
        A::InvalidScope => ErrorKind::InvalidInput,
        A::HelperNotFound { .. }
        | A::HelperFailed { .. }
        | A::HelperOutput { .. }
        | A::HelperTimeout { .. }
        | A::HelperIo { .. }
        | A::InvalidConfig
        | A::Io => ErrorKind::Credentials,
        _ => ErrorKind::Protocol,
    };
    call.error(kind).with_source(err)
}
