//! The engine client against what no real engine shows here: a Docker engine (its answers from
//! `tests/data/docker/`, served over TCP by the fault server, one connection per request), and the faults:
//! missing sockets, dead sockets, garbage, stalls, huge bodies, error statuses, old engines.

use std::io::{Read, Write};
use std::os::unix::net::UnixListener;
use std::path::PathBuf;
use std::time::Duration;

use oci_digest::Digest;
use oci_inventory::internal::answers::parse_image;
use oci_inventory::{
    ApiVersion, Engine, EngineAddress, EngineKind, EngineOptions, Environment, ErrorKind, ImageRef, Located, Source,
};
use oci_testkit::fault::{Reply, Request};
use oci_testkit::{FaultServer, TempDir, block_on};

use super::data;

const PING_HEADERS: &[(&str, &str)] = &[
    ("Api-Version", "1.48"),
    ("Docker-Experimental", "false"),
    ("Ostype", "linux"),
    ("Server", "Docker/28.0.1 (linux)"),
];

/// A Docker engine made of the hand-written answers.
fn docker_engine() -> FaultServer {
    let mut images = Vec::new();
    for name in ["nginx", "api", "cache", "app", "edge", "tools"] {
        let body = std::fs::read(data(&format!("docker/image-{name}.json"))).unwrap();
        images.push((parse_image(&body).unwrap().id, body));
    }
    let file = |name: &str| std::fs::read(data(&format!("docker/{name}"))).unwrap();
    let (all, running, cache, info) = (
        file("containers.json"),
        file("containers-running.json"),
        file("container-cache.json"),
        file("info.json"),
    );
    let cache_id = oci_inventory::internal::answers::parse_container(&cache).unwrap().id;
    FaultServer::with_handler(std::net::Ipv4Addr::LOCALHOST, move |request: &Request, _| {
        let json = |body: &[u8]| Reply::response(200, &[("Content-Type", "application/json")], body);
        match request.target.as_str() {
            "/_ping" => Reply::response(200, PING_HEADERS, b"OK"),
            "/v1.48/containers/json?all=1" => json(&all),
            "/v1.48/containers/json" => json(&running).chunked(),
            "/v1.48/info" => json(&info),
            target => {
                if let Some(id) = target
                    .strip_prefix("/v1.48/images/")
                    .and_then(|rest| rest.strip_suffix("/json"))
                {
                    if let Some((_, body)) = images.iter().find(|(image, _)| image.as_str() == id) {
                        return json(body);
                    }
                }
                if target == format!("/v1.48/containers/{cache_id}/json") {
                    return json(&cache);
                }
                Reply::response(404, &[], br#"{"message":"page not found"}"#)
            }
        }
    })
}

fn tcp(server: &FaultServer) -> Located {
    let (host, port) = server
        .host()
        .rsplit_once(':')
        .map(|(h, p)| (h.to_owned(), p.parse().unwrap()))
        .unwrap();
    Located::explicit(EngineKind::Docker, EngineAddress::Tcp { host, port })
}

fn unix(path: PathBuf, kind: EngineKind) -> Located {
    Located::explicit(kind, EngineAddress::Unix(path))
}

fn fast() -> EngineOptions {
    EngineOptions::new()
        .connect_timeout(Duration::from_secs(2))
        .request_timeout(Duration::from_millis(500))
}

#[test]
fn a_docker_engine_over_tcp() {
    let server = docker_engine();
    let (all, running, requests) = block_on(async {
        let mut engine = Engine::connect(tcp(&server), EngineOptions::new()).await.unwrap();
        assert_eq!(engine.source(), &Source::Docker);
        assert_eq!(engine.api_version(), ApiVersion::new(1, 48));
        let running = engine.workloads(false).await.unwrap();
        let all = engine.workloads(true).await.unwrap();
        (all, running, engine.requests())
    });
    let lines = server.request_lines();
    assert!(lines.iter().all(|line| line.starts_with("GET ")), "{lines:#?}");
    assert_eq!(
        requests as usize,
        lines.len(),
        "one connection per request, none sent twice"
    );
    // The moved tag's container is inspected for its Config.Image; busybox's image has no platform.
    assert_eq!(server.count("/v1.48/info"), 2, "{lines:#?}");
    assert_eq!(running.len(), 5);
    assert_eq!(all.len(), 7);
    let cache = all.iter().find(|w| w.name() == "cache").unwrap();
    assert_eq!(cache.image(), &ImageRef::Reference("redis:7".parse().unwrap()));
    let host = server.host();
    for request in server.requests() {
        assert_eq!(request.header("host"), Some(host.as_str()));
        assert!(request.header("user-agent").unwrap().starts_with("oci-inventory/"));
    }
}

#[test]
fn a_newer_engine_is_spoken_to_in_the_newest_version_known_and_an_older_one_in_its_own() {
    for (offered, spoken) in [("1.52", ApiVersion::MAXIMUM), ("1.41", ApiVersion::new(1, 41))] {
        let server = FaultServer::start();
        server.route("/_ping", [Reply::response(200, &[("Api-Version", offered)], b"OK")]);
        let engine = block_on(Engine::connect(tcp(&server), fast())).unwrap();
        assert_eq!(engine.api_version(), spoken);
    }
    let server = FaultServer::start();
    server.route("/_ping", [Reply::response(200, &[("Api-Version", "1.12")], b"OK")]);
    let err = block_on(Engine::connect(tcp(&server), fast())).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::UnsupportedApiVersion);
}

