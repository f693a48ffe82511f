//! Any bytes are a Sigstore bundle or a typed error with a one-line message; reading is deterministic, and a
//! bundle that reads is then verified (keyless against Sigstore's public-good trusted root, and with a key) to an
//! answer, never a panic.
#![no_main]

use std::sync::LazyLock;

use libfuzzer_sys::fuzz_target;
use oci_sign::PublicKey;
use oci_sign::sigstore::{Artifact, Bundle, Keyless, Policy, TrustedRoot};

static KEYLESS: LazyLock<Keyless> = LazyLock::new(|| {
    let root = TrustedRoot::from_json(include_bytes!(
        "../../crates/oci-sign/tests/data/sigstore-public-good/trusted_root.json"
    ))
    .expect("the public-good trusted root reads");
    Keyless::new(root, ".*", "https://token.actions.githubusercontent.com").expect("the pattern compiles")
});

static KEY: LazyLock<PublicKey> = LazyLock::new(|| {
    include_str!("../../crates/oci-sign/tests/data/cosign-2.5/cosign.pub")
        .parse()
        .expect("the vectors' key reads")
});

const ARTIFACT: &[u8] = include_bytes!("../../crates/oci-sign/tests/data/sigstore-conformance/a.txt");

fn one_line(err: &oci_sign::Error) {
    let message = err.to_string();
    assert!(!message.is_empty());
    assert!(!message.chars().any(char::is_control), "{message:?}");
}

fuzz_target!(|data: &[u8]| {
    match Bundle::from_json(data) {
        Ok(bundle) => {
            assert_eq!(Bundle::from_json(data).ok().as_ref(), Some(&bundle));
            let keys = [KEY.clone()];
            let policies = [
                Policy::Keyless(&KEYLESS),
                Policy::Keys { keys: &keys, root: Some(KEYLESS.root()) },
                Policy::Keys { keys: &keys, root: None },
            ];
            let digest = oci_digest::Digest::sha256(ARTIFACT);
            for policy in &policies {
                for artifact in [Artifact::Bytes(ARTIFACT), Artifact::Digest(&digest)] {
                    if let Err(err) = bundle.verify(artifact, policy, 1_800_000_000) {
                        one_line(&err);
                    }
                }
            }
        }
        Err(err) => one_line(&err),
    }
});
