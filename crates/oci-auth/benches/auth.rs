//! The hot paths of a client: parsing a challenge, batching many scopes, looking a token up in the cache.

use std::hint::black_box;
use std::time::{Duration, UNIX_EPOCH};

use criterion::{Criterion, criterion_group, criterion_main};
use oci_auth::{BatchConfig, CacheConfig, Challenge, ManualClock, Scope, ScopeSet, Token, TokenCache};

const HUB: &str =
    r#"Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/nginx:pull""#;

fn challenge(c: &mut Criterion) {
    c.bench_function("challenge/parse docker hub", |b| {
        b.iter(|| Challenge::parse_header(black_box(HUB)))
    });
}

fn scopes(c: &mut Criterion) {
    let many: ScopeSet = (0..1000)
        .filter_map(|i| Scope::pull(&format!("org/app-{i}")).ok())
        .collect();
    c.bench_function("scopes/batch 1000 repositories", |b| {
        b.iter(|| BatchConfig::default().batch(black_box(&many)))
    });
}

fn cache(c: &mut Criterion) {
    let clock = ManualClock::new(UNIX_EPOCH + Duration::from_secs(1_700_000_000));
    let mut cache = TokenCache::with_clock(clock, CacheConfig::default());
    for i in 0..100 {
        if let (Ok(scope), Ok(token)) = (
            Scope::pull(&format!("org/app-{i}")),
            Token::parse(
                br#"{"token":"t","expires_in":300}"#,
                UNIX_EPOCH + Duration::from_secs(1_700_000_000),
            ),
        ) {
            cache.insert("docker.io", Some("registry.docker.io"), &ScopeSet::from(scope), token);
        }
    }
    let needed: ScopeSet = Scope::pull("org/app-99").into_iter().collect();
    c.bench_function("cache/get among 100 tokens", |b| {
        b.iter(|| {
            cache
                .get(black_box("docker.io"), Some("registry.docker.io"), black_box(&needed))
                .is_some()
        })
    });
}

criterion_group!(benches, challenge, scopes, cache);
criterion_main!(benches);
