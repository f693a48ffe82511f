//! Redirect `Location` values resolved against a registry URL: never a panic; the result, when it parses, is
//! absolute; same-origin is symmetric and holds for the base itself.
#![no_main]

use http::Uri;
use libfuzzer_sys::fuzz_target;
use oci_registry::internal::{resolve_against, same_origin};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let (base, location) = text.split_once('\n').unwrap_or(("https://registry.example/v2/a/blobs/sha256:0", text));
    let Ok(base) = base.parse::<Uri>() else { return };
    if base.scheme().is_none() || base.authority().is_none() {
        return;
    }
    assert!(same_origin(&base, &base));
    let resolved = resolve_against(&base, location);
    if let Ok(target) = resolved.parse::<Uri>() {
        assert_eq!(same_origin(&base, &target), same_origin(&target, &base));
    }
});
