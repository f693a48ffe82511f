//! Signature manifests and payloads judged with the key cosign 2.5 signed the committed vectors with. The first
//! byte picks what is fuzzed: even, the rest is a whole signature manifest for the vectors' signed digest, with
//! the vectors' real payload as the only blob; odd, the rest is `SIGNATURE\nPAYLOAD`, wrapped in the vectors'
//! manifest with the payload's own digest and size, so the payload and the signature reach verification. No input
//! panics; a verdict of "verified" means the payload names the signed digest; messages are one line.
#![no_main]

use libfuzzer_sys::fuzz_target;
use oci_digest::Digest;
use oci_sign::{Payload, PublicKey, SignatureManifest, Trust, Verdict, verify};

const KEY: &str = include_str!("../../crates/oci-sign/tests/data/cosign-2.5/cosign.pub");
const MANIFEST: &[u8] = include_bytes!("../../crates/oci-sign/tests/data/cosign-2.5/tag-manifest.json");
const PAYLOAD: &[u8] = include_bytes!("../../crates/oci-sign/tests/data/cosign-2.5/tag-payload.json");
const SIGNED: &str = "sha256:70abd7814edc0fb29aba0378c776e9d43428e2ed3138abf4a47a1df3787b1bc9";

fn judge(manifest: &[u8], payload: &[u8]) {
    let key: PublicKey = KEY.parse().expect("the vectors' key");
    let signed: Digest = SIGNED.parse().expect("the vectors' digest");
    let payload_digest = Digest::sha256(payload);
    let blob = |wanted: &Digest| (*wanted == payload_digest).then_some(payload);
    let trust = Trust::keys([key]);
    let verdict = verify(&signed, manifest, blob, &trust);
    match &verdict {
        Verdict::Verified { .. } => {
            let parsed = Payload::parse(payload).expect("a verified payload reads");
            assert_eq!(parsed.digest(), &signed);
        }
        Verdict::Invalid { reason } => {
            let message = reason.to_string();
            assert!(!message.chars().any(char::is_control), "{message:?}");
        }
        _ => {}
    }
    // The two-step API agrees with the one-step one.
    if let Ok(signatures) = SignatureManifest::parse(&signed, manifest) {
        assert_eq!(signatures.verify(blob, &trust), verdict);
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    if mode % 2 == 0 {
        judge(rest, PAYLOAD);
        return;
    }
    let (signature, payload) = match rest.iter().position(|&b| b == b'\n') {
        Some(at) => (&rest[..at], &rest[at + 1..]),
        None => (rest, &[][..]),
    };
    let Ok(mut manifest) = serde_json::from_slice::<serde_json::Value>(MANIFEST) else {
        return;
    };
    let layer = &mut manifest["layers"][0];
    layer["digest"] = Digest::sha256(payload).to_string().into();
    layer["size"] = payload.len().into();
    layer["annotations"]["dev.cosignproject.cosign/signature"] = String::from_utf8_lossy(signature).into_owned().into();
    let Ok(manifest) = serde_json::to_vec(&manifest) else {
        return;
    };
    judge(&manifest, payload);
});
