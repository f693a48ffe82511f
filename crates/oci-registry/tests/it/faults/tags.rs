//! Tag lists: pages followed through `Link` as opaque same-origin cursors, a cross-origin link never, and the
//! answers of an empty, unknown or broken repository.

use http::Uri;
use oci_registry::internal::{IgnoredReason, NextPage, next_page};
use oci_registry::{ErrorKind, RegistryOptions, Repository};
use oci_testkit::fault::{FaultServer, Reply, get};

use super::{LOCAL, OTHER, bounded, client};

#[tokio::test]
async fn tags_follow_every_same_origin_page_and_stop_at_a_cross_origin_link() {
    let other = FaultServer::with_handler(OTHER, |_, _| Reply::response(200, &[], br#"{"tags":["evil"]}"#));
    let evil = format!("<{}/v2/a/tags/list?last=z>; rel=\"next\"", other.url());
    // A relative link with an encoded cursor, then a query-only one, then one to another host.
    let server = FaultServer::with_handler(LOCAL, move |seen, _| match seen.target.as_str() {
        "/v2/a/tags/list?n=1000" => Reply::response(
            200,
            &[("Link", r#"</v2/a/tags/list?last=b&n=2&cursor=opaque%2F1>; rel="next""#)],
            br#"{"name":"a","tags":["a","b"]}"#,
        ),
        "/v2/a/tags/list?last=b&n=2&cursor=opaque%2F1" => Reply::response(
            200,
            &[("Link", r#"<?last=d&n=2>; rel="next""#)],
            br#"{"name":"a","tags":["c","d"]}"#,
        ),
        "/v2/a/tags/list?last=d&n=2" => Reply::response(200, &[("Link", &evil)], br#"{"name":"a","tags":["e"]}"#),
        _ => Reply::response(404, &[], b""),
    });

    // The client.
    let client = client(&server, RegistryOptions::new());
    let tags = bounded(client.tags(&Repository::new(&server.host(), "a").unwrap()))
        .await
        .unwrap();
    assert_eq!(tags, ["a", "b", "c", "d", "e"]);
    assert!(other.requests().is_empty(), "a cross-origin Link was followed");
    assert_eq!(server.requests().len(), 3);

    // `next_page` over the same replies, read off the wire: three pages, then the other host's link, ignored.
    let mut url: Uri = format!("{}/v2/a/tags/list?n=1000", server.url()).parse().unwrap();
    let mut pages = Vec::new();
    let end = loop {
        let target = url.path_and_query().unwrap().as_str().to_owned();
        let (status, headers, body) = get(&server.host(), &target, &[]).unwrap();
        assert_eq!(status, 200, "{target}");
        pages.push(String::from_utf8(body).unwrap());
        match next_page(&url, &headers).unwrap() {
            NextPage::Next(next) => url = next,
            other => break other,
        }
        assert!(pages.len() < 10, "pagination must end");
    };
    assert_eq!(pages.len(), 3);
    assert!(pages[2].contains("\"e\""), "{pages:?}");
    assert!(
        matches!(&end, NextPage::Ignored { reason: IgnoredReason::CrossOrigin, target } if target.contains("127.0.0.2")),
        "{end:?}"
    );
    assert!(other.requests().is_empty(), "the other host was never contacted");
}

#[tokio::test]
async fn tags_of_an_empty_or_unknown_repository() {
    let server = FaultServer::with_handler(LOCAL, |seen, _| match seen.path() {
        "/v2/empty/tags/list" => Reply::response(200, &[], br#"{"name":"empty","tags":null}"#),
        "/v2/bad/tags/list" => Reply::response(200, &[], b"<html>"),
        _ => Reply::response(404, &[], br#"{"errors":[{"code":"NAME_UNKNOWN","message":"no"}]}"#),
    });
    let client = client(&server, RegistryOptions::new());
    let repository = |name| Repository::new(&server.host(), name).unwrap();
    assert!(bounded(client.tags(&repository("empty"))).await.unwrap().is_empty());
    let err = bounded(client.tags(&repository("bad"))).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Protocol, "{err}");
    let err = bounded(client.tags(&repository("gone"))).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NotFound, "{err}");
}

#[tokio::test]
async fn the_version_search_lists_tags_within_its_one_deadline() {
    // Every page comes within the request timeout, and points to one more: a fresh deadline per page (as once)
    // would list for ten thousand pages.
    let server = FaultServer::with_handler(LOCAL, |_, earlier| {
        std::thread::sleep(std::time::Duration::from_millis(150));
        let next = earlier + 1;
        Reply::response(
            200,
            &[("Link", &format!("</v2/a/tags/list?last=t{next}>; rel=\"next\""))],
            format!(r#"{{"name":"a","tags":["t{next}"]}}"#).as_bytes(),
        )
    });
    let client = super::builder(&server, RegistryOptions::new())
        .request_timeout(std::time::Duration::from_secs(1))
        .build()
        .unwrap();
    let reference = oci_registry::Reference::parse_normalized(&format!("{}/a:1.0.0", server.host())).unwrap();
    let request = oci_registry::NewerRequest::new(
        reference,
        None,
        "linux/amd64".parse().unwrap(),
        oci_registry::Policy::new(),
    );
    let err = bounded(client.newer_version(&request)).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Timeout, "{err}");
    assert!(
        server.requests().len() < 20,
        "{} pages were listed",
        server.requests().len()
    );
}
