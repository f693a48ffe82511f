//! The real cosign (and oras, to attach referrers that are not signatures), run as programs with a directory of
//! their own, talking to loopback registries only.
//!
//! Every command runs with an environment of its own, not the caller's: `HOME`, `TUF_ROOT` and the key files in a
//! [`TempDir`], `SIGSTORE_NO_CACHE`, an empty `COSIGN_PASSWORD`, and `HTTP_PROXY`/`HTTPS_PROXY` pointing at a closed
//! loopback port with `NO_PROXY` for loopback, so that an attempt to reach Rekor, Fulcio or a TUF mirror fails at
//! once instead of leaving the machine. Signing always says `--tlog-upload=false`, verifying
//! `--insecure-ignore-tlog=true`.
//!
//! The binaries are the ones `OCI_TEST_COSIGN` and `OCI_TEST_ORAS` name, else the ones `cargo xtask test` unpacks
//! from Debian trixie's packages ([`COSIGN_UNPACKED`], [`ORAS_UNPACKED`]).

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use crate::TempDir;
use crate::tools::tool;

/// Where `cargo xtask test` unpacks Debian's cosign (the tests also honour `OCI_TEST_COSIGN`).
pub const COSIGN_UNPACKED: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../target/test-tools/cosign/usr/bin/cosign"
);

/// Where `cargo xtask test` unpacks Debian's oras (the tests also honour `OCI_TEST_ORAS`).
pub const ORAS_UNPACKED: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../target/test-tools/oras/usr/bin/oras");

/// cosign and oras with a directory of their own; the directory (and the keys in it) go on drop.
#[derive(Debug)]
pub struct Cosign {
    cosign: PathBuf,
    oras: PathBuf,
    dir: TempDir,
}

/// Which signature manifest `cosign sign` writes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// The legacy `sha256-<hex>.sig` tag.
    Tag,
    /// An OCI 1.1 artifact with `subject` (`COSIGN_EXPERIMENTAL=1 --registry-referrers-mode=oci-1-1`), which a
    /// registry without the referrers API lists under the referrers tag.
    Referrers,
}

/// A key pair made by `cosign generate-key-pair`: the encrypted private key (empty password) and the public key.
#[derive(Clone, Debug)]
pub struct KeyPair {
    /// `NAME.key`.
    pub private: PathBuf,
    /// `NAME.pub`, a PEM `PUBLIC KEY`.
    pub public: PathBuf,
}

impl Cosign {
    /// Finds the binaries and makes the directory.
    ///
    /// # Panics
    ///
    /// When cosign or oras is missing (the message says how to get them).
    pub fn new() -> Self {
        Self {
            cosign: tool("OCI_TEST_COSIGN", COSIGN_UNPACKED, &unpacked("cosign")),
            oras: tool("OCI_TEST_ORAS", ORAS_UNPACKED, &unpacked("oras")),
            dir: TempDir::new("oci-cosign"),
        }
    }

    /// The directory the keys and cosign's home are in.
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// `cosign generate-key-pair --output-key-prefix NAME` in the directory.
    ///
    /// # Panics
    ///
    /// When cosign fails (the message quotes its output).
    pub fn generate_key_pair(&self, name: &str) -> KeyPair {
        let prefix = self.dir.path().join(name);
        let out = self
            .cosign()
            .args(["generate-key-pair", "--output-key-prefix"])
            .arg(&prefix)
            .output()
            .unwrap();
        assert_success("cosign generate-key-pair", &out);
        KeyPair {
            private: prefix.with_extension("key"),
            public: prefix.with_extension("pub"),
        }
    }

    /// `cosign sign --key KEY --tlog-upload=false --yes --allow-insecure-registry IMAGE` (`IMAGE` is
    /// `HOST/REPO@DIGEST`), in `mode`.
    ///
    /// # Panics
    ///
    /// When cosign fails (the message quotes its output).
    pub fn sign(&self, key: &KeyPair, image: &str, mode: Mode) {
        let mut cmd = self.cosign();
        cmd.args(["sign", "--key"]).arg(&key.private).args([
            "--tlog-upload=false",
            "--yes",
            "--allow-insecure-registry",
        ]);
        if mode == Mode::Referrers {
            cmd.env("COSIGN_EXPERIMENTAL", "1")
                .arg("--registry-referrers-mode=oci-1-1");
        }
        let out = cmd.arg(image).output().unwrap();
        assert_success("cosign sign", &out);
    }

