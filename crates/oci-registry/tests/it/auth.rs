//! Auth through `oci-auth` against the real registry and the test token server: tokens shared and fetched once,
//! batched scopes with the per-repository fallback, credentials from a docker config and a credential helper.

use std::sync::Arc;

use oci_auth::{AuthFile, CredentialStore};
use oci_registry::{Client, Credentials, ErrorKind, RegistryOptions};
use oci_testkit::images::OCI_MANIFEST;
use oci_testkit::{Auth, Images, Registry, TempDir, TokenServer, base64};

use crate::push_and_read_back;

fn client(registry: &Registry, credentials: Option<Credentials>) -> Client {
    let mut options: RegistryOptions = registry.options();
    if let Some(credentials) = credentials {
        options = options.credentials(credentials);
    }
    Client::builder().registry(registry.host(), options).build().unwrap()
}

#[tokio::test]
async fn push_and_pull_with_credentials_anonymous_pull_and_a_private_repository_refused() {
    let tokens = TokenServer::start(&[("pusher", "pw")], &["pub/app"]);
    let registry = Registry::start(Auth::Token(&tokens), None);
    let pusher = client(&registry, Some(Credentials::new("pusher", "pw")));
    let public = Images::new(&pusher, registry.host(), "pub/app").unwrap();
    let pushed = public.image(OCI_MANIFEST, "pub", Some("v1")).await.unwrap();
    let private = Images::new(&pusher, registry.host(), "priv/app").unwrap();
    let secret = private.image(OCI_MANIFEST, "priv", Some("v1")).await.unwrap();
    let location = private.repository().tag("v1").unwrap();
    assert_eq!(pusher.manifest(&location).await.unwrap().bytes(), &secret.bytes);

    let anonymous = client(&registry, None);
    let head = anonymous
        .manifest_digest(&public.repository().tag("v1").unwrap())
        .await
        .unwrap();
    assert_eq!(head.digest(), &pushed.digest);
    let err = anonymous.manifest(&location).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Unauthorized, "{err}");
    assert_eq!(err.registry(), Some(registry.host()));
    assert_eq!(err.scope(), Some("repository:priv/app:pull"), "{err}");
    assert!(err.to_string().contains("insufficient_scope"), "{err}");
}

#[tokio::test]
async fn many_requests_to_one_repository_need_one_token() {
    let tokens = TokenServer::start(&[("u", "p")], &[]);
    let registry = Registry::start(Auth::Token(&tokens), None);
    let pusher = client(&registry, Some(Credentials::new("u", "p")));
    let images = Images::new(&pusher, registry.host(), "one/repo").unwrap();
    let pushed = images.image(OCI_MANIFEST, "one", Some("v1")).await.unwrap();

    let reader = client(&registry, Some(Credentials::new("u", "p")));
    let before = tokens.requests();
    let location = images.repository().tag("v1").unwrap();
    for _ in 0..10 {
        assert_eq!(
            reader.manifest_digest(&location).await.unwrap().digest(),
            &pushed.digest
        );
    }
    // A clone shares the cache.
    let clone = reader.clone();
    assert_eq!(clone.manifest(&location).await.unwrap().digest(), &pushed.digest);
    assert_eq!(tokens.requests() - before, 1);
    assert_eq!(oci_registry::internal::token_requests(&reader), 1);
}

#[tokio::test]
async fn concurrent_requests_wait_for_one_token_fetch() {
    let tokens = TokenServer::start(&[("u", "p")], &[]);
    let registry = Registry::start(Auth::Token(&tokens), None);
    let pusher = client(&registry, Some(Credentials::new("u", "p")));
    let images = Images::new(&pusher, registry.host(), "busy/repo").unwrap();
    let pushed = images.image(OCI_MANIFEST, "busy", Some("v1")).await.unwrap();

    let reader = client(&registry, Some(Credentials::new("u", "p")));
    let before = tokens.requests();
    let location = Arc::new(images.repository().tag("v1").unwrap());
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..16 {
        let (reader, location) = (reader.clone(), Arc::clone(&location));
        tasks.spawn(async move { reader.manifest_digest(&location).await.map(|h| h.digest().clone()) });
    }
    while let Some(result) = tasks.join_next().await {
        assert_eq!(result.unwrap().unwrap(), pushed.digest);
    }
    assert_eq!(tokens.requests() - before, 1, "{:?}", tokens.scopes());
}

