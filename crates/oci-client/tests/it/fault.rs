//! The fault-injecting server (oci-testkit's `FaultServer` with scripted routes) and what the client does with each
//! fault it can produce.
//!
//! Each scenario is tested twice where the client supports it: the server is shown to produce the fault on the wire,
//! and the client is shown to end in the documented typed error, within a bounded time, without leaking credentials.

use std::future::Future;
use std::net::Ipv4Addr;
use std::time::{Duration, SystemTime};

use http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode, Uri};
use oci_client::internal::{IgnoredReason, Jitter, NextPage, Outcome, next_page, parse_retry_after};
use oci_client::{Client, Credentials, ErrorKind, RateLimit, RegistryOptions, Repository, RetryPolicy, Transport};
use oci_digest::Digest;
use oci_testkit::fault::{FaultServer, Reply, get};

const MANIFEST: &[u8] = br#"{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json"}"#;
const OCI: &str = "application/vnd.oci.image.manifest.v1+json";
const PATH: &str = "/v2/a/manifests/v1";

/// Every client-side test ends within this, whatever the client does.
const BOUND: Duration = Duration::from_secs(30);

async fn bounded<T>(future: impl Future<Output = T>) -> T {
    tokio::time::timeout(BOUND, future)
        .await
        .expect("the client must not hang on a fault")
}

fn client_with(server: &FaultServer, options: RegistryOptions, timeout: Duration) -> Client {
    Client::builder()
        .registry(&server.host(), options.transport(Transport::Http))
        .request_timeout(timeout)
        .manifest_size_limit(64 * 1024)
        .build()
        .unwrap()
}

fn client(server: &FaultServer) -> Client {
    client_with(server, RegistryOptions::new(), Duration::from_secs(10))
}

fn manifest_ok() -> Reply {
    Reply::status(200)
        .header("Content-Type", OCI)
        .header("Docker-Content-Digest", Digest::sha256(MANIFEST).as_str())
        .body(MANIFEST)
}

fn header_map(headers: &[(String, String)]) -> HeaderMap {
    let mut map = HeaderMap::new();
    for (name, value) in headers {
        map.append(
            HeaderName::from_bytes(name.as_bytes()).unwrap(),
            HeaderValue::from_str(value).unwrap(),
        );
    }
    map
}

// The server itself.

#[test]
fn server_plays_scripts_in_order_repeats_the_last_and_records_requests() {
    let server = FaultServer::start();
    server.route(
        "/x",
        [Reply::status(503), Reply::status(503), Reply::status(200).body(b"ok")],
    );
    server.route("/x?page=2", [Reply::status(201)]);
    let statuses: Vec<u16> = (0..4)
        .map(|_| get(&server.host(), "/x", &[("Authorization", "Basic dTpw")]).unwrap().0)
        .collect();
    assert_eq!(statuses, [503, 503, 200, 200]);
    assert_eq!(get(&server.host(), "/x?page=2", &[]).unwrap().0, 201);
    assert_eq!(
        get(&server.host(), "/x?page=3", &[]).unwrap().0,
        200,
        "falls back to the path's route"
    );
    assert_eq!(get(&server.host(), "/unknown", &[]).unwrap().0, 404);
    let requests = server.requests();
    assert_eq!(requests.len(), 7);
    assert_eq!(requests[0].method, "GET");
    assert_eq!(requests[0].header("authorization"), Some("Basic dTpw"));
    assert_eq!(requests[4].target, "/x?page=2");
    assert_eq!(server.count("/x"), 6);
}

#[test]
fn server_produces_truncated_bodies_and_stalls() {
    let server = FaultServer::start();
    server.route(
        "/short",
        [Reply::truncated(&[("Content-Type", OCI)], b"{\"schema", 1000)],
    );
    server.route("/stall", [Reply::Stall]);
    let (status, headers, body) = get(&server.host(), "/short", &[]).unwrap();
    assert_eq!(status, 200);
    assert_eq!(header_map(&headers)["content-length"], "1000");
    assert_eq!(body, b"{\"schema");
    let err = get(&server.host(), "/stall", &[]).unwrap_err();
    assert!(
        matches!(
            err.kind(),
            std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
        ),
        "{err}"
    );
    assert_eq!(server.count("/stall"), 1, "the request was read before stalling");
}

