//! Any bytes are a Sigstore trusted root or a typed error with a one-line message; reading is deterministic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use oci_sign::sigstore::TrustedRoot;

fuzz_target!(|data: &[u8]| {
    match TrustedRoot::from_json(data) {
        Ok(root) => assert_eq!(TrustedRoot::from_json(data).ok().as_ref(), Some(&root)),
        Err(err) => {
            let message = err.to_string();
            assert!(!message.is_empty());
            assert!(!message.chars().any(char::is_control), "{message:?}");
        }
    }
});
