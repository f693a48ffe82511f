//! `RateLimitProxy`: Docker Hub's pull rate limit in front of the real registry, as `oci_registry` sees it.
//!
//! Each test puts a counting TCP `Proxy` between the rate-limit proxy and the registry, so that what reached the
//! registry is counted on the wire, not by the fixture under test.

use std::time::{Duration, Instant};

use oci_registry::{Client, ErrorKind, Repository, RetryPolicy};
use oci_testkit::images::{OCI_INDEX, OCI_MANIFEST};
use oci_testkit::ratelimit::{TOO_MANY_REQUESTS_BODY, WINDOW_SECONDS};
use oci_testkit::{Images, Proxy, Pushed, RateLimitProxy, Registry, fault};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// A registry holding `limited/app:v1` (an OCI index of two images), a counting TCP proxy in front of it, and a
/// rate-limit proxy in front of that.
struct Setup {
    registry: Registry,
    wire: Proxy,
    proxy: RateLimitProxy,
    index: Pushed,
    children: Vec<Pushed>,
    repository: Repository,
}

async fn setup(limit: u64, remaining: u64) -> Setup {
    let registry = Registry::open();
    let images = registry.images("limited/app").unwrap();
    let (index, children) = images.list(OCI_INDEX, "limited", "v1").await.unwrap();
    let wire = Proxy::start(registry.host().parse().unwrap(), Duration::ZERO).await;
    let proxy = RateLimitProxy::start(&wire.host(), limit, remaining).await;
    let repository = Repository::new(&proxy.host(), "limited/app").unwrap();
    Setup {
        registry,
        wire,
        proxy,
        index,
        children,
        repository,
    }
}

/// A client that reaches the proxy in plain HTTP at once, retrying as `policy` says.
fn client(proxy: &RateLimitProxy, policy: RetryPolicy) -> Client {
    Client::builder()
        .registry(
            &proxy.host(),
            oci_registry::RegistryOptions::new().scheme(oci_registry::Scheme::Http),
        )
        .retry_policy(policy)
        .build()
        .unwrap()
}

fn manifest_path(reference: &str) -> String {
    format!("/v2/limited/app/manifests/{reference}")
}

#[tokio::test]
async fn heads_announce_the_quota_and_spend_no_pull() {
    let s = setup(100, 3).await;
    let client = client(&s.proxy, RetryPolicy::never());
    let head = client.manifest_digest(&s.repository.tag("v1").unwrap()).await.unwrap();
    assert_eq!(head.digest(), &s.index.digest);
    assert_eq!(
        head.size(),
        Some(s.index.bytes.len() as u64),
        "Content-Length survives a HEAD"
    );
    let limit = head.rate_limit().expect("rate-limit headers on a manifest HEAD");
    assert_eq!(limit.limit(), Some(100));
    assert_eq!(limit.remaining(), Some(3));
    assert_eq!(limit.window(), Some(Duration::from_secs(WINDOW_SECONDS)));
    assert_eq!(limit.source(), Some("127.0.0.1"));

    let child = &s.children[0].digest;
    let head = client
        .manifest_digest(&s.repository.digest(child.clone()))
        .await
        .unwrap();
    assert_eq!(head.digest(), child);
    assert_eq!(head.rate_limit().unwrap().remaining(), Some(3));

    assert_eq!(s.proxy.remaining(), 3);
    assert_eq!(
        (s.proxy.manifest_heads(), s.proxy.manifest_gets(), s.proxy.refused()),
        (2, 0, 0)
    );
    assert_eq!(s.proxy.requests(), 2);
    assert_eq!(
        s.proxy.log(),
        [
            ("HEAD".to_owned(), manifest_path("v1"), 200),
            ("HEAD".to_owned(), manifest_path(child.as_str()), 200),
        ]
    );
    assert_eq!(s.wire.request_heads(), 2, "both HEADs reached the registry");
}

#[tokio::test]
async fn gets_spend_one_pull_each_and_count_it_in_their_header() {
    let s = setup(100, 3).await;
    let client = client(&s.proxy, RetryPolicy::never());
    let manifest = client.manifest(&s.repository.tag("v1").unwrap()).await.unwrap();
    assert_eq!(manifest.bytes(), &s.index.bytes);
    assert_eq!(
        manifest.rate_limit().unwrap().remaining(),
        Some(2),
        "the count includes this pull"
    );
    assert_eq!(s.proxy.remaining(), 2);

    let child = &s.children[0].digest;
    let manifest = client.manifest(&s.repository.digest(child.clone())).await.unwrap();
    assert_eq!(manifest.digest(), child);
    assert_eq!(manifest.rate_limit().unwrap().remaining(), Some(1));

    // A GET the registry does not answer 200 spends nothing, and still carries the headers.
    let err = client
        .manifest(&s.repository.tag("missing").unwrap())
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NotFound, "{err}");
    assert_eq!(err.rate_limit().unwrap().remaining(), Some(1));
    assert_eq!(s.proxy.remaining(), 1);

    assert_eq!(s.proxy.manifest_gets(), 2);
    assert_eq!(s.proxy.gets_of("v1"), 1);
    assert_eq!(s.proxy.gets_of(child.as_str()), 1);
    assert_eq!(s.proxy.gets_of(s.children[1].digest.as_str()), 0);
    assert_eq!(s.proxy.gets_of("missing"), 0, "only pulls answered 200 count");
    assert_eq!(
        s.proxy.log().last().unwrap(),
        &("GET".to_owned(), manifest_path("missing"), 404)
    );
    assert_eq!((s.proxy.requests(), s.proxy.refused()), (3, 0));
}

