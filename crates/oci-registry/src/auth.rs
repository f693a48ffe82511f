//! Authentication driven by the registry's own challenge, through `oci-auth`, on top of the transport.
//!
//! A `401` is answered by what its `WWW-Authenticate` asks for: `Basic` gets the registry's credentials, `Bearer` a
//! token from the realm, requested with [`oci_auth::TokenRequestBuilder`] (HTTP Basic to the realm for a password,
//! the OAuth2 form POST for an identity token, falling back to `GET`) and read with [`oci_auth::Token::parse`].
//! Tokens live in one [`oci_auth::TokenCache`] shared by all clones of a client. Once a registry's challenge is known,
//! later requests are authorized before they are sent, so a cached token costs no extra round trip.
//!
//! Bounds: one request answers at most [`MAX_AUTH_ROUNDS`] challenges; a registry whose challenges do not settle
//! within them (Basic asked of anonymous requests and Bearer of Basic ones, say) fails with
//! [`ErrorKind::AuthLoop`], and its later requests fail at once instead of sending credentials again.
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
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::task::Poll;
use std::time::{Duration, SystemTime};

use bytes::Bytes;
use http::header::{self, HeaderName, HeaderValue};
use http::{Method, Response, StatusCode};
use hyper::body::Incoming;
use oci_auth::{
    AuthScheme, BatchConfig, BearerChallenge, BearerError, Challenge, Credential, Scope, ScopeSet, Source, Token,
    TokenCache, TokenPlan, TokenRequest, TokenRequestBuilder,
};
use tokio::time::{Instant, timeout_at};

use crate::config::Scheme;
use crate::error::{CredentialsSent, Error, ErrorKind, ServerError, cut};
use crate::location::is_loopback;
use crate::ratelimit::RateLimit;
use crate::transport::{Access, Call, Context, Outgoing, Transport, header_str, lock, read_body};

/// The largest token response read.
const TOKEN_BODY_LIMIT: u64 = 256 * 1024;

/// How much of an error body is read to find the registry's error codes.
pub(crate) const ERROR_BODY_LIMIT: u64 = 64 * 1024;

/// The lifetime given to a registry token used as is (docker's `registrytoken`), which has none of its own.
const REGISTRY_TOKEN_LIFETIME: Duration = Duration::from_secs(3600);

/// The most challenges one request answers before giving up with [`ErrorKind::AuthLoop`].
pub const MAX_AUTH_ROUNDS: u32 = 3;

/// The auth state shared by every clone of a client.
#[derive(Default)]
pub(crate) struct Auth {
    /// Bearer tokens by registry, service and scopes.
    cache: Mutex<TokenCache>,
    /// The last Bearer challenge of each registry, to authorize requests before sending them.
    challenges: Mutex<HashMap<String, BearerChallenge>>,
    /// `Authorization: Basic` values of registries that challenged with Basic, with where the credentials came from,
    /// by [`credential_key`].
    basic: Mutex<HashMap<String, (HeaderValue, String)>>,
    /// Credentials looked up once per [`credential_key`].
    credentials: Mutex<HashMap<String, Option<(Credential, String)>>>,
    /// Tokens a registry refused: never offered again.
    refused: Mutex<HashSet<String>>,
    /// Registries whose challenges did not settle: their requests fail at once.
    looping: Mutex<HashSet<String>>,
    /// One lock per token being fetched, so concurrent requests for the same token wait for one fetch.
    flights: Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>,
    /// How many token requests were sent (for tests and benchmarks).
    token_requests: AtomicU64,
}

/// The `Authorization` a request was sent with.
#[derive(Clone, Default)]
struct Sent {
    header: Option<HeaderValue>,
    /// The bearer token, when `header` carries one.
    token: Option<String>,
    /// Whether it was obtained for this very request (so a refusal is final).
    fresh: bool,
    basic: bool,
    /// Where the credentials behind `header` came from, when there were any.
    credentials: Option<String>,
}

impl Auth {
    /// How many token requests this client has sent.
    pub(crate) fn token_requests(&self) -> u64 {
        self.token_requests.load(Ordering::Relaxed)
    }