#[test]
fn another_loopback_address_is_another_host() {
    let a = FaultServer::start();
    let b = FaultServer::start_on(Ipv4Addr::new(127, 0, 0, 2));
    assert!(b.host().starts_with("127.0.0.2:"));
    a.route(
        "/blob",
        [Reply::redirect(307, &format!("{}/storage/blob?sig=x", b.url()))],
    );
    b.route("/storage/blob", [Reply::status(200).body(b"data")]);
    let (status, headers, _) = get(&a.host(), "/blob", &[]).unwrap();
    assert_eq!(status, 307);
    let location: Uri = header_map(&headers)["location"].to_str().unwrap().parse().unwrap();
    assert_eq!(location.host(), Some("127.0.0.2"));
    let (status, _, body) = get(&b.host(), location.path_and_query().unwrap().as_str(), &[]).unwrap();
    assert_eq!((status, body.as_slice()), (200, b"data".as_slice()));
    assert_eq!(a.count("/storage/blob"), 0);
}

/// A reference retry loop over the server, driven only by [`RetryPolicy::next_delay`]: what the client's request loop
/// is meant to do. Returns the final status and the delays it waited.
fn get_with_retries(server: &FaultServer, target: &str, policy: &RetryPolicy, now: SystemTime) -> (u16, Vec<Duration>) {
    let mut jitter = Jitter::from_seed(1);
    let mut delays = Vec::new();
    for attempt in 1.. {
        let (status, headers, _) = get(&server.host(), target, &[]).unwrap();
        let headers = header_map(&headers);
        let retry_after = headers.get("retry-after").and_then(|v| v.to_str().ok());
        let outcome = Outcome::Status(StatusCode::from_u16(status).unwrap());
        match policy.next_delay(attempt, &Method::GET, outcome, retry_after, now, &mut jitter) {
            Some(delay) if !StatusCode::from_u16(status).unwrap().is_success() => delays.push(delay),
            _ => return (status, delays),
        }
    }
    unreachable!()
}

#[test]
fn a_burst_of_503s_then_success_is_retried_by_the_policy() {
    let server = FaultServer::start();
    server.route(
        PATH,
        [
            Reply::status(503),
            Reply::status(503),
            Reply::status(503),
            manifest_ok(),
        ],
    );
    let policy = RetryPolicy::new(5, Duration::from_millis(100), Duration::from_secs(2)).with_jitter(false);
    let (status, delays) = get_with_retries(&server, PATH, &policy, SystemTime::now());
    assert_eq!(status, 200);
    assert_eq!(delays, [100, 200, 400].map(Duration::from_millis));
    assert_eq!(server.count(PATH), 4);
    // With fewer attempts than the burst, the 503 is what remains.
    let server = FaultServer::start();
    server.route(PATH, [Reply::status(503), Reply::status(503), manifest_ok()]);
    let (status, _) = get_with_retries(
        &server,
        PATH,
        &RetryPolicy::new(2, Duration::from_millis(100), Duration::from_secs(2)).with_jitter(false),
        SystemTime::now(),
    );
    assert_eq!((status, server.count(PATH)), (503, 2));
}

