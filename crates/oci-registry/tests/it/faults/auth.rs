//! Auth gone wrong: malformed challenges, failing token endpoints, realms the rules refuse, refused and
//! insufficient tokens, and identity tokens against a token server without OAuth2.

use std::sync::atomic::{AtomicUsize, Ordering};

use oci_registry::{Client, Credentials, ErrorKind, RegistryOptions, Repository, Scheme};
use oci_testkit::fault::{FaultServer, Reply, Request};

use super::{LOCAL, OTHER, PATH, bounded, client, location, manifest};

/// A registry that answers every request without `Authorization` with `challenge`, serves the manifest when
/// `accepts(request, authorization)`, and refuses any other `Authorization` with `challenge` and `error="refusal"`.
fn registry(
    challenge: String,
    refusal: &'static str,
    accepts: impl Fn(&Request, &str) -> bool + Send + Sync + 'static,
) -> FaultServer {
    FaultServer::with_handler(LOCAL, move |seen, _| match seen.header("authorization") {
        None => Reply::response(401, &[("WWW-Authenticate", &challenge)], b""),
        Some(authorization) if accepts(seen, authorization) => manifest(),
        Some(_) => Reply::response(
            401,
            &[("WWW-Authenticate", &format!("{challenge},error=\"{refusal}\""))],
            b"",
        ),
    })
}

/// A registry that asks for `challenge` and takes whatever `Authorization` comes back.
fn challenge_server(challenge: String) -> FaultServer {
    registry(challenge, "invalid_token", |_, _| true)
}

