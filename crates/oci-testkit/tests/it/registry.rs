//! `Registry` (open, htpasswd, Bearer, TLS), its `TokenServer`, and `Images`: the real registry as the tests see it.

use oci_testkit::images::{OCI_INDEX, OCI_MANIFEST};
use oci_testkit::{Auth, Registry, TestCa, TokenServer, block_on};

#[test]
fn a_bearer_registry_knows_its_user_and_counts_token_requests() {
    let registry = Registry::bearer("pusher", "push-pass");
    assert_eq!(registry.credentials(), Some(("pusher", "push-pass")));
    assert_eq!(registry.token_requests(), 0);
    let images = registry.images("counted/app").unwrap();
    let pushed = block_on(images.image(OCI_MANIFEST, "counted", Some("v1"))).unwrap();
    let after_push = registry.token_requests();
    assert!(after_push >= 1, "{after_push}");

    let reader = registry.client();
    let location = images.repository().tag("v1").unwrap();
    let head = block_on(reader.manifest_digest(&location)).unwrap();
    assert_eq!(head.digest(), &pushed.digest);
    assert_eq!(
        registry.token_requests() - after_push,
        oci_registry::internal::token_requests(&reader) as usize
    );
}

#[test]
fn a_token_registry_keeps_its_token_server_running() {
    let tokens = TokenServer::start(&[("u", "p")], &["public/app"]);
    let registry = Registry::start(Auth::Token(&tokens), None);
    drop(tokens);
    assert_eq!(registry.credentials(), None, "Auth::Token names no single user");
    let server = registry.token_server().unwrap();
    let client = registry.client();
    block_on(client.ping(registry.host())).unwrap();
    let location = oci_registry::Repository::new(registry.host(), "public/app")
        .unwrap()
        .tag("v1")
        .unwrap();
    // Anonymous pull of a public repository: a token, then the registry's own 404 for the missing tag.
    let err = block_on(client.manifest_digest(&location)).unwrap_err();
    assert_eq!(err.kind(), oci_registry::ErrorKind::NotFound, "{err}");
    assert!(server.requests() >= 1);
    assert!(
        server.scopes().contains(&"repository:public/app:pull".to_owned()),
        "{:?}",
        server.scopes()
    );
}

#[test]
fn an_htpasswd_registry_wants_its_user() {
    let registry = Registry::htpasswd("alice", "s3cret");
    assert_eq!(registry.credentials(), Some(("alice", "s3cret")));
    block_on(registry.client().ping(registry.host())).unwrap();
    let anonymous = oci_registry::Client::builder()
        .registry(
            registry.host(),
            oci_registry::RegistryOptions::new().scheme(oci_registry::Scheme::Http),
        )
        .build()
        .unwrap();
    let err = block_on(anonymous.ping(registry.host())).unwrap_err();
    assert_eq!(err.kind(), oci_registry::ErrorKind::Unauthorized, "{err}");
}

#[test]
fn a_tls_registry_writes_its_ca_file() {
    let ca = TestCa::new();
    let registry = Registry::start(Auth::Open, Some(&ca));
    let file = registry.ca_file().unwrap();
    assert!(file.starts_with(registry.dir()));
    assert_eq!(std::fs::read_to_string(file).unwrap(), ca.ca_pem());
    assert_eq!(registry.ca_pem(), Some(ca.ca_pem()));
    let ping = block_on(registry.client().ping(registry.host())).unwrap();
    assert_eq!(ping.http_version(), http::Version::HTTP_2);
    assert_eq!(Registry::open().ca_file(), None);
}

#[test]
fn dropping_a_registry_stops_it_and_removes_its_directory() {
    let registry = Registry::open();
    let (host, dir) = (registry.host().to_owned(), registry.dir().to_path_buf());
    assert!(dir.join("config.yml").is_file());
    drop(registry);
    assert!(std::net::TcpStream::connect(&host).is_err(), "{host} still answers");
    assert!(!dir.exists());
}

/// The demo's images are the README's: their bytes, hence their digests, must stay the same.
#[test]
fn platform_images_and_indexes_keep_their_bytes() {
    let registry = Registry::open();
    let images = registry.images("demo/multi").unwrap();
    let (app, index) = block_on(async {
        let app = images.platform_image("amd64", "app-1.0", Some("1")).await.unwrap();
        let amd64 = images.platform_image("amd64", "multi-amd64-1", None).await.unwrap();
        let arm64 = images.platform_image("arm64", "multi-arm64-1", None).await.unwrap();
        let children = [("amd64", &amd64.digest), ("arm64", &arm64.digest)];
        (app, images.index(&children, "latest").await.unwrap())
    });
    // The README's tour of `oci-check update` shows these (demo/app:1 and demo/multi:latest before the move).
    assert!(app.digest.as_str().starts_with("sha256:aa246210cd06"), "{}", app.digest);
    assert!(
        index.digest.as_str().starts_with("sha256:ffd541ec7f5a"),
        "{}",
        index.digest
    );
    assert_eq!(index.media_type, OCI_INDEX);
}