#[test]
fn retry_after_in_seconds_and_as_dates_reaches_the_policy() {
    let policy = RetryPolicy::new(3, Duration::from_millis(10), Duration::from_secs(5)).with_jitter(false);
    let cases: [(&str, &[Duration]); 4] = [
        ("1", &[Duration::from_secs(1)]),
        ("Sun, 06 Nov 1994 08:49:37 GMT", &[Duration::from_millis(10)]),
        ("Fri, 31 Dec 9999 23:59:59 GMT", &[]),
        ("in a while", &[Duration::from_millis(10)]),
    ];
    for (retry_after, expected) in cases {
        let server = FaultServer::start();
        server.route(
            PATH,
            [Reply::status(429).header("Retry-After", retry_after), manifest_ok()],
        );
        let (status, delays) = get_with_retries(&server, PATH, &policy, SystemTime::now());
        assert_eq!(delays, expected, "{retry_after}");
        let expected_status = if expected.is_empty() { 429 } else { 200 };
        assert_eq!(status, expected_status, "{retry_after}");
    }
    // The date form as the server sent it, read against a "now" just before it.
    let date = parse_retry_after(
        "Sun, 06 Nov 1994 08:49:37 GMT",
        SystemTime::UNIX_EPOCH + Duration::from_secs(784_111_775),
    );
    assert_eq!(date, Some(Duration::from_secs(2)));
}

#[test]
fn rate_limit_headers_from_the_wire() {
    let server = FaultServer::start();
    server.route(
        PATH,
        [Reply::status(200)
            .header("RateLimit-Limit", "100;w=21600")
            .header("RateLimit-Remaining", ";w=21600")
            .header("Docker-RateLimit-Source", "192.0.2.7")],
    );
    let (_, headers, _) = get(&server.host(), PATH, &[]).unwrap();
    let limit = RateLimit::from_headers(&header_map(&headers)).unwrap();
    assert_eq!(limit.to_string(), "?/100 per 21600s (192.0.2.7)");
}

