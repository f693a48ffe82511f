//! `docker inspect` output read element by element agrees with reading the whole array as JSON values first (the
//! way it was read before): where that reads the array, the streaming reader refuses what it refuses and accepts
//! what it accepts (but for the image rules of the join, the same either way). Errors are short, hold no control
//! character, and name the file.
#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;
use oci_inventory::internal::answers::{parse_container, parse_image};
use oci_inventory::parse_inspect;

/// Whether every element parses as a container or an image, read as the whole array of values.
fn elements_parse(data: &[u8]) -> Option<bool> {
    let elements: Vec<serde_json::Value> = serde_json::from_slice(data).ok()?;
    Some(elements.iter().all(|element| {
        let Some(object) = element.as_object() else { return false };
        let Ok(bytes) = serde_json::to_vec(element) else { return false };
        if object.contains_key("RepoTags") || object.contains_key("RepoDigests") {
            parse_image(&bytes).is_ok()
        } else if object.contains_key("State") || object.contains_key("Config") {
            parse_container(&bytes).is_ok()
        } else {
            false
        }
    }))
}

fuzz_target!(|data: &[u8]| {
    let streamed = parse_inspect(data, Some(Path::new("inspect.json")));
    match elements_parse(data) {
        // Not JSON the value reader takes: the streaming one skips what it does not keep without reading it
        // (`"Size": 1e400` in a key no workload needs), so it may accept what the other refused.
        None => {}
        Some(false) => assert!(streamed.is_err(), "an element the old reader refused was accepted"),
        // Every element parses; the join may still refuse an image field (the same rules either way).
        Some(true) => {
            if let Err(err) = &streamed {
                assert_eq!(err.kind(), oci_inventory::ErrorKind::InvalidField, "{err}");
            }
        }
    }
    if let Err(err) = streamed {
        let message = err.to_string();
        assert!(message.len() < 4096, "{message}");
        assert!(!message.chars().any(|c| c.is_control()), "{message:?}");
        assert_eq!(err.file(), Some(Path::new("inspect.json")));
    }
});
