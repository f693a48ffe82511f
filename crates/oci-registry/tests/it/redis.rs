//! `RedisCache` against a real Redis (`oci_testkit::RedisServer`): entries shared between clients, expiry, the
//! shared pull budget, a Redis that goes away or hangs, passwords, and URLs.

use std::time::{Duration, Instant};

use oci_registry::Digest;
use oci_registry::cache::RedisCache;
use oci_registry::cache::{Cache, CacheInfo, CacheKey, Removed, SharedBudget};
use oci_testkit::{RedisServer, free_port};

fn manifest(seed: &str) -> CacheKey {
    CacheKey::Manifest(Digest::sha256(seed.as_bytes()))
}

fn tags(repository: &str) -> CacheKey {
    CacheKey::Tags {
        registry: "registry.example".into(),
        repository: repository.into(),
    }
}

async fn connect(url: &str) -> RedisCache {
    RedisCache::connect(url, "oci-check:").await.unwrap()
}

fn budget(cache: &RedisCache) -> &dyn SharedBudget {
    cache.shared_budget().expect("a RedisCache is a shared budget")
}

#[tokio::test]
async fn two_clients_share_entries() {
    let server = RedisServer::start();
    let (one, two) = (connect(&server.url()).await, connect(&server.url()).await);
    let (key, other) = (manifest("a"), manifest("b"));

    one.put(&key, b"manifest bytes", None).await.unwrap();
    assert_eq!(two.get(&key).await.unwrap().as_deref(), Some(&b"manifest bytes"[..]));
    assert_eq!(two.get(&other).await.unwrap(), None);
    // A put replaces, whoever made it; a remove is seen by every client.
    two.put(&key, b"new bytes", None).await.unwrap();
    assert_eq!(one.get(&key).await.unwrap().as_deref(), Some(&b"new bytes"[..]));
    two.remove(&key).await.unwrap();
    assert_eq!(one.get(&key).await.unwrap(), None);
    // Clones share the connection and the entries.
    let clone = one.clone();
    clone.put(&other, &[0, 255, 10, 13], None).await.unwrap();
    assert_eq!(two.get(&other).await.unwrap().as_deref(), Some(&[0, 255, 10, 13][..]));
}

#[tokio::test]
async fn an_entry_past_the_limit_is_never_read_and_is_removed() {
    let server = RedisServer::start();
    let cache = connect(&server.url()).await.with_timeout(Duration::from_secs(20));
    let (big, edge) = (manifest("big"), manifest("edge"));
    let limit = usize::try_from(oci_registry::cache::MAX_ENTRY).unwrap();
    // Another host (or an attacker with access to the shared store) wrote an entry past the limit.
    cache.put(&big, &vec![b'x'; limit + 1], None).await.unwrap();
    cache.put(&edge, &vec![b'y'; limit], None).await.unwrap();
    assert_eq!(cache.get(&big).await.unwrap(), None);
    let info = cache.info().await.unwrap();
    assert_eq!(info.entries["manifest"].0, 1, "the oversized entry is gone: {info:?}");
    assert_eq!(cache.get(&edge).await.unwrap().map(|value| value.len()), Some(limit));
}

#[tokio::test]
async fn info_counts_per_kind_and_clear_removes_entries_but_not_the_budget() {
    let server = RedisServer::start();
    let cache = connect(&server.url()).await;
    let empty = cache.info().await.unwrap();
    assert_eq!(empty.location, server.url());
    assert_eq!(empty.max_size, None);
    assert!(empty.entries.values().all(|&counts| counts == (0, 0)), "{empty:?}");

    // More entries than one SCAN step asks for, so that the cursor is followed.
    for i in 0..1500 {
        cache.put(&manifest(&i.to_string()), b"0123456789", None).await.unwrap();
    }
    cache
        .put(&CacheKey::Blob(Digest::sha256(b"config")), b"{}", None)
        .await
        .unwrap();
    cache
        .put(&tags("library/nginx"), b"[\"1.27\"]", Some(Duration::from_secs(300)))
        .await
        .unwrap();
    budget(&cache).announce("10.0.0.1", 50, None).await.unwrap();

    let CacheInfo { entries, .. } = cache.info().await.unwrap();
    assert_eq!(entries["manifest"], (1500, 15_000));
    assert_eq!(entries["blob"], (1, 2));
    assert_eq!(entries["tags"], (1, 8));
    assert_eq!(entries.len(), 3, "the budget's counter is no entry: {entries:?}");

    assert_eq!(cache.prune().await.unwrap(), Removed::default());
    assert_eq!(cache.info().await.unwrap().entries["manifest"], (1500, 15_000));

    let removed = cache.clear().await.unwrap();
    assert_eq!(
        removed,
        Removed {
            entries: 1502,
            bytes: 15_010
        }
    );
    assert!(
        cache
            .info()
            .await
            .unwrap()
            .entries
            .values()
            .all(|&counts| counts == (0, 0))
    );
    assert_eq!(cache.get(&manifest("7")).await.unwrap(), None);
    assert_eq!(budget(&cache).take("10.0.0.1", 0).await.unwrap(), Some(true));
}

