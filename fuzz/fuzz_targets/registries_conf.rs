//! registries.conf files from elsewhere (a drop-in directory anyone could write to is the admin's problem, but the
//! parser must not be): any bytes give a configuration or a typed error, never a panic, and every error message is
//! short and holds no control character.
#![no_main]

use libfuzzer_sys::fuzz_target;
use oci_inventory::parse_registries_conf;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    match parse_registries_conf(text) {
        Ok(conf) => {
            for (host, entry) in conf.registries() {
                assert!(!host.is_empty() && !host.contains('/'), "{host}");
                for mirror in &entry.mirrors {
                    assert!(!mirror.location.contains("://"), "{}", mirror.location);
                }
            }
        }
        Err(err) => {
            let message = err.to_string();
            assert!(message.len() < 4096, "{message}");
            assert!(!message.chars().any(char::is_control), "{message:?}");
        }
    }
});