#[test]
fn paginated_tags_stop_at_a_cross_origin_link() {
    let a = FaultServer::start();
    let b = FaultServer::start_on(Ipv4Addr::new(127, 0, 0, 2));
    let list = "/v2/a/tags/list";
    a.route(
        &format!("{list}?n=2"),
        [Reply::status(200)
            .header("Link", &format!("<{list}?last=t2&n=2>; rel=\"next\""))
            .body(br#"{"name":"a","tags":["t1","t2"]}"#)],
    );
    a.route(
        &format!("{list}?last=t2&n=2"),
        [Reply::status(200)
            .header("Link", &format!("<{}{list}?last=t4&n=2>; rel=\"next\"", b.url()))
            .body(br#"{"name":"a","tags":["t3","t4"]}"#)],
    );
    b.route(list, [Reply::status(200).body(br#"{"name":"a","tags":["stolen"]}"#)]);
    let mut url: Uri = format!("{}{list}?n=2", a.url()).parse().unwrap();
    let mut pages = Vec::new();
    let end = loop {
        let target = url.path_and_query().unwrap().as_str().to_owned();
        let (status, headers, body) = get(&a.host(), &target, &[]).unwrap();
        assert_eq!(status, 200);
        pages.push(String::from_utf8(body).unwrap());
        match next_page(&url, &header_map(&headers)).unwrap() {
            NextPage::Next(next) => url = next,
            other => break other,
        }
        assert!(pages.len() < 10, "pagination must end");
    };
    assert_eq!(pages.len(), 2);
    assert!(pages[1].contains("t4"));
    assert!(
        matches!(&end, NextPage::Ignored { reason: IgnoredReason::CrossOrigin, target } if target.contains("127.0.0.2")),
        "{end:?}"
    );
    assert!(b.requests().is_empty(), "the other host was never contacted");
}

// The client against each fault.

#[tokio::test]
async fn a_stall_beyond_the_request_timeout_is_a_timeout() {
    let server = FaultServer::start();
    server.route(PATH, [Reply::Stall]);
    let client = client_with(&server, RegistryOptions::new(), Duration::from_millis(300));
    let location = Repository::new(&server.host(), "a").unwrap().tag("v1").unwrap();
    let started = std::time::Instant::now();
    let err = bounded(client.manifest_digest(&location)).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Timeout, "{err}");
    assert!(started.elapsed() < Duration::from_secs(5), "{:?}", started.elapsed());
    assert_eq!(server.count(PATH), 1, "a timed-out request is not retried");
}

#[tokio::test]
async fn a_truncated_body_is_an_http_error() {
    let server = FaultServer::start();
    server.route(
        PATH,
        [Reply::truncated(
            &[("Content-Type", OCI)],
            &MANIFEST[..20],
            MANIFEST.len(),
        )],
    );
    let location = Repository::new(&server.host(), "a").unwrap().tag("v1").unwrap();
    let err = bounded(client(&server).manifest(&location)).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Http, "{err}");
}

#[tokio::test]
async fn a_wrong_docker_content_digest_is_a_mismatch() {
    let server = FaultServer::start();
    let wrong = Digest::sha256(b"another manifest");
    server.route(
        PATH,
        [Reply::status(200)
            .header("Docker-Content-Digest", wrong.as_str())
            .body(MANIFEST)],
    );
    let location = Repository::new(&server.host(), "a").unwrap().tag("v1").unwrap();
    let err = bounded(client(&server).manifest(&location)).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::DigestMismatch, "{err}");
    assert_eq!(server.count(PATH), 1, "a mismatch is not retried");
}

#[tokio::test]
async fn a_body_not_matching_the_requested_digest_is_a_mismatch() {
    let server = FaultServer::start();
    let asked = Digest::sha256(b"the manifest I pinned");
    let path = format!("/v2/a/manifests/{asked}");
    server.route(&path, [Reply::status(200).header("Content-Type", OCI).body(MANIFEST)]);
    let location = Repository::new(&server.host(), "a").unwrap().digest(asked.clone());
    let err = bounded(client(&server).manifest(&location)).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::DigestMismatch, "{err}");
    assert!(format!("{err:#}").contains(asked.as_str()), "{err:#}");
}

#[tokio::test]
async fn an_oversized_manifest_is_refused() {
    let server = FaultServer::start();
    let big = vec![b' '; 256 * 1024];
    server.route(PATH, [Reply::status(200).header("Content-Type", OCI).body(&big)]);
    server.route(
        "/v2/a/manifests/lying",
        [Reply::truncated(&[("Content-Type", OCI)], &big[..1000], 10)],
    );
    let repository = Repository::new(&server.host(), "a").unwrap();
    let err = bounded(client(&server).manifest(&repository.tag("v1").unwrap()))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::TooLarge, "{err}");
    // A Content-Length smaller than what is sent: never more than it is read, and the rest is not taken as JSON.
    let result = bounded(client(&server).manifest(&repository.tag("lying").unwrap())).await;
    if let Ok(manifest) = &result {
        assert!(manifest.bytes().len() <= 10, "{} bytes", manifest.bytes().len());
    }
}

#[tokio::test]
async fn too_many_requests_end_in_a_typed_error_within_the_policy() {
    for retry_after in ["1", "Fri, 31 Dec 9999 23:59:59 GMT"] {
        let server = FaultServer::start();
        server.route(PATH, [Reply::status(429).header("Retry-After", retry_after)]);
        let location = Repository::new(&server.host(), "a").unwrap().tag("v1").unwrap();
        let err = bounded(client(&server).manifest_digest(&location)).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::TooManyRequests, "{retry_after}: {err}");
        assert_eq!(err.status(), Some(StatusCode::TOO_MANY_REQUESTS));
        let attempts = server.count(PATH);
        assert!(
            (1..=RetryPolicy::default().max_attempts() as usize).contains(&attempts),
            "{attempts}"
        );
    }
}

#[tokio::test]
async fn malformed_www_authenticate_ends_in_a_typed_error() {
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
        let location = Repository::new(&server.host(), "a").unwrap().tag("v1").unwrap();
        let err = bounded(client(&server).manifest_digest(&location)).await.unwrap_err();
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
    }
}