    /// Sends `call` authorized as the registry asks, retrying as the transport allows, answering at most
    /// [`MAX_AUTH_ROUNDS`] challenges. A final `401` becomes [`ErrorKind::Unauthorized`], saying whether
    /// credentials went with it and where they came from.
    pub(crate) async fn send(
        &self,
        transport: &Transport,
        call: &Call<'_>,
        deadline: Instant,
    ) -> Result<Response<Incoming>, Error> {
        let registry = call.at.registry;
        if lock(&self.looping).contains(registry) {
            return Err(auth_loop(call.at));
        }
        let scopes = call_scopes(call)?;
        let mut sent = self.preauthorize(transport, call.at, &scopes, deadline).await?;
        let mut rounds = AuthRounds::default();
        loop {
            let response = transport
                .send_with_retries(call, sent.header.as_ref(), deadline)
                .await?;
            let headers = www_authenticate(&response);
            let step = rounds.next(response.status().as_u16(), &headers).map_err(|err| {
                call.error(ErrorKind::Protocol)
                    .with_status(response.status(), Vec::new())
                    .with_source(err)
                    .with_detail(format!("malformed WWW-Authenticate `{}`", cut(&headers.join(", "))))
            })?;
            let next = match step {
                AuthStep::Answer if response.status() != StatusCode::UNAUTHORIZED => return Ok(response),
                AuthStep::GiveUp => {
                    lock(&self.looping).insert(registry.to_owned());
                    tracing::warn!(registry, "the registry's challenges did not settle: giving up on it");
                    return Err(auth_loop(call.at));
                }
                AuthStep::Challenge(challenge) => {
                    self.answer_challenge(transport, call.at, &scopes, &challenge, &sent, deadline)
                        .await?
                }
                _ => None,
            };
            match next {
                Some(next) => sent = next,
                None => {
                    let credentials = match sent.credentials {
                        Some(source) => CredentialsSent::From(source),
                        None => CredentialsSent::None,
                    };
                    let err = status_error(call.at, response, deadline).await;
                    return Err(err.with_scope(&scopes).with_credentials_sent(credentials));
                }
            }
        }
    }

    /// The `Authorization` to send with a call before any challenge: Basic for a registry that asked for it, or a
    /// cached (else freshly fetched) token for a registry whose Bearer challenge is known.
    async fn preauthorize(
        &self,
        transport: &Transport,
        at: Context<'_>,
        scopes: &ScopeSet,
        deadline: Instant,
    ) -> Result<Sent, Error> {
        if let Some((value, source)) = lock(&self.basic).get(&credential_key(transport, at)).cloned() {
            return Ok(Sent {
                header: Some(value),
                basic: true,
                credentials: Some(source),
                ..Sent::default()
            });
        }
        let Some(challenge) = lock(&self.challenges).get(at.registry).cloned() else {
            return Ok(Sent::default());
        };
        if let Some(token) = self.cached(at.registry, challenge.service(), scopes) {
            return bearer(token, false, None);
        }
        let (token, source) = self.token(transport, at, &challenge, scopes, deadline).await?;
        bearer(token, true, source)
    }

