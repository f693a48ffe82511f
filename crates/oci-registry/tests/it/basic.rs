//! A registry with htpasswd Basic auth (bcrypt entries) over plain HTTP on loopback.

use oci_registry::{Credentials, ErrorKind, RegistryOptions, Scheme};
use oci_testkit::{Auth, Registry};

use crate::push_and_read_back;

#[tokio::test]
async fn right_credentials_push_and_pull() {
    let registry = Registry::start(
        Auth::Htpasswd {
            username: "alice",
            password: "s3cret pass",
        },
        None,
    );
    let client = registry.client_builder().build().unwrap();
    client.ping(registry.host()).await.unwrap();
    push_and_read_back(&client, registry.host(), "private/app", "basic").await;
}

#[tokio::test]
async fn wrong_or_missing_credentials_are_unauthorized() {
    let registry = Registry::start(
        Auth::Htpasswd {
            username: "alice",
            password: "right",
        },
        None,
    );
    let wrong = RegistryOptions::new()
        .scheme(Scheme::Http)
        .credentials(Credentials::new("alice", "wrong"));
    let none = RegistryOptions::new().scheme(Scheme::Http);
    for options in [wrong, none] {
        let client = oci_registry::Client::builder()
            .registry(registry.host(), options)
            .build()
            .unwrap();
        let err = client.ping(registry.host()).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Unauthorized, "{err}");
        assert_eq!(err.registry(), Some(registry.host()));
        assert_eq!(err.status().map(|s| s.as_u16()), Some(401));
        assert!(err.to_string().contains("Basic realm"), "{err}");

        let location = oci_registry::Repository::new(registry.host(), "private/app")
            .unwrap()
            .tag("v1")
            .unwrap();
        let err = client.manifest_digest(&location).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Unauthorized, "{err}");
        assert_eq!(err.repository(), Some("private/app"));
    }
}
