//! The real cosign (Debian trixie's 2.5, `verify-blob --new-bundle-format`, offline against the same trusted root)
//! judges every conformance case this crate runs, and agrees with it: what we accept, cosign accepts; what we
//! refuse, cosign refuses.

use std::path::Path;

use oci_testkit::Cosign;

use crate::sigstore::{CASES, DEFAULT_IDENTITY, DEFAULT_ISSUER, Expect, run, suite};

/// Cases where cosign 2.5 and the suite disagree, and why; ours follows the suite.
const COSIGN_DIFFERS: &[(&str, &str)] = &[
    (
        "message-digest-mismatch_fail",
        "cosign 2.5 checks the signature over the artifact and ignores a messageDigest that names another digest; \
         the suite (and this crate) refuse a bundle that claims to sign something else",
    ),
    (
        "trust-root-tlog-validity-end-inclusive",
        "cosign 2.5's trusted root reader predates the `operator` field this root carries, and refuses the file",
    ),
];

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
    let mut compared = 0;
    for (name, expect) in CASES {
        if matches!(expect, Expect::Skip(_)) {
            continue;
        }
        let ours = run(name).is_ok();
        let (theirs, output) = cosign_verifies(&cosign, name);
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
    assert_eq!(
        compared + COSIGN_DIFFERS.len(),
        CASES.iter().filter(|(_, e)| !matches!(e, Expect::Skip(_))).count()
    );
}
