//! Configuration refused before any connection is made, and transport errors without a registry.

use std::time::{Duration, Instant};

use oci_registry::{Client, ErrorKind, RegistryOptions, Scheme};
use oci_testkit::free_port;

#[test]
fn plain_http_to_a_remote_host_is_refused_by_config() {
    let plain = || RegistryOptions::new().scheme(Scheme::Http);
    for host in ["registry.example", "10.1.2.3:5000", "[2001:db8::1]:5000", "docker.io"] {
        let err = Client::builder().registry(host, plain()).build().unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InsecureTransport, "{host}: {err}");
        assert!(err.to_string().contains("insecure"), "{err}");
    }
    // Marked insecure, or on loopback: allowed.
    Client::builder()
        .registry("registry.example", plain().insecure())
        .build()
        .unwrap();
    for host in ["127.0.0.1:5000", "localhost:5000", "[::1]:5000"] {
        Client::builder().registry(host, plain()).build().unwrap();
    }
}

#[test]
fn bad_registry_hosts_and_certificates_are_refused() {
    let err = Client::builder()
        .registry("no/slash", RegistryOptions::new())
        .build()
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidInput);
    let err = RegistryOptions::new().ca_certificates_pem(b"not a pem").unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidCertificate);
}

#[tokio::test]
async fn nothing_listening_is_a_connect_error() {
    let port = free_port();
    let host = format!("127.0.0.1:{port}");
    let client = Client::builder()
        .registry(&host, RegistryOptions::new().scheme(Scheme::Http))
        .build()
        .unwrap();
    let err = client.ping(&host).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Connect, "{err}");
    assert_eq!(err.registry(), Some(host.as_str()));
}

#[tokio::test]
async fn a_silent_server_times_out() {
    // Accepts connections and never answers.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let host = listener.local_addr().unwrap().to_string();
    let client = Client::builder()
        .registry(&host, RegistryOptions::new().scheme(Scheme::Http))
        .request_timeout(Duration::from_millis(300))
        .build()
        .unwrap();
    let start = Instant::now();
    let err = client.ping(&host).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Timeout, "{err}");
    assert!(start.elapsed() < Duration::from_secs(5));
    drop(listener);
}
