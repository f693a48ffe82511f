//! When a request is sent again and how long the client waits first. Where the exact delays matter, a reference
//! loop over [`RetryPolicy::next_delay`] reads the replies off the wire next to the client's own run.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use http::{Method, StatusCode};
use oci_digest::Digest;
use oci_registry::internal::{Jitter, Outcome, parse_retry_after};
use oci_registry::{Client, ErrorKind, RateLimit, RegistryOptions, Repository, RetryPolicy, Scheme};
use oci_testkit::fault::{FaultServer, Reply, get};

use super::{LOCAL, MANIFEST, PATH, bounded, builder, client, fast_retries, location, manifest};

/// An IMF-fixdate `secs` seconds from now, from a civil-date algorithm of its own.
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

/// A reference retry loop over the server, driven only by [`RetryPolicy::next_delay`]: what the client's request loop
/// is meant to do. Returns the final status and the delays it would have waited.
fn get_with_retries(server: &FaultServer, target: &str, policy: &RetryPolicy, now: SystemTime) -> (u16, Vec<Duration>) {
    let mut jitter = Jitter::from_seed(1);
    let mut delays = Vec::new();
    for attempt in 1.. {
        let (status, headers, _) = get(&server.host(), target, &[]).unwrap();
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
fn http_dates_parse_back() {
    let date = http_date(3600);
    let parsed = oci_registry::internal::parse_http_date(&date).unwrap();
    let expected = SystemTime::now() + Duration::from_secs(3600);
    let diff = expected.duration_since(parsed).unwrap_or_else(|e| e.duration());
    assert!(diff < Duration::from_secs(3), "{date}");
}

#[tokio::test]
async fn a_burst_of_5xx_is_retried_up_to_the_policy() {
    // The policy, from the wire: delays doubling without jitter until the manifest comes.
    let policy = RetryPolicy::new(5, Duration::from_millis(100), Duration::from_secs(2)).with_jitter(false);
    let server = FaultServer::start();
    server.route(
        PATH,
        [Reply::status(503), Reply::status(503), Reply::status(503), manifest()],
    );
    let (status, delays) = get_with_retries(&server, PATH, &policy, SystemTime::now());
    assert_eq!(status, 200);
    assert_eq!(delays, [100, 200, 400].map(Duration::from_millis));
    assert_eq!(server.count(PATH), 4);
    // With fewer attempts than the burst, the 503 is what remains.
    let server = FaultServer::start();
    server.route(PATH, [Reply::status(503), Reply::status(503), manifest()]);
    let short = RetryPolicy::new(2, Duration::from_millis(100), Duration::from_secs(2)).with_jitter(false);
    let (status, _) = get_with_retries(&server, PATH, &short, SystemTime::now());
    assert_eq!((status, server.count(PATH)), (503, 2));

    // The client: three 5xx, then the manifest, verified.
    let server = FaultServer::start();
    server.route(
        PATH,
        [
            Reply::status(503).body(b"busy"),
            Reply::status(502),
            Reply::status(503),
            manifest(),
        ],
    );
    let fetched = bounded(client(&server, RegistryOptions::new()).manifest(&location(&server)))
        .await
        .unwrap();
    assert_eq!(fetched.digest(), &Digest::sha256(MANIFEST));
    assert_eq!(fetched.bytes().as_ref(), MANIFEST);
    assert_eq!(server.count(PATH), 4);

    // A burst longer than the policy: the last 5xx is reported after exactly the allowed attempts, and a client
    // that never retries tries once.
    let server = FaultServer::with_handler(LOCAL, |_, _| Reply::response(503, &[], b""));
    let err = bounded(client(&server, RegistryOptions::new()).manifest_digest(&location(&server)))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Status, "{err}");
    assert_eq!(err.status(), Some(StatusCode::SERVICE_UNAVAILABLE), "{err}");
    assert_eq!(server.count(PATH), fast_retries().max_attempts() as usize);
    let never = Client::builder()
        .registry(&server.host(), RegistryOptions::new().scheme(Scheme::Http))
        .retry_policy(RetryPolicy::never())
        .build()
        .unwrap();
    bounded(never.manifest_digest(&location(&server))).await.unwrap_err();
    assert_eq!(server.count(PATH), fast_retries().max_attempts() as usize + 1);
}

#[tokio::test]
async fn a_post_is_never_retried() {
    let server = FaultServer::with_handler(LOCAL, |_, _| Reply::response(503, &[], b""));
    let repository = Repository::new(&server.host(), "a").unwrap();
    let err = bounded(client(&server, RegistryOptions::new()).push_blob(&repository, Bytes::from_static(b"x")))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Status, "{err}");
    assert_eq!(server.count("/v2/a/blobs/uploads/"), 1, "a POST is not idempotent");
}

