//! Redirects of manifests and blobs: the registry's `Authorization` never goes to another host, and loops and long
//! chains end in a typed error after a bounded number of requests.

use oci_digest::Digest;
use oci_registry::internal::MAX_REDIRECTS;
use oci_registry::{Credentials, ErrorKind, RegistryOptions, Repository};
use oci_testkit::fault::{FaultServer, Reply};

use super::{LOCAL, MANIFEST, OTHER, PATH, bounded, client, location, manifest};

#[tokio::test]
async fn a_redirect_to_another_host_never_carries_the_registry_authorization() {
    let credentials = || RegistryOptions::new().credentials(Credentials::new("user", "secret"));

    // A manifest: whether the client follows the redirect or reports it, the credentials stay with the registry.
    let registry = FaultServer::start();
    let storage = FaultServer::start_on(OTHER);
    let elsewhere = format!("{}/storage{PATH}?sig=abc", storage.url());
    registry.route(
        PATH,
        [
            Reply::status(401).header("WWW-Authenticate", r#"Basic realm="fault""#),
            Reply::redirect(307, &elsewhere),
        ],
    );
    storage.route(&format!("/storage{PATH}"), [manifest()]);
    let result = bounded(client(&registry, credentials()).manifest(&location(&registry))).await;
    assert!(
        registry.requests().iter().any(|r| r.header("authorization").is_some()),
        "credentials were in play"
    );
    for request in storage.requests() {
        assert_eq!(
            request.header("authorization"),
            None,
            "leaked to another host: {request:?}"
        );
    }
    if let Ok(manifest) = result {
        assert_eq!(manifest.digest(), &Digest::sha256(MANIFEST));
    }

    // A blob: first to the registry's own origin (Authorization kept), then away to storage, where it arrives
    // without Authorization and with its signed query as sent.
    let data: &'static [u8] = b"blob bytes, stored elsewhere";
    let digest = Digest::sha256(data);
    let storage = FaultServer::with_handler(OTHER, move |_, _| Reply::response(200, &[], data));
    let elsewhere = format!("{}/store/blob?X-Amz-Signature=abc", storage.url());
    let path = format!("/v2/a/blobs/{digest}");
    let registry = FaultServer::with_handler(LOCAL, move |seen, _| {
        if seen.header("authorization").is_none() {
            return Reply::response(401, &[("WWW-Authenticate", r#"Basic realm="r""#)], b"");
        }
        if seen.path() == path {
            return Reply::response(307, &[("Location", "/v2/a/moved")], b"");
        }
        Reply::response(307, &[("Location", &elsewhere)], b"")
    });
    let repository = Repository::new(&registry.host(), "a").unwrap();
    let blob = bounded(client(&registry, credentials()).blob(&repository, &digest))
        .await
        .unwrap();
    assert_eq!(blob.size(), Some(data.len() as u64));
    assert_eq!(bounded(blob.bytes(1024)).await.unwrap().as_ref(), data);
    assert!(
        registry
            .requests()
            .iter()
            .any(|s| s.path() == "/v2/a/moved" && s.header("authorization").is_some())
    );
    let at_storage = storage.requests();
    assert_eq!(at_storage.len(), 1);
    assert_eq!(at_storage[0].header("authorization"), None, "leaked: {at_storage:?}");
    assert_eq!(at_storage[0].target, "/store/blob?X-Amz-Signature=abc");
}

#[tokio::test]
async fn redirect_loops_and_long_chains_end_in_a_typed_error() {
    // Manifests: a self-loop and a ping-pong.
    let server = FaultServer::start();
    server.route(PATH, [Reply::redirect(307, PATH)]);
    server.route("/v2/a/manifests/ping", [Reply::redirect(302, "/v2/a/manifests/pong")]);
    server.route("/v2/a/manifests/pong", [Reply::redirect(302, "/v2/a/manifests/ping")]);
    let repository = Repository::new(&server.host(), "a").unwrap();
    for tag in ["v1", "ping"] {
        let err = bounded(client(&server, RegistryOptions::new()).manifest(&repository.tag(tag).unwrap()))
            .await
            .unwrap_err();
        assert!(
            err.status().is_some_and(|s| s.is_redirection()) || err.kind() == ErrorKind::Protocol,
            "{err:?}"
        );
    }
    assert!(
        server.requests().len() <= 2 * 11,
        "{} requests",
        server.requests().len()
    );

    // Blobs on one host: a self-loop, and a chain longer than MAX_REDIRECTS that would end just past it.
    let server = FaultServer::with_handler(LOCAL, |seen, _| {
        let path = seen.path().to_owned();
        let next = match path.strip_prefix("/hop/") {
            Some(n) => format!("/hop/{}", n.parse::<usize>().unwrap() + 1),
            None if path.ends_with("/loop") => path.clone(),
            None if path.contains("sha256:") && path.starts_with("/v2/loop/") => "/v2/loop/loop".to_owned(),
            None => "/hop/1".to_owned(),
        };
        if path == format!("/hop/{MAX_REDIRECTS}") && seen.target.contains("end") {
            return Reply::response(200, &[], b"");
        }
        Reply::response(302, &[("Location", &next)], b"")
    });
    let one_host = client(&server, RegistryOptions::new());
    let digest = Digest::sha256(b"");
    for name in ["loop", "chain"] {
        let err = bounded(one_host.blob(&Repository::new(&server.host(), name).unwrap(), &digest))
            .await
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::TooManyRedirects, "{name}: {err}");
    }
    let requests = server.requests();
    let count = |prefix: &str| requests.iter().filter(|s| s.path().starts_with(prefix)).count();
    assert!(count("/v2/loop/") <= MAX_REDIRECTS + 1, "{}", count("/v2/loop/"));
    assert_eq!(count("/hop/"), MAX_REDIRECTS);

    // Blobs between two hosts: a ping-pong.
    let server = FaultServer::start();
    let storage = FaultServer::start_on(OTHER);
    let ping = format!("/v2/a/blobs/{}", Digest::sha256(b"ping"));
    server.route(&ping, [Reply::redirect(302, &format!("{}/pong", storage.url()))]);
    storage.route("/pong", [Reply::redirect(302, &format!("{}{ping}", server.url()))]);
    let repository = Repository::new(&server.host(), "a").unwrap();
    let err = bounded(client(&server, RegistryOptions::new()).blob(&repository, &Digest::sha256(b"ping")))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::TooManyRedirects, "{err}");
    assert!(server.requests().len() + storage.requests().len() <= MAX_REDIRECTS + 1);
}
