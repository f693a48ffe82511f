//! The pull budget against the real registry behind oci-testkit's Docker-Hub-like rate-limit proxy (headers on
//! every manifest answer, a pull spent per manifest GET, 429 `toomanyrequests` at zero): checks whose GETs are
//! withheld finish on their HEAD, marked unconfirmed, and nothing past the budget is ever sent.

use oci_digest::Digest;
use oci_registry::{CheckOptions, Client, PullBudget, Reference, RegistryOptions, Scheme, UpdateRequest, UpdateStatus};
use oci_testkit::{Images, RateLimitProxy, Registry};

/// A rebuilt multi-arch tag `name:v1` (only its arm64 image changed): the old index's digest, the one in use.
pub(crate) async fn rebuilt_tag(images: &Images, seed: &str) -> Digest {
    images.rebuilt(seed, "v1").await.unwrap().0.digest
}

/// `count` rebuilt tags `app0:v1`…, checked through `proxy`: the requests.
async fn rebuilt_requests(registry: &Registry, proxy: &RateLimitProxy, count: usize) -> Vec<UpdateRequest> {
    let mut requests = Vec::new();
    for i in 0..count {
        let images = registry.images(&format!("app{i}")).unwrap();
        let old = rebuilt_tag(&images, &format!("image{i}")).await;
        let reference = Reference::parse_normalized(&format!("{}/app{i}:v1", proxy.host())).unwrap();
        requests.push(UpdateRequest::new(reference, Some(old), "linux/amd64".parse().unwrap()));
    }
    requests
}

fn client(proxy: &RateLimitProxy, budget: PullBudget) -> Client {
    Client::builder()
        .registry(&proxy.host(), RegistryOptions::new().scheme(Scheme::Http))
        .pull_budget(budget)
        .build()
        .unwrap()
}

#[tokio::test]
async fn three_pulls_left_with_one_in_reserve_spend_two_and_every_check_finishes() {
    let registry = Registry::open();
    let proxy = RateLimitProxy::start(registry.host(), 100, 3).await;
    let requests = rebuilt_requests(&registry, &proxy, 10).await;
    let client = client(&proxy, PullBudget::new().reserve(1));
    let results = client.check_many(&requests, &CheckOptions::new().concurrency(4)).await;

    assert_eq!(proxy.manifest_gets(), 2, "{:?}", proxy.log());
    assert_eq!(proxy.refused(), 0, "the reserve kept the client away from the 429");
    assert_eq!(proxy.remaining(), 1);
    assert_eq!(proxy.manifest_heads(), 10);
    let mut unconfirmed = 0;
    for (request, result) in requests.iter().zip(&results) {
        let check = result
            .as_ref()
            .unwrap_or_else(|err| panic!("{}: {err:#}", request.reference()));
        if check.verified() {
            // Both manifests came: the true verdict (only arm64 changed).
            assert_eq!((check.status(), check.pulls()), (UpdateStatus::UpToDate, 2));
        } else {
            unconfirmed += 1;
            assert_eq!(check.status(), UpdateStatus::UpdateAvailable);
            assert_eq!(check.platform_changed(), None);
            let note = check.note().unwrap();
            assert!(note.starts_with("unconfirmed") && note.contains("reserve"), "{note}");
        }
    }
    assert!(unconfirmed >= 9, "{unconfirmed} unconfirmed");
    let stats = client.pull_stats();
    assert_eq!((stats.gets(), stats.heads()), (2, 10));
    assert!(stats.withheld() >= 9);
    let source = &stats.sources()[0];
    assert_eq!(
        (source.source(), source.limit(), source.remaining()),
        ("127.0.0.1", Some(100), Some(1))
    );
}

#[tokio::test]
async fn a_429_stops_the_gets_to_its_source_for_the_run() {
    let registry = Registry::open();
    // The quota is announced on GETs only, so the client cannot see it go.
    let proxy = RateLimitProxy::start(registry.host(), 100, 50).await.with_quiet_heads();
    let requests = rebuilt_requests(&registry, &proxy, 4).await;
    let client = client(&proxy, PullBudget::new());
    // The client learns "48 left" from its GETs; then the quota is gone behind its back (another host pulled).
    let first = client.check_for_update(&requests[0]).await.unwrap();
    assert_eq!((first.status(), first.pulls()), (UpdateStatus::UpToDate, 2));
    proxy.set_remaining(0);
    let results = client
        .check_many(&requests[1..], &CheckOptions::new().concurrency(1))
        .await;

    assert_eq!(
        proxy.refused(),
        1,
        "one 429, not retried, and no GET after it: {:?}",
        proxy.log()
    );
    assert_eq!(proxy.manifest_gets(), 2);
    for result in &results {
        let check = result.as_ref().unwrap();
        assert_eq!(
            (check.status(), check.verified(), check.pulls()),
            (UpdateStatus::UpdateAvailable, false, 0)
        );
        assert!(check.note().unwrap().contains("429"), "{:?}", check.note());
    }
    let stats = client.pull_stats();
    assert_eq!(stats.gets(), 2, "the refused GET spent no pull");
    assert_eq!((stats.sources().len(), stats.sources()[0].pulls()), (1, 2));
    assert!(stats.sources()[0].refused().unwrap().contains("429"));
}

#[tokio::test]
async fn a_cap_on_pulls_holds_and_an_unchanged_tag_needs_none() {
    let registry = Registry::open();
    let proxy = RateLimitProxy::start(registry.host(), 100, 100).await;
    let mut requests = rebuilt_requests(&registry, &proxy, 3).await;
    // An image whose tag did not move: its HEAD alone is the verdict, whatever the budget.
    let images = registry.images("steady").unwrap();
    let steady = images
        .list(oci_testkit::images::OCI_INDEX, "steady", "v1")
        .await
        .unwrap()
        .0;
    let reference = Reference::parse_normalized(&format!("{}/steady:v1", proxy.host())).unwrap();
    requests.push(UpdateRequest::new(
        reference,
        Some(steady.digest),
        "linux/amd64".parse().unwrap(),
    ));
    let client = client(&proxy, PullBudget::new().max_pulls(0));
    let results = client.check_many(&requests, &CheckOptions::new()).await;
    assert_eq!(proxy.manifest_gets(), 0);
    let statuses: Vec<(UpdateStatus, bool)> = results
        .iter()
        .map(|result| {
            let check = result.as_ref().unwrap();
            (check.status(), check.verified())
        })
        .collect();
    assert_eq!(statuses[..3], [(UpdateStatus::UpdateAvailable, false); 3]);
    assert_eq!(statuses[3], (UpdateStatus::UpToDate, true));
    assert!(
        results[0]
            .as_ref()
            .unwrap()
            .note()
            .unwrap()
            .contains("the run's 0 pulls are spent")
    );
}
