//! `Proxy`: counts connections and request heads, and delays each direction.

use std::time::Duration;

use oci_testkit::{Proxy, Registry, block_on};

#[test]
fn the_proxy_counts_connections_and_request_heads_and_delays() {
    let registry = Registry::open();
    block_on(async {
        let proxy = Proxy::start(registry.host().parse().unwrap(), Duration::from_millis(50)).await;
        let client = oci_registry::Client::builder()
            .registry(&proxy.host(), registry.options())
            .build()
            .unwrap();
        let started = std::time::Instant::now();
        client.ping(&proxy.host()).await.unwrap();
        client.ping(&proxy.host()).await.unwrap();
        // Two round trips at 50 ms each way.
        assert!(
            started.elapsed() >= Duration::from_millis(200),
            "{:?}",
            started.elapsed()
        );
        assert_eq!(proxy.connections(), 1);
        assert_eq!(proxy.request_heads(), 2);
    });
}
