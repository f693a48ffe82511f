//! Registry authentication without network IO: `WWW-Authenticate` challenges, scopes, credentials (docker
//! `config.json`, podman `auth.json`, credential helpers), token requests and responses, and a token cache.
//!
//! The key design decision: this crate is sans-IO for HTTP. It turns a challenge and a credential into a
//! [`TokenRequest`] (method, URL, headers, body as plain data) and the response body into a [`Token`]; the
//! caller (`oci-registry`) sends the request. The only IO here is reading credentials files and running
//! credential helper programs, and even the environment is read only through an explicit [`Environment`].
//!
//! - [`Challenge`]: RFC 7235 `WWW-Authenticate` parsing (nom), with [`BearerChallenge`] for the token protocol.
//! - [`Scope`] and [`ScopeSet`]: `repository:NAME:pull,push` and friends, with action merging.
//! - [`CredentialStore`]: explicit credentials, docker [`AuthFile`]s with `credHelpers` and `credsStore`, podman
//!   `auth.json`, in docker's order; [`normalize_registry`] for Docker Hub's many names.
//! - [`Registry`]: the security rules: no credentials over plain HTTP except to loopback or to the very host of a
//!   registry marked insecure, HTTPS realms for HTTPS registries, no realms on link-local, metadata or
//!   unspecified addresses.
//! - [`TokenRequestBuilder`] and [`Token`]: the GET and OAuth2 POST token requests, token responses, the JWT
//!   `access` claim.
//! - [`TokenCache`] with a [`Clock`]: expiry with a safety margin, scope batching with a [`BatchConfig`], and the
//!   fallback to one repository per request when a server grants fewer scopes than asked.
//! - [`Secret`]: passwords and tokens never appear in `Debug` or `Display`.
//!
//! ```
//! use std::time::{Duration, UNIX_EPOCH};
//! use oci_auth::{Challenge, Credential, Method, Registry, Scope, ScopeSet, Token, TokenCache, TokenPlan,
//!     TokenRequestBuilder, ManualClock, CacheConfig};
//!
//! // The registry answered 401 with this header.
//! let header = r#"Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/nginx:pull""#;
//! let challenges = Challenge::parse_header(header)?;
//! let bearer = challenges[0].bearer()?.expect("a Bearer challenge");
//!
//! let registry = Registry::https("registry-1.docker.io");
//! let credential = Credential::basic("alice", "s3cret");
//! let scopes: ScopeSet = bearer.scope_set()?;
//! let TokenPlan::Request(request) = TokenRequestBuilder::new(&registry, &bearer)
//!     .scopes(&scopes)
//!     .credential(Some(&credential))
//!     .build()? else { unreachable!() };
//! assert_eq!(request.method(), Method::Get);
//! assert_eq!(
//!     request.url(),
//!     "https://auth.docker.io/token?service=registry.docker.io&scope=repository%3Alibrary%2Fnginx%3Apull&account=alice"
//! );
//! assert!(!format!("{request:?}").contains("s3cret"));
//!
//! // The client sends it; the answer goes into the cache.
//! let clock = ManualClock::new(UNIX_EPOCH + Duration::from_secs(1_700_000_000));
//! let mut cache = TokenCache::with_clock(clock.clone(), CacheConfig::default());
//! let token = Token::parse(br#"{"token":"abc","expires_in":300}"#, clock.now())?;
//! cache.insert("docker.io", bearer.service(), &scopes, token);
//! assert!(cache.get("index.docker.io", bearer.service(), &scopes).is_some());
//! clock.advance(Duration::from_secs(280)); // within the 30 s margin of expiry
//! assert!(cache.get("docker.io", bearer.service(), &scopes).is_none());
//! # use oci_auth::Clock;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Cargo features
//!
//! None.

#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod cache;
mod calendar;
mod challenge;
mod credentials;
mod encoding;
mod error;
mod helper;
mod json;
mod registry;
mod scope;
mod secret;
mod syntax;
mod token;

pub use cache::{BatchConfig, CacheConfig, Clock, Grant, ManualClock, SystemClock, TokenCache};
pub use challenge::{AuthScheme, BearerChallenge, BearerError, Challenge};
pub use credentials::{
    AuthFile, Credential, CredentialStore, DEFAULT_HELPER_TIMEOUT, DOCKER_HUB, DOCKER_HUB_API, DOCKER_HUB_KEY,
    DOCKER_HUB_NAMES, Environment, MAX_AUTH_FILE_SIZE, Source, helper_server_url, is_docker_hub, normalize_registry,
};
pub use error::{Error, ErrorKind};
pub use registry::{Realm, Registry, is_forbidden_ip, is_loopback_host};
pub use scope::{Scope, ScopeSet};
pub use secret::Secret;
pub use token::{
    DEFAULT_CLIENT_ID, MAXIMUM_LIFETIME, MINIMUM_LIFETIME, Method, Token, TokenPlan, TokenRequest, TokenRequestBuilder,
};

/// Helpers public only so that `oci-registry` shares them instead of keeping a copy (calendar, quoting, RFC 3339): **not** part of the stable
/// interface, and may change in any release (as rustls's `internal` module).
#[doc(hidden)]
pub mod internal {
    pub use crate::calendar::{days_from_civil, days_in_month};
    pub use crate::encoding::{base64_encode, parse_rfc3339};
    pub use crate::registry::basic_header;
    pub use crate::syntax::write_quoted_string;
}