#[test]
fn the_version_from_slash_version_when_ping_has_none() {
    let server = FaultServer::start();
    server.route("/_ping", [Reply::status(404)]);
    server.route(
        "/version",
        [Reply::response(
            200,
            &[],
            &std::fs::read(data("podman/version.json")).unwrap(),
        )],
    );
    let engine = block_on(Engine::connect(tcp(&server), fast())).unwrap();
    assert_eq!(engine.api_version(), ApiVersion::new(1, 41));
    assert_eq!(engine.source(), &Source::Podman, "its Podman Engine component says so");
}

#[test]
fn what_answers_http_but_is_no_engine() {
    let server = FaultServer::start();
    server.route("/_ping", [Reply::response(200, &[], b"OK")]);
    server.route(
        "/version",
        [Reply::response(200, &[], b"<html>welcome to nginx</html>")],
    );
    let err = block_on(Engine::connect(tcp(&server), fast())).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NotAnEngine);
    assert!(err.to_string().contains("not as a Docker or Podman engine"), "{err}");
}

#[test]
fn garbage_instead_of_http() {
    let dir = TempDir::new("oci-inventory-garbage");
    let socket = dir.path().join("engine.sock");
    let listener = UnixListener::bind(&socket).unwrap();
    let thread = std::thread::spawn(move || {
        let (mut stream, _) = listener.accept().unwrap();
        let mut buffer = [0u8; 1024];
        let _ = stream.read(&mut buffer);
        let _ = stream.write_all(b"SSH-2.0-OpenSSH_9.2\r\n\x1b[2J\r\n\r\n");
    });
    let err = block_on(Engine::connect(unix(socket, EngineKind::Docker), fast())).unwrap_err();
    thread.join().unwrap();
    assert_eq!(err.kind(), ErrorKind::NotAnEngine, "{err}");
    assert!(!err.to_string().contains('\u{1b}'));
}

#[test]
fn a_missing_socket_says_what_to_do() {
    let dir = TempDir::new("oci-inventory-missing");
    let socket = dir.path().join("docker.sock");
    let located = EngineAddress::locate(
        EngineKind::Docker,
        None,
        &Environment::from_vars([("DOCKER_HOST", format!("unix://{}", socket.display()))]),
    )
    .unwrap();
    let err = block_on(Engine::connect(located, fast())).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::SocketNotFound);
    let message = err.to_string();
    assert!(message.contains(&socket.display().to_string()), "{message}");
    assert!(message.contains("DOCKER_HOST"), "{message}");
    let default = EngineAddress::locate(EngineKind::Docker, None, &Environment::new()).unwrap();
    if !default.address().socket().unwrap().exists() {
        let err = block_on(Engine::connect(default, fast())).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::SocketNotFound);
        assert!(err.to_string().contains("--host or DOCKER_HOST"), "{err}");
    }
    let err = block_on(Engine::connect(
        unix(dir.path().join("podman.sock"), EngineKind::Podman),
        fast(),
    ))
    .unwrap_err();
    assert!(err.to_string().contains("--host names it"), "{err}");
}

#[test]
fn a_socket_nobody_listens_on() {
    let dir = TempDir::new("oci-inventory-dead");
    let socket = dir.path().join("engine.sock");
    drop(UnixListener::bind(&socket).unwrap());
    let err = block_on(Engine::connect(unix(socket, EngineKind::Docker), fast())).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Connect);
    assert!(err.to_string().contains("nothing listens on"), "{err}");
}

#[test]
fn nothing_on_a_tcp_port() {
    let port = oci_testkit::free_port();
    let located = Located::explicit(
        EngineKind::Docker,
        EngineAddress::Tcp {
            host: "127.0.0.1".to_owned(),
            port,
        },
    );
    let err = block_on(Engine::connect(located, fast())).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Connect);
}

#[test]
fn a_stalled_engine_times_out() {
    let server = FaultServer::start();
    server.route("/_ping", [Reply::Stall]);
    let err = block_on(Engine::connect(tcp(&server), fast())).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Timeout);
    assert!(
        err.to_string().contains("did not answer GET /_ping within 0.5 s"),
        "{err}"
    );
}

#[test]
fn bodies_are_bounded() {
    for chunked in [false, true] {
        let server = FaultServer::start();
        server.route("/_ping", [Reply::response(200, PING_HEADERS, b"OK")]);
        let huge = Reply::response(200, &[], &vec![b' '; 64 * 1024]);
        server.route("/v1.48/containers/json", [if chunked { huge.chunked() } else { huge }]);
        let err = block_on(async {
            let mut engine = Engine::connect(tcp(&server), fast().body_limit(1024)).await.unwrap();
            engine.workloads(false).await
        })
        .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::BodyTooLarge, "chunked: {chunked}");
    }
}