#[tokio::test]
async fn entries_and_budgets_expire() {
    let server = RedisServer::start();
    let cache = connect(&server.url()).await;
    let (short, long, forever) = (tags("short"), tags("long"), manifest("forever"));
    cache.put(&short, b"[]", Some(Duration::from_secs(1))).await.unwrap();
    cache.put(&long, b"[]", Some(Duration::from_secs(60))).await.unwrap();
    cache.put(&forever, b"m", None).await.unwrap();
    budget(&cache)
        .announce("short-window", 10, Some(Duration::from_secs(1)))
        .await
        .unwrap();
    assert_eq!(cache.get(&short).await.unwrap().as_deref(), Some(&b"[]"[..]));
    assert_eq!(budget(&cache).take("short-window", 0).await.unwrap(), Some(true));

    tokio::time::sleep(Duration::from_millis(1100)).await;
    assert_eq!(cache.get(&short).await.unwrap(), None);
    assert_eq!(cache.get(&long).await.unwrap().as_deref(), Some(&b"[]"[..]));
    assert_eq!(cache.get(&forever).await.unwrap().as_deref(), Some(&b"m"[..]));
    assert_eq!(
        budget(&cache).take("short-window", 0).await.unwrap(),
        None,
        "the counter expired with its window"
    );

    // A zero time to live replaces the entry with nothing.
    cache.put(&long, b"[]", Some(Duration::ZERO)).await.unwrap();
    assert_eq!(cache.get(&long).await.unwrap(), None);
}