/// A token server on another host whose n-th token (from 1) is `tn`, valid for 300 s.
fn numbered_tokens() -> FaultServer {
    FaultServer::with_handler(OTHER, |_, n| {
        let body = format!(r#"{{"token":"t{}","expires_in":300}}"#, n + 1);
        Reply::response(200, &[("Content-Type", "application/json")], body.as_bytes())
    })
}

#[tokio::test]
async fn a_malformed_www_authenticate_ends_in_a_typed_error() {
    // Not a challenge at all: a protocol error after the one request.
    let unparseable = ["Bearer realm=\"unterminated", "Bearer service=\"no realm\"", ",,,"];
    for challenge in [
        "Bearer realm=\"unterminated",
        "Bearer service=\"no realm\"",
        "Bearer realm=\"\"",
        "Bearer realm=\"not a url\"",
        "Bearer realm=\"ftp://127.0.0.1/token\"",
        "Negotiate",
        "",
        ",,,",
    ] {
        let server = FaultServer::start();
        server.route(PATH, [Reply::status(401).header("WWW-Authenticate", challenge)]);
        let err = bounded(client(&server, RegistryOptions::new()).manifest_digest(&location(&server)))
            .await
            .unwrap_err();
        assert!(
            matches!(
                err.kind(),
                ErrorKind::Unauthorized | ErrorKind::Protocol | ErrorKind::InsecureTransport
            ),
            "{challenge:?}: {err:?}"
        );
        assert!(
            server.count(PATH) <= 2,
            "{challenge:?}: {} requests",
            server.count(PATH)
        );
        assert_eq!(server.count("/token"), 0, "{challenge:?}");
        if unparseable.contains(&challenge) {
            assert_eq!(err.kind(), ErrorKind::Protocol, "{challenge}: {err}");
            assert_eq!(server.count(PATH), 1, "{challenge}");
        }
    }
}

#[tokio::test]
async fn a_failing_token_endpoint_ends_in_a_typed_error_naming_the_scope() {
    let cases: [(Reply, ErrorKind); 4] = [
        (Reply::status(500).body(b"oops"), ErrorKind::Status),
        (Reply::status(200).body(b"{not json"), ErrorKind::Protocol),
        (Reply::status(200).body(br#"{"token":""}"#), ErrorKind::Protocol),
        (Reply::status(200).body(br#"{"expires_in":300}"#), ErrorKind::Protocol),
    ];
    for (reply, kind) in cases {
        let tokens = FaultServer::start_on(OTHER);
        tokens.route("/token", [reply.clone()]);
        let registry = challenge_server(format!(r#"Bearer realm="{}/token",service="s""#, tokens.url()));
        let err = bounded(client(&registry, RegistryOptions::new()).manifest_digest(&location(&registry)))
            .await
            .unwrap_err();
        assert_eq!(err.kind(), kind, "{reply:?}: {err:?}");
        assert!(err.to_string().contains("token"), "{err}");
        assert_eq!(
            registry.count(PATH),
            1,
            "no request with a token that was never granted"
        );
        if kind == ErrorKind::Status {
            assert_eq!(err.scope(), Some("repository:a:pull"));
            assert!(err.to_string().contains("token request to"), "{err}");
            assert_eq!(tokens.count("/token"), 1);
        } else {
            let token_requests = tokens.count("/token");
            assert!((1..=4).contains(&token_requests), "{token_requests}");
        }
    }
}

#[tokio::test]
async fn credentials_never_go_to_a_remote_plain_http_realm_nor_a_metadata_address() {
    for realm in ["http://192.0.2.1/token", "http://169.254.169.254/token"] {
        let registry = challenge_server(format!(r#"Bearer realm="{realm}",service="s""#));
        let options = RegistryOptions::new().credentials(Credentials::new("u", "p"));
        let err = bounded(client(&registry, options).manifest_digest(&location(&registry)))
            .await
            .unwrap_err();
        let expected = if realm.contains("169.254") {
            ErrorKind::ForbiddenAddress
        } else {
            ErrorKind::InsecureTransport
        };
        assert_eq!(err.kind(), expected, "{realm}: {err}");
    }
}

/// A registry that accepts token `t1` for its first two uses only, then calls it invalid; `t2` always passes.
#[tokio::test]
async fn a_refused_cached_token_is_dropped_and_fetched_again_once() {
    let tokens = numbered_tokens();
    let challenge = format!(
        r#"Bearer realm="{}/token",service="s",scope="repository:a:pull""#,
        tokens.url()
    );
    let uses = AtomicUsize::new(0);
    let registry = registry(
        challenge,
        "invalid_token",
        move |_, authorization| match authorization {
            "Bearer t1" => uses.fetch_add(1, Ordering::SeqCst) < 2,
            "Bearer t2" => true,
            _ => false,
        },
    );
    let client = client(&registry, RegistryOptions::new());
    let location = location(&registry);
    for _ in 0..5 {
        bounded(client.manifest_digest(&location)).await.unwrap();
    }
    assert_eq!(tokens.count("/token"), 2, "one fetch, one refetch after the refusal");
    let sent: Vec<Option<String>> = registry
        .requests()
        .iter()
        .map(|s| s.header("authorization").map(str::to_owned))
        .collect();
    let t1 = Some("Bearer t1".to_owned());
    let t2 = Some("Bearer t2".to_owned());
    assert_eq!(sent, [None, t1.clone(), t1.clone(), t1, t2.clone(), t2.clone(), t2]);
}

#[tokio::test]
async fn a_refetched_token_that_is_refused_too_is_the_answer() {
    let tokens = numbered_tokens();
    let challenge = format!(r#"Bearer realm="{}/token",service="s""#, tokens.url());
    let first = AtomicUsize::new(0);
    let registry = registry(challenge, "invalid_token", move |_, authorization| {
        authorization == "Bearer t1" && first.fetch_add(1, Ordering::SeqCst) == 0
    });
    let client = client(&registry, RegistryOptions::new());
    let location = location(&registry);
    bounded(client.manifest_digest(&location)).await.unwrap();
    let err = bounded(client.manifest_digest(&location)).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Unauthorized, "{err}");
    assert!(err.to_string().contains("invalid_token"), "{err}");
    assert_eq!(tokens.count("/token"), 2);
    assert_eq!(registry.count(PATH), 4);
}

/// A token server whose tokens are opaque (no JWT `access` claim to say what they grant): the client learns that a
/// batched token did not cover a repository from the registry's `insufficient_scope`, fetches that one alone, and
/// stops batching for this registry.
#[tokio::test]
async fn insufficient_scope_for_a_batched_token_refetches_alone_and_stops_batching() {
    let tokens = numbered_tokens();
    let challenge = format!(r#"Bearer realm="{}/token",service="s""#, tokens.url());
    // t1 (the batch) is good for `a` only; any later token is good for everything.
    let registry = registry(challenge, "insufficient_scope", |seen, authorization| {
        authorization != "Bearer t1" || seen.path().starts_with("/v2/a/")
    });
    let client = client(&registry, RegistryOptions::new());
    bounded(client.authorize_batch(&registry.host(), &["a", "b"]))
        .await
        .unwrap();
    assert_eq!(tokens.count("/token"), 1);
    let first = &tokens.requests()[0];
    assert!(
        first.target.contains("scope=repository%3Aa%3Apull") && first.target.contains("scope=repository%3Ab%3Apull"),
        "{first:?}"
    );
    let repository = |name| Repository::new(&registry.host(), name).unwrap().tag("v1").unwrap();
    bounded(client.manifest_digest(&repository("a"))).await.unwrap();
    bounded(client.manifest_digest(&repository("b"))).await.unwrap();
    assert_eq!(tokens.count("/token"), 2, "b's token fetched alone once");
    assert!(tokens.requests()[1].target.contains("scope=repository%3Ab%3Apull"));
    assert!(!tokens.requests()[1].target.contains("repository%3Aa"));
    // No more batches for this registry: one request per repository.
    bounded(client.authorize_batch(&registry.host(), &["c", "d"]))
        .await
        .unwrap();
    assert_eq!(tokens.count("/token"), 4);
}

/// An identity token (docker's `identitytoken`) is exchanged with the OAuth2 form POST; a token server without
/// OAuth2 (405) gets the GET form instead.
#[tokio::test]
async fn identity_tokens_use_the_oauth2_post_and_fall_back_to_get() {
    let tokens = FaultServer::with_handler(OTHER, |seen, _| {
        if seen.method == "POST" {
            let body = String::from_utf8_lossy(&seen.body);
            if body.contains("grant_type=refresh_token") && body.contains("refresh_token=refresh-me") {
                return Reply::response(405, &[], b"");
            }
            return Reply::response(400, &[], b"");
        }
        Reply::response(200, &[], br#"{"token":"from-get"}"#)
    });
    let challenge = format!(r#"Bearer realm="{}/token",service="s""#, tokens.url());
    let registry = FaultServer::with_handler(LOCAL, move |seen, _| match seen.header("authorization") {
        Some("Bearer from-get") => manifest(),
        _ => Reply::response(401, &[("WWW-Authenticate", &challenge)], b""),
    });
    let config = format!(
        r#"{{"auths":{{"{}":{{"identitytoken":"refresh-me"}}}}}}"#,
        registry.host()
    );
    let store = oci_auth::CredentialStore::new().with_docker_config(oci_auth::AuthFile::parse(&config).unwrap());
    let client = Client::builder()
        .registry(&registry.host(), RegistryOptions::new().scheme(Scheme::Http))
        .credential_store(store)
        .build()
        .unwrap();
    bounded(client.manifest_digest(&location(&registry))).await.unwrap();
    let methods: Vec<String> = tokens.requests().iter().map(|s| s.method.clone()).collect();
    assert_eq!(methods, ["POST", "GET"]);
}
