//! Retries, rate limits, the concurrency limit, redirects, pagination and auth failures against scripted servers:
//! each ends in the documented retry or typed error, within a bound.

use std::future::Future;
use std::net::Ipv4Addr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use oci_client::{Client, Credentials, ErrorKind, MAX_REDIRECTS, RegistryOptions, Repository, RetryPolicy, Transport};
use oci_digest::Digest;
use oci_testkit::fault::{FaultServer, Reply};

const MANIFEST: &[u8] = br#"{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json"}"#;
const OCI: &str = "application/vnd.oci.image.manifest.v1+json";
const PATH: &str = "/v2/a/manifests/v1";
const LOCAL: Ipv4Addr = Ipv4Addr::LOCALHOST;
/// Another loopback address: another host as far as origins go.
const OTHER: Ipv4Addr = Ipv4Addr::new(127, 0, 0, 2);

async fn bounded<T>(future: impl Future<Output = T>) -> T {
    tokio::time::timeout(Duration::from_secs(30), future)
        .await
        .expect("the client must not hang")
}

fn fast_retries() -> RetryPolicy {
    RetryPolicy::new(4, Duration::from_millis(10), Duration::from_secs(5))
}

fn client(server: &FaultServer, options: RegistryOptions) -> Client {
    Client::builder()
        .registry(&server.host(), options.transport(Transport::Http))
        .retry_policy(fast_retries())
        .request_timeout(Duration::from_secs(5))
        .build()
        .unwrap()
}

fn manifest() -> Reply {
    let digest = Digest::sha256(MANIFEST).to_string();
    Reply::response(
        200,
        &[("Content-Type", OCI), ("Docker-Content-Digest", &digest)],
        MANIFEST,
    )
}

fn location(server: &FaultServer) -> oci_client::ManifestLocation {
    Repository::new(&server.host(), "a").unwrap().tag("v1").unwrap()
}

