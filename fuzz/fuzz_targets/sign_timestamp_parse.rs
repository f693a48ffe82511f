//! Any bytes are an RFC 3161 timestamp or a typed error with a one-line message; one that reads is verified against
//! Sigstore's public-good trusted root and a signature without a panic, and reading is deterministic.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use oci_sign::sigstore::{Timestamp, TrustedRoot};

fn root() -> &'static TrustedRoot {
    static ROOT: OnceLock<TrustedRoot> = OnceLock::new();
    ROOT.get_or_init(|| {
        TrustedRoot::from_json(include_bytes!(
            "../../crates/oci-sign/tests/data/sigstore-conformance/rekor2-happy-path/trusted_root.json"
        ))
        .expect("the suite's trusted root reads")
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
            if let Err(err) = timestamp.verify(b"a signature", root()) {
                one_line(&err);
            }
        }
        Err(err) => one_line(&err),
    }
});
