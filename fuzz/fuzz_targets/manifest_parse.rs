//! Any body and content type give a manifest or a typed error; a parsed manifest's digest is the
//! SHA-256 of the exact bytes, and its typed form survives canonical JSON and back.
//! The body is also tried as an image config and as a platform specifier, whose display must
//! parse back to the same platform.
//! Input: the first line is the Content-Type (empty for none), the rest the body.
#![no_main]

use libfuzzer_sys::fuzz_target;
use oci_digest::Digest;
use oci_manifest::{ImageConfig, Manifest, ManifestBody, Platform};

fuzz_target!(|data: &[u8]| {
    let (content_type, body) = match data.iter().position(|&b| b == b'\n') {
        Some(newline) => (
            std::str::from_utf8(&data[..newline]).ok().filter(|s| !s.is_empty()),
            &data[newline + 1..],
        ),
        None => (None, data),
    };
    if let Ok(config) = ImageConfig::parse(body) {
        let _ = config.platform().normalize();
    }
    if let Ok(text) = std::str::from_utf8(body) {
        if let Ok(platform) = text.parse::<Platform>() {
            let again: Platform = platform.to_string().parse().expect("a displayed platform parses");
            assert_eq!(again, platform);
        }
    }
    match Manifest::parse(body, content_type) {
        Ok(manifest) => {
            assert_eq!(*manifest.digest(), Digest::sha256(body));
            assert_eq!(manifest.bytes(), body);
            let json = match manifest.body() {
                ManifestBody::Index(index) => index.to_json(),
                ManifestBody::Image(image) => image.to_json(),
                _ => return,
            };
            let again = Manifest::parse(&json, Some(manifest.media_type())).expect("canonical JSON parses");
            assert_eq!(again.body(), manifest.body());
        }
        Err(err) => assert!(!err.to_string().is_empty()),
    }
});