#[tokio::test]
async fn one_batched_token_covers_several_repositories() {
    let tokens = TokenServer::start(&[("u", "p")], &[]);
    let registry = Registry::start(Auth::Token(&tokens), None);
    let pusher = client(&registry, Some(Credentials::new("u", "p")));
    let names = ["batch/one", "batch/two", "batch/three"];
    let mut pushed = Vec::new();
    for name in names {
        let images = Images::new(&pusher, registry.host(), name).unwrap();
        pushed.push((
            images.repository().tag("v1").unwrap(),
            images.image(OCI_MANIFEST, name, Some("v1")).await.unwrap(),
        ));
    }

    let reader = client(&registry, Some(Credentials::new("u", "p")));
    let before = tokens.requests();
    let scopes_before = tokens.scopes().len();
    reader.authorize_batch(registry.host(), &names).await.unwrap();
    assert_eq!(tokens.requests() - before, 1);
    let asked = &tokens.scopes()[scopes_before..];
    for name in names {
        assert!(asked.contains(&format!("repository:{name}:pull")), "{asked:?}");
    }
    for (location, image) in &pushed {
        assert_eq!(reader.manifest_digest(location).await.unwrap().digest(), &image.digest);
    }
    assert_eq!(
        tokens.requests() - before,
        1,
        "the batched token served every repository"
    );
}

#[tokio::test]
async fn a_partial_grant_falls_back_to_one_repository_per_token_request() {
    let tokens = TokenServer::start(&[("u", "p")], &["open/one", "open/two"]);
    let registry = Registry::start(Auth::Token(&tokens), None);
    let pusher = client(&registry, Some(Credentials::new("u", "p")));
    let mut locations = Vec::new();
    for name in ["open/one", "open/two", "closed/three"] {
        let images = Images::new(&pusher, registry.host(), name).unwrap();
        images.image(OCI_MANIFEST, name, Some("v1")).await.unwrap();
        locations.push(images.repository().tag("v1").unwrap());
    }
    let anonymous = client(&registry, None);
    let before = tokens.requests();
    anonymous
        .authorize_batch(registry.host(), &["open/one", "open/two", "closed/three"])
        .await
        .unwrap();
    // One batched request granting the two public repositories, then one for the refused one alone.
    assert_eq!(tokens.requests() - before, 2);
    assert_eq!(tokens.scopes().last().unwrap(), "repository:closed/three:pull");
    for location in &locations[..2] {
        anonymous.manifest_digest(location).await.unwrap();
    }
    assert_eq!(tokens.requests() - before, 2, "the public repositories were covered");
    let err = anonymous.manifest_digest(&locations[2]).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Unauthorized, "{err}");
}

#[tokio::test]
async fn credentials_come_from_a_docker_config() {
    let tokens = TokenServer::start(&[("u", "p")], &[]);
    let registry = Registry::start(Auth::Token(&tokens), None);
    let config = format!(
        r#"{{"auths":{{"{}":{{"auth":"{}"}}}}}}"#,
        registry.host(),
        base64(b"u:p")
    );
    let store = CredentialStore::new().with_docker_config(AuthFile::parse(&config).unwrap());
    let client = Client::builder()
        .registry(registry.host(), registry.options())
        .credential_store(store)
        .build()
        .unwrap();
    push_and_read_back(&client, registry.host(), "from/config", "config").await;
}

#[tokio::test]
async fn credentials_come_from_a_credential_helper() {
    use std::os::unix::fs::PermissionsExt;

    let tokens = TokenServer::start(&[("helped", "secret")], &[]);
    let registry = Registry::start(Auth::Token(&tokens), None);
    let dir = TempDir::new("oci-registry-helper");
    let helper = dir.path().join("docker-credential-gtest");
    let log = dir.path().join("calls");
    std::fs::write(
        &helper,
        format!(
            "#!/bin/sh\nread url\necho \"$1 $url\" >> {}\nprintf '{{\"ServerURL\":\"%s\",\"Username\":\"helped\",\"Secret\":\"secret\"}}' \"$url\"\n",
            log.display()
        ),
    )
    .unwrap();
    std::fs::set_permissions(&helper, std::fs::Permissions::from_mode(0o755)).unwrap();
    let config = format!(r#"{{"credHelpers":{{"{}":"gtest"}}}}"#, registry.host());
    let store = CredentialStore::new()
        .with_docker_config(AuthFile::parse(&config).unwrap())
        .with_path(dir.path().as_os_str());
    let client = Client::builder()
        .registry(registry.host(), registry.options())
        .credential_store(store)
        .build()
        .unwrap();
    let images = Images::new(&client, registry.host(), "from/helper").unwrap();
    images.image(OCI_MANIFEST, "helper", Some("v1")).await.unwrap();
    let calls = std::fs::read_to_string(&log).unwrap();
    assert!(calls.starts_with("get "), "{calls}");
    assert_eq!(calls.lines().count(), 1, "looked up once per registry: {calls}");
}