/// An IMF-fixdate `secs` seconds from now.
fn http_date(secs: u64) -> String {
    let t = SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs() + secs;
    let (days, rem) = (t / 86_400, t % 86_400);
    let weekday = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"][(days % 7) as usize];
    // Civil date from days since 1970-01-01 (H. Hinnant's algorithm).
    let z = days as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    let months = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    format!(
        "{weekday}, {day:02} {} {year} {:02}:{:02}:{:02} GMT",
        months[(month - 1) as usize],
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

#[test]
fn http_dates_parse_back() {
    let date = http_date(3600);
    let parsed = oci_client::internal::parse_http_date(&date).unwrap();
    let expected = SystemTime::now() + Duration::from_secs(3600);
    let diff = expected.duration_since(parsed).unwrap_or_else(|e| e.duration());
    assert!(diff < Duration::from_secs(3), "{date}");
}

#[tokio::test]
async fn too_many_requests_with_retry_after_is_retried_then_succeeds() {
    for date in [false, true] {
        // Computed right before use: an HTTP date counts whole seconds, so 3 s ahead leaves more than 2.
        let retry_after = if date { http_date(3) } else { "1".to_owned() };
        let after = retry_after.clone();
        let server = FaultServer::with_handler(LOCAL, move |_, n| match n {
            0 => Reply::response(429, &[("Retry-After", &after)], b""),
            _ => manifest(),
        });
        let start = Instant::now();
        let head = bounded(client(&server, RegistryOptions::new()).manifest_digest(&location(&server)))
            .await
            .unwrap();
        assert_eq!(head.digest(), &Digest::sha256(MANIFEST));
        assert_eq!(server.count(PATH), 2, "{retry_after}");
        // Honoured: well above the 10 ms backoff.
        let asked = if date { 1900 } else { 950 };
        assert!(
            start.elapsed() >= Duration::from_millis(asked),
            "{retry_after}: {:?}",
            start.elapsed()
        );
    }
}

#[tokio::test]
async fn a_retry_after_beyond_the_cap_is_not_waited_for_and_the_rate_limit_is_reported() {
    let server = FaultServer::with_handler(LOCAL, |_, _| {
        Reply::response(
            429,
            &[
                ("Retry-After", "3600"),
                ("RateLimit-Limit", "100;w=21600"),
                ("RateLimit-Remaining", "0;w=21600"),
                ("Docker-RateLimit-Source", "203.0.113.9"),
            ],
            br#"{"errors":[{"code":"TOOMANYREQUESTS","message":"slow down"}]}"#,
        )
    });
    let start = Instant::now();
    let err = bounded(client(&server, RegistryOptions::new()).manifest_digest(&location(&server)))
        .await
        .unwrap_err();
    assert!(start.elapsed() < Duration::from_secs(3));
    assert_eq!(err.kind(), ErrorKind::TooManyRequests, "{err}");
    assert_eq!(server.count(PATH), 1);
    let limit = err.rate_limit().expect("the rate-limit headers");
    assert_eq!(limit.limit(), Some(100));
    assert_eq!(limit.remaining(), Some(0));
    assert_eq!(limit.window(), Some(Duration::from_secs(21_600)));
    assert_eq!(limit.source(), Some("203.0.113.9"));
}

#[tokio::test]
async fn a_burst_of_503_then_success() {
    let server = FaultServer::with_handler(LOCAL, |_, n| {
        if n < 3 {
            Reply::response(503, &[], b"busy")
        } else {
            manifest()
        }
    });
    let manifest = bounded(client(&server, RegistryOptions::new()).manifest(&location(&server)))
        .await
        .unwrap();
    assert_eq!(manifest.bytes().as_ref(), MANIFEST);
    assert_eq!(server.count(PATH), 4);
}

#[tokio::test]
async fn retries_stop_at_the_policy_and_never_repeat_a_post() {
    let server = FaultServer::with_handler(LOCAL, |_, _| Reply::response(503, &[], b""));
    let client = client(&server, RegistryOptions::new());
    let err = bounded(client.manifest_digest(&location(&server))).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Status, "{err}");
    assert_eq!(server.count(PATH), 4);
    let repository = Repository::new(&server.host(), "a").unwrap();
    let err = bounded(client.push_blob(&repository, Bytes::from_static(b"x")))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Status, "{err}");
    assert_eq!(server.count("/v2/a/blobs/uploads/"), 1, "a POST is not idempotent");

    let never = Client::builder()
        .registry(&server.host(), RegistryOptions::new().transport(Transport::Http))
        .retry_policy(RetryPolicy::never())
        .build()
        .unwrap();
    bounded(never.manifest_digest(&location(&server))).await.unwrap_err();
    assert_eq!(server.count(PATH), 5);
}

#[tokio::test]
async fn connect_errors_are_retried() {
    // A port nothing listens on: every attempt is a connect error.
    let port = std::net::TcpListener::bind((LOCAL, 0))
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let host = format!("127.0.0.1:{port}");
    let client = Client::builder()
        .registry(&host, RegistryOptions::new().transport(Transport::Http))
        .retry_policy(RetryPolicy::new(3, Duration::from_millis(200), Duration::from_secs(1)).with_jitter(false))
        .build()
        .unwrap();
    let start = Instant::now();
    let err = bounded(client.ping(&host)).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Connect, "{err}");
    // Two backoffs of 200 and 400 ms without jitter.
    assert!(start.elapsed() >= Duration::from_millis(600), "{:?}", start.elapsed());
}

#[tokio::test]
async fn a_stall_beyond_the_timeout_is_a_timeout() {
    let server = FaultServer::with_handler(LOCAL, |_, _| Reply::Stall);
    let client = Client::builder()
        .registry(&server.host(), RegistryOptions::new().transport(Transport::Http))
        .request_timeout(Duration::from_millis(300))
        .build()
        .unwrap();
    let start = Instant::now();
    let err = bounded(client.manifest_digest(&location(&server))).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Timeout, "{err}");
    assert!(start.elapsed() < Duration::from_secs(5));
}

