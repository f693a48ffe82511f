//! The real cosign (Debian trixie's 2.5, `verify-blob --new-bundle-format`, offline against the same trusted root)
//! judges every conformance case, and agrees with this crate: what we accept, cosign accepts; what we refuse, cosign
//! refuses. cosign 2.5 predates Rekor v2: an entry without an integrated time it cannot read at all, so those cases
//! are compared with the suite alone (the test of every case in `sigstore.rs`).

use std::path::Path;

use oci_testkit::Cosign;

use crate::sigstore::{CASES, DEFAULT_IDENTITY, DEFAULT_ISSUER, run, suite};

/// Cases where cosign 2.5 and the suite disagree, and why; ours follows the suite.
const COSIGN_DIFFERS: &[(&str, &str)] = &[
    (
        "message-digest-mismatch_fail",
        "cosign 2.5 checks the signature over the artifact and ignores a messageDigest that names another digest; \
         the suite (and this crate) refuse a bundle that claims to sign something else",
    ),
    (
        "intoto-tsa-timestamp-outside-cert-validity_fail",
        "cosign 2.5 judges the certificate at the log's integrated time only, and passes over an RFC 3161 timestamp \
         outside the certificate's validity; the suite (and this crate) refuse a bundle whose timestamp says the \
         certificate had expired",
    ),
    (
        "trust-root-tlog-validity-end-inclusive",
        "cosign 2.5's trusted root reader predates the `operator` field this root carries, and refuses the file",
    ),
];

/// What cosign 2.5 says of a log entry without an integrated time (Rekor v2), which it cannot read.
const NO_REKOR_V2: &str = "nil value in transaction log entry";

/// Whether the case's bundle has a Rekor v2 entry (kind version 0.0.2, no integrated time).
fn is_rekor_v2(name: &str) -> bool {
    let bundle: serde_json::Value =
        serde_json::from_slice(&std::fs::read(suite().join(name).join("bundle.sigstore.json")).unwrap()).unwrap();
    bundle
        .pointer("/verificationMaterial/tlogEntries")
        .and_then(serde_json::Value::as_array)
        .is_some_and(|entries| {
            entries.iter().any(|entry| {
                entry
                    .pointer("/kindVersion/version")
                    .and_then(serde_json::Value::as_str)
                    == Some("0.0.2")
                    && entry.get("integratedTime").is_none()
            })
        })
}

/// cosign's verdict on case `name`: whether `verify-blob` exits 0, and its output.
fn cosign_verifies(cosign: &Cosign, name: &str) -> (bool, String) {
    let dir = suite().join(name);
    let file = |name: &str| dir.join(name).is_file().then(|| dir.join(name));
    let root = file("trusted_root.json").unwrap_or_else(|| {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/sigstore-public-good/trusted_root.json")
    });
    let artifact = file("artifact").unwrap_or_else(|| suite().join("a.txt"));
    let text = |name: &str, default: &str| {
        file(name).map_or(default.to_owned(), |path| {
            std::fs::read_to_string(path).unwrap().trim().to_owned()
        })
    };
    let mut command = cosign.cosign();
    command
        .args(["verify-blob", "--new-bundle-format", "--offline=true", "--bundle"])
        .arg(dir.join("bundle.sigstore.json"))
        .arg("--trusted-root")
        .arg(&root);
    match file("key.pub") {
        Some(key) => {
            command.arg("--key").arg(key);
        }
        None => {
            command
                .args(["--certificate-identity", &text("identity", DEFAULT_IDENTITY)])
                .args(["--certificate-oidc-issuer", &text("issuer", DEFAULT_ISSUER)]);
        }
    }
    let out = command.arg(artifact).output().unwrap();
    let output = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), output)
}

#[test]
fn cosign_agrees_with_every_conformance_case_this_crate_runs() {
    let cosign = Cosign::new();
    let (mut compared, mut unread) = (0, 0);
    for (name, _) in CASES {
        let ours = run(name).is_ok();
        let (theirs, output) = cosign_verifies(&cosign, name);
        if output.contains(NO_REKOR_V2) {
            assert!(is_rekor_v2(name), "{name}: cosign could not read a log entry: {output}");
            assert!(!theirs);
            unread += 1;
            continue;
        }
        if let Some((_, why)) = COSIGN_DIFFERS.iter().find(|(case, _)| case == name) {
            assert_ne!(
                ours, theirs,
                "{name} was listed as a difference ({why}), but cosign agrees now: {output}"
            );
            continue;
        }
        assert_eq!(ours, theirs, "{name}: ours {ours}, cosign {theirs}: {output}");
        compared += 1;
    }
    assert_eq!(compared + unread + COSIGN_DIFFERS.len(), CASES.len());
    // Every case cosign 2.5 can read is compared; the Rekor v2 ones it cannot are the suite's to judge.
    assert_eq!((compared, unread), (40, 27));
}
