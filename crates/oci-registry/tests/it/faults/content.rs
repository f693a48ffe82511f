//! What comes back for manifests and blobs: checked against the digest asked for or announced, limited in size,
//! refused when truncated or when a header is malformed, and the registry's own error codes reported.

use oci_digest::Digest;
use oci_registry::{Client, ErrorKind, RegistryOptions, Repository};
use oci_testkit::fault::{FaultServer, Reply};

use super::{LOCAL, MANIFEST, OCI, PATH, bounded, builder, client, location};

/// A server giving every request the same reply (without the body for `HEAD`).
fn always(reply: Reply) -> FaultServer {
    FaultServer::with_handler(LOCAL, move |_, _| reply.clone())
}

fn plain(server: &FaultServer) -> Client {
    client(server, RegistryOptions::new())
}

#[tokio::test]
async fn head_without_docker_content_digest_falls_back_to_get_and_hashes() {
    let server = always(Reply::response(200, &[("Content-Type", OCI)], MANIFEST));
    let location = Repository::new(&server.host(), "a/b").unwrap().tag("v1").unwrap();
    let head = bounded(plain(&server).manifest_digest(&location)).await.unwrap();
    assert_eq!(head.digest(), &Digest::sha256(MANIFEST));
    assert_eq!(head.media_type(), Some(OCI));
    assert_eq!(
        server.request_lines(),
        ["HEAD /v2/a/b/manifests/v1", "GET /v2/a/b/manifests/v1"]
    );
}

#[tokio::test]
async fn a_body_not_matching_the_requested_digest_is_a_mismatch() {
    let server = always(Reply::response(200, &[("Content-Type", OCI)], MANIFEST));
    let asked = Digest::sha256(b"the manifest I pinned");
    let location = Repository::new(&server.host(), "a").unwrap().digest(asked.clone());
    // A GET by digest, and a HEAD by digest without Docker-Content-Digest, which falls back to a GET: both verified.
    let by_get = bounded(plain(&server).manifest(&location)).await.unwrap_err();
    let by_head = bounded(plain(&server).manifest_digest(&location)).await.unwrap_err();
    for err in [by_get, by_head] {
        assert_eq!(err.kind(), ErrorKind::DigestMismatch, "{err}");
        assert!(format!("{err:#}").contains(asked.as_str()), "{err:#}");
    }
    assert_eq!(
        server.request_lines(),
        ["GET", "HEAD", "GET"].map(|method| format!("{method} /v2/a/manifests/{asked}"))
    );
}

#[tokio::test]
async fn a_docker_content_digest_other_than_the_contents_is_a_mismatch() {
    let other = Digest::sha256(b"another manifest");
    let server = always(
        Reply::status(200)
            .header("Content-Type", OCI)
            .header("Docker-Content-Digest", other.as_str())
            .body(MANIFEST),
    );
    // A HEAD by digest answered with another digest.
    let by_digest = Repository::new(&server.host(), "a")
        .unwrap()
        .digest(Digest::sha256(MANIFEST));
    let err = bounded(plain(&server).manifest_digest(&by_digest)).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::DigestMismatch, "{err}");
    // A GET by tag whose header contradicts its body, and is not retried.
    let err = bounded(plain(&server).manifest(&location(&server))).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::DigestMismatch, "{err}");
    assert_eq!(server.count(PATH), 1, "a mismatch is not retried");
}

#[tokio::test]
async fn a_malformed_docker_content_digest_is_a_protocol_error() {
    let server = always(Reply::response(
        200,
        &[("Docker-Content-Digest", "sha256:nothex")],
        MANIFEST,
    ));
    let err = bounded(plain(&server).manifest_digest(&location(&server)))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Protocol, "{err}");
}