#[test]
fn error_statuses_quote_the_engines_message() {
    let server = FaultServer::start();
    server.route("/_ping", [Reply::response(200, PING_HEADERS, b"OK")]);
    server.route(
        "/v1.48/containers/json",
        [Reply::response(500, &[], b"{\"message\":\"boom\\u001b[2J\"}")],
    );
    let err = block_on(async {
        let mut engine = Engine::connect(tcp(&server), fast()).await.unwrap();
        engine.workloads(false).await
    })
    .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Status);
    assert_eq!(err.status(), Some(500));
    let message = err.to_string();
    assert!(
        message.contains("500 Internal Server Error: \"boom\\u{1b}[2J\""),
        "{message}"
    );
}

#[test]
fn an_image_the_engine_no_longer_knows_leaves_the_workload_without_digests() {
    let id = Digest::sha256(b"gone");
    let list = format!(r#"[{{"Id":"abc","Names":["/web"],"Image":"nginx:1.27","ImageID":"{id}","State":"running"}}]"#);
    let server = FaultServer::start();
    server.route("/_ping", [Reply::response(200, PING_HEADERS, b"OK")]);
    server.route("/v1.48/containers/json", [Reply::response(200, &[], list.as_bytes())]);
    server.route(
        "/v1.48/info",
        [Reply::response(
            200,
            &[],
            br#"{"OSType":"linux","Architecture":"aarch64"}"#,
        )],
    );
    let workloads = block_on(async {
        let mut engine = Engine::connect(tcp(&server), fast()).await.unwrap();
        engine.workloads(false).await
    })
    .unwrap();
    assert_eq!(
        workloads[0].image(),
        &ImageRef::Reference("nginx:1.27".parse().unwrap())
    );
    assert!(workloads[0].repo_digests().is_empty());
    assert_eq!(workloads[0].platform().unwrap().to_string(), "linux/arm64");
    assert_eq!(server.count(&format!("/v1.48/images/{id}/json")), 1);
}

/// The total timeout bounds the whole read: here each image answers well within the request timeout, but 30 of
/// them take longer than the total.
#[test]
fn the_total_timeout_bounds_every_request_together() {
    let mut list = String::from("[");
    for n in 0..30 {
        let id = Digest::sha256(format!("image {n}").as_bytes());
        list.push_str(&format!(
            r#"{{"Id":"{n:064x}","Names":["/c{n}"],"Image":"app{n}:1","ImageID":"{id}","State":"running"}},"#
        ));
    }
    list.pop();
    list.push(']');
    let server = FaultServer::with_handler(std::net::Ipv4Addr::LOCALHOST, move |request: &Request, _| match request
        .target
        .as_str()
    {
        "/_ping" => Reply::response(200, PING_HEADERS, b"OK"),
        "/v1.48/containers/json" => Reply::response(200, &[], list.as_bytes()),
        "/v1.48/info" => Reply::response(200, &[], br#"{"OSType":"linux","Architecture":"x86_64"}"#),
        _ => {
            std::thread::sleep(Duration::from_millis(100));
            Reply::response(404, &[], br#"{"message":"no such image"}"#)
        }
    });
    let options = EngineOptions::new()
        .request_timeout(Duration::from_secs(10))
        .total_timeout(Duration::from_secs(1));
    let err = block_on(async {
        let mut engine = Engine::connect(tcp(&server), options).await?;
        engine.workloads(false).await
    })
    .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Timeout, "{err}");
    assert!(err.to_string().contains("took longer than 1 s in all"), "{err}");
    assert!(server.count("/v1.48/containers/json") == 1);
    // Without a total, the same engine is read to the end: the bound above is what stopped it.
    let err_free = block_on(async {
        let mut engine = Engine::connect(tcp(&server), EngineOptions::new()).await?;
        engine.workloads(false).await
    });
    assert_eq!(err_free.unwrap().len(), 30);
}

/// A unix socket that accepts and never answers: the total bounds the connection's first request too.
#[test]
fn a_socket_that_accepts_and_stalls_is_bounded_by_the_total() {
    let dir = TempDir::new("oci-inventory-stall");
    let path = dir.path().join("engine.sock");
    let listener = UnixListener::bind(&path).unwrap();
    let holder = std::thread::spawn(move || {
        // Holds the one connection open without a word until the client gives up and closes it.
        if let Ok((mut stream, _)) = listener.accept() {
            let mut sink = [0u8; 1024];
            while matches!(stream.read(&mut sink), Ok(n) if n > 0) {}
        }
    });
    let options = EngineOptions::new().total_timeout(Duration::from_millis(300));
    let err = block_on(Engine::connect(unix(path, EngineKind::Docker), options)).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Timeout, "{err}");
    assert!(err.to_string().contains("in all (stopped at GET /_ping)"), "{err}");
    holder.join().unwrap();
}
