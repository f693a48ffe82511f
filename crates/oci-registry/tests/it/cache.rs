//! The cache against the real registry, with GETs counted at oci-testkit's rate-limit proxy: immutable manifests
//! are fetched once, verified when read, and outlive the registry's copy; the tag's HEAD is never cached.

use std::sync::Arc;

use oci_registry::cache::{Cache, CacheKey, FsCache};
use oci_registry::{
    CheckOptions, Client, NewerRequest, Policy, Reference, RegistryOptions, Scheme, UpdateRequest, UpdateStatus,
};
use oci_testkit::{RateLimitProxy, Registry, TempDir};

use crate::budget::rebuilt_tag;
use crate::check::delete_manifest;

fn client(proxy: &RateLimitProxy, cache: &Arc<FsCache>) -> Client {
    Client::builder()
        .registry(&proxy.host(), RegistryOptions::new().scheme(Scheme::Http))
        .cache(Arc::clone(cache) as Arc<dyn Cache>)
        .build()
        .unwrap()
}

#[tokio::test]
async fn a_rebuilt_tag_costs_two_gets_once_then_its_head_alone_even_after_the_old_index_is_deleted() {
    let registry = Registry::open();
    let proxy = RateLimitProxy::start(registry.host(), 100, 100).await;
    let images = registry.images("app").unwrap();
    let old = rebuilt_tag(&images, "app").await;
    let dir = TempDir::new("oci-registry-cache");
    let cache = Arc::new(FsCache::open(dir.path(), 1 << 20).unwrap());
    let reference = Reference::parse_normalized(&format!("{}/app:v1", proxy.host())).unwrap();
    let request = UpdateRequest::new(reference, Some(old.clone()), "linux/amd64".parse().unwrap());

    let cold = client(&proxy, &cache).check_for_update(&request).await.unwrap();
    assert_eq!((cold.status(), cold.verified()), (UpdateStatus::UpToDate, true));
    assert_eq!((cold.pulls(), cold.cache_hits(), proxy.manifest_gets()), (2, 0, 2));

    // A new client (a new run) on the same cache: the HEAD only.
    let warm_client = client(&proxy, &cache);
    let warm = warm_client.check_for_update(&request).await.unwrap();
    assert_eq!((warm.status(), warm.verified()), (UpdateStatus::UpToDate, true));
    assert_eq!((warm.pulls(), warm.cache_hits(), warm.requests()), (0, 2, 1));
    assert_eq!((proxy.manifest_gets(), proxy.manifest_heads()), (2, 2));
    let stats = warm_client.pull_stats();
    assert_eq!((stats.heads(), stats.gets(), stats.cache_hits()), (1, 0, 2));

    // The registry forgets the index in use: the cached copy still gives the verified verdict.
    delete_manifest(registry.host(), "app", &old).await;
    let gone = client(&proxy, &cache).check_for_update(&request).await.unwrap();
    assert_eq!(
        (gone.status(), gone.verified(), gone.pulls()),
        (UpdateStatus::UpToDate, true, 0)
    );
    let uncached = Client::builder()
        .registry(&proxy.host(), RegistryOptions::new().scheme(Scheme::Http))
        .build()
        .unwrap()
        .check_for_update(&request)
        .await
        .unwrap();
    assert!(
        !uncached.verified(),
        "without the cache the same check cannot be verified"
    );
}

#[tokio::test]
async fn a_corrupt_entry_is_dropped_and_fetched_again() {
    let registry = Registry::open();
    let proxy = RateLimitProxy::start(registry.host(), 100, 100).await;
    let images = registry.images("app").unwrap();
    let old = rebuilt_tag(&images, "app").await;
    let dir = TempDir::new("oci-registry-cache-corrupt");
    let cache = Arc::new(FsCache::open(dir.path(), 1 << 20).unwrap());
    let reference = Reference::parse_normalized(&format!("{}/app:v1", proxy.host())).unwrap();
    let request = UpdateRequest::new(reference, Some(old.clone()), "linux/amd64".parse().unwrap());
    client(&proxy, &cache).check_for_update(&request).await.unwrap();
    assert_eq!(proxy.manifest_gets(), 2);

    // The old index's entry is swapped for another manifest's bytes (well-formed, wrong digest).
    let key = CacheKey::Manifest(old.clone());
    let entry = cache.get(&key).await.unwrap().unwrap();
    let mut forged = b"application/vnd.oci.image.index.v1+json\n".to_vec();
    forged.extend_from_slice(
        br#"{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[]}"#,
    );
    assert_ne!(entry, forged);
    cache.put(&key, &forged, None).await.unwrap();

    let check = client(&proxy, &cache).check_for_update(&request).await.unwrap();
    assert_eq!((check.status(), check.verified()), (UpdateStatus::UpToDate, true));
    assert_eq!(
        (check.pulls(), check.cache_hits()),
        (1, 1),
        "the forged entry was fetched again"
    );
    assert_eq!(proxy.gets_of(old.as_str()), 2);
    assert_eq!(
        cache.get(&key).await.unwrap().unwrap(),
        entry,
        "and the good copy stored back"
    );
}