#[tokio::test]
async fn retry_after_in_seconds_and_as_dates_is_honoured() {
    // The policy, from the wire: the seconds asked for, a date in the past or a value that is neither means the
    // backoff alone.
    let policy = RetryPolicy::new(3, Duration::from_millis(10), Duration::from_secs(5)).with_jitter(false);
    let cases: [(&str, Duration); 3] = [
        ("1", Duration::from_secs(1)),
        ("Sun, 06 Nov 1994 08:49:37 GMT", Duration::from_millis(10)),
        ("in a while", Duration::from_millis(10)),
    ];
    for (retry_after, expected) in cases {
        let server = FaultServer::start();
        server.route(
            PATH,
            [Reply::status(429).header("Retry-After", retry_after), manifest()],
        );
        let (status, delays) = get_with_retries(&server, PATH, &policy, SystemTime::now());
        assert_eq!(
            (status, delays.as_slice()),
            (200, [expected].as_slice()),
            "{retry_after}"
        );
    }
    // The date form as the server sent it, read against a "now" just before it.
    let date = parse_retry_after(
        "Sun, 06 Nov 1994 08:49:37 GMT",
        SystemTime::UNIX_EPOCH + Duration::from_secs(784_111_775),
    );
    assert_eq!(date, Some(Duration::from_secs(2)));

    // The client waits at least that long before the second attempt (well above the 10 ms backoff), and a date in
    // the past means at once.
    for retry_after in ["1", "future", "Sun, 06 Nov 1994 08:49:37 GMT"] {
        // Computed right before use: an HTTP date counts whole seconds, so 3 s ahead leaves more than 2.
        let retry_after = if retry_after == "future" {
            http_date(3)
        } else {
            retry_after.to_owned()
        };
        let server = FaultServer::start();
        server.route(
            PATH,
            [Reply::status(429).header("Retry-After", &retry_after), manifest()],
        );
        let started = Instant::now();
        let head = bounded(client(&server, RegistryOptions::new()).manifest_digest(&location(&server)))
            .await
            .unwrap();
        let waited = started.elapsed();
        assert_eq!(head.digest(), &Digest::sha256(MANIFEST));
        assert_eq!(server.count(PATH), 2, "{retry_after}");
        match retry_after.as_str() {
            "1" => assert!(waited >= Duration::from_millis(950), "{retry_after}: {waited:?}"),
            "Sun, 06 Nov 1994 08:49:37 GMT" => assert!(waited < Duration::from_millis(900), "{waited:?}"),
            _ => assert!(waited >= Duration::from_millis(1900), "{retry_after}: {waited:?}"),
        }
    }
}

