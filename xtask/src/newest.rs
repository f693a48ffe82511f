//! The `cargo xtask ci` step that builds the published crates as a crate outside the workspace sees them: against the
//! newest versions of their dependencies that their requirements allow, not the ones in `Cargo.lock`.
//!
//! Every other step builds with the lock file, so a deprecation in a newer compatible release (rustls 0.23.48
//! deprecated `crypto::ring::default_provider`) warned in every user's build and never in ours. Here the crates are
//! copied to `target/xtask/newest` with a workspace manifest of their own and no lock file, `cargo update` picks the
//! newest versions, and they are built with warnings denied.
//!
//! "Newest" is what a new crate gets on the toolchain at hand: cargo's resolver picks the newest versions whose
//! `rust-version` the workspace's allows, and a crate made with `cargo new` (no `rust-version`) allows the running
//! rustc. Ours says 1.85, which would hold back every dependency whose newest release needs more (redis 1.2 instead
//! of 1.8, for one); so the scratch manifest says the running rustc's version instead.

use std::fs;
use std::path::Path;
use std::time::Instant;

use std::process::Command;

use crate::{LAYERS, Result, cargo_command, output, read, run};

/// Copies the crates, resolves the newest dependencies and builds the published crates with `-D warnings`.
pub(crate) fn check(root: &Path) -> Result {
    let started = Instant::now();
    let scratch = root.join("target/xtask/newest");
    eprintln!(
        "xtask: building the library crates against their newest compatible dependencies in {}",
        scratch.display()
    );
    // The crates are copied afresh each time; the scratch target directory stays, so later runs build only
    // what changed.
    let crates = scratch.join("crates");
    if crates.exists() {
        fs::remove_dir_all(&crates)?;
    }
    copy_dir(&root.join("crates"), &crates)?;
    let manifest = read(&root.join("Cargo.toml"))?;
    let rustc = rustc_version()?;
    eprintln!("xtask: resolving the newest dependencies that rustc {rustc} can build (no lock file)");
    fs::write(scratch.join("Cargo.toml"), scratch_manifest(&manifest, &rustc)?)?;
    // No lock file of ours: `cargo update` resolves everything to the newest versions allowed.
    let _ = fs::remove_file(scratch.join("Cargo.lock"));
    run(cargo_command().current_dir(&scratch).arg("update"))?;
    let mut build = cargo_command();
    build
        .current_dir(&scratch)
        .env("RUSTFLAGS", "-D warnings")
        .args(["build", "--all-features"]);
    for krate in libraries() {
        build.args(["-p", krate]);
    }
    run(&mut build)?;
    eprintln!(
        "xtask: the published crates build without warnings against their newest dependencies ({} s)",
        started.elapsed().as_secs()
    );
    Ok(())
}

/// Removes the scratch workspace and its build.
pub(crate) fn forget(root: &Path) -> Result {
    let scratch = root.join("target/xtask/newest");
    if scratch.exists() {
        fs::remove_dir_all(&scratch).map_err(|err| format!("removing {}: {err}", scratch.display()))?;
    }
    Ok(())
}

/// The published crates: every layer but the tools and the test kit. The CLI too: `cargo install oci-check`
/// without `--locked` resolves the newest versions as well.
fn libraries() -> Vec<&'static str> {
    LAYERS
        .iter()
        .filter(|layer| !layer.tool && layer.name != "oci-testkit")
        .map(|layer| layer.name)
        .collect()
}

/// The running rustc's version, `1.95.0` of `rustc 1.95.0 (59807616e 2026-04-14)`.
fn rustc_version() -> Result<String> {
    let text = output(Command::new("rustc").arg("--version"))?;
    parse_rustc_version(&text).ok_or_else(|| format!("`rustc --version` said `{}`", text.trim()).into())
}

fn parse_rustc_version(text: &str) -> Option<String> {
    let version = text
        .strip_prefix("rustc ")?
        .split(|c: char| c == '-' || c.is_whitespace())
        .next()?;
    let numbers: Vec<&str> = version.split('.').collect();
    let valid = numbers.len() == 3
        && numbers
            .iter()
            .all(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()));
    valid.then(|| version.to_owned())
}

/// The root manifest with `crates/*` as its only members (xtask and the fuzz crate are not copied), and `rustc`'s
/// version as the workspace's `rust-version`, so that the resolver may pick whatever that rustc can build.
fn scratch_manifest(manifest: &str, rustc: &str) -> Result<String> {
    let members = manifest
        .lines()
        .find(|line| line.trim_start().starts_with("members"))
        .ok_or("the root Cargo.toml has no `members` line")?;
    let mut replaced_version = false;
    let mut out = String::new();
    for line in manifest.lines() {
        if line == members {
            out.push_str("members = [\"crates/*\"]");
        } else if line.trim_start().starts_with("rust-version") && !replaced_version {
            out.push_str(&format!("rust-version = \"{rustc}\""));
            replaced_version = true;
        } else if line.trim_start().starts_with("exclude") {
            continue;
        } else {
            out.push_str(line);
        }
        out.push('\n');
    }
    if !replaced_version {
        return Err("the root Cargo.toml has no `rust-version` line".into());
    }
    Ok(out)
}

/// Copies a directory tree, leaving out `target` directories.
fn copy_dir(from: &Path, to: &Path) -> Result {
    fs::create_dir_all(to)?;
    for entry in fs::read_dir(from)? {
        let entry = entry?;
        let path = entry.path();
        let kind = entry.file_type()?;
        if kind.is_dir() {
            if entry.file_name() != "target" {
                copy_dir(&path, &to.join(entry.file_name()))?;
            }
        } else if kind.is_file() {
            fs::copy(&path, to.join(entry.file_name())).map_err(|err| format!("copying {}: {err}", path.display()))?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_scratch_workspace_has_only_the_crates_and_the_running_rustc() {
        let root = "[workspace]\nresolver = \"3\"\nmembers = [\"crates/*\", \"xtask\"]\nexclude = [\"fuzz\"]\n\n\
                    [workspace.package]\nversion = \"0.1.0\"\nrust-version = \"1.85\"\n";
        let scratch = scratch_manifest(root, "1.95.0").unwrap();
        assert_eq!(
            scratch,
            "[workspace]\nresolver = \"3\"\nmembers = [\"crates/*\"]\n\n[workspace.package]\nversion = \"0.1.0\"\n\
             rust-version = \"1.95.0\"\n"
        );
        assert!(scratch_manifest("[workspace]\n", "1.95.0").is_err());
        assert!(scratch_manifest("[workspace]\nmembers = []\n", "1.95.0").is_err());
    }

    #[test]
    fn rustc_versions() {
        for (text, version) in [
            ("rustc 1.95.0 (59807616e 2026-04-14)\n", Some("1.95.0")),
            ("rustc 1.96.0-nightly (0123456ab 2026-05-01)\n", Some("1.96.0")),
            ("rustc 1.95.0\n", Some("1.95.0")),
            ("rustc 1.95 (59807616e 2026-04-14)", None),
            ("cargo 1.95.0 (f2d3ce0bd 2026-03-21)", None),
            ("rustc x.y.z", None),
            ("", None),
        ] {
            assert_eq!(parse_rustc_version(text).as_deref(), version, "{text:?}");
        }
    }

    #[test]
    fn only_the_libraries_are_built() {
        let libraries = libraries();
        for name in ["oci-digest", "oci-auth", "oci-registry", "oci-inventory", "oci-check"] {
            assert!(libraries.contains(&name), "{name}");
        }
        for name in ["oci-testkit", "xtask"] {
            assert!(!libraries.contains(&name), "{name}");
        }
    }
}