    /// Answers a `401`: the `Authorization` to try next, or `None` when there is nothing more to try (the response is
    /// then the answer).
    async fn answer_challenge(
        &self,
        transport: &Transport,
        at: Context<'_>,
        scopes: &ScopeSet,
        challenge: &Challenge,
        sent: &Sent,
        deadline: Instant,
    ) -> Result<Option<Sent>, Error> {
        if *challenge.scheme() == AuthScheme::Basic {
            if sent.basic {
                return Ok(None);
            }
            let Some((credential, source)) = self.credential(transport, at, deadline).await? else {
                return Ok(None);
            };
            let value = security(transport, at.registry)
                .basic_authorization(&credential)
                .map_err(|err| auth_error(at, err))?;
            let Some(value) = value else {
                return Ok(None);
            };
            let value = HeaderValue::from_str(&value).map_err(|_| {
                at.error(ErrorKind::InvalidInput)
                    .with_detail("credentials hold characters HTTP forbids")
            })?;
            lock(&self.basic).insert(credential_key(transport, at), (value.clone(), source.clone()));
            return Ok(Some(Sent {
                header: Some(value),
                basic: true,
                credentials: Some(source),
                ..Sent::default()
            }));
        }
        let Some(bearer_challenge) = challenge.bearer().map_err(|err| {
            at.error(ErrorKind::Protocol)
                .with_source(err)
                .with_detail("unusable Bearer challenge")
        })?
        else {
            return Ok(None);
        };
        lock(&self.challenges).insert(at.registry.to_owned(), bearer_challenge.clone());
        if sent.fresh {
            // A token fetched for this very request was refused: that is the answer.
            return Ok(None);
        }
        if let Some(token) = &sent.token {
            if bearer_challenge.error() == Some(&BearerError::InsufficientScope) {
                let mut cache = lock(&self.cache);
                for scope in scopes.iter() {
                    cache.insufficient_scope(at.registry, bearer_challenge.service(), scope);
                }
            } else {
                lock(&self.refused).insert(token.clone());
            }
        }
        let scopes = if scopes.is_empty() {
            bearer_challenge.scope_set().unwrap_or_default()
        } else {
            scopes.clone()
        };
        let (token, source) = self.token(transport, at, &bearer_challenge, &scopes, deadline).await?;
        bearer(token, true, source).map(Some)
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

    /// A token for `scopes`, from the cache or fetched once however many requests ask at the same time, with where
    /// the credentials sent for it came from.
    async fn token(
        &self,
        transport: &Transport,
        at: Context<'_>,
        challenge: &BearerChallenge,
        scopes: &ScopeSet,
        deadline: Instant,
    ) -> Result<(String, Option<String>), Error> {
        let key = format!("{}\n{}\n{scopes}", at.registry, challenge.service().unwrap_or_default());
        let flight = Arc::clone(lock(&self.flights).entry(key.clone()).or_default());
        let _guard = flight.lock().await;
        if let Some(token) = self.cached(at.registry, challenge.service(), scopes) {
            return Ok((token, None));
        }
        let result = self.fetch_token(transport, at, challenge, scopes, deadline).await;
        lock(&self.flights).remove(&key);
        let (token, source) = result?;
        let value = token.token().expose().to_owned();
        lock(&self.cache).insert(at.registry, challenge.service(), scopes, token);
        Ok((value, source))
    }

    /// Sends one token request (and its GET fallback) and reads the token.
    async fn fetch_token(
        &self,
        transport: &Transport,
        at: Context<'_>,
        challenge: &BearerChallenge,
        scopes: &ScopeSet,
        deadline: Instant,
    ) -> Result<(Token, Option<String>), Error> {
        let found = self.credential(transport, at, deadline).await?;
        let (credential, source) = match found {
            Some((credential, source)) => (Some(credential), Some(source)),
            None => (None, None),
        };
        let security = security(transport, at.registry);
        let plan = TokenRequestBuilder::new(&security, challenge)
            .scopes(scopes)
            .credential(credential.as_ref())
            .build()
            .map_err(|err| auth_error(at, err).with_scope(scopes))?;
        let request = match plan {
            TokenPlan::Request(request) => request,
            TokenPlan::Bearer(secret) => {
                let token = Token::from_parts(secret, REGISTRY_TOKEN_LIFETIME, SystemTime::now());
                return Ok((token, source));
            }
            _ => {
                return Err(at
                    .error(ErrorKind::Protocol)
                    .with_detail("a token plan this client does not know"));
            }
        };
        let (status, body) = self.send_token_request(transport, at, &request, deadline).await?;
        let (status, body) = match request.fallback(status.as_u16()) {
            Some(fallback) => self.send_token_request(transport, at, fallback, deadline).await?,
            None => (status, body),
        };
        if status != StatusCode::OK {
            let refused = status == StatusCode::UNAUTHORIZED || status == StatusCode::FORBIDDEN;
            let mut err = at
                .error(if refused {
                    ErrorKind::Unauthorized
                } else {
                    ErrorKind::Status
                })
                .with_status(status, ServerError::parse_body(&body))
                .with_scope(scopes)
                .with_detail(format!("token request to `{}` refused", cut(challenge.realm())));
            if refused {
                err = err.with_credentials_sent(match &source {
                    Some(source) => CredentialsSent::From(source.clone()),
                    None => CredentialsSent::None,
                });
            }
            return Err(err);
        }
        let token = Token::parse(&body, SystemTime::now()).map_err(|err| {
            at.error(ErrorKind::Protocol)
                .with_source(err)
                .with_scope(scopes)
                .with_detail(format!("bad token response from `{}`", cut(challenge.realm())))
        })?;
        Ok((token, source))
    }

    async fn send_token_request(
        &self,
        transport: &Transport,
        at: Context<'_>,
        request: &TokenRequest,
        deadline: Instant,
    ) -> Result<(StatusCode, Bytes), Error> {
        let uri = request.url().parse().map_err(|err| {
            at.error(ErrorKind::Protocol)
                .with_source(err)
                .with_detail(format!("bad token URL `{}`", cut(request.url())))
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
                return Err(at
                    .error(ErrorKind::InvalidInput)
                    .with_detail("credentials hold characters HTTP forbids"));
            };
            headers.push((name, value));
        }
        let body = request.body().map(Bytes::copy_from_slice).unwrap_or_default();
        self.token_requests.fetch_add(1, Ordering::Relaxed);
        let outgoing = Outgoing {
            method,
            uri,
            headers: &headers,
            body,
            authorization: None,
        };
        let response = transport.request(at, outgoing, deadline).await?;
        let status = response.status();
        let body = read_body(at, response, TOKEN_BODY_LIMIT, deadline).await?;
        Ok((status, body))
    }

    /// The credential for the call's registry and where it came from: the configured
    /// [`Credentials`](crate::Credentials), else the credential store's (looked up once per registry, or once per
    /// repository where the store's answer depends on the repository; helpers run on the blocking pool, within the
    /// deadline).
    async fn credential(
        &self,
        transport: &Transport,
        at: Context<'_>,
        deadline: Instant,
    ) -> Result<Option<(Credential, String)>, Error> {
        let config = transport.config();
        if let Some(credentials) = config.registry(at.registry).and_then(|o| o.credentials.as_ref()) {
            let credential = Credential::basic(credentials.username(), credentials.password());
            return Ok(Some((credential, "the explicit credentials".to_owned())));
        }
        let Some(store) = config.credential_store.clone() else {
            return Ok(None);
        };
        let key = credential_key(transport, at);
        if let Some(found) = lock(&self.credentials).get(&key) {
            return Ok(found.clone());
        }
        let registry = at.registry.to_owned();
        let repository = at.repository.map(str::to_owned);
        tracing::info!(registry, "looking up credentials");
        let lookup = tokio::task::spawn_blocking(move || store.lookup(&registry, repository.as_deref()));
        let found = timeout_at(deadline, lookup)
            .await
            .map_err(|_| {
                at.error(ErrorKind::Timeout)
                    .with_detail("the credential lookup did not finish in time")
            })?
            .map_err(|err| {
                at.error(ErrorKind::Credentials)
                    .with_source(err)
                    .with_detail("the credential lookup did not finish")
            })?
            .map_err(|err| auth_error(at, err))?
            .map(|(credential, source)| (credential, describe(&source)));
        match &found {
            Some((_, source)) => tracing::info!(registry = at.registry, "credentials from {source}"),
            None => tracing::info!(registry = at.registry, "no credentials: anonymous"),
        }
        lock(&self.credentials).insert(key, found.clone());
        Ok(found)
    }

    /// Fetches tokens ahead of time for pulling every repository of `repositories` on `registry` (see
    /// [`Client::authorize_batch`](crate::Client::authorize_batch)): the batches are fetched at once, not one
    /// after another.
    pub(crate) async fn authorize_batch(
        &self,
        transport: &Transport,
        registry: &str,
        repositories: &[&str],
        deadline: Instant,
    ) -> Result<(), Error> {
        let Some(plan) = self.plan_batches(transport, registry, repositories, deadline).await? else {
            return Ok(());
        };
        let fetches = (0..plan.len()).map(|index| self.fetch_batch(transport, &plan, index, deadline));
        for result in join_all(fetches.collect()).await {
            result?;
        }
        Ok(())
    }

    /// Plans the token batches for pulling `repositories` on `registry`: one `GET /v2/` to learn its challenge
    /// when it is not known yet, then the scopes not cached yet, in as few batches as the URL length and the
    /// server's record allow. `None` for a registry that asks for no token.
    pub(crate) async fn plan_batches(
        &self,
        transport: &Transport,
        registry: &str,
        repositories: &[&str],
        deadline: Instant,
    ) -> Result<Option<BatchPlan>, Error> {
        let at = Context::new(registry, None);
        let known = lock(&self.challenges).get(registry).cloned();
        let challenge = match known {
            Some(challenge) => challenge,
            None => match self.discover(transport, registry, deadline).await? {
                Some(challenge) => challenge,
                None => return Ok(None),
            },
        };
        let mut needed = ScopeSet::new();
        for name in repositories {
            let scope = Scope::pull(name).map_err(|err| auth_error(at, err))?;
            needed.insert(scope);
        }
        let batches = lock(&self.cache).plan(registry, challenge.service(), &needed, &BatchConfig::default());
        let mut batch_of = HashMap::new();
        for (index, batch) in batches.iter().enumerate() {
            for scope in batch.iter() {
                batch_of.insert(scope.name().to_owned(), index);
            }
        }
        Ok(Some(BatchPlan {
            registry: registry.to_owned(),
            challenge,
            batches,
            batch_of,
        }))
    }

    /// Fetches the token of batch `index` of `plan`; when the server granted fewer scopes than asked for, the rest
    /// one by one.
    pub(crate) async fn fetch_batch(
        &self,
        transport: &Transport,
        plan: &BatchPlan,
        index: usize,
        deadline: Instant,
    ) -> Result<(), Error> {
        let Some(batch) = plan.batches.get(index) else {
            return Ok(());
        };
        let (registry, challenge) = (plan.registry.as_str(), &plan.challenge);
        let at = Context::new(registry, None);
        self.token(transport, at, challenge, batch, deadline).await?;
        if batch.len() < 2 {
            return Ok(());
        }
        let missing: Vec<Scope> = batch
            .iter()
            .filter(|scope| {
                self.cached(registry, challenge.service(), &ScopeSet::from((*scope).clone()))
                    .is_none()
            })
            .cloned()
            .collect();
        for scope in missing {
            self.token(transport, at, challenge, &ScopeSet::from(scope), deadline)
                .await?;
        }
        Ok(())
    }

    /// Learns a registry's Bearer challenge from an unauthenticated `GET /v2/`, without answering it.
    async fn discover(
        &self,
        transport: &Transport,
        registry: &str,
        deadline: Instant,
    ) -> Result<Option<BearerChallenge>, Error> {
        let call = Call::new(registry, None, Method::GET, "/v2/".to_owned());
        let response = transport.send_with_retries(&call, None, deadline).await?;
        if response.status() != StatusCode::UNAUTHORIZED {
            return Ok(None);
        }
        let Some(challenge) = read_challenge(call.at, &response)? else {
            return Ok(None);
        };
        let bearer = challenge
            .bearer()
            .map_err(|err| call.error(ErrorKind::Protocol).with_source(err))?;
        if let Some(bearer) = &bearer {
            lock(&self.challenges).insert(registry.to_owned(), bearer.clone());
        }
        Ok(bearer)
    }
}

/// A registry's token batches, planned once: its challenge, the scopes of each batch, and which batch each
/// repository is in (so a check waits only for its own batch).
#[derive(Debug)]
pub(crate) struct BatchPlan {
    registry: String,
    challenge: BearerChallenge,
    batches: Vec<ScopeSet>,
    batch_of: HashMap<String, usize>,
}

impl BatchPlan {
    /// How many batches there are.
    pub(crate) fn len(&self) -> usize {
        self.batches.len()
    }

