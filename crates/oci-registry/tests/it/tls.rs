//! A registry over TLS with a certificate from a test CA.

use std::net::{IpAddr, Ipv6Addr};

use http::Version;
use oci_registry::{ErrorKind, RegistryOptions};
use oci_testkit::images::OCI_INDEX;
use oci_testkit::{Auth, Images, Registry, TestCa};

use crate::push_and_read_back;

#[tokio::test]
async fn tls_with_test_ca_negotiates_http2() {
    let ca = TestCa::new();
    let registry = Registry::start(Auth::Open, Some(&ca));
    let client = registry.client_builder().build().unwrap();
    let ping = client.ping(registry.host()).await.unwrap();
    assert_eq!(ping.http_version(), Version::HTTP_2);

    let images = Images::new(&client, registry.host(), "tls/app").unwrap();
    let (index, _) = images.list(OCI_INDEX, "tls", "v1").await.unwrap();
    let location = images.repository().tag("v1").unwrap();
    let head = client.manifest_digest(&location).await.unwrap();
    assert_eq!(head.digest(), &index.digest);
    assert_eq!(head.http_version(), Version::HTTP_2);
    let manifest = client.manifest(&location).await.unwrap();
    assert_eq!(manifest.bytes(), &index.bytes);
    assert_eq!(manifest.http_version(), Version::HTTP_2);
}

#[tokio::test]
async fn tls_with_basic_auth() {
    let ca = TestCa::new();
    let registry = Registry::start(
        Auth::Htpasswd {
            username: "bob",
            password: "pw",
        },
        Some(&ca),
    );
    let client = registry.client_builder().build().unwrap();
    push_and_read_back(&client, registry.host(), "tls/basic", "tls-basic").await;
}

#[tokio::test]
async fn tls_without_the_ca_fails_with_tls_error() {
    let ca = TestCa::new();
    let registry = Registry::start(Auth::Open, Some(&ca));
    for client in [
        oci_registry::Client::builder().build().unwrap(),
        // Another CA is no better than none.
        oci_registry::Client::builder()
            .registry(
                registry.host(),
                RegistryOptions::new()
                    .ca_certificates_pem(TestCa::new().ca_pem().as_bytes())
                    .unwrap(),
            )
            .build()
            .unwrap(),
    ] {
        let err = client.ping(registry.host()).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Tls, "{err}");
        assert_eq!(err.registry(), Some(registry.host()));
        assert!(format!("{err:#}").contains("certificate"), "{err:#}");
    }
}

#[tokio::test]
async fn a_plain_http_loopback_registry_just_works_unless_https_is_required() {
    let registry = Registry::open();
    // The default client tries HTTPS, meets plain HTTP on loopback, and uses it from then on.
    let client = oci_registry::Client::new().unwrap();
    let ping = client.ping(registry.host()).await.unwrap();
    assert_eq!(ping.api_version(), Some("registry/2.0"));
    client.ping(registry.host()).await.unwrap();
    let by_name = registry.host().replace("127.0.0.1", "localhost");
    client.ping(&by_name).await.unwrap();
    // Asking for HTTPS means HTTPS only.
    let strict = oci_registry::Client::builder()
        .registry(
            registry.host(),
            RegistryOptions::new().scheme(oci_registry::Scheme::Https),
        )
        .build()
        .unwrap();
    let err = strict.ping(registry.host()).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Tls, "{err}");
    assert!(err.to_string().contains("plain HTTP"), "{err}");
}

#[tokio::test]
async fn tls_over_ipv6_loopback_and_by_name() {
    let ca = TestCa::new();
    let v6 = Registry::start_on(IpAddr::V6(Ipv6Addr::LOCALHOST), Auth::Open, Some(&ca));
    assert!(v6.host().starts_with("[::1]:"), "{}", v6.host());
    let client = v6.client_builder().build().unwrap();
    assert_eq!(client.ping(v6.host()).await.unwrap().http_version(), Version::HTTP_2);

    // The same registry by its DNS name `localhost`, which the certificate also names.
    let v4 = Registry::start(Auth::Open, Some(&ca));
    let by_name = v4.host().replace("127.0.0.1", "localhost");
    let client = oci_registry::Client::builder()
        .registry(&by_name, v4.options())
        .build()
        .unwrap();
    client.ping(&by_name).await.unwrap();
}

#[tokio::test]
async fn extra_ca_certificates_are_trusted_only_for_their_registry() {
    let ca = TestCa::new();
    let trusted = Registry::start(Auth::Open, Some(&ca));
    let other = Registry::start(Auth::Open, Some(&ca));
    let client = trusted.client_builder().build().unwrap();
    client.ping(trusted.host()).await.unwrap();
    let err = client.ping(other.host()).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Tls, "{err}");
    assert_eq!(err.registry(), Some(other.host()));
}
