//! `cargo xtask fuzz`: cargo-fuzz on the nightly toolchain, with committed seed corpora.
//!
//! Seeds live in `fuzz/corpus/TARGET/` and are committed; what a run discovers goes to
//! `fuzz/target/corpus/TARGET/` (ignored by git), so fuzzing never dirties the tree.
//! Crashes land in `fuzz/artifacts/TARGET/`; turn each into a regression vector.

use std::fs;
use std::path::Path;

use crate::{Result, cargo_command, output, root, run};

/// `fuzz [TARGET] [--seconds N]`.
pub(crate) fn command(args: &[String]) -> Result {
    let mut seconds: u64 = 60;
    let mut target = None;
    let mut args = args.iter();
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--seconds" => {
                let value = args.next().ok_or("--seconds needs a number")?;
                seconds = value
                    .parse()
                    .map_err(|_| format!("--seconds needs a whole number, not `{value}`"))?;
            }
            flag if flag.starts_with('-') => {
                return Err(format!("unknown option `{flag}` for fuzz").into());
            }
            name if target.is_none() => target = Some(name.to_owned()),
            extra => {
                return Err(format!("unexpected argument `{extra}`; fuzz takes one target").into());
            }
        }
    }
    let root = root();
    let all = targets(&root)?;
    let chosen = match target {
        Some(name) if all.contains(&name) => vec![name],
        Some(name) => {
            return Err(format!("no fuzz target `{name}`; the targets are: {}", all.join(", ")).into());
        }
        None => all,
    };
    ensure_tools(&root)?;
    for target in &chosen {
        fuzz_one(&root, target, seconds)?;
    }
    eprintln!(
        "xtask: fuzzed {} target(s) for {seconds} s each without a finding",
        chosen.len()
    );
    Ok(())
}

/// Builds every fuzz target, so that CI notices a target that no longer compiles.
pub(crate) fn build(root: &Path) -> Result {
    ensure_tools(root)?;
    run(cargo_command().current_dir(root).args(["+nightly", "fuzz", "build"]))
}

/// The targets: one file each in `fuzz/fuzz_targets/`.
fn targets(root: &Path) -> Result<Vec<String>> {
    let mut names = Vec::new();
    for entry in fs::read_dir(root.join("fuzz/fuzz_targets"))? {
        let path = entry?.path();
        if path.extension().is_some_and(|ext| ext == "rs") {
            if let Some(stem) = path.file_stem() {
                names.push(stem.to_string_lossy().into_owned());
            }
        }
    }
    names.sort();
    Ok(names)
}

/// Nightly must be there (we cannot fetch a toolchain); cargo-fuzz we install from crates.io.
fn ensure_tools(root: &Path) -> Result {
    if output(cargo_command().current_dir(root).args(["+nightly", "--version"])).is_err() {
        return Err("fuzzing needs the nightly toolchain: run `rustup toolchain install nightly`".into());
    }
    if output(
        cargo_command()
            .current_dir(root)
            .args(["+nightly", "fuzz", "--version"]),
    )
    .is_err()
    {
        eprintln!("xtask: cargo-fuzz is missing; installing it from crates.io");
        run(cargo_command().args(["install", "cargo-fuzz", "--locked"]))?;
    }
    Ok(())
}

fn fuzz_one(root: &Path, target: &str, seconds: u64) -> Result {
    let seeds = root.join("fuzz/corpus").join(target);
    let work = root.join("fuzz/target/corpus").join(target);
    let artifacts = root.join("fuzz/artifacts").join(target);
    for dir in [&seeds, &work, &artifacts] {
        fs::create_dir_all(dir)?;
    }
    let mut artifact_prefix = artifacts.into_os_string();
    artifact_prefix.push("/");
    let mut prefix_flag = std::ffi::OsString::from("-artifact_prefix=");
    prefix_flag.push(&artifact_prefix);
    run(cargo_command()
        .current_dir(root)
        .args(["+nightly", "fuzz", "run", target])
        .arg(&work)
        .arg(&seeds)
        .arg("--")
        .arg(format!("-max_total_time={seconds}"))
        .args(["-timeout=10", "-rss_limit_mb=2048", "-print_final_stats=1"])
        .arg(prefix_flag))
    .map_err(|err| format!("fuzz target `{target}` found a problem (see fuzz/artifacts/{target}/): {err}").into())
}