#[tokio::test]
async fn requests_in_flight_per_registry_are_limited() {
    let active = Arc::new(AtomicUsize::new(0));
    let peak = Arc::new(AtomicUsize::new(0));
    let (a, p) = (Arc::clone(&active), Arc::clone(&peak));
    let server = FaultServer::with_handler(LOCAL, move |_, _| {
        let now = a.fetch_add(1, Ordering::SeqCst) + 1;
        p.fetch_max(now, Ordering::SeqCst);
        std::thread::sleep(Duration::from_millis(150));
        a.fetch_sub(1, Ordering::SeqCst);
        manifest()
    });
    let client = Client::builder()
        .registry(&server.host(), RegistryOptions::new().transport(Transport::Http))
        .max_concurrency_per_registry(2)
        .build()
        .unwrap();
    let location = Arc::new(location(&server));
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..8 {
        let (client, location) = (client.clone(), Arc::clone(&location));
        tasks.spawn(async move { client.manifest_digest(&location).await.map(|_| ()) });
    }
    bounded(async {
        while let Some(result) = tasks.join_next().await {
            result.unwrap().unwrap();
        }
    })
    .await;
    assert_eq!(server.count(PATH), 8);
    assert!(peak.load(Ordering::SeqCst) <= 2, "{}", peak.load(Ordering::SeqCst));
    assert_eq!(client.config().max_concurrency_per_registry(), Some(2));
}

fn blob_path(digest: &Digest) -> String {
    format!("/v2/a/blobs/{digest}")
}