#[tokio::test]
async fn a_retry_after_beyond_the_cap_is_not_waited_for_and_the_429_is_reported() {
    // The policy, from the wire: no retry at all.
    let policy = RetryPolicy::new(3, Duration::from_millis(10), Duration::from_secs(5)).with_jitter(false);
    let far = "Fri, 31 Dec 9999 23:59:59 GMT";
    let server = FaultServer::start();
    server.route(PATH, [Reply::status(429).header("Retry-After", far), manifest()]);
    let (status, delays) = get_with_retries(&server, PATH, &policy, SystemTime::now());
    assert_eq!((status, delays.as_slice()), (429, [].as_slice()));

    // The client: a date or seconds beyond the cap end in the 429 at once, with the rate limit it announced.
    for retry_after in [far, "3600"] {
        let server = FaultServer::start();
        server.route(
            PATH,
            [
                Reply::status(429)
                    .header("Retry-After", retry_after)
                    .header("RateLimit-Limit", "100;w=21600")
                    .header("RateLimit-Remaining", "0;w=21600")
                    .header("Docker-RateLimit-Source", "203.0.113.9")
                    .body(br#"{"errors":[{"code":"TOOMANYREQUESTS","message":"slow down"}]}"#),
                manifest(),
            ],
        );
        let started = Instant::now();
        let err = bounded(client(&server, RegistryOptions::new()).manifest_digest(&location(&server)))
            .await
            .unwrap_err();
        assert!(started.elapsed() < Duration::from_secs(3), "{:?}", started.elapsed());
        assert_eq!(err.kind(), ErrorKind::TooManyRequests, "{retry_after}: {err}");
        assert_eq!(err.status(), Some(StatusCode::TOO_MANY_REQUESTS));
        assert_eq!(server.count(PATH), 1, "{retry_after}");
        let limit = err.rate_limit().expect("the rate-limit headers");
        assert_eq!(limit.limit(), Some(100));
        assert_eq!(limit.remaining(), Some(0));
        assert_eq!(limit.window(), Some(Duration::from_secs(21_600)));
        assert_eq!(limit.source(), Some("203.0.113.9"));
    }
}

#[tokio::test]
async fn a_pull_refused_with_429_is_not_sent_again() {
    // No rate-limit headers, no Retry-After: a manifest GET answered 429 was sent three more times per check.
    let server = FaultServer::start();
    server.route(PATH, [Reply::status(429), manifest()]);
    let err = bounded(client(&server, RegistryOptions::new()).manifest(&location(&server)))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::TooManyRequests, "{err}");
    assert_eq!(server.count(PATH), 1, "the pull was sent again after its 429");
}

#[tokio::test]
async fn too_many_requests_without_end_are_a_typed_error_within_the_policy() {
    let server = FaultServer::start();
    server.route(PATH, [Reply::status(429).header("Retry-After", "1")]);
    let err = bounded(client(&server, RegistryOptions::new()).manifest_digest(&location(&server)))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::TooManyRequests, "{err}");
    assert_eq!(err.status(), Some(StatusCode::TOO_MANY_REQUESTS));
    let attempts = server.count(PATH);
    assert!(
        (1..=fast_retries().max_attempts() as usize).contains(&attempts),
        "{attempts}"
    );
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
    let limit = RateLimit::from_headers(&headers).unwrap();
    assert_eq!(limit.to_string(), "?/100 per 21600s (192.0.2.7)");
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
        .registry(&host, RegistryOptions::new().scheme(Scheme::Http))
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
async fn a_stall_beyond_the_request_timeout_is_a_timeout() {
    let server = FaultServer::start();
    server.route(PATH, [Reply::Stall]);
    let client = builder(&server, RegistryOptions::new())
        .retry_policy(RetryPolicy::default())
        .request_timeout(Duration::from_millis(300))
        .build()
        .unwrap();
    let started = Instant::now();
    let err = bounded(client.manifest_digest(&location(&server))).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Timeout, "{err}");
    assert!(started.elapsed() < Duration::from_secs(5), "{:?}", started.elapsed());
    assert_eq!(server.count(PATH), 1, "a timed-out request is not retried");
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
        .registry(&server.host(), RegistryOptions::new().scheme(Scheme::Http))
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