    /// The batch `repository`'s pull scope is in, if it needed a token.
    pub(crate) fn batch_of(&self, repository: &str) -> Option<usize> {
        self.batch_of.get(repository).copied()
    }
}

/// Runs `futures` at once on this task and gives their outputs in order.
async fn join_all<F: Future>(futures: Vec<F>) -> Vec<F::Output> {
    let mut pending: Vec<Pin<Box<F>>> = futures.into_iter().map(Box::pin).collect();
    let mut outputs: Vec<Option<F::Output>> = pending.iter().map(|_| None).collect();
    std::future::poll_fn(|cx| {
        let mut done = true;
        for (future, output) in pending.iter_mut().zip(outputs.iter_mut()) {
            if output.is_none() {
                match future.as_mut().poll(cx) {
                    Poll::Ready(value) => *output = Some(value),
                    Poll::Pending => done = false,
                }
            }
        }
        if done { Poll::Ready(()) } else { Poll::Pending }
    })
    .await;
    outputs.into_iter().flatten().collect()
}

/// What credentials are looked up and remembered by: the registry, or the registry and repository where the
/// credential store's answer depends on the repository (podman's namespace keys), so that one namespace's
/// credentials never serve another's.
fn credential_key(transport: &Transport, at: Context<'_>) -> String {
    let varies = transport
        .config()
        .credential_store
        .as_ref()
        .is_some_and(|store| store.varies_by_repository(at.registry));
    match at.repository {
        Some(repository) if varies => format!("{}/{repository}", at.registry),
        _ => at.registry.to_owned(),
    }
}

/// One request's challenge rounds as data: what a response means for the request, and the bound on how many
/// challenges it answers ([`MAX_AUTH_ROUNDS`]). Pure, so that the bound is unit-tested and fuzzed.
#[derive(Debug, Default)]
pub struct AuthRounds {
    answered: u32,
}

/// What to do with a response, from [`AuthRounds::next`].
#[derive(Debug)]
#[non_exhaustive]
pub enum AuthStep {
    /// The response is the answer: any status but `401`, or a `401` naming no challenge.
    Answer,
    /// Answer this challenge and send the request again.
    Challenge(Challenge),
    /// The registry challenged [`MAX_AUTH_ROUNDS`] times already: give up.
    GiveUp,
}

impl AuthRounds {
    /// What a response with `status` and these `WWW-Authenticate` values means for the request.
    ///
    /// # Errors
    ///
    /// A `401` whose `WWW-Authenticate` is not RFC 7235.
    pub fn next(&mut self, status: u16, www_authenticate: &[&str]) -> Result<AuthStep, oci_auth::Error> {
        if status != 401 || www_authenticate.is_empty() {
            return Ok(AuthStep::Answer);
        }
        let challenges = Challenge::parse_headers(www_authenticate)?;
        let Some(challenge) = Challenge::preferred(&challenges) else {
            return Ok(AuthStep::Answer);
        };
        if self.answered >= MAX_AUTH_ROUNDS {
            return Ok(AuthStep::GiveUp);
        }
        self.answered += 1;
        Ok(AuthStep::Challenge(challenge.clone()))
    }

