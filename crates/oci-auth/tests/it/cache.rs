//! The token cache on a manual clock: expiry, margin, batching, the fallback signal.

use std::time::Duration;

use oci_auth::{BatchConfig, CacheConfig, Clock, MAXIMUM_LIFETIME, ManualClock, Scope, ScopeSet, Token, TokenCache};

use crate::tokens::{NOW, at};

fn set(text: &str) -> ScopeSet {
    text.parse().unwrap()
}

fn cache() -> (ManualClock, TokenCache<ManualClock>) {
    let clock = ManualClock::new(at(NOW));
    (clock.clone(), TokenCache::with_clock(clock, CacheConfig::default()))
}

fn token(clock: &ManualClock, name: &str, expires_in: u64) -> Token {
    Token::parse(
        format!(r#"{{"token":"{name}","expires_in":{expires_in}}}"#).as_bytes(),
        clock.now(),
    )
    .unwrap()
}

/// An unsigned JWT whose `access` claim grants `access` (JSON array).
fn jwt(access: &str) -> String {
    fn b64url(bytes: &[u8]) -> String {
        const A: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
        let mut out = String::new();
        for chunk in bytes.chunks(3) {
            let n = chunk
                .iter()
                .enumerate()
                .fold(0u32, |n, (i, b)| n | u32::from(*b) << (16 - 8 * i));
            for i in 0..=chunk.len() {
                out.push(A[(n >> (18 - 6 * i)) as usize & 63] as char);
            }
        }
        out
    }
    let payload = format!(r#"{{"iss":"test","aud":"svc","access":{access}}}"#);
    format!(
        "{}.{}.{}",
        b64url(br#"{"alg":"ES256","typ":"JWT"}"#),
        b64url(payload.as_bytes()),
        b64url(b"sig")
    )
}

#[test]
fn expiry_and_margin() {
    let (clock, mut cache) = cache();
    let scopes = set("repository:a:pull");
    cache.insert("ghcr.io", Some("ghcr.io"), &scopes, token(&clock, "t300", 300));
    assert_eq!(
        cache.get("ghcr.io", Some("ghcr.io"), &scopes).unwrap().token().expose(),
        "t300"
    );
    // 300 s token: margin min(30 s, 10 %) = 30 s, so fresh until 270 s.
    clock.advance(Duration::from_secs(269));
    assert!(cache.get("ghcr.io", Some("ghcr.io"), &scopes).is_some());
    clock.advance(Duration::from_secs(1));
    assert!(cache.get("ghcr.io", Some("ghcr.io"), &scopes).is_none());
    assert_eq!(cache.len(), 1);
    assert_eq!(cache.purge_expired(), 1);
    assert!(cache.is_empty());

    // 60 s token: margin 6 s.
    cache.insert("ghcr.io", Some("ghcr.io"), &scopes, token(&clock, "t60", 30));
    clock.advance(Duration::from_secs(53));
    assert!(cache.get("ghcr.io", Some("ghcr.io"), &scopes).is_some());
    clock.advance(Duration::from_secs(1));
    assert!(cache.get("ghcr.io", Some("ghcr.io"), &scopes).is_none());

    // A configured margin.
    let mut strict = TokenCache::with_clock(clock.clone(), CacheConfig::new(Duration::from_secs(100), 50));
    strict.insert("r", None, &scopes, token(&clock, "t", 600));
    clock.advance(Duration::from_secs(499));
    assert!(strict.get("r", None, &scopes).is_some());
    clock.advance(Duration::from_secs(1));
    assert!(strict.get("r", None, &scopes).is_none());
    assert_eq!(
        CacheConfig::default().margin_for(Duration::from_secs(3600)),
        Duration::from_secs(30)
    );
}

#[test]
fn keyed_by_registry_service_and_covering_scopes() {
    let (clock, mut cache) = cache();
    cache.insert(
        "docker.io",
        Some("registry.docker.io"),
        &set("repository:a:pull,push repository:b:pull"),
        token(&clock, "ab", 300),
    );
    let get = |c: &TokenCache<ManualClock>, reg: &str, svc: Option<&str>, s: &str| {
        c.get(reg, svc, &set(s)).map(|t| t.token().expose().to_owned())
    };
    assert_eq!(
        get(&cache, "docker.io", Some("registry.docker.io"), "repository:a:pull").as_deref(),
        Some("ab")
    );
    assert_eq!(
        get(
            &cache,
            "index.docker.io",
            Some("registry.docker.io"),
            "repository:b:pull"
        )
        .as_deref(),
        Some("ab")
    );
    assert_eq!(
        get(
            &cache,
            "docker.io",
            Some("registry.docker.io"),
            "repository:a:push repository:b:pull"
        )
        .as_deref(),
        Some("ab")
    );
    assert_eq!(
        get(&cache, "docker.io", Some("registry.docker.io"), "repository:b:push"),
        None
    );
    assert_eq!(
        get(&cache, "docker.io", Some("registry.docker.io"), "repository:c:pull"),
        None
    );
    assert_eq!(get(&cache, "docker.io", Some("other"), "repository:a:pull"), None);
    assert_eq!(
        get(&cache, "ghcr.io", Some("registry.docker.io"), "repository:a:pull"),
        None
    );
    assert_eq!(
        get(&cache, "docker.io", Some("registry.docker.io"), "").as_deref(),
        Some("ab")
    );
    // A newer token under the same key replaces the old one; of two covering tokens the fresher wins.
    cache.insert(
        "docker.io",
        Some("registry.docker.io"),
        &set("repository:a:pull,push repository:b:pull"),
        token(&clock, "ab2", 300),
    );
    assert_eq!(cache.len(), 1);
    clock.advance(Duration::from_secs(10));
    cache.insert(
        "docker.io",
        Some("registry.docker.io"),
        &set("repository:a:pull"),
        token(&clock, "a", 300),
    );
    assert_eq!(cache.len(), 2);
    assert_eq!(
        get(&cache, "docker.io", Some("registry.docker.io"), "repository:a:pull").as_deref(),
        Some("a")
    );
    assert!(format!("{cache:?}").contains("tokens: 2"));
}

#[test]
fn batching_bounds() {
    let many: ScopeSet = (0..200)
        .map(|i| Scope::pull(&format!("org/repository-number-{i:03}")).unwrap())
        .collect();
    let config = BatchConfig::new(1024, 1000);
    let batches = config.batch(&many);
    assert!(batches.len() > 1);
    let total: usize = batches.iter().map(ScopeSet::len).sum();
    assert_eq!(total, 200);
    for batch in &batches {
        let query: usize = batch.iter().map(|s| "&scope=".len() + s.to_string().len() + 4).sum();
        assert!(query <= 1024, "{query}");
    }
    // Every scope ends up in exactly one batch.
    let merged: ScopeSet = batches.iter().flat_map(|b| b.iter().cloned()).collect();
    assert_eq!(merged, many);
    // The scope-count bound.
    let by_count = BatchConfig::new(1 << 20, 7).batch(&many);
    assert_eq!(by_count.len(), 29);
    assert!(by_count.iter().all(|b| b.len() <= 7));
    // A scope bigger than the budget still gets a request.
    let huge = ScopeSet::from(Scope::pull(&"x".repeat(300)).unwrap());
    assert_eq!(BatchConfig::new(100, 10).batch(&huge).len(), 1);
    assert!(BatchConfig::default().batch(&ScopeSet::new()).is_empty());
    assert_eq!(BatchConfig::default().max_query_bytes(), 2048);
    assert_eq!(BatchConfig::new(0, 0).max_scopes(), 1);
}

#[test]
fn plan_skips_cached_scopes() {
    let (clock, mut cache) = cache();
    cache.insert("r", Some("s"), &set("repository:a:pull"), token(&clock, "a", 300));
    let plan = cache.plan(
        "r",
        Some("s"),
        &set("repository:a:pull repository:b:pull repository:c:pull"),
        &BatchConfig::default(),
    );
    assert_eq!(plan, [set("repository:b:pull repository:c:pull")]);
}

#[test]
fn fallback_from_jwt_access_claim() {
    let (clock, mut cache) = cache();
    let requested = set("repository:a:pull repository:b:pull");
    // The server honoured only the first scope.
    let body = format!(
        r#"{{"token":"{}","expires_in":300}}"#,
        jwt(r#"[{"type":"repository","name":"a","actions":["pull"]}]"#)
    );
    let token = Token::parse(body.as_bytes(), clock.now()).unwrap();
    assert_eq!(token.granted_scopes().unwrap(), set("repository:a:pull"));
    assert!(cache.batching_allowed("r", Some("s")));
    let grant = cache.insert("r", Some("s"), &requested, token);
    assert!(grant.is_partial());
    assert_eq!(grant.missing(), &set("repository:b:pull"));
    assert!(!cache.batching_allowed("r", Some("s")));
    assert!(cache.get("r", Some("s"), &set("repository:a:pull")).is_some());
    assert!(cache.get("r", Some("s"), &set("repository:b:pull")).is_none());
    // Later plans go one repository at a time.
    let plan = cache.plan(
        "r",
        Some("s"),
        &set("repository:b:pull repository:c:pull repository:d:pull"),
        &BatchConfig::default(),
    );
    assert_eq!(
        plan,
        [
            set("repository:b:pull"),
            set("repository:c:pull"),
            set("repository:d:pull")
        ]
    );
    // Other registries are unaffected.
    assert!(cache.batching_allowed("other", Some("s")));

    // A JWT granting everything (with `*`) is a full grant.
    let full = format!(
        r#"{{"token":"{}"}}"#,
        jwt(
            r#"[{"type":"repository","name":"x","actions":["*"]},{"type":"repository","name":"y","actions":["pull","push"]},{"type":"bad type","name":"z","actions":["pull"]},{"type":"repository","name":"w","actions":[]}]"#
        )
    );
    let token = Token::parse(full.as_bytes(), clock.now()).unwrap();
    let grant = cache.insert("q", None, &set("repository:x:pull,push repository:y:pull"), token);
    assert!(!grant.is_partial());
    assert!(cache.batching_allowed("q", None));
}

#[test]
fn fallback_from_insufficient_scope_challenge() {
    let (clock, mut cache) = cache();
    let requested = set("repository:a:pull repository:b:pull");
    // Not a JWT: the cache trusts the request until the registry says otherwise.
    cache.insert("r", Some("s"), &requested, token(&clock, "opaque", 300));
    assert!(cache.get("r", Some("s"), &set("repository:b:pull")).is_some());
    let header = r#"Bearer realm="https://a/t",service="s",scope="repository:b:pull",error="insufficient_scope""#;
    let challenge = oci_auth::Challenge::parse_header(header).unwrap()[0]
        .bearer()
        .unwrap()
        .unwrap();
    assert_eq!(challenge.error(), Some(&oci_auth::BearerError::InsufficientScope));
    for scope in challenge.scope_set().unwrap().iter() {
        cache.insufficient_scope("r", Some("s"), scope);
    }
    assert!(cache.get("r", Some("s"), &set("repository:b:pull")).is_none());
    assert!(cache.get("r", Some("s"), &set("repository:a:pull")).is_some());
    assert!(!cache.batching_allowed("r", Some("s")));
}

#[test]
fn granted_scopes_of_odd_tokens() {
    let clock = ManualClock::new(at(NOW));
    let parse = |t: &str| Token::parse(format!(r#"{{"token":"{t}"}}"#).as_bytes(), clock.now()).unwrap();
    assert!(parse("opaque").granted_scopes().is_none());
    assert!(parse("a.b").granted_scopes().is_none());
    assert!(parse("a.b.c.d").granted_scopes().is_none());
    assert!(parse("a.!!!.c").granted_scopes().is_none());
    assert!(parse(&jwt("5")).granted_scopes().is_none());
    // A JWT without an access claim says nothing; an empty one grants nothing.
    let no_claim = format!("{}.e30.c2ln", "eyJhbGciOiJub25lIn0");
    assert!(parse(&no_claim).granted_scopes().is_none());
    assert_eq!(parse(&jwt("[]")).granted_scopes(), Some(ScopeSet::new()));
}

/// Lifetimes come from token servers, which any registry can name: no value may make the cache panic, and an
/// absurd one is cut to a day.
#[test]
fn absurd_lifetimes_are_clamped_not_fatal() {
    const DAY: Duration = MAXIMUM_LIFETIME;
    assert_eq!(DAY, Duration::from_secs(24 * 60 * 60));
    // `lifetime * percent` overflowed here for lifetimes of about 1.85e18 s and more.
    assert_eq!(
        CacheConfig::default().margin_for(Duration::MAX),
        Duration::from_secs(30)
    );
    assert_eq!(
        CacheConfig::new(Duration::MAX, 100).margin_for(Duration::MAX),
        Duration::MAX
    );
    assert_eq!(
        CacheConfig::new(Duration::MAX, 50).margin_for(Duration::from_secs(600)),
        Duration::from_secs(300)
    );
    let scopes = set("repository:a:pull");
    for expires_in in [
        "18446744073709551615",
        "1850000000000000000",
        "9223372036854775807",
        "1e300",
        "31536000000",
    ] {
        let (clock, mut cache) = cache();
        let token = Token::parse(
            format!(r#"{{"token":"t","expires_in":{expires_in}}}"#).as_bytes(),
            clock.now(),
        )
        .unwrap();
        assert_eq!(token.expires_in(), DAY, "{expires_in}");
        assert_eq!(token.expires_at(), at(NOW) + DAY, "{expires_in}");
        cache.insert("r", None, &scopes, token);
        assert!(cache.get("r", None, &scopes).is_some(), "{expires_in}");
        clock.advance(DAY - Duration::from_secs(30));
        assert!(cache.get("r", None, &scopes).is_none(), "{expires_in}");
    }
    // A token made by the caller with the longest duration there is: also a day.
    let clock = ManualClock::new(at(NOW));
    let mut cache = TokenCache::with_clock(clock.clone(), CacheConfig::new(Duration::MAX, 100));
    cache.insert(
        "r",
        None,
        &scopes,
        Token::from_parts("t".into(), Duration::MAX, clock.now()),
    );
    assert_eq!(cache.get("r", None, &scopes).map(Token::expires_in), None);
    cache.insert(
        "r",
        None,
        &scopes,
        Token::from_parts("t".into(), Duration::MAX, clock.now()),
    );
    assert_eq!(cache.len(), 1);
}

/// A clock moved past the end of representable time stops there; tokens and the cache cope with it.
#[test]
fn clock_at_the_end_of_time() {
    let clock = ManualClock::new(at(NOW));
    clock.advance(Duration::MAX);
    let end = clock.now();
    assert!(end > at(NOW));
    assert!(end.checked_add(Duration::from_secs(1)).is_none());
    clock.advance(Duration::from_secs(1));
    assert_eq!(clock.now(), end);
    // Adding exactly what fits still works after a saturating step elsewhere.
    let clock = ManualClock::new(at(NOW));
    clock.advance(Duration::from_secs(5));
    assert_eq!(clock.now(), at(NOW + 5));

    let mut cache = TokenCache::with_clock(clock.clone(), CacheConfig::default());
    clock.set(end);
    let token = Token::parse(br#"{"token":"t","expires_in":300}"#, clock.now()).unwrap();
    // Nothing fits after the end of time: the token is born expired rather than wrapping around.
    assert_eq!(token.expires_at(), end);
    let scopes = set("repository:a:pull");
    cache.insert("r", None, &scopes, token);
    assert!(cache.get("r", None, &scopes).is_none());
    assert_eq!(cache.purge_expired(), 1);
}
