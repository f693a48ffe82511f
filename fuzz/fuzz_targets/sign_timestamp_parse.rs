//! Any bytes are an RFC 3161 timestamp or a typed error with a one-line message; one that reads is verified against
//! a timestamp authority's root (the conformance suite's staging TSA) and a signature without a panic, and reading
//! is deterministic.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use oci_sign::timestamp::Timestamp;
use oci_sign::x509::Certificate;

/// The certificates of the suite's timestamp authority (leaf and root), read from its `trusted_root.json`.
fn roots() -> &'static [Certificate] {
    static ROOTS: OnceLock<Vec<Certificate>> = OnceLock::new();
    ROOTS.get_or_init(|| {
        let root: serde_json::Value = serde_json::from_slice(include_bytes!(
            "../../crates/oci-sign/tests/data/sigstore-conformance/rekor2-happy-path/trusted_root.json"
        ))
        .expect("the suite's trusted root is JSON");
        root.pointer("/timestampAuthorities/0/certChain/certificates")
            .and_then(serde_json::Value::as_array)
            .expect("a TSA chain")
            .iter()
            .map(|raw| {
                let pem = format!(
                    "-----BEGIN CERTIFICATE-----\n{}\n-----END CERTIFICATE-----\n",
                    raw["rawBytes"].as_str().expect("rawBytes")
                );
                Certificate::from_pem(&pem).expect("a DER certificate")
            })
            .collect()
    })
}

fn one_line(err: &oci_sign::Error) {
    let message = err.to_string();
    assert!(!message.is_empty());
    assert!(!message.chars().any(char::is_control), "{message:?}");
}

fuzz_target!(|data: &[u8]| {
    match Timestamp::from_der(data) {
        Ok(timestamp) => {
            assert_eq!(Timestamp::from_der(data).ok().as_ref(), Some(&timestamp));
            if let Err(err) = timestamp.verify(b"a signature", roots()) {
                one_line(&err);
            }
        }
        Err(err) => one_line(&err),
    }
});
