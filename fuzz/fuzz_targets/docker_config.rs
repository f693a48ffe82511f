//! Any config file parses or gives a typed error; lookups on a parsed file never panic; registry
//! normalization is idempotent.
#![no_main]

use libfuzzer_sys::fuzz_target;
use oci_auth::{AuthFile, ErrorKind, normalize_registry};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let once = normalize_registry(text);
    assert_eq!(normalize_registry(&once), once);
    match AuthFile::parse(text) {
        Ok(file) => {
            let registries: Vec<String> = file.registries().map(str::to_owned).collect();
            for registry in registries.iter().map(String::as_str).chain(["docker.io", "ghcr.io", "quay.io"]) {
                let _ = file.credential(registry);
                let _ = file.credential_for_repository(registry, "team/app");
                let _ = file.helper(registry);
            }
        }
        Err(err) => assert_eq!(err.kind(), &ErrorKind::InvalidConfig),
    }
});
