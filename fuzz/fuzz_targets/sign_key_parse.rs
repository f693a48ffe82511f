//! Any text is a PEM public key or a typed error, and any bytes a DER SubjectPublicKeyInfo or a typed error: a key
//! read writes back as PEM that reads to the same key, keeps its exact DER, is named by the DER's SHA-256, and
//! verifies nothing made of the input without a panic. Messages are one line.
#![no_main]

use libfuzzer_sys::fuzz_target;
use oci_digest::Digest;
use oci_sign::PublicKey;

fn check(parsed: Result<PublicKey, oci_sign::Error>, data: &[u8]) {
    match parsed {
        Ok(key) => {
            let again: PublicKey = key.to_string().parse().expect("a written key reads back");
            assert_eq!(again, key);
            assert_eq!(key.id().digest(), &Digest::sha256(key.spki_der()));
            let _ = key.verify(data, data);
            let _ = key.verify(b"payload", data);
        }
        Err(err) => {
            let message = err.to_string();
            assert!(!message.is_empty());
            assert!(!message.chars().any(char::is_control), "{message:?}");
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let der = PublicKey::from_spki_der(data);
    if let Ok(key) = &der {
        assert_eq!(key.spki_der(), data, "a key keeps the exact DER it was read from");
    }
    check(der, data);
    if let Ok(text) = std::str::from_utf8(data) {
        check(PublicKey::from_pem(text), data);
    }
});