#[tokio::test]
async fn a_blob_redirect_to_another_host_carries_no_authorization() {
    let data: &'static [u8] = b"blob bytes, stored elsewhere";
    let digest = Digest::sha256(data);
    let storage = FaultServer::with_handler(OTHER, move |_, _| Reply::response(200, &[], data));
    let elsewhere = format!("{}/store/blob?sig=abc", storage.url());
    let path = blob_path(&digest);
    let registry = FaultServer::with_handler(LOCAL, move |seen, _| {
        if seen.header("authorization").is_none() {
            return Reply::response(401, &[("WWW-Authenticate", r#"Basic realm="r""#)], b"");
        }
        if seen.path() == path {
            // First to the registry's own origin (Authorization kept), then away.
            return Reply::response(307, &[("Location", "/v2/a/moved")], b"");
        }
        Reply::response(307, &[("Location", &elsewhere)], b"")
    });
    let client = client(
        &registry,
        RegistryOptions::new().credentials(Credentials::new("u", "p")),
    );
    let repository = Repository::new(&registry.host(), "a").unwrap();
    let blob = bounded(client.blob(&repository, &digest)).await.unwrap();
    assert_eq!(blob.size(), Some(data.len() as u64));
    assert_eq!(bounded(blob.bytes(1024)).await.unwrap().as_ref(), data);
    assert!(
        registry
            .requests()
            .iter()
            .any(|s| s.path() == "/v2/a/moved" && s.header("authorization").is_some())
    );
    let at_storage = storage.requests();
    assert_eq!(at_storage.len(), 1);
    assert_eq!(at_storage[0].header("authorization"), None, "{at_storage:?}");
    assert_eq!(at_storage[0].target, "/store/blob?sig=abc");
}

#[tokio::test]
async fn redirect_loops_and_long_chains_end_in_a_typed_error() {
    let server = FaultServer::with_handler(LOCAL, |seen, _| {
        let path = seen.path().to_owned();
        let next = match path.strip_prefix("/hop/") {
            Some(n) => format!("/hop/{}", n.parse::<usize>().unwrap() + 1),
            None if path.ends_with("/loop") => path.clone(),
            None if path.contains("sha256:") && path.starts_with("/v2/loop/") => "/v2/loop/loop".to_owned(),
            None => "/hop/1".to_owned(),
        };
        if path == format!("/hop/{MAX_REDIRECTS}") && seen.target.contains("end") {
            return Reply::response(200, &[], b"");
        }
        Reply::response(302, &[("Location", &next)], b"")
    });
    let client = client(&server, RegistryOptions::new());
    let digest = Digest::sha256(b"");
    let err = bounded(client.blob(&Repository::new(&server.host(), "loop").unwrap(), &digest))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::TooManyRedirects, "{err}");
    let err = bounded(client.blob(&Repository::new(&server.host(), "chain").unwrap(), &digest))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::TooManyRedirects, "{err}");
    assert_eq!(
        server
            .requests()
            .iter()
            .filter(|s| s.path().starts_with("/hop/"))
            .count(),
        MAX_REDIRECTS
    );
}

#[tokio::test]
async fn a_blob_that_does_not_match_its_digest_fails_at_the_end() {
    let body: &'static [u8] = &[7u8; 5000];
    let server = FaultServer::with_handler(LOCAL, move |_, _| Reply::response(200, &[], body));
    let client = client(&server, RegistryOptions::new());
    let repository = Repository::new(&server.host(), "a").unwrap();
    let mut blob = bounded(client.blob(&repository, &Digest::sha256(b"something else")))
        .await
        .unwrap();
    let mut received = 0;
    let err = loop {
        match bounded(blob.chunk()).await {
            Ok(Some(chunk)) => received += chunk.len(),
            Ok(None) => panic!("a mismatching blob ended cleanly"),
            Err(err) => break err,
        }
    };
    assert_eq!(received, body.len(), "every byte is delivered before the verdict");
    assert_eq!(err.kind(), ErrorKind::DigestMismatch, "{err}");
    assert!(bounded(blob.chunk()).await.unwrap().is_none());

    let good = bounded(client.blob(&repository, &Digest::sha256(body))).await.unwrap();
    assert_eq!(bounded(good.bytes(10_000)).await.unwrap().len(), body.len());
}

#[tokio::test]
async fn tags_follow_every_same_origin_page_and_ignore_a_cross_origin_link() {
    let other = FaultServer::with_handler(OTHER, |_, _| Reply::response(200, &[], br#"{"tags":["evil"]}"#));
    let evil = format!("<{}/v2/a/tags/list?last=z>; rel=\"next\"", other.url());
    let server = FaultServer::with_handler(LOCAL, move |seen, _| match seen.target.as_str() {
        "/v2/a/tags/list?n=1000" => Reply::response(
            200,
            &[("Link", r#"</v2/a/tags/list?last=b&n=2&cursor=opaque%2F1>; rel="next""#)],
            br#"{"name":"a","tags":["a","b"]}"#,
        ),
        "/v2/a/tags/list?last=b&n=2&cursor=opaque%2F1" => Reply::response(
            200,
            &[("Link", r#"<?last=d&n=2>; rel="next""#)],
            br#"{"name":"a","tags":["c","d"]}"#,
        ),
        "/v2/a/tags/list?last=d&n=2" => Reply::response(200, &[("Link", &evil)], br#"{"name":"a","tags":["e"]}"#),
        _ => Reply::response(404, &[], b""),
    });
    let client = client(&server, RegistryOptions::new());
    let tags = bounded(client.tags(&Repository::new(&server.host(), "a").unwrap()))
        .await
        .unwrap();
    assert_eq!(tags, ["a", "b", "c", "d", "e"]);
    assert!(other.requests().is_empty(), "a cross-origin Link was followed");
    assert_eq!(server.requests().len(), 3);
}

#[tokio::test]
async fn tags_of_an_empty_or_unknown_repository() {
    let server = FaultServer::with_handler(LOCAL, |seen, _| match seen.path() {
        "/v2/empty/tags/list" => Reply::response(200, &[], br#"{"name":"empty","tags":null}"#),
        "/v2/bad/tags/list" => Reply::response(200, &[], b"<html>"),
        _ => Reply::response(404, &[], br#"{"errors":[{"code":"NAME_UNKNOWN","message":"no"}]}"#),
    });
    let client = client(&server, RegistryOptions::new());
    let repository = |name| Repository::new(&server.host(), name).unwrap();
    assert!(bounded(client.tags(&repository("empty"))).await.unwrap().is_empty());
    let err = bounded(client.tags(&repository("bad"))).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Protocol, "{err}");
    let err = bounded(client.tags(&repository("gone"))).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NotFound, "{err}");
}

fn challenge_server(challenge: String) -> FaultServer {
    FaultServer::with_handler(LOCAL, move |seen, _| {
        if seen.header("authorization").is_some() {
            return manifest();
        }
        Reply::response(401, &[("WWW-Authenticate", &challenge)], b"")
    })
}

#[tokio::test]
async fn a_malformed_www_authenticate_is_a_protocol_error() {
    for challenge in ["Bearer realm=\"unterminated", "Bearer service=\"no realm\"", ",,,"] {
        let server = challenge_server(challenge.to_owned());
        let err = bounded(client(&server, RegistryOptions::new()).manifest_digest(&location(&server)))
            .await
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Protocol, "{challenge}: {err}");
        assert_eq!(server.count(PATH), 1, "{challenge}");
    }
}

#[tokio::test]
async fn a_failing_token_endpoint_is_a_typed_error_naming_the_scope() {
    let tokens = FaultServer::with_handler(OTHER, |_, _| Reply::response(500, &[], b"oops"));
    let registry = challenge_server(format!(r#"Bearer realm="{}/token",service="s""#, tokens.url()));
    let err = bounded(client(&registry, RegistryOptions::new()).manifest_digest(&location(&registry)))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Status, "{err}");
    assert_eq!(err.scope(), Some("repository:a:pull"));
    assert!(err.to_string().contains("token request to"), "{err}");
    assert_eq!(registry.count(PATH), 1, "no request without a token");
    assert_eq!(tokens.count("/token"), 1);
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
    let tokens = FaultServer::with_handler(OTHER, |_, n| {
        let body = format!(r#"{{"token":"t{}","expires_in":300}}"#, n + 1);
        Reply::response(200, &[("Content-Type", "application/json")], body.as_bytes())
    });
    let challenge = format!(
        r#"Bearer realm="{}/token",service="s",scope="repository:a:pull""#,
        tokens.url()
    );
    let uses = Arc::new(AtomicUsize::new(0));
    let registry = FaultServer::with_handler(LOCAL, move |seen, _| match seen.header("authorization") {
        Some("Bearer t1") if uses.fetch_add(1, Ordering::SeqCst) < 2 => manifest(),
        Some("Bearer t2") => manifest(),
        Some(_) => Reply::response(
            401,
            &[("WWW-Authenticate", &format!("{challenge},error=\"invalid_token\""))],
            b"",
        ),
        None => Reply::response(401, &[("WWW-Authenticate", &challenge)], b""),
    });
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
    let tokens = FaultServer::with_handler(OTHER, |_, n| {
        let body = format!(r#"{{"token":"t{}"}}"#, n + 1);
        Reply::response(200, &[], body.as_bytes())
    });
    let challenge = format!(r#"Bearer realm="{}/token",service="s""#, tokens.url());
    let first = Arc::new(AtomicUsize::new(0));
    let registry = FaultServer::with_handler(LOCAL, move |seen, _| match seen.header("authorization") {
        Some("Bearer t1") if first.fetch_add(1, Ordering::SeqCst) == 0 => manifest(),
        Some(_) => Reply::response(
            401,
            &[("WWW-Authenticate", &format!("{challenge},error=\"invalid_token\""))],
            b"",
        ),
        None => Reply::response(401, &[("WWW-Authenticate", &challenge)], b""),
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
    let tokens = FaultServer::with_handler(OTHER, |_, n| {
        let body = format!(r#"{{"token":"t{}","expires_in":300}}"#, n + 1);
        Reply::response(200, &[], body.as_bytes())
    });
    let challenge = format!(r#"Bearer realm="{}/token",service="s""#, tokens.url());
    // t1 (the batch) is good for `a` only; any later token is good for everything.
    let registry = FaultServer::with_handler(LOCAL, move |seen, _| match seen.header("authorization") {
        Some("Bearer t1") if seen.path().starts_with("/v2/a/") => manifest(),
        Some("Bearer t1") => Reply::response(
            401,
            &[("WWW-Authenticate", &format!("{challenge},error=\"insufficient_scope\""))],
            b"",
        ),
        Some(_) => manifest(),
        None => Reply::response(401, &[("WWW-Authenticate", &challenge)], b""),
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
        .registry(&registry.host(), RegistryOptions::new().transport(Transport::Http))
        .credential_store(store)
        .build()
        .unwrap();
    bounded(client.manifest_digest(&location(&registry))).await.unwrap();
    let methods: Vec<String> = tokens.requests().iter().map(|s| s.method.clone()).collect();
    assert_eq!(methods, ["POST", "GET"]);
}