#[tokio::test]
async fn the_budget_is_shared_and_only_ever_lowered() {
    let server = RedisServer::start();
    let (one, two) = (connect(&server.url()).await, connect(&server.url()).await);
    let source = "203.0.113.7";
    assert_eq!(
        budget(&one).take(source, 1).await.unwrap(),
        None,
        "nothing announced yet"
    );

    budget(&one)
        .announce(source, 3, Some(Duration::from_secs(3600)))
        .await
        .unwrap();
    // Three pulls left, one kept in reserve: two to take, across both hosts.
    let mut taken = Vec::new();
    for _ in 0..3 {
        taken.push(budget(&one).take(source, 1).await.unwrap());
        taken.push(budget(&two).take(source, 1).await.unwrap());
    }
    assert_eq!(taken.iter().filter(|t| **t == Some(true)).count(), 2, "{taken:?}");
    assert_eq!(taken[..2], [Some(true), Some(true)], "{taken:?}");
    assert!(taken[2..].iter().all(|t| *t == Some(false)), "{taken:?}");

    // A later, larger announcement lags behind the pulls in flight: it does not raise the counter.
    budget(&two).announce(source, 100, None).await.unwrap();
    assert_eq!(budget(&one).take(source, 1).await.unwrap(), Some(false));
    // The reserve is for whoever needs it: with none kept, the last pull goes.
    assert_eq!(budget(&two).take(source, 0).await.unwrap(), Some(true));
    assert_eq!(budget(&two).take(source, 0).await.unwrap(), Some(false));

    // A smaller announcement lowers it; other sources have counters of their own.
    budget(&one).announce("other", 5, None).await.unwrap();
    budget(&one).announce("other", 2, None).await.unwrap();
    assert_eq!(budget(&two).take("other", 0).await.unwrap(), Some(true));
    assert_eq!(budget(&two).take("other", 0).await.unwrap(), Some(true));
    assert_eq!(budget(&two).take("other", 0).await.unwrap(), Some(false));
    assert_eq!(budget(&two).take("unknown", 0).await.unwrap(), None);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_takes_never_overspend() {
    let server = RedisServer::start();
    let (one, two) = (connect(&server.url()).await, connect(&server.url()).await);
    budget(&one).announce("busy", 20, None).await.unwrap();
    let mut tasks = Vec::new();
    for i in 0..60 {
        let cache = if i % 2 == 0 { one.clone() } else { two.clone() };
        tasks.push(tokio::spawn(
            async move { budget(&cache).take("busy", 5).await.unwrap() },
        ));
    }
    let mut granted = 0;
    for task in tasks {
        if task.await.unwrap() == Some(true) {
            granted += 1;
        }
    }
    assert_eq!(granted, 15, "20 left, 5 in reserve");
}

/// Runs `operation`, which must fail, and returns its message and how long it took.
async fn fails<T: std::fmt::Debug>(
    operation: impl Future<Output = Result<T, oci_registry::cache::CacheError>>,
) -> (String, Duration) {
    let start = Instant::now();
    let err = operation.await.unwrap_err();
    (format!("{err:#}"), start.elapsed())
}

#[tokio::test]
async fn a_redis_that_went_away_gives_errors_quickly_and_is_reconnected_when_back() {
    let mut server = RedisServer::start();
    let cache = connect(&server.url()).await.with_timeout(Duration::from_millis(500));
    let key = manifest("k");
    cache.put(&key, b"v", None).await.unwrap();

    server.stop();
    let (message, elapsed) = fails(cache.get(&key)).await;
    assert!(elapsed < Duration::from_secs(5), "{elapsed:?}");
    assert!(message.contains("GET failed"), "{message}");
    let (message, elapsed) = fails(cache.put(&key, b"v", None)).await;
    assert!(elapsed < Duration::from_secs(5), "{elapsed:?}");
    assert!(message.starts_with(&format!("Redis {}: ", server.url())), "{message}");
    let (_, elapsed) = fails(budget(&cache).take("s", 0)).await;
    assert!(elapsed < Duration::from_secs(5), "{elapsed:?}");
    let (_, elapsed) = fails(budget(&cache).announce("s", 1, None)).await;
    assert!(elapsed < Duration::from_secs(5), "{elapsed:?}");
    let (_, elapsed) = fails(cache.info()).await;
    assert!(elapsed < Duration::from_secs(5), "{elapsed:?}");
    let (_, elapsed) = fails(cache.clear()).await;
    assert!(elapsed < Duration::from_secs(5), "{elapsed:?}");

    // Back on the same port (empty): the next operation connects again.
    server.restart();
    assert_eq!(cache.get(&key).await.unwrap(), None);
    cache.put(&key, b"again", None).await.unwrap();
    assert_eq!(cache.get(&key).await.unwrap().as_deref(), Some(&b"again"[..]));
}

#[tokio::test]
async fn a_hanging_redis_gives_errors_within_the_timeout() {
    let mut server = RedisServer::start();
    let timeout = Duration::from_millis(300);
    let cache = connect(&server.url()).await.with_timeout(timeout);
    assert_eq!(cache.timeout(), timeout);
    let key = manifest("k");
    cache.put(&key, b"v", None).await.unwrap();

    server.pause();
    // On the open connection, then on the fresh one the timeout made it open (the kernel accepts it, nobody
    // answers).
    for _ in 0..2 {
        let (message, elapsed) = fails(cache.get(&key)).await;
        assert!(elapsed >= timeout && elapsed < Duration::from_secs(5), "{elapsed:?}");
        assert!(message.contains("GET got no answer within 300 ms"), "{message}");
    }
    let (message, elapsed) = fails(budget(&cache).take("s", 0)).await;
    assert!(elapsed < Duration::from_secs(5), "{elapsed:?}");
    assert!(message.contains("got no answer within 300 ms"), "{message}");
    // Connecting is bounded too, at the default timeout.
    let start = Instant::now();
    assert!(RedisCache::connect(&server.url(), "oci-check:").await.is_err());
    assert!(start.elapsed() < Duration::from_secs(5), "{:?}", start.elapsed());

    server.resume();
    assert_eq!(cache.get(&key).await.unwrap().as_deref(), Some(&b"v"[..]));
}

#[tokio::test]
async fn a_password_in_the_url_works_and_is_never_shown() {
    let password = "pw-f7Kq2";
    let mut server = RedisServer::start_with_password(password);
    let url = server.url_with_password();
    assert!(url.contains(password));
    let cache = connect(&url).await;
    let key = manifest("secret");
    cache.put(&key, b"v", None).await.unwrap();
    assert_eq!(cache.get(&key).await.unwrap().as_deref(), Some(&b"v"[..]));

    let shown = format!("redis://:***@127.0.0.1:{}/0", server.port());
    assert_eq!(cache.location(), shown);
    assert_eq!(cache.info().await.unwrap().location, shown);
    let debug = format!("{cache:?}");
    assert!(debug.contains(&shown), "{debug}");
    assert!(!debug.contains(password), "{debug}");

    // Without the password, or with another one, the server refuses at connect time.
    let message = RedisCache::connect(&server.url(), "oci-check:")
        .await
        .unwrap_err()
        .to_string();
    assert!(message.contains("PING failed"), "{message}");
    let wrong = RedisCache::connect(&url.replace(password, "wrong-9Xz"), "oci-check:")
        .await
        .unwrap_err();
    for text in [format!("{wrong}"), format!("{wrong:#}"), format!("{wrong:?}")] {
        assert!(!text.contains("wrong-9Xz") && !text.contains(password), "{text}");
    }

    server.stop();
    let err = cache.get(&key).await.unwrap_err();
    for text in [format!("{err}"), format!("{err:#}"), format!("{err:?}")] {
        assert!(text.contains(":***@"), "{text}");
        assert!(!text.contains(password), "{text}");
    }
}

#[tokio::test]
async fn a_unix_socket_url_works() {
    let server = RedisServer::start();
    let cache = connect(&server.unix_url()).await;
    assert_eq!(cache.location(), format!("redis+unix://{}", server.socket().display()));
    let tcp = connect(&server.url()).await;
    tcp.put(&manifest("u"), b"over tcp", None).await.unwrap();
    assert_eq!(
        cache.get(&manifest("u")).await.unwrap().as_deref(),
        Some(&b"over tcp"[..])
    );
}

#[tokio::test]
async fn bad_urls_and_absent_servers_are_errors() {
    for url in [
        "",
        "127.0.0.1:6379",
        "http://127.0.0.1:6379/",
        "rediss://127.0.0.1:6379/",
        "redis://127.0.0.1:6379/db",
        "redis://user@127.0.0.1:6379/0",
    ] {
        let message = RedisCache::connect(url, "oci-check:").await.unwrap_err().to_string();
        assert!(message.starts_with("invalid Redis URL: "), "{url}: {message}");
    }
    let url = format!("redis://127.0.0.1:{}/0", free_port());
    let start = Instant::now();
    let message = RedisCache::connect(&url, "oci-check:").await.unwrap_err().to_string();
    assert!(start.elapsed() < Duration::from_secs(5), "{:?}", start.elapsed());
    assert_eq!(message, format!("Redis {url}: PING failed"));
}

/// Sends one command to the Redis at `port` over a plain socket and returns its reply's first line: for writes the
/// cache itself would never make.
fn raw_command(port: u16, args: &[&[u8]]) -> String {
    use std::io::{BufRead, BufReader, Write};
    let mut stream = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    let mut request = format!("*{}\r\n", args.len()).into_bytes();
    for arg in args {
        request.extend(format!("${}\r\n", arg.len()).bytes());
        request.extend(*arg);
        request.extend(b"\r\n");
    }
    stream.write_all(&request).unwrap();
    let mut line = String::new();
    BufReader::new(stream).read_line(&mut line).unwrap();
    line
}

#[tokio::test]
async fn a_reply_past_the_bound_is_refused_and_the_next_operation_reconnects() {
    let server = RedisServer::start();
    let cache = connect(&server.url()).await.with_timeout(Duration::from_secs(20));
    cache.put(&manifest("kept"), b"kept", None).await.unwrap();
    // A key under the cache's prefix longer than any reply the client reads: SCAN returns it.
    let mut huge = b"oci-check:v1:manifest/sha256/".to_vec();
    huge.resize(usize::try_from(oci_registry::internal::MAX_BULK).unwrap() + 1, b'x');
    assert_eq!(raw_command(server.port(), &[b"SET", &huge, b"v"]), "+OK\r\n");

    let err = cache.info().await.unwrap_err();
    let message = format!("{err:#}");
    assert!(
        message.contains("more than the 68157440 this client reads"),
        "{message}"
    );
    assert!(message.len() < 1024, "{} bytes", message.len());
    // The refused connection is replaced, and everything else still works.
    assert_eq!(
        cache.get(&manifest("kept")).await.unwrap().as_deref(),
        Some(&b"kept"[..])
    );
    assert_eq!(raw_command(server.port(), &[b"DEL", &huge]), ":1\r\n");
    assert_eq!(cache.info().await.unwrap().entries["manifest"].0, 1);
}

/// A server that speaks RESP well enough to be connected to, and answers every `EVAL` (the bounded `GET`) with
/// `reply`, which a real Redis running the script never sends.
async fn hostile_redis(reply: Vec<u8>) -> (u16, tokio::task::JoinHandle<()>) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let task = tokio::spawn(async move {
        loop {
            let Ok((mut stream, _)) = listener.accept().await else {
                return;
            };
            let reply = reply.clone();
            tokio::spawn(async move {
                let mut buffer = Vec::new();
                let mut chunk = [0; 4096];
                loop {
                    while let Some((command, used)) = parse_command(&buffer) {
                        buffer.drain(..used);
                        let answer: &[u8] = match command.to_ascii_uppercase().as_slice() {
                            b"PING" => b"+PONG\r\n",
                            b"EVAL" => &reply,
                            _ => b"+OK\r\n",
                        };
                        if stream.write_all(answer).await.is_err() {
                            return;
                        }
                    }
                    match stream.read(&mut chunk).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => buffer.extend_from_slice(&chunk[..n]),
                    }
                }
            });
        }
    });
    (port, task)
}

