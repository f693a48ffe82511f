//! `FaultServer`: scripted routes and handlers, raw replies (truncated bodies, stalls), another host on 127.0.0.2,
//! and the requests it recorded.

use std::io::{Read, Write};
use std::net::{Ipv4Addr, TcpStream};

use http::Uri;
use oci_testkit::fault::{FaultServer, OTHER_HOST, Reply, get};

const OCI: &str = "application/vnd.oci.image.manifest.v1+json";

#[test]
fn a_fault_server_handler_sees_each_request_with_its_number_on_the_path() {
    let server = FaultServer::with_handler(OTHER_HOST, |request, n| {
        Reply::response(200, &[("X-Seen", &n.to_string())], request.target.as_bytes())
    });
    assert!(server.host().starts_with("127.0.0.2:"), "{}", server.host());
    let seen = |target| {
        let (status, headers, body) = get(&server.host(), target, &[("X-Test", "yes")]).unwrap();
        assert_eq!(status, 200);
        let number = headers["x-seen"].to_str().unwrap().to_owned();
        (number, String::from_utf8(body).unwrap())
    };
    assert_eq!(seen("/a"), ("0".to_owned(), "/a".to_owned()));
    assert_eq!(
        seen("/a?page=2"),
        ("1".to_owned(), "/a?page=2".to_owned()),
        "the query is not the path"
    );
    assert_eq!(seen("/b"), ("0".to_owned(), "/b".to_owned()));
    assert_eq!(server.request_lines(), ["GET /a", "GET /a?page=2", "GET /b"]);
    assert_eq!(server.requests()[0].header("X-TEST"), Some("yes"));
    assert_eq!(server.count("/a"), 2);
}

#[test]
fn a_fault_server_records_request_bodies() {
    let server = FaultServer::with_handler(Ipv4Addr::LOCALHOST, |_, _| Reply::status(201));
    let mut stream = TcpStream::connect(server.host()).unwrap();
    stream
        .write_all(b"POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello")
        .unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).unwrap();
    assert!(answer.starts_with("HTTP/1.1 201 "), "{answer}");
    let requests = server.requests();
    assert_eq!(
        (requests[0].method.as_str(), requests[0].body.as_slice()),
        ("POST", b"hello".as_slice())
    );
}

#[test]
fn a_fault_server_plays_scripts_in_order_repeats_the_last_and_records_requests() {
    let server = FaultServer::start();
    server.route(
        "/x",
        [Reply::status(503), Reply::status(503), Reply::status(200).body(b"ok")],
    );
    server.route("/x?page=2", [Reply::status(201)]);
    let statuses: Vec<u16> = (0..4)
        .map(|_| get(&server.host(), "/x", &[("Authorization", "Basic dTpw")]).unwrap().0)
        .collect();
    assert_eq!(statuses, [503, 503, 200, 200]);
    assert_eq!(get(&server.host(), "/x?page=2", &[]).unwrap().0, 201);
    assert_eq!(
        get(&server.host(), "/x?page=3", &[]).unwrap().0,
        200,
        "falls back to the path's route"
    );
    assert_eq!(get(&server.host(), "/unknown", &[]).unwrap().0, 404);
    let requests = server.requests();
    assert_eq!(requests.len(), 7);
    assert_eq!(requests[0].method, "GET");
    assert_eq!(requests[0].header("authorization"), Some("Basic dTpw"));
    assert_eq!(requests[4].target, "/x?page=2");
    assert_eq!(server.count("/x"), 6);
}

#[test]
fn a_fault_server_produces_truncated_bodies_and_stalls() {
    let server = FaultServer::start();
    server.route(
        "/short",
        [Reply::truncated(&[("Content-Type", OCI)], b"{\"schema", 1000)],
    );
    server.route("/stall", [Reply::Stall]);
    let (status, headers, body) = get(&server.host(), "/short", &[]).unwrap();
    assert_eq!(status, 200);
    assert_eq!(headers["content-length"], "1000");
    assert_eq!(body, b"{\"schema");
    let err = get(&server.host(), "/stall", &[]).unwrap_err();
    assert!(
        matches!(
            err.kind(),
            std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
        ),
        "{err}"
    );
    assert_eq!(server.count("/stall"), 1, "the request was read before stalling");
}

#[test]
fn another_loopback_address_is_another_host() {
    let a = FaultServer::start();
    let b = FaultServer::start_on(OTHER_HOST);
    assert!(b.host().starts_with("127.0.0.2:"));
    a.route(
        "/blob",
        [Reply::redirect(307, &format!("{}/storage/blob?sig=x", b.url()))],
    );
    b.route("/storage/blob", [Reply::status(200).body(b"data")]);
    let (status, headers, _) = get(&a.host(), "/blob", &[]).unwrap();
    assert_eq!(status, 307);
    let location: Uri = headers["location"].to_str().unwrap().parse().unwrap();
    assert_eq!(location.host(), Some("127.0.0.2"));
    let (status, _, body) = get(&b.host(), location.path_and_query().unwrap().as_str(), &[]).unwrap();
    assert_eq!((status, body.as_slice()), (200, b"data".as_slice()));
    assert_eq!(a.count("/storage/blob"), 0);
}
