//! Hostile registries, token servers and names: each attack of the round-2 security review against the library,
//! ending in a typed error (or a correct answer) within a bound, with nothing sent where it does not belong.

use std::future::Future;
use std::net::{IpAddr, Ipv4Addr};
use std::time::Duration;

use oci_auth::{AuthFile, CredentialStore};
use oci_digest::Digest;
use oci_registry::internal::MAX_TAGS;
use oci_registry::{
    CheckOptions, Client, Credentials, ErrorKind, Platform, Reference, RegistryOptions, Repository, Scheme,
    UpdateRequest,
};
use oci_testkit::fault::{FaultServer, OTHER_HOST, Reply, Request};

const MANIFEST: &[u8] = br#"{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json"}"#;
const OCI: &str = "application/vnd.oci.image.manifest.v1+json";
const LOCAL: Ipv4Addr = Ipv4Addr::LOCALHOST;

async fn bounded<T>(future: impl Future<Output = T>) -> T {
    tokio::time::timeout(Duration::from_secs(30), future)
        .await
        .expect("the client must not hang")
}

fn manifest() -> Reply {
    let digest = Digest::sha256(MANIFEST).to_string();
    Reply::response(
        200,
        &[("Content-Type", OCI), ("Docker-Content-Digest", &digest)],
        MANIFEST,
    )
}

fn challenge(value: &str) -> Reply {
    Reply::response(401, &[("WWW-Authenticate", value)], b"")
}

fn basic_sent(request: &Request) -> bool {
    request
        .header("authorization")
        .is_some_and(|value| value.starts_with("Basic "))
}

/// An error's `Display` says its own layer only: no cause of its `source()` chain is repeated in it.
fn layer_only(err: &oci_registry::Error) {
    let shown = err.to_string();
    let mut next = std::error::Error::source(err);
    while let Some(cause) = next {
        let cause_text = cause.to_string();
        assert!(
            !shown.contains(&cause_text),
            "`{shown}` repeats its source `{cause_text}`"
        );
        next = cause.source();
    }
    assert!(!shown.chars().any(char::is_control), "{shown:?}");
}

fn client(server: &FaultServer, options: RegistryOptions) -> Client {
    builder(server, options).build().unwrap()
}

/// A builder for a plain-HTTP client of `server` with `options` and a 5 s timeout, for tests to add to.
fn builder(server: &FaultServer, options: RegistryOptions) -> oci_registry::ClientBuilder {
    Client::builder()
        .registry(&server.host(), options.scheme(Scheme::Http))
        .request_timeout(Duration::from_secs(5))
}