#[tokio::test]
async fn a_failing_token_endpoint_ends_in_a_typed_error() {
    let cases: [(Reply, &[ErrorKind]); 4] = [
        (
            Reply::status(500).body(b"oops"),
            &[ErrorKind::Status, ErrorKind::Unauthorized],
        ),
        (Reply::status(200).body(b"{not json"), &[ErrorKind::Protocol]),
        (Reply::status(200).body(br#"{"token":""}"#), &[ErrorKind::Protocol]),
        (
            Reply::status(200).body(br#"{"expires_in":300}"#),
            &[ErrorKind::Protocol],
        ),
    ];
    for (reply, kinds) in cases {
        let registry = FaultServer::start();
        let tokens = FaultServer::start_on(Ipv4Addr::new(127, 0, 0, 2));
        let challenge = format!(r#"Bearer realm="{}/token",service="fault""#, tokens.url());
        registry.route(PATH, [Reply::status(401).header("WWW-Authenticate", &challenge)]);
        tokens.route("/token", [reply.clone()]);
        let client = Client::builder()
            .registry(&registry.host(), RegistryOptions::new().transport(Transport::Http))
            .build()
            .unwrap();
        let location = Repository::new(&registry.host(), "a").unwrap().tag("v1").unwrap();
        let err = bounded(client.manifest_digest(&location)).await.unwrap_err();
        assert!(kinds.contains(&err.kind()), "{reply:?}: {err:?}");
        assert!(err.to_string().contains("token"), "{err}");
        let token_requests = tokens.count("/token");
        assert!((1..=4).contains(&token_requests), "{token_requests}");
        assert_eq!(
            registry.count(PATH),
            1,
            "no request with a token that was never granted"
        );
    }
}

#[tokio::test]
async fn a_redirect_to_another_host_never_carries_the_registry_authorization() {
    let registry = FaultServer::start();
    let storage = FaultServer::start_on(Ipv4Addr::new(127, 0, 0, 2));
    let elsewhere = format!("{}/storage{PATH}?sig=abc", storage.url());
    registry.route(
        PATH,
        [
            Reply::status(401).header("WWW-Authenticate", r#"Basic realm="fault""#),
            Reply::redirect(307, &elsewhere),
        ],
    );
    storage.route(&format!("/storage{PATH}"), [manifest_ok()]);
    let options = RegistryOptions::new().credentials(Credentials::new("user", "secret"));
    let client = client_with(&registry, options, Duration::from_secs(10));
    let location = Repository::new(&registry.host(), "a").unwrap().tag("v1").unwrap();
    // Whether the client follows the redirect or reports it, the credentials stay with the registry.
    let result = bounded(client.manifest(&location)).await;
    let sent = registry.requests();
    assert!(
        sent.iter().any(|r| r.header("authorization").is_some()),
        "credentials were in play"
    );
    for request in storage.requests() {
        assert_eq!(
            request.header("authorization"),
            None,
            "leaked to another host: {request:?}"
        );
    }
    if let Ok(manifest) = result {
        assert_eq!(manifest.digest(), &Digest::sha256(MANIFEST));
    }
}

#[tokio::test]
async fn a_redirect_loop_ends() {
    let server = FaultServer::start();
    server.route(PATH, [Reply::redirect(307, PATH)]);
    server.route("/v2/a/manifests/ping", [Reply::redirect(302, "/v2/a/manifests/pong")]);
    server.route("/v2/a/manifests/pong", [Reply::redirect(302, "/v2/a/manifests/ping")]);
    let repository = Repository::new(&server.host(), "a").unwrap();
    for tag in ["v1", "ping"] {
        let err = bounded(client(&server).manifest(&repository.tag(tag).unwrap()))
            .await
            .unwrap_err();
        assert!(
            err.status().is_some_and(|s| s.is_redirection()) || err.kind() == ErrorKind::Protocol,
            "{err:?}"
        );
    }
    assert!(
        server.requests().len() <= 2 * 11,
        "{} requests",
        server.requests().len()
    );
}

// Retries, tags and blobs through the client.

fn quick_retries(server: &FaultServer) -> Client {
    Client::builder()
        .registry(&server.host(), RegistryOptions::new().transport(Transport::Http))
        .retry_policy(RetryPolicy::new(5, Duration::from_millis(20), Duration::from_secs(3)))
        .build()
        .unwrap()
}

#[tokio::test]
async fn the_client_retries_a_burst_of_503s_then_succeeds() {
    let server = FaultServer::start();
    server.route(
        PATH,
        [
            Reply::status(503),
            Reply::status(502),
            Reply::status(503),
            manifest_ok(),
        ],
    );
    let location = Repository::new(&server.host(), "a").unwrap().tag("v1").unwrap();
    let manifest = bounded(quick_retries(&server).manifest(&location)).await.unwrap();
    assert_eq!(manifest.digest(), &Digest::sha256(MANIFEST));
    assert_eq!(server.count(PATH), 4);
    // A burst longer than the policy: the last 5xx is reported, after exactly the allowed attempts.
    let server = FaultServer::start();
    server.route(PATH, [Reply::status(503)]);
    let err = bounded(quick_retries(&server).manifest(&location_on(&server)))
        .await
        .unwrap_err();
    assert_eq!(err.status(), Some(StatusCode::SERVICE_UNAVAILABLE), "{err}");
    assert_eq!(server.count(PATH), 5);
}

fn location_on(server: &FaultServer) -> oci_client::ManifestLocation {
    Repository::new(&server.host(), "a").unwrap().tag("v1").unwrap()
}

#[tokio::test]
async fn the_client_honours_retry_after_in_seconds_and_as_a_date() {
    // Seconds: the client waits at least that long before the second attempt.
    let server = FaultServer::start();
    server.route(PATH, [Reply::status(429).header("Retry-After", "1"), manifest_ok()]);
    let started = std::time::Instant::now();
    bounded(quick_retries(&server).manifest_digest(&location_on(&server)))
        .await
        .unwrap();
    assert!(
        started.elapsed() >= Duration::from_millis(950),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(server.count(PATH), 2);
    // A date in the past: retry at once (after the backoff).
    let server = FaultServer::start();
    let past = "Sun, 06 Nov 1994 08:49:37 GMT";
    server.route(PATH, [Reply::status(429).header("Retry-After", past), manifest_ok()]);
    let started = std::time::Instant::now();
    bounded(quick_retries(&server).manifest_digest(&location_on(&server)))
        .await
        .unwrap();
    assert!(
        started.elapsed() < Duration::from_millis(900),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(server.count(PATH), 2);
    // Beyond the cap: not retried earlier than asked, the 429 is reported.
    let server = FaultServer::start();
    let far = "Fri, 31 Dec 9999 23:59:59 GMT";
    server.route(PATH, [Reply::status(429).header("Retry-After", far), manifest_ok()]);
    let err = bounded(quick_retries(&server).manifest_digest(&location_on(&server)))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::TooManyRequests, "{err}");
    assert_eq!(server.count(PATH), 1);
}

#[tokio::test]
async fn the_client_never_retries_a_post() {
    let server = FaultServer::start();
    server.route("/v2/a/blobs/uploads/", [Reply::status(503)]);
    let repository = Repository::new(&server.host(), "a").unwrap();
    let result = bounded(quick_retries(&server).push_blob(&repository, bytes::Bytes::from_static(b"x"))).await;
    assert!(result.is_err());
    assert_eq!(server.count("/v2/a/blobs/uploads/"), 1);
}

#[tokio::test]
async fn the_client_lists_tags_and_stops_at_a_cross_origin_link() {
    let a = FaultServer::start();
    let b = FaultServer::start_on(Ipv4Addr::new(127, 0, 0, 2));
    let list = "/v2/a/tags/list";
    a.route(
        &format!("{list}?n=1000"),
        [Reply::status(200)
            .header("Link", &format!("<{list}?last=t2&n=1000>; rel=\"next\""))
            .body(br#"{"name":"a","tags":["t1","t2"]}"#)],
    );
    a.route(
        &format!("{list}?last=t2&n=1000"),
        [Reply::status(200)
            .header("Link", &format!("<{}{list}?last=t4&n=1000>; rel=\"next\"", b.url()))
            .body(br#"{"name":"a","tags":["t3","t4"]}"#)],
    );
    b.route(list, [Reply::status(200).body(br#"{"name":"a","tags":["stolen"]}"#)]);
    let repository = Repository::new(&a.host(), "a").unwrap();
    let tags = bounded(client(&a).tags(&repository)).await.unwrap();
    assert_eq!(tags, ["t1", "t2", "t3", "t4"]);
    assert_eq!(a.count(list), 2);
    assert!(b.requests().is_empty(), "the other host was never contacted");
}

#[tokio::test]
async fn a_blob_redirected_to_another_host_gets_no_authorization() {
    let registry = FaultServer::start();
    let storage = FaultServer::start_on(Ipv4Addr::new(127, 0, 0, 2));
    let data = b"layer bytes";
    let digest = Digest::sha256(data);
    let path = format!("/v2/a/blobs/{digest}");
    registry.route(
        &path,
        [
            Reply::status(401).header("WWW-Authenticate", r#"Basic realm="fault""#),
            Reply::redirect(307, &format!("{}/storage/blob?X-Amz-Signature=abc", storage.url())),
        ],
    );
    storage.route("/storage/blob", [Reply::status(200).body(data)]);
    let options = RegistryOptions::new().credentials(Credentials::new("user", "secret"));
    let client = client_with(&registry, options, Duration::from_secs(10));
    let repository = Repository::new(&registry.host(), "a").unwrap();
    let blob = bounded(client.blob(&repository, &digest)).await.unwrap();
    assert_eq!(bounded(blob.bytes(1024)).await.unwrap().as_ref(), data);
    assert!(registry.requests().iter().any(|r| r.header("authorization").is_some()));
    let fetched = storage.requests();
    assert_eq!(fetched.len(), 1);
    assert_eq!(fetched[0].target, "/storage/blob?X-Amz-Signature=abc");
    assert_eq!(fetched[0].header("authorization"), None, "leaked: {:?}", fetched[0]);
}

#[tokio::test]
async fn blob_faults_end_in_typed_errors() {
    let server = FaultServer::start();
    let storage = FaultServer::start_on(Ipv4Addr::new(127, 0, 0, 2));
    let repository = Repository::new(&server.host(), "a").unwrap();
    let digest = |name: &str| Digest::sha256(name.as_bytes());
    let path = |name: &str| format!("/v2/a/blobs/{}", digest(name));
    server.route(&path("self-loop"), [Reply::redirect(307, &path("self-loop"))]);
    server.route(
        &path("ping"),
        [Reply::redirect(302, &format!("{}/pong", storage.url()))],
    );
    storage.route(
        "/pong",
        [Reply::redirect(302, &format!("{}{}", server.url(), path("ping")))],
    );
    server.route(&path("chain"), [Reply::redirect(307, "/hop/1")]);
    for hop in 1..10 {
        server.route(
            &format!("/hop/{hop}"),
            [Reply::redirect(307, &format!("/hop/{}", hop + 1))],
        );
    }
    server.route(&path("wrong"), [Reply::status(200).body(b"not what was asked")]);
    server.route(&path("short"), [Reply::truncated(&[], b"sho", 100)]);
    let client = client(&server);
    for (name, kind) in [
        ("self-loop", ErrorKind::TooManyRedirects),
        ("ping", ErrorKind::TooManyRedirects),
        ("chain", ErrorKind::TooManyRedirects),
        ("wrong", ErrorKind::DigestMismatch),
        ("short", ErrorKind::Http),
    ] {
        let result = match bounded(client.blob(&repository, &digest(name))).await {
            Ok(blob) => bounded(blob.bytes(1024)).await.map(drop),
            Err(err) => Err(err),
        };
        let err = result.unwrap_err();
        assert_eq!(err.kind(), kind, "{name}: {err}");
    }
    assert!(server.requests().len() + storage.requests().len() <= 3 * (oci_client::MAX_REDIRECTS + 1) + 2);
}
