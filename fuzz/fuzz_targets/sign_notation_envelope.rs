//! Any bytes are a notation JWS or COSE envelope or a typed error with a one-line message; an envelope that reads is
//! verified against its own leaf and against nothing, with and without a TSA trust store (GlobalSign's root, whose
//! timestamps the seeds carry), without a panic, and reads the same again.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use oci_sign::notation::Envelope;
use oci_sign::x509::Certificate;

fn tsa_roots() -> &'static [Certificate] {
    static ROOTS: OnceLock<Vec<Certificate>> = OnceLock::new();
    ROOTS.get_or_init(|| {
        vec![
            Certificate::from_der(include_bytes!(
                "../../crates/oci-sign/tests/data/notation/globalsign-tsa-root.cer"
            ))
            .expect("GlobalSign's TSA root reads"),
        ]
    })
}

fuzz_target!(|data: &[u8]| {
    for parse in [Envelope::parse, Envelope::parse_cose] {
        match parse(data) {
            Ok(envelope) => {
                assert_eq!(parse(data).as_ref(), Ok(&envelope));
                let signed = envelope.signed_digest().clone();
                let leaf = envelope.chain()[0].clone();
                for store in [vec![leaf], Vec::new()] {
                    for tsa in [tsa_roots(), &[]] {
                        if let Err(err) = envelope.verify_timestamped(&signed, &store, tsa, 1_796_000_000) {
                            assert!(!err.to_string().chars().any(char::is_control), "{err}");
                        }
                    }
                }
            }
            Err(err) => {
                let message = err.to_string();
                assert!(!message.is_empty());
                assert!(!message.chars().any(char::is_control), "{message:?}");
            }
        }
    }
});