#[tokio::test]
async fn an_exhausted_quota_is_refused_by_the_proxy_alone() {
    let s = setup(100, 1).await;
    let client = client(&s.proxy, RetryPolicy::never());
    let v1 = s.repository.tag("v1").unwrap();
    let manifest = client.manifest(&v1).await.unwrap();
    assert!(
        manifest.rate_limit().unwrap().is_exhausted(),
        "the last pull shows 0 left"
    );
    let reached = s.wire.request_heads();

    // The client saw "0 left" and would withhold the GET itself; another client (another host) has not seen it.
    let withheld = client.manifest(&v1).await.unwrap_err();
    assert_eq!(withheld.kind(), ErrorKind::PullBudget, "{withheld}");
    let client = self::client(&s.proxy, RetryPolicy::never());
    let err = client.manifest(&v1).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::TooManyRequests, "{err}");
    assert_eq!(err.status().map(|status| status.as_u16()), Some(429));
    let [server] = err.server_errors() else {
        panic!("one error in the 429 body: {err}");
    };
    assert_eq!(server.code(), "TOOMANYREQUESTS");
    assert!(
        server.message().starts_with("You have reached your pull rate limit."),
        "{}",
        server.message()
    );
    let limit = err.rate_limit().expect("rate-limit headers on the 429");
    assert_eq!((limit.limit(), limit.remaining()), (Some(100), Some(0)));
    assert_eq!(limit.source(), Some("127.0.0.1"));
    assert_eq!(s.proxy.refused(), 1);
    assert_eq!(s.proxy.manifest_gets(), 1);
    assert_eq!(
        s.wire.request_heads(),
        reached,
        "the refused GET never reached the registry"
    );
    assert_eq!(
        s.proxy.log().last().unwrap(),
        &("GET".to_owned(), manifest_path("v1"), 429)
    );

    // The 429 on the wire: Docker Hub's body and headers, no Retry-After.
    let host = s.proxy.host();
    let (status, headers, body) = tokio::task::spawn_blocking(move || {
        fault::get(&host, "/v2/limited/app/manifests/v1", &[("Connection", "close")])
    })
    .await
    .unwrap()
    .unwrap();
    assert_eq!(status, 429);
    assert_eq!(body, TOO_MANY_REQUESTS_BODY.as_bytes());
    assert_eq!(headers["content-type"], "application/json");
    assert_eq!(headers["ratelimit-limit"], "100;w=21600");
    assert_eq!(headers["ratelimit-remaining"], "0;w=21600");
    assert_eq!(headers["docker-ratelimit-source"], "127.0.0.1");
    assert!(headers.get("retry-after").is_none(), "{headers:?}");
    assert_eq!(s.proxy.refused(), 2);
    assert_eq!(s.wire.request_heads(), reached);

    // HEADs are never refused; a new window lets GETs through again.
    let head = client.manifest_digest(&v1).await.unwrap();
    assert_eq!(head.rate_limit().unwrap().remaining(), Some(0));
    assert_eq!(s.wire.request_heads(), reached + 1);
    s.proxy.set_remaining(5);
    let manifest = self::client(&s.proxy, RetryPolicy::never())
        .manifest(&v1)
        .await
        .unwrap();
    assert_eq!(manifest.rate_limit().unwrap().remaining(), Some(4));
    assert_eq!((s.proxy.remaining(), s.proxy.manifest_gets()), (4, 2));
}

#[tokio::test]
async fn the_default_retry_policy_does_not_retry_a_spent_quota() {
    let s = setup(100, 0).await;
    let policy = RetryPolicy::default();
    assert!(policy.max_attempts() > 1);
    let client = client(&s.proxy, policy);
    let err = client.manifest(&s.repository.tag("v1").unwrap()).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::TooManyRequests, "{err}");
    // A 429 whose headers say 0 left lasts the window (hours on Docker Hub): trying again only wastes requests.
    assert_eq!(s.proxy.refused(), 1);
    assert_eq!(s.proxy.requests(), 1);
    assert_eq!(s.wire.request_heads(), 0);
    assert_eq!(s.proxy.manifest_gets(), 0);
}

