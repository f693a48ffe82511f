//! Proxy settings as the environment gives them: a proxy URL, a NO_PROXY list and a proxy's answer to CONNECT. No
//! panic on any input; a parsed URL reads back from its exposed form; a NO_PROXY entry that is a plain name matches
//! that name; a CONNECT answer's head never claims more bytes than it was given; and a password never shows in a
//! URL's `Display` or `Debug`, nor in the error about a URL that did not parse (the password is a marker put after
//! one of a few prefixes, followed by the input).
#![no_main]

use libfuzzer_sys::fuzz_target;
use oci_registry::internal::read_connect_reply;
use oci_registry::{NoProxy, ProxyConfig, ProxyUrl};

const MARKER: &str = "Zq7Mk9Zq";

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    if let Ok(url) = ProxyUrl::parse(&text) {
        assert_eq!(ProxyUrl::parse(&url.expose_url()).expect("an exposed URL parses"), url);
        let _ = url.to_string();
    }

    let list = NoProxy::parse(&text);
    for entry in text.split(|c: char| c == ',' || c.is_whitespace()) {
        let name = entry.to_ascii_lowercase();
        let plain = !name.is_empty()
            && name.bytes().all(|b| b.is_ascii_lowercase() || b == b'-' || b == b'.')
            && !name.starts_with('.')
            && name != ".";
        if plain {
            assert!(list.matches(&name, 443), "{name} in {text:?}");
        }
    }
    let config = ProxyConfig::from_env(text.lines().filter_map(|line| line.split_once('=')));
    if let Ok(config) = config {
        for line in text.lines() {
            let _ = config.proxy_for(true, line, 443);
            let _ = config.proxy_for(false, line, 80);
        }
    }

    match read_connect_reply(data) {
        Ok(Some(reply)) => assert!(reply.head_len <= data.len()),
        Ok(None) | Err(_) => {}
    }

    if text.contains("Zq") {
        return;
    }
    let prefix = ["", "http://", "HTTP://", "socks5://", "https://", "ftp://"][usize::from(data.first().copied().unwrap_or(0) % 6)];
    let with_password = format!("{prefix}u:{MARKER}@{text}");
    let shown = match ProxyUrl::parse(&with_password) {
        Ok(url) => format!("{url} {url:?} {:?}", ProxyConfig::new().with_https(url.clone())),
        Err(err) => format!("{err} {err:?}"),
    };
    assert!(!shown.contains(MARKER), "{shown}");
});
