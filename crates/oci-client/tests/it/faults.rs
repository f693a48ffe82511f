//! What the real registry never does, from a canned-response server: the client verifies, limits and reports.
//! (The wider fault-injection suite is in `fault`.)

use std::net::Ipv4Addr;

use oci_client::{Client, ErrorKind, RegistryOptions, Repository, Transport};
use oci_digest::Digest;
use oci_testkit::fault::{FaultServer, Reply};

const MANIFEST: &[u8] = br#"{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json"}"#;
const OCI: &str = "application/vnd.oci.image.manifest.v1+json";

/// A server giving every request the same reply (without the body for `HEAD`).
fn always(reply: Reply) -> FaultServer {
    FaultServer::with_handler(Ipv4Addr::LOCALHOST, move |_, _| reply.clone())
}

fn client(server: &FaultServer) -> Client {
    Client::builder()
        .registry(&server.host(), RegistryOptions::new().transport(Transport::Http))
        .build()
        .unwrap()
}

#[tokio::test]
async fn head_without_docker_content_digest_falls_back_to_get_and_hashes() {
    let server = always(Reply::response(200, &[("Content-Type", OCI)], MANIFEST));
    let location = Repository::new(&server.host(), "a/b").unwrap().tag("v1").unwrap();
    let head = client(&server).manifest_digest(&location).await.unwrap();
    assert_eq!(head.digest(), &Digest::sha256(MANIFEST));
    assert_eq!(head.media_type(), Some(OCI));
    assert_eq!(
        server.request_lines(),
        ["HEAD /v2/a/b/manifests/v1", "GET /v2/a/b/manifests/v1"]
    );
}

#[tokio::test]
async fn head_fallback_by_digest_verifies_the_body() {
    let server = always(Reply::response(200, &[("Content-Type", OCI)], MANIFEST));
    let asked = Digest::sha256(b"the manifest I want");
    let location = Repository::new(&server.host(), "a").unwrap().digest(asked.clone());
    // Without Docker-Content-Digest, HEAD by digest falls back to GET, and that GET is verified.
    let err = client(&server).manifest_digest(&location).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::DigestMismatch, "{err}");
    assert!(format!("{err:#}").contains(asked.as_str()), "{err:#}");
}

#[tokio::test]
async fn head_naming_another_digest_than_requested_is_a_mismatch() {
    let other = Digest::sha256(b"other").to_string();
    let server = always(Reply::response(200, &[("Docker-Content-Digest", &other)], MANIFEST));
    let location = Repository::new(&server.host(), "a")
        .unwrap()
        .digest(Digest::sha256(MANIFEST));
    let err = client(&server).manifest_digest(&location).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::DigestMismatch, "{err}");
}

#[tokio::test]
async fn oversized_chunked_manifests_are_refused_while_reading() {
    // No Content-Length to refuse up front: the limit must stop the reading.
    let server = always(Reply::response(200, &[("Content-Type", OCI)], &vec![b' '; 5 * 1024 * 1024]).chunked());
    let location = Repository::new(&server.host(), "a").unwrap().tag("big").unwrap();
    let err = client(&server).manifest(&location).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::TooLarge, "{err}");
    // A limit above the size reads it all.
    let roomy = Client::builder()
        .registry(&server.host(), RegistryOptions::new().transport(Transport::Http))
        .manifest_size_limit(6 * 1024 * 1024)
        .build()
        .unwrap();
    assert_eq!(roomy.manifest(&location).await.unwrap().bytes().len(), 5 * 1024 * 1024);
}

#[tokio::test]
async fn server_errors_carry_the_registry_error_codes() {
    let body = br#"{"errors":[{"code":"UNKNOWN","message":"storage exploded","detail":"disk"}]}"#;
    let server = always(Reply::response(500, &[("Content-Type", "application/json")], body));
    let location = Repository::new(&server.host(), "a").unwrap().tag("v1").unwrap();
    let err = client(&server).manifest(&location).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Status, "{err}");
    assert_eq!(err.status().map(|s| s.as_u16()), Some(500));
    assert_eq!(err.server_errors()[0].message(), "storage exploded");
    assert_eq!(err.server_errors()[0].detail(), Some("\"disk\""));
}

#[tokio::test]
async fn malformed_docker_content_digest_is_a_protocol_error() {
    let server = always(Reply::response(
        200,
        &[("Docker-Content-Digest", "sha256:nothex")],
        MANIFEST,
    ));
    let location = Repository::new(&server.host(), "a").unwrap().tag("v1").unwrap();
    let err = client(&server).manifest_digest(&location).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Protocol, "{err}");
}