#[tokio::test]
async fn a_tls_client_hello_gets_a_plain_http_answer_and_the_client_falls_back() {
    let s = setup(100, 3).await;
    // No options for the proxy's host: the client tries HTTPS first, as for any loopback registry.
    let client = Client::new().unwrap();
    let v1 = s.repository.tag("v1").unwrap();
    let head = client.manifest_digest(&v1).await.unwrap();
    assert_eq!(head.digest(), &s.index.digest);
    assert_eq!(head.rate_limit().unwrap().remaining(), Some(3));
    let manifest = client.manifest(&v1).await.unwrap();
    assert_eq!(manifest.rate_limit().unwrap().remaining(), Some(2));
    // The handshake attempt was never an HTTP request.
    assert_eq!(s.proxy.requests(), 2);
    // A client that insists on HTTPS recognizes the answer as plain HTTP.
    let strict = Client::builder()
        .registry(
            &s.proxy.host(),
            oci_registry::RegistryOptions::new().scheme(oci_registry::Scheme::Https),
        )
        .build()
        .unwrap();
    let err = strict.manifest_digest(&v1).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Tls, "{err}");
    assert!(err.to_string().contains("plain HTTP"), "{err}");

    // What the client met: the start of a TLS ClientHello is answered 400 in plain HTTP.
    let mut stream = tokio::net::TcpStream::connect(s.proxy.host()).await.unwrap();
    stream
        .write_all(&[0x16, 0x03, 0x01, 0x00, 0x2f, 0x01, 0x00, 0x00, 0x2b, 0x03, 0x03])
        .await
        .unwrap();
    let mut answer = Vec::new();
    tokio::time::timeout(Duration::from_secs(5), stream.read_to_end(&mut answer))
        .await
        .expect("the proxy answers and closes")
        .unwrap();
    let answer = String::from_utf8_lossy(&answer);
    assert!(answer.starts_with("HTTP/1.1 400 "), "{answer}");
    assert_eq!(s.proxy.requests(), 2);
}

#[tokio::test]
async fn two_sources_keep_quotas_of_their_own_and_a_delay_holds_each_request() {
    let s = setup(100, 3).await;
    let a = RateLimitProxy::start(s.registry.host(), 100, 2)
        .await
        .with_source("192.0.2.1");
    let b = RateLimitProxy::start(s.registry.host(), 200, 1)
        .await
        .with_source("192.0.2.2")
        .with_delay(Duration::from_millis(150));
    let (client_a, client_b) = (client(&a, RetryPolicy::never()), client(&b, RetryPolicy::never()));
    let at_a = Repository::new(&a.host(), "limited/app").unwrap().tag("v1").unwrap();
    let at_b = Repository::new(&b.host(), "limited/app").unwrap().tag("v1").unwrap();

    let from_a = client_a.manifest(&at_a).await.unwrap();
    let limit = from_a.rate_limit().unwrap();
    assert_eq!(
        (limit.source(), limit.limit(), limit.remaining()),
        (Some("192.0.2.1"), Some(100), Some(1))
    );
    let started = Instant::now();
    let from_b = client_b.manifest(&at_b).await.unwrap();
    assert!(
        started.elapsed() >= Duration::from_millis(150),
        "{:?}",
        started.elapsed()
    );
    let limit = from_b.rate_limit().unwrap();
    assert_eq!(
        (limit.source(), limit.limit(), limit.remaining()),
        (Some("192.0.2.2"), Some(200), Some(0))
    );
    assert_eq!(from_a.bytes(), from_b.bytes());
    let err = client(&b, RetryPolicy::never()).manifest(&at_b).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::TooManyRequests, "{err}");
    assert_eq!(
        client_b.manifest(&at_b).await.unwrap_err().kind(),
        ErrorKind::PullBudget,
        "the client that saw 0 left sends nothing"
    );
    assert_eq!((a.remaining(), b.remaining()), (1, 0));
    assert_eq!((a.refused(), b.refused()), (0, 1));
    assert_eq!(s.proxy.requests(), 0, "the first proxy saw none of it");
}

#[tokio::test]
async fn pushes_pass_through_and_spend_nothing() {
    let s = setup(100, 3).await;
    let client = client(&s.proxy, RetryPolicy::never());
    // Blob uploads (POST, then PUT with a body to the location the registry names) and a manifest PUT, through the
    // proxy: the upload location must point back at the proxy, so Host is forwarded as the client sent it.
    let images = Images::new(&client, &s.proxy.host(), "pushed/app").unwrap();
    let pushed = images.image(OCI_MANIFEST, "through", Some("v1")).await.unwrap();
    let direct = Repository::new(s.registry.host(), "pushed/app").unwrap();
    let stored = s.registry.client().manifest(&direct.tag("v1").unwrap()).await.unwrap();
    assert_eq!(stored.bytes(), &pushed.bytes);

    assert_eq!(s.proxy.remaining(), 3);
    assert_eq!(
        (s.proxy.manifest_gets(), s.proxy.manifest_heads(), s.proxy.refused()),
        (0, 0, 0)
    );
    let log = s.proxy.log();
    assert_eq!(s.proxy.requests(), log.len() as u64);
    assert!(
        log.contains(&("PUT".to_owned(), "/v2/pushed/app/manifests/v1".to_owned(), 201)),
        "{log:?}"
    );
    let uploads = log
        .iter()
        .filter(|(method, target, status)| method == "PUT" && target.contains("digest=") && *status == 201)
        .count();
    assert_eq!(uploads, 2, "config and layer: {log:?}");
}