/// The name of the first whole command in `buffer` (an array of bulk strings) and the bytes it took.
fn parse_command(buffer: &[u8]) -> Option<(Vec<u8>, usize)> {
    fn line(buffer: &[u8], at: usize) -> Option<(usize, usize)> {
        let end = buffer[at..].windows(2).position(|pair| pair == b"\r\n")? + at;
        let number = std::str::from_utf8(&buffer[at + 1..end]).ok()?.parse().ok()?;
        Some((number, end + 2))
    }
    let (count, mut at) = line(buffer, 0)?;
    let mut name = None;
    for _ in 0..count {
        let (len, start) = line(buffer, at)?;
        if buffer.len() < start + len + 2 {
            return None;
        }
        name.get_or_insert_with(|| buffer[start..start + len].to_vec());
        at = start + len + 2;
    }
    Some((name.unwrap_or_default(), at))
}

#[tokio::test]
async fn a_hostile_server_announcing_a_gigabyte_is_refused_at_the_header() {
    // The announced gigabyte never comes: a client that waited for it would hit the 10 s timeout instead.
    let (port, server) = hostile_redis(b"$1073741824\r\nxxxx".to_vec()).await;
    let cache = connect(&format!("redis://127.0.0.1:{port}"))
        .await
        .with_timeout(Duration::from_secs(10));
    let (message, elapsed) = fails(cache.get(&manifest("k"))).await;
    assert!(elapsed < Duration::from_secs(5), "{elapsed:?}");
    assert!(
        message.contains("the Redis server announced a string of 1073741824 bytes, more than the 68157440"),
        "{message}"
    );

    // A megabyte-long error line is refused too, and the message stays short.
    server.abort();
    let mut error = b"-ERR ".to_vec();
    error.resize(1 << 20, b'e');
    error.extend(b"\r\n");
    let (port, _server) = hostile_redis(error).await;
    let cache = connect(&format!("redis://127.0.0.1:{port}")).await;
    let (message, _) = fails(cache.get(&manifest("k"))).await;
    assert!(message.contains("a line longer than 65536 bytes"), "{message}");
    assert!(message.len() < 1024, "{} bytes", message.len());
}