/// A registry whose every answer is a Bearer challenge naming `realm`.
fn bearer_to(realm: String) -> FaultServer {
    FaultServer::with_handler(LOCAL, move |_, _| {
        challenge(&format!(r#"Bearer realm="{realm}",service="s""#))
    })
}

/// The error of `client`'s `HEAD` of `a:v1` on `server`, checked to say its own layer only.
async fn fails(client: &Client, server: &FaultServer) -> oci_registry::Error {
    let err = bounded(client.manifest_digest(&location(server, "a")))
        .await
        .unwrap_err();
    layer_only(&err);
    err
}

/// Options with the password `secret` for user `u`.
fn with_password() -> RegistryOptions {
    RegistryOptions::new().credentials(Credentials::new("u", "secret"))
}

fn location(server: &FaultServer, repository: &str) -> oci_registry::ManifestLocation {
    Repository::new(&server.host(), repository).unwrap().tag("v1").unwrap()
}

/// A registry that asks anonymous requests for Basic and Basic requests for a Bearer token, forever.
fn looping_registry() -> FaultServer {
    FaultServer::with_handler(LOCAL, |request, _| {
        if request.path().starts_with("/token") {
            return Reply::response(200, &[("Content-Type", "application/json")], br#"{"token":"t"}"#);
        }
        if basic_sent(request) {
            let realm = format!("http://{}/token", request.header("host").unwrap_or_default());
            return challenge(&format!(r#"Bearer realm="{realm}",service="s""#));
        }
        challenge(r#"Basic realm="r""#)
    })
}

#[tokio::test]
async fn item_1_an_endless_401_loop_ends_after_three_rounds_and_fails_the_registry_alone() {
    let server = looping_registry();
    let client = client(
        &server,
        RegistryOptions::new().credentials(Credentials::new("u", "secret")),
    );
    let err = bounded(client.manifest_digest(&location(&server, "a")))
        .await
        .unwrap_err();
    layer_only(&err);
    assert_eq!(err.kind(), ErrorKind::AuthLoop, "{err}");
    let requests = server.requests();
    let passwords = requests.iter().filter(|r| basic_sent(r)).count();
    assert!(requests.len() <= 8, "{} requests", requests.len());
    assert!(passwords <= 3, "the password went out {passwords} times");

    // The registry is known to loop: its next request fails without sending anything.
    let err = bounded(client.manifest_digest(&location(&server, "b")))
        .await
        .unwrap_err();
    layer_only(&err);
    assert_eq!(err.kind(), ErrorKind::AuthLoop);
    assert_eq!(server.requests().len(), requests.len());
}

#[tokio::test]
async fn item_1_a_looping_registry_holds_up_no_other_registrys_checks() {
    let looping = looping_registry();
    let good = FaultServer::with_handler(OTHER_HOST, |_, _| manifest());
    let client = Client::builder()
        .registry(
            &looping.host(),
            RegistryOptions::new()
                .scheme(Scheme::Http)
                .credentials(Credentials::new("u", "secret")),
        )
        .registry(&good.host(), RegistryOptions::new().scheme(Scheme::Http).insecure())
        .request_timeout(Duration::from_secs(5))
        .build()
        .unwrap();
    let digest = Digest::sha256(MANIFEST);
    let platform: Platform = "linux/amd64".parse().unwrap();
    let request = |host: &str, name: &str| {
        let reference = Reference::parse_normalized(&format!("{host}/{name}:v1")).unwrap();
        UpdateRequest::new(reference, Some(digest.clone()), platform.clone())
    };
    let requests = vec![
        request(&looping.host(), "a"),
        request(&looping.host(), "b"),
        request(&good.host(), "c"),
        request(&good.host(), "d"),
    ];
    let results = bounded(client.check_many(&requests, &CheckOptions::new())).await;
    let kinds: Vec<Result<bool, ErrorKind>> = results
        .iter()
        .map(|result| {
            result
                .as_ref()
                .map(|check| check.has_update())
                .map_err(|err| err.kind())
        })
        .collect();
    assert_eq!(
        kinds,
        [Err(ErrorKind::AuthLoop), Err(ErrorKind::AuthLoop), Ok(false), Ok(false)]
    );
}

#[tokio::test]
async fn item_2_an_absurd_expires_in_is_no_panic() {
    for expires_in in ["18446744073709551615", "1850000000000000000", "1e300", "-5"] {
        let body = format!(r#"{{"token":"t","expires_in":{expires_in}}}"#);
        let server = FaultServer::with_handler(LOCAL, move |request, _| {
            if request.path().starts_with("/token") {
                return Reply::response(200, &[("Content-Type", "application/json")], body.as_bytes());
            }
            if request.header("authorization") == Some("Bearer t") {
                return manifest();
            }
            let realm = format!("http://{}/token", request.header("host").unwrap_or_default());
            challenge(&format!(r#"Bearer realm="{realm}",service="s""#))
        });
        let client = client(&server, RegistryOptions::new());
        let result = bounded(client.manifest_digest(&location(&server, "a"))).await;
        match result {
            Ok(head) => assert_eq!(head.digest(), &Digest::sha256(MANIFEST), "{expires_in}"),
            Err(err) => assert_eq!(err.kind(), ErrorKind::Protocol, "{expires_in}: {err}"),
        }
        // The token is cached, whatever its lifetime: the second request needs no token request.
        let before = server.count("/token");
        if client.manifest_digest(&location(&server, "a")).await.is_ok() {
            assert_eq!(server.count("/token"), before, "{expires_in}");
        }
    }
}

#[tokio::test]
async fn item_3_a_realm_whose_name_resolves_to_a_metadata_address_gets_nothing() {
    for (name, address) in [
        ("metadata.test", "169.254.169.254"),
        ("link-local.test", "fe80::1"),
        ("unspecified.test", "0.0.0.0"),
    ] {
        let server = bearer_to(format!("https://{name}/token"));
        let client = builder(&server, with_password())
            .resolve(name, address.parse::<IpAddr>().unwrap())
            .build()
            .unwrap();
        let err = fails(&client, &server).await;
        assert_eq!(err.kind(), ErrorKind::ForbiddenAddress, "{name}: {err:#}");
        assert!(format!("{err:#}").contains(address), "{err:#}");
    }
}

#[tokio::test]
async fn item_4_an_insecure_loopback_registry_sends_no_clear_text_to_another_host() {
    // The realm is plain HTTP on another host (127.0.0.2 by a name, and a `*.localhost` name): a loopback
    // registry marked insecure must not send its password there.
    let realm_server = FaultServer::with_handler(OTHER_HOST, |_, _| {
        Reply::response(200, &[("Content-Type", "application/json")], br#"{"token":"t"}"#)
    });
    let port = realm_server.host().rsplit_once(':').unwrap().1.to_owned();
    for name in ["realm.example", "evil.localhost"] {
        let registry = bearer_to(format!("http://{name}:{port}/token"));
        let client = builder(&registry, with_password().insecure())
            .resolve(name, IpAddr::V4(OTHER_HOST))
            .build()
            .unwrap();
        let err = fails(&client, &registry).await;
        assert_eq!(err.kind(), ErrorKind::InsecureTransport, "{name}: {err:#}");
    }
    assert!(realm_server.requests().is_empty(), "{:?}", realm_server.request_lines());
}

#[tokio::test]
async fn item_4_podman_credentials_for_one_namespace_stay_in_it() {
    let server = FaultServer::with_handler(LOCAL, |request, _| {
        if basic_sent(request) {
            return manifest();
        }
        challenge(r#"Basic realm="r""#)
    });
    let host = server.host();
    let auth = oci_testkit::base64(b"team-a-user:team-a-secret");
    let file = AuthFile::parse(&format!(r#"{{"auths":{{"{host}/team-a":{{"auth":"{auth}"}}}}}}"#)).unwrap();
    let store = CredentialStore::new().with_podman_auth(file);
    let client = builder(&server, RegistryOptions::new())
        .credential_store(store)
        .build()
        .unwrap();
    bounded(client.manifest_digest(&location(&server, "team-a/app")))
        .await
        .unwrap();
    let err = bounded(client.manifest_digest(&location(&server, "team-b/app")))
        .await
        .unwrap_err();
    layer_only(&err);
    assert_eq!(err.kind(), ErrorKind::Unauthorized, "{err}");
    assert_eq!(err.credentials_sent(), Some(None), "nothing was sent for team-b");
    for request in server.requests() {
        if request.path().contains("team-b") {
            assert!(!basic_sent(&request), "team-a's password went to {}", request.path());
        }
    }
}

#[tokio::test]
async fn item_5_a_registry_with_endless_tags_stops_at_the_cap() {
    let server = FaultServer::with_handler(LOCAL, |request, n| {
        let tags: Vec<String> = (0..1000).map(|i| format!("\"t{n}-{i}\"")).collect();
        let body = format!(r#"{{"name":"a","tags":[{}]}}"#, tags.join(","));
        let next = format!("</v2/a/tags/list?n=1000&last=p{n}>; rel=\"next\"");
        let _ = request;
        Reply::response(
            200,
            &[("Content-Type", "application/json"), ("Link", &next)],
            body.as_bytes(),
        )
    });
    let client = client(&server, RegistryOptions::new());
    let repository = Repository::new(&server.host(), "a").unwrap();
    let mut seen = 0;
    let err = bounded(client.tags_each(&repository, |page| seen += page.len()))
        .await
        .unwrap_err();
    layer_only(&err);
    assert_eq!(err.kind(), ErrorKind::TooLarge, "{err}");
    assert_eq!(seen, MAX_TAGS, "every tag up to the cap was given, none past it");
    assert!(server.requests().len() <= MAX_TAGS / 1000 + 1);
}

#[tokio::test]
async fn item_7_a_retry_after_past_the_deadline_is_not_waited_for() {
    let server = FaultServer::with_handler(LOCAL, |_, _| {
        Reply::response(
            429,
            &[("Retry-After", "30")],
            br#"{"errors":[{"code":"TOOMANYREQUESTS","message":"slow down"}]}"#,
        )
    });
    let client = builder(&server, RegistryOptions::new())
        .request_timeout(Duration::from_secs(2))
        .build()
        .unwrap();
    let err = bounded(client.manifest_digest(&location(&server, "a")))
        .await
        .unwrap_err();
    layer_only(&err);
    assert_eq!(err.kind(), ErrorKind::TooManyRequests, "{err}");
    assert_eq!(server.requests().len(), 1, "no retry: the wait would pass the deadline");

    // A timeout too large for the clock is no panic.
    let forever = builder(&server, RegistryOptions::new())
        .request_timeout(Duration::MAX)
        .retry_policy(oci_registry::RetryPolicy::never())
        .build()
        .unwrap();
    let err = bounded(forever.manifest_digest(&location(&server, "a")))
        .await
        .unwrap_err();
    layer_only(&err);
    assert_eq!(err.kind(), ErrorKind::TooManyRequests);
}

#[tokio::test]
async fn no_error_display_repeats_its_source() {
    // A closed port (connect error with an io source), a server speaking garbage (an HTTP parse error), a
    // manifest that lies about its digest (a verifier mismatch), a token server answering nonsense (a JSON error).
    let closed = std::net::TcpListener::bind((LOCAL, 0)).unwrap().local_addr().unwrap();
    let plain = Client::builder()
        .registry(&closed.to_string(), RegistryOptions::new().scheme(Scheme::Http))
        .retry_policy(oci_registry::RetryPolicy::never())
        .build()
        .unwrap();
    let repository = Repository::new(&closed.to_string(), "a").unwrap();
    let err = bounded(plain.manifest_digest(&repository.tag("v1").unwrap()))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Connect);
    layer_only(&err);

    let garbage = FaultServer::with_handler(LOCAL, |_, _| Reply::Raw(b"SPEAK FRIEND\r\n\r\n".to_vec()));
    let err = bounded(client(&garbage, RegistryOptions::new()).manifest_digest(&location(&garbage, "a")))
        .await
        .unwrap_err();
    layer_only(&err);

    let liar = FaultServer::with_handler(LOCAL, |_, _| {
        Reply::response(200, &[("Content-Type", OCI)], b"{\"schemaVersion\":2}")
    });
    let digest = Digest::sha256(MANIFEST);
    let by_digest = Repository::new(&liar.host(), "a").unwrap().digest(digest);
    let err = bounded(client(&liar, RegistryOptions::new()).manifest(&by_digest))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::DigestMismatch);
    assert!(std::error::Error::source(&err).is_some());
    layer_only(&err);

    let nonsense = FaultServer::with_handler(LOCAL, |request, _| {
        if request.path().starts_with("/token") {
            return Reply::response(200, &[("Content-Type", "application/json")], b"{not json");
        }
        let realm = format!("http://{}/token", request.header("host").unwrap_or_default());
        challenge(&format!(r#"Bearer realm="{realm}",service="s""#))
    });
    let err = bounded(client(&nonsense, RegistryOptions::new()).manifest_digest(&location(&nonsense, "a")))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Protocol);
    assert!(std::error::Error::source(&err).is_some());
    layer_only(&err);
}