    /// `cosign verify --key PUB --insecure-ignore-tlog=true --offline=true --allow-insecure-registry IMAGE`, with
    /// `--experimental-oci11` for [`Mode::Referrers`]: whether cosign accepts the signature (its exit status), and its
    /// output for messages.
    pub fn verify(&self, public: &Path, image: &str, mode: Mode) -> (bool, String) {
        let mut cmd = self.cosign();
        cmd.args(["verify", "--key"]).arg(public).args([
            "--insecure-ignore-tlog=true",
            "--offline=true",
            "--allow-insecure-registry",
        ]);
        if mode == Mode::Referrers {
            cmd.env("COSIGN_EXPERIMENTAL", "1").arg("--experimental-oci11=true");
        }
        let out = cmd.arg(image).output().unwrap();
        (out.status.success(), describe(&out))
    }

    /// `cosign attest --new-bundle-format --type TYPE --key KEY --tlog-upload=false IMAGE` with an empty predicate:
    /// a Sigstore bundle (a DSSE envelope over an in-toto statement of predicate type `TYPE` for the image's digest)
    /// attached as an OCI 1.1 referrer, as cosign 3 signs images when `TYPE` is `https://sigstore.dev/cosign/sign/v1`.
    ///
    /// # Panics
    ///
    /// When cosign fails (the message quotes its output).
    pub fn attest_bundle(&self, key: &KeyPair, image: &str, predicate_type: &str) {
        let predicate = self.dir.path().join("predicate.json");
        std::fs::write(&predicate, "{}").unwrap();
        let out = self
            .cosign()
            .args(["attest", "--new-bundle-format", "--type", predicate_type, "--predicate"])
            .arg(&predicate)
            .arg("--key")
            .arg(&key.private)
            .args([
                "--tlog-upload=false",
                "--yes",
                "--allow-insecure-registry",
                "--allow-http-registry",
                image,
            ])
            .output()
            .unwrap();
        assert_success("cosign attest", &out);
    }

    /// `oras attach --plain-http --artifact-type TYPE IMAGE FILE`: a referrer of `IMAGE` that is not a signature (an
    /// SBOM, say), holding one file with `contents`.
    ///
    /// # Panics
    ///
    /// When oras fails (the message quotes its output).
    pub fn attach(&self, image: &str, artifact_type: &str, contents: &str) {
        let file = self.dir.path().join("attached.json");
        std::fs::write(&file, contents).unwrap();
        let out = self
            .command(&self.oras)
            .current_dir(self.dir.path())
            .args([
                "attach",
                "--plain-http",
                "--artifact-type",
                artifact_type,
                image,
                "attached.json",
            ])
            .output()
            .unwrap();
        assert_success("oras attach", &out);
    }

    /// cosign with the environment described in the module documentation.
    pub fn cosign(&self) -> Command {
        self.command(&self.cosign)
    }

    fn command(&self, binary: &Path) -> Command {
        let home = self.dir.path().join("home");
        let tuf = self.dir.path().join("tuf");
        for dir in [&home, &tuf] {
            std::fs::create_dir_all(dir).unwrap();
        }
        let mut cmd = Command::new(binary);
        cmd.env_clear()
            .env("PATH", "/usr/bin:/bin")
            .env("HOME", &home)
            .env("TUF_ROOT", &tuf)
            .env("SIGSTORE_NO_CACHE", "1")
            .env("COSIGN_PASSWORD", "")
            .env("HTTP_PROXY", crate::DEAD_PROXY)
            .env("HTTPS_PROXY", crate::DEAD_PROXY)
            .env("NO_PROXY", "127.0.0.1,localhost,::1")
            .current_dir(self.dir.path());
        cmd
    }
}

impl Default for Cosign {
    fn default() -> Self {
        Self::new()
    }
}

/// The hint for a program that `cargo xtask test-tools` unpacks from Debian trixie's package `what`.
fn unpacked(what: &str) -> String {
    format!("run `cargo xtask test-tools` (or `cargo xtask test`), which unpacks Debian trixie's {what} there")
}

fn describe(out: &Output) -> String {
    format!(
        "{}\nstdout: {}\nstderr: {}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

fn assert_success(what: &str, out: &Output) {
    assert!(out.status.success(), "{what} failed: {}", describe(out));
}
