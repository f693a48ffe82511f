//! `RedisServer`: a real Redis that answers, wants its password, goes away, hangs and comes back.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::os::unix::net::UnixStream;
use std::time::Duration;

use oci_testkit::RedisServer;

/// Sends `request` (RESP) on a fresh connection and reads `expected.len()` bytes of the answer.
fn exchange(server: &RedisServer, request: &[u8], expected_len: usize) -> std::io::Result<Vec<u8>> {
    let mut stream = TcpStream::connect(("127.0.0.1", server.port()))?;
    stream.set_read_timeout(Some(Duration::from_millis(500)))?;
    stream.write_all(request)?;
    let mut reply = vec![0; expected_len];
    stream.read_exact(&mut reply)?;
    Ok(reply)
}

const SET: &[u8] = b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\nv\r\n";
const GET: &[u8] = b"*2\r\n$3\r\nGET\r\n$1\r\nk\r\n";

#[test]
fn a_server_answers_on_its_port_and_stops() {
    let mut server = RedisServer::start();
    assert_eq!(server.url(), format!("redis://127.0.0.1:{}/0", server.port()));
    assert!(server.is_running());
    assert_eq!(exchange(&server, SET, 5).unwrap(), b"+OK\r\n");
    assert_eq!(exchange(&server, GET, 7).unwrap(), b"$1\r\nv\r\n");
    assert_eq!(
        server.unix_url(),
        format!("redis+unix://{}?db=0", server.socket().display())
    );
    let mut unix = UnixStream::connect(server.socket()).unwrap();
    unix.write_all(GET).unwrap();
    let mut reply = [0; 7];
    unix.read_exact(&mut reply).unwrap();
    assert_eq!(&reply, b"$1\r\nv\r\n");

    server.stop();
    assert!(!server.is_running());
    assert_eq!(server.pid(), None);
    let refused = TcpStream::connect(("127.0.0.1", server.port())).unwrap_err();
    assert_eq!(refused.kind(), std::io::ErrorKind::ConnectionRefused);

    // Back on the same port, empty: it keeps nothing on disk.
    server.restart();
    assert_eq!(exchange(&server, GET, 5).unwrap(), b"$-1\r\n");
}

#[test]
fn a_paused_server_accepts_but_does_not_answer() {
    let mut server = RedisServer::start();
    server.pause();
    let err = exchange(&server, GET, 5).unwrap_err();
    assert!(
        matches!(
            err.kind(),
            std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
        ),
        "{err:?}"
    );
    server.resume();
    assert_eq!(exchange(&server, GET, 5).unwrap(), b"$-1\r\n");
}

#[test]
fn a_password_server_wants_auth_and_hides_the_password() {
    let server = RedisServer::start_with_password("s3cret:/@");
    assert_eq!(
        server.url_with_password(),
        format!("redis://:s3cret%3A%2F%40@127.0.0.1:{}/0", server.port())
    );
    let refused = exchange(&server, GET, 7).unwrap();
    assert_eq!(refused, b"-NOAUTH");
    let auth = b"*2\r\n$4\r\nAUTH\r\n$9\r\ns3cret:/@\r\n*2\r\n$3\r\nGET\r\n$1\r\nk\r\n";
    assert_eq!(exchange(&server, auth, 10).unwrap(), b"+OK\r\n$-1\r\n");
    let debug = format!("{server:?}");
    assert!(!debug.contains("s3cret"), "{debug}");
    assert!(debug.contains("***"), "{debug}");
}

#[test]
fn dropping_a_server_kills_it_and_removes_its_directory() {
    let server = RedisServer::start();
    let (port, dir) = (server.port(), server.dir().to_path_buf());
    assert!(dir.join("redis.log").is_file());
    drop(server);
    assert!(!dir.exists());
    let refused = TcpStream::connect(("127.0.0.1", port)).unwrap_err();
    assert_eq!(refused.kind(), std::io::ErrorKind::ConnectionRefused);
}