#[tokio::test]
async fn an_oversized_manifest_is_refused() {
    let server = FaultServer::start();
    let big = vec![b' '; 256 * 1024];
    server.route(PATH, [Reply::status(200).header("Content-Type", OCI).body(&big)]);
    server.route(
        "/v2/a/manifests/lying",
        [Reply::truncated(&[("Content-Type", OCI)], &big[..1000], 10)],
    );
    // No Content-Length to refuse up front: the limit must stop the reading.
    server.route(
        "/v2/a/manifests/chunked",
        [Reply::response(200, &[("Content-Type", OCI)], &vec![b' '; 5 * 1024 * 1024]).chunked()],
    );
    let repository = Repository::new(&server.host(), "a").unwrap();
    let limited = builder(&server, RegistryOptions::new())
        .manifest_size_limit(64 * 1024)
        .build()
        .unwrap();
    let err = bounded(limited.manifest(&repository.tag("v1").unwrap()))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::TooLarge, "{err}");
    // A Content-Length smaller than what is sent: never more than it is read, and the rest is not taken as JSON.
    let result = bounded(limited.manifest(&repository.tag("lying").unwrap())).await;
    if let Ok(manifest) = &result {
        assert!(manifest.bytes().len() <= 10, "{} bytes", manifest.bytes().len());
    }
    // The default limit stops a chunked body too; a limit above its size reads it all.
    let chunked = repository.tag("chunked").unwrap();
    let err = bounded(plain(&server).manifest(&chunked)).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::TooLarge, "{err}");
    let roomy = builder(&server, RegistryOptions::new())
        .manifest_size_limit(6 * 1024 * 1024)
        .build()
        .unwrap();
    let manifest = bounded(roomy.manifest(&chunked)).await.unwrap();
    assert_eq!(manifest.bytes().len(), 5 * 1024 * 1024);
}

#[tokio::test]
async fn server_errors_carry_the_registry_error_codes() {
    let body = br#"{"errors":[{"code":"UNKNOWN","message":"storage exploded","detail":"disk"}]}"#;
    let server = always(Reply::response(500, &[("Content-Type", "application/json")], body));
    let err = bounded(plain(&server).manifest(&location(&server))).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Status, "{err}");
    assert_eq!(err.status().map(|s| s.as_u16()), Some(500));
    assert_eq!(err.server_errors()[0].message(), "storage exploded");
    assert_eq!(err.server_errors()[0].detail(), Some("\"disk\""));
}

#[tokio::test]
async fn a_truncated_body_is_an_http_error() {
    let server = FaultServer::start();
    server.route(
        PATH,
        [Reply::truncated(
            &[("Content-Type", OCI)],
            &MANIFEST[..20],
            MANIFEST.len(),
        )],
    );
    let short = Digest::sha256(b"short");
    server.route(&format!("/v2/a/blobs/{short}"), [Reply::truncated(&[], b"sho", 100)]);
    let err = bounded(plain(&server).manifest(&location(&server))).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Http, "manifest: {err}");
    let repository = Repository::new(&server.host(), "a").unwrap();
    let err = match bounded(plain(&server).blob(&repository, &short)).await {
        Ok(blob) => bounded(blob.bytes(1024)).await.unwrap_err(),
        Err(err) => err,
    };
    assert_eq!(err.kind(), ErrorKind::Http, "blob: {err}");
}

#[tokio::test]
async fn a_blob_that_does_not_match_its_digest_fails_at_the_end() {
    let body: &'static [u8] = &[7u8; 5000];
    let server = always(Reply::response(200, &[], body));
    let client = plain(&server);
    let repository = Repository::new(&server.host(), "a").unwrap();
    let mut blob = bounded(client.blob(&repository, &Digest::sha256(b"something else")))
        .await
        .unwrap();
    let mut received = 0;
    let err = loop {
        match bounded(blob.chunk()).await {
            Ok(Some(chunk)) => received += chunk.len(),
            Ok(None) => panic!("a mismatching blob ended cleanly"),
            Err(err) => break err,
        }
    };
    assert_eq!(received, body.len(), "every byte is delivered before the verdict");
    assert_eq!(err.kind(), ErrorKind::DigestMismatch, "{err}");
    assert!(bounded(blob.chunk()).await.unwrap().is_none());
    // Read whole, the same verdict.
    let blob = bounded(client.blob(&repository, &Digest::sha256(b"not what was asked")))
        .await
        .unwrap();
    let err = bounded(blob.bytes(10_000)).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::DigestMismatch, "{err}");

    let good = bounded(client.blob(&repository, &Digest::sha256(body))).await.unwrap();
    assert_eq!(bounded(good.bytes(10_000)).await.unwrap().len(), body.len());
}