#[tokio::test]
async fn tag_lists_are_cached_for_their_age_and_configs_for_good() {
    let registry = Registry::open();
    let proxy = RateLimitProxy::start(registry.host(), 100, 100).await;
    let images = registry.images("app").unwrap();
    images
        .dated_image("amd64", "one", Some("2024-01-01T00:00:00Z"), Some("1.0.0"))
        .await
        .unwrap();
    let in_use = images
        .dated_image("amd64", "one", Some("2024-01-01T00:00:00Z"), None)
        .await
        .unwrap();
    images
        .dated_image("amd64", "two", Some("2024-06-01T00:00:00Z"), Some("1.1.0"))
        .await
        .unwrap();
    let dir = TempDir::new("oci-registry-cache-tags");
    let cache = Arc::new(FsCache::open(dir.path(), 1 << 20).unwrap());
    let reference = Reference::parse_normalized(&format!("{}/app:1.0.0", proxy.host())).unwrap();
    let request = NewerRequest::new(
        reference,
        Some(in_use.digest),
        "linux/amd64".parse().unwrap(),
        Policy::new(),
    );
    let tag_lists = |proxy: &RateLimitProxy| {
        proxy
            .log()
            .iter()
            .filter(|(_, path, _)| path.contains("/tags/list"))
            .count()
    };

    let first = client(&proxy, &cache).newer_version(&request).await.unwrap();
    assert_eq!(first.newer().unwrap().tag(), "1.1.0");
    let gets = proxy.manifest_gets();
    assert_eq!((tag_lists(&proxy), gets), (1, 2), "{:?}", proxy.log());

    // Within the age: no tag list, no manifest GET, no config. The candidate's digest comes from a HEAD (free on
    // Docker Hub) and its manifest by that digest from the cache: a repeat search spends no pull.
    assert_eq!((first.pulls(), first.cache_hits()), (2, 0));
    let second = client(&proxy, &cache).newer_version(&request).await.unwrap();
    assert_eq!(second.newer(), first.newer());
    assert_eq!(
        (second.pulls(), second.cache_hits()),
        (0, 5),
        "the tag list, both manifests and both configs from the cache"
    );
    assert_eq!(
        proxy.manifest_gets(),
        gets,
        "no manifest GET on the repeat: {:?}",
        proxy.log()
    );
    assert_eq!(tag_lists(&proxy), 1);
    let blobs = proxy
        .log()
        .iter()
        .filter(|(_, path, _)| path.contains("/blobs/"))
        .count();
    assert_eq!(blobs, 2, "each config fetched once: {:?}", proxy.log());

    // With no age, the list is asked again.
    let fresh = Client::builder()
        .registry(&proxy.host(), RegistryOptions::new().scheme(Scheme::Http))
        .cache(Arc::clone(&cache) as Arc<dyn Cache>)
        .tags_max_age(std::time::Duration::ZERO)
        .build()
        .unwrap();
    fresh.newer_version(&request).await.unwrap();
    assert_eq!(tag_lists(&proxy), 2);
}

#[tokio::test]
async fn a_cache_that_cannot_be_written_is_no_failure() {
    let registry = Registry::open();
    let proxy = RateLimitProxy::start(registry.host(), 100, 100).await;
    let images = registry.images("app").unwrap();
    let old = rebuilt_tag(&images, "app").await;
    let dir = TempDir::new("oci-registry-cache-broken");
    let cache = Arc::new(FsCache::open(dir.path().join("cache"), 1 << 20).unwrap());
    // The entries' directory becomes a file: every write and read fails, even as root.
    std::fs::remove_dir_all(dir.path().join("cache/v1")).unwrap();
    std::fs::write(dir.path().join("cache/v1"), b"not a directory").unwrap();
    let reference = Reference::parse_normalized(&format!("{}/app:v1", proxy.host())).unwrap();
    let request = UpdateRequest::new(reference, Some(old), "linux/amd64".parse().unwrap());
    let client = client(&proxy, &cache);
    for _ in 0..3 {
        let check = client.check_for_update(&request).await.unwrap();
        assert_eq!(
            (check.status(), check.verified(), check.cache_hits()),
            (UpdateStatus::UpToDate, true, 0)
        );
    }
    assert_eq!(proxy.manifest_gets(), 6, "without a cache, each check fetches");
}

#[tokio::test]
async fn equal_requests_share_one_check() {
    let registry = Registry::open();
    let proxy = RateLimitProxy::start(registry.host(), 100, 100).await;
    let images = registry.images("app").unwrap();
    let old = rebuilt_tag(&images, "app").await;
    let dir = TempDir::new("oci-registry-cache-shared");
    let cache = Arc::new(FsCache::open(dir.path(), 1 << 20).unwrap());
    let reference = Reference::parse_normalized(&format!("{}/app:v1", proxy.host())).unwrap();
    let requests = vec![UpdateRequest::new(reference, Some(old), "linux/amd64".parse().unwrap()); 3];
    let results = client(&proxy, &cache)
        .check_many(&requests, &CheckOptions::new().concurrency(3))
        .await;
    assert_eq!(results.len(), 3);
    for result in results {
        assert_eq!(result.unwrap().status(), UpdateStatus::UpToDate);
    }
    let heads = proxy.log().iter().filter(|(method, _, _)| method == "HEAD").count();
    assert_eq!(
        (heads, proxy.manifest_gets()),
        (1, 2),
        "one check for three equal requests: {:?}",
        proxy.log()
    );
}