    /// How many challenges were answered so far.
    pub fn answered(&self) -> u32 {
        self.answered
    }
}

/// The `WWW-Authenticate` values of a response that are text.
fn www_authenticate(response: &Response<Incoming>) -> Vec<&str> {
    response
        .headers()
        .get_all(header::WWW_AUTHENTICATE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .collect()
}

/// The preferred challenge of a `401`, `None` when it names none.
fn read_challenge(at: Context<'_>, response: &Response<Incoming>) -> Result<Option<Challenge>, Error> {
    let headers = www_authenticate(response);
    if headers.is_empty() {
        return Ok(None);
    }
    let challenges = Challenge::parse_headers(&headers).map_err(|err| {
        at.error(ErrorKind::Protocol)
            .with_status(response.status(), Vec::new())
            .with_source(err)
            .with_detail(format!("malformed WWW-Authenticate `{}`", cut(&headers.join(", "))))
    })?;
    Ok(Challenge::preferred(&challenges).cloned())
}

/// The scopes a call needs: its repository's, or none (`/v2/`).
fn call_scopes(call: &Call<'_>) -> Result<ScopeSet, Error> {
    let mut scopes = ScopeSet::new();
    if let Some(name) = call.at.repository {
        let actions: &[&str] = match call.access {
            Access::Pull => &["pull"],
            Access::Push => &["pull", "push"],
        };
        let scope = Scope::repository(name, actions).map_err(|err| auth_error(call.at, err))?;
        scopes.insert(scope);
    }
    Ok(scopes)
}

/// The security rules of `registry` as `oci-auth` states them.
fn security(transport: &Transport, registry: &str) -> oci_auth::Registry {
    let options = transport.config().registry(registry);
    let insecure = options.is_some_and(|o| o.insecure);
    let plain = transport
        .base_url(registry)
        .is_ok_and(|base| base.starts_with("http://"));
    match options.and_then(|o| o.scheme) {
        Some(Scheme::Http) if insecure || is_loopback(registry) => {
            oci_auth::Registry::http(registry).with_insecure(insecure)
        }
        None if plain => oci_auth::Registry::http(registry).with_insecure(insecure),
        _ => oci_auth::Registry::https(registry).with_insecure(insecure),
    }
}

/// Turns a response with an unexpected status into a typed error that carries the registry's error codes.
pub(crate) async fn status_error(at: Context<'_>, response: Response<Incoming>, deadline: Instant) -> Error {
    let status = response.status();
    let challenge = read_challenge(at, &response).ok().flatten();
    let challenge = match challenge.as_ref().and_then(Challenge::error) {
        Some(error) => Some(format!("the registry says `{}`", cut(error))),
        None => header_str(response.headers(), header::WWW_AUTHENTICATE.as_str())
            .map(|challenge| format!("challenge `{}`", cut(challenge))),
    };
    let rate_limit = RateLimit::from_headers(response.headers());
    let body = read_body(at, response, ERROR_BODY_LIMIT, deadline)
        .await
        .unwrap_or_default();
    let kind = match status {
        StatusCode::UNAUTHORIZED => ErrorKind::Unauthorized,
        StatusCode::FORBIDDEN => ErrorKind::Denied,
        StatusCode::NOT_FOUND => ErrorKind::NotFound,
        StatusCode::TOO_MANY_REQUESTS => ErrorKind::TooManyRequests,
        _ => ErrorKind::Status,
    };
    let mut err = at
        .error(kind)
        .with_status(status, ServerError::parse_body(&body))
        .with_rate_limit(rate_limit);
    if let Some(challenge) = challenge {
        err = err.with_detail(challenge);
    }
    err
}

fn bearer(token: String, fresh: bool, credentials: Option<String>) -> Result<Sent, Error> {
    let header = HeaderValue::from_str(&format!("Bearer {token}"))
        .map_err(|_| Error::new(ErrorKind::Protocol).with_detail("a token holds characters HTTP forbids"))?;
    Ok(Sent {
        header: Some(header),
        token: Some(token),
        fresh,
        basic: false,
        credentials,
    })
}

fn auth_loop(at: Context<'_>) -> Error {
    at.error(ErrorKind::AuthLoop).with_detail(format!(
        "the registry answered {MAX_AUTH_ROUNDS} challenges in a row with another; not sending credentials again"
    ))
}

/// Where a credential came from, for messages (never the secret).
fn describe(source: &Source) -> String {
    match source {
        Source::Explicit => "explicit credentials".to_owned(),
        Source::DockerConfig => "docker config.json".to_owned(),
        Source::PodmanAuth => "podman auth.json".to_owned(),
        Source::Helper(name) => format!("credential helper docker-credential-{name}"),
        _ => "a credentials source".to_owned(),
    }
}

/// An `oci-auth` refusal as this crate's error.
pub(crate) fn auth_error(at: Context<'_>, err: oci_auth::Error) -> Error {
    use oci_auth::ErrorKind as A;
    let kind = match err.kind() {
        A::InsecureTransport | A::InsecureRealm => ErrorKind::InsecureTransport,
        A::ForbiddenRealmAddress => ErrorKind::ForbiddenAddress,
        A::InvalidScope => ErrorKind::InvalidInput,
        A::HelperNotFound { .. }
        | A::HelperFailed { .. }
        | A::HelperOutput { .. }
        | A::HelperTimeout { .. }
        | A::HelperIo { .. }
        | A::InvalidConfig
        | A::NotRegularFile
        | A::FileTooLarge { .. }
        | A::Io => ErrorKind::Credentials,
        _ => ErrorKind::Protocol,
    };
    at.error(kind).with_source(err)
}

#[cfg(test)]
mod tests {
    use super::{AuthRounds, AuthStep, MAX_AUTH_ROUNDS};

    #[test]
    fn rounds_end_within_the_bound() {
        let mut rounds = AuthRounds::default();
        for _ in 0..MAX_AUTH_ROUNDS {
            assert!(matches!(
                rounds.next(401, &[r#"Basic realm="r""#]),
                Ok(AuthStep::Challenge(_))
            ));
        }
        assert!(matches!(
            rounds.next(401, &[r#"Bearer realm="https://r/t""#]),
            Ok(AuthStep::GiveUp)
        ));
        let mut rounds = AuthRounds::default();
        assert!(matches!(
            rounds.next(200, &[r#"Basic realm="r""#]),
            Ok(AuthStep::Answer)
        ));
        assert!(matches!(rounds.next(401, &[]), Ok(AuthStep::Answer)));
        assert!(rounds.next(401, &[",,,"]).is_err());
        assert_eq!(rounds.answered(), 0);
    }
}
