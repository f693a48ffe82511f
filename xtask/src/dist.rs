//! `cargo xtask dist`: the release binary with its shell completions and man pages, in `target/dist/`.
//!
//! The scripts and pages come from running the built binary (`oci-check completions SHELL`, the hidden
//! `oci-check man DIR`), so clap's definition in `crates/oci-check/src/main.rs` stays their one source and what ships
//! is what that very binary completes.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::{Result, cargo_command, output, root, run};

/// Each shell `oci-check completions` knows, with the file name its completion directories look for.
pub(crate) const SHELLS: &[(&str, &str)] = &[
    ("bash", "oci-check.bash"),
    ("zsh", "_oci-check"),
    ("fish", "oci-check.fish"),
    ("elvish", "oci-check.elv"),
    ("powershell", "_oci-check.ps1"),
];

pub(crate) fn command(args: &[String]) -> Result {
    if !args.is_empty() {
        return Err(format!("`cargo xtask dist` takes no argument (got `{}`)", args.join(" ")).into());
    }
    let root = root();
    let binary = release_binary(&root)?;
    let dist = target_dir(&root).join("dist");
    write(&binary, &dist)?;
    eprintln!(
        "xtask: wrote {} ({} bytes), its completions and man pages",
        dist.join("oci-check").display(),
        fs::metadata(dist.join("oci-check"))?.len()
    );
    Ok(())
}

/// Builds `oci-check` as released (`--locked`: exactly the tested dependencies) and returns its path.
pub(crate) fn release_binary(root: &Path) -> Result<PathBuf> {
    run(cargo_command().current_dir(root).args([
        "build",
        "--release",
        "-p",
        "oci-check",
        "--bin",
        "oci-check",
        "--locked",
    ]))?;
    Ok(target_dir(root).join("release").join("oci-check"))
}

/// Where cargo puts what it builds: `CARGO_TARGET_DIR` (relative to the workspace), else `target`.
pub(crate) fn target_dir(root: &Path) -> PathBuf {
    match std::env::var_os("CARGO_TARGET_DIR") {
        Some(dir) => root.join(dir),
        None => root.join("target"),
    }
}

/// Fills `dist` from `binary`: `oci-check`, `completions/` and `man/`, the last two emptied first so that a page of
/// a removed subcommand does not linger.
fn write(binary: &Path, dist: &Path) -> Result {
    fs::create_dir_all(dist)?;
    let copy = dist.join("oci-check");
    fs::copy(binary, &copy).map_err(|err| format!("copying {} to {}: {err}", binary.display(), copy.display()))?;
    let completions = fresh_dir(&dist.join("completions"))?;
    for (shell, file) in SHELLS {
        let script = output(Command::new(&copy).args(["completions", shell]))?;
        if script.is_empty() {
            return Err(format!("`oci-check completions {shell}` printed nothing").into());
        }
        fs::write(completions.join(file), script)?;
    }
    let man = fresh_dir(&dist.join("man"))?;
    run(Command::new(&copy).arg("man").arg(&man))?;
    if !man.join("oci-check.1").is_file() {
        return Err(format!("`oci-check man` wrote no oci-check.1 into {}", man.display()).into());
    }
    Ok(())
}

fn fresh_dir(dir: &Path) -> Result<PathBuf> {
    if dir.exists() {
        fs::remove_dir_all(dir).map_err(|err| format!("emptying {}: {err}", dir.display()))?;
    }
    fs::create_dir_all(dir)?;
    Ok(dir.to_path_buf())
}
