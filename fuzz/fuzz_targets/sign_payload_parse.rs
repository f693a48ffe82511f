//! Any bytes are a cosign simple-signing payload or a typed error with a one-line message; reading is
//! deterministic, and a payload names a valid digest.
#![no_main]

use libfuzzer_sys::fuzz_target;
use oci_digest::Digest;
use oci_sign::Payload;

fuzz_target!(|data: &[u8]| {
    match Payload::parse(data) {
        Ok(payload) => {
            assert_eq!(Payload::parse(data).ok().as_ref(), Some(&payload));
            let digest = Digest::parse(payload.digest().as_str()).expect("the digest is valid");
            assert_eq!(&digest, payload.digest());
        }
        Err(err) => {
            let message = err.to_string();
            assert!(!message.is_empty());
            assert!(!message.chars().any(char::is_control), "{message:?}");
        }
    }
});
