//! A registry with token auth: the test token server signs ES256 JWTs that the registry verifies.

use http::Version;
use oci_registry::{Client, Credentials, ErrorKind, Repository};
use oci_testkit::images::{DOCKER_LIST, OCI_MANIFEST};
use oci_testkit::token::{libtrust_key_id, raw_get};
use oci_testkit::{Auth, Images, Registry, TestCa, TokenServer};

use crate::push_and_read_back;

fn options(registry: &Registry, credentials: Option<Credentials>) -> oci_registry::RegistryOptions {
    let options = registry.options();
    match credentials {
        Some(credentials) => options.credentials(credentials),
        None => options,
    }
}

#[tokio::test]
async fn anonymous_pull_of_public_repository_and_private_refused() {
    let tokens = TokenServer::start(&[("pusher", "push-pass")], &["public/app"]);
    let registry = Registry::start(Auth::Token(&tokens), None);
    let pusher = Client::builder()
        .registry(
            registry.host(),
            options(&registry, Some(Credentials::new("pusher", "push-pass"))),
        )
        .build()
        .unwrap();
    let public = Images::new(&pusher, registry.host(), "public/app").unwrap();
    let pushed = public.image(OCI_MANIFEST, "public", Some("v1")).await.unwrap();
    let private = Images::new(&pusher, registry.host(), "private/app").unwrap();
    private.image(OCI_MANIFEST, "private", Some("v1")).await.unwrap();
    assert!(
        tokens.scopes().contains(&"repository:public/app:pull,push".to_owned()),
        "{:?}",
        tokens.scopes()
    );

    let anonymous = Client::builder()
        .registry(registry.host(), options(&registry, None))
        .build()
        .unwrap();
    anonymous.ping(registry.host()).await.unwrap();
    let location = public.repository().tag("v1").unwrap();
    assert_eq!(
        anonymous.manifest_digest(&location).await.unwrap().digest(),
        &pushed.digest
    );
    assert_eq!(anonymous.manifest(&location).await.unwrap().bytes(), &pushed.bytes);

    let before = tokens.requests();
    let err = anonymous
        .manifest_digest(&private.repository().tag("v1").unwrap())
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Unauthorized, "{err}");
    assert_eq!(err.repository(), Some("private/app"));
    assert!(err.to_string().contains("insufficient_scope"), "{err}");
    assert_eq!(tokens.requests(), before + 1);
}

#[tokio::test]
async fn tokens_are_cached_per_scope() {
    let tokens = TokenServer::start(&[("u", "p")], &[]);
    let registry = Registry::start(Auth::Token(&tokens), None);
    let client = Client::builder()
        .registry(registry.host(), options(&registry, Some(Credentials::new("u", "p"))))
        .build()
        .unwrap();
    let images = Images::new(&client, registry.host(), "cached").unwrap();
    let (list, _) = images.list(DOCKER_LIST, "cached", "v1").await.unwrap();
    let location = images.repository().tag("v1").unwrap();
    assert_eq!(client.manifest_digest(&location).await.unwrap().digest(), &list.digest);
    let after_first = tokens.requests();
    for _ in 0..3 {
        assert_eq!(client.manifest_digest(&location).await.unwrap().digest(), &list.digest);
    }
    assert_eq!(tokens.requests(), after_first);
}

#[tokio::test]
async fn wrong_credentials_at_the_token_server_are_unauthorized() {
    let tokens = TokenServer::start(&[("u", "p")], &[]);
    let registry = Registry::start(Auth::Token(&tokens), None);
    let client = Client::builder()
        .registry(
            registry.host(),
            options(&registry, Some(Credentials::new("u", "wrong"))),
        )
        .build()
        .unwrap();
    let location = Repository::new(registry.host(), "any").unwrap().tag("v1").unwrap();
    let err = client.manifest_digest(&location).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Unauthorized, "{err}");
    assert!(err.to_string().contains("bad credentials"), "{err}");
}

#[tokio::test]
async fn token_auth_over_tls() {
    let ca = TestCa::new();
    let tokens = TokenServer::start(&[("u", "p")], &[]);
    let registry = Registry::start(Auth::Token(&tokens), Some(&ca));
    let options = options(&registry, Some(Credentials::new("u", "p")));
    let client = Client::builder().registry(registry.host(), options).build().unwrap();
    let head = push_and_read_back(&client, registry.host(), "tls/token", "tls-token").await;
    assert_eq!(head.http_version(), Version::HTTP_2);
}

/// The registry verifies the signature and key ID: only the server's own tokens with the right `kid` pass.
#[test]
fn registry_verifies_signed_tokens() {
    let tokens = TokenServer::start(&[], &[]);
    let registry = Registry::start(Auth::Token(&tokens), None);
    let pull = |name: &'static str| vec![("repository", name, vec!["pull".to_owned()])];
    let path = "/v2/some/repo/tags/list";

    let good = tokens.sign(None, &pull("some/repo"));
    // The repository is unknown, so an accepted token gives 404, not 401.
    assert_eq!(raw_get(registry.host(), path, &good).0, 404);
    assert_eq!(raw_get(registry.host(), "/v2/", &tokens.sign(None, &[])).0, 200);

    let lowercase = tokens.sign(Some(&tokens.kid().to_lowercase()), &pull("some/repo"));
    let (status, challenge) = raw_get(registry.host(), path, &lowercase);
    assert_eq!(status, 401);
    assert!(challenge.contains("invalid_token"), "{challenge}");

    let other = tokens.sign(None, &pull("other/repo"));
    let (status, challenge) = raw_get(registry.host(), path, &other);
    assert_eq!(status, 401);
    assert!(challenge.contains("insufficient_scope"), "{challenge}");

    // Flip a character at the start of the signature (the last one may only carry padding bits).
    let signature_start = good.rfind('.').unwrap() + 1;
    let mut tampered = good.clone();
    let flipped = if good[signature_start..].starts_with('A') {
        "B"
    } else {
        "A"
    };
    tampered.replace_range(signature_start..=signature_start, flipped);
    assert_eq!(raw_get(registry.host(), path, &tampered).0, 401);
}

#[test]
fn libtrust_key_ids_have_twelve_groups() {
    let kid = libtrust_key_id(b"any spki");
    let groups: Vec<&str> = kid.split(':').collect();
    assert_eq!(groups.len(), 12, "{kid}");
    assert!(
        groups
            .iter()
            .all(|g| g.len() == 4 && g.bytes().all(|b| b.is_ascii_uppercase() || (b'2'..=b'7').contains(&b)))
    );
}
