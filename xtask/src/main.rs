//! `cargo xtask`: the project's chores, in Rust so that they run the same everywhere.
//!
//! Run `cargo xtask help` for the list. Each command prints the commands it runs, so a failure
//! can be reproduced by hand.

#![allow(clippy::print_stdout, clippy::print_stderr, reason = "xtask talks to a person")]

use std::env;
use std::error::Error;
use std::fs;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, Stdio};

use layering::Layer;

mod baseline;
mod demo;
mod fuzz;
mod layering;
mod registry;
mod release;

type Result<T = ()> = std::result::Result<T, Box<dyn Error>>;

const HELP: &str = "\
cargo xtask COMMAND

Commands:
  test                      run the whole test suite (unit, property, doc and integration tests),
                            installing what it needs first; this is the README's test command
  ci                        the layering invariants, format check, clippy and rustdoc with
                            -D warnings, a build of every fuzz target, then `test`
  layering                  check the dependency arrows between workspace crates and that no crate
                            below oci-client reaches an IO crate (see docs/architecture.md)
  fuzz [TARGET] [--seconds N]
                            run one fuzz target, or every one, for N seconds each (default 60);
                            installs cargo-fuzz when missing and uses the nightly toolchain
  baseline [--differential [N]] [--seed S] [--save FILE]
                            regenerate oci-ref's vectors from the Go reference implementation
                            (installs Go and its sources from Debian); with --differential, compare
                            `oci-check ref --json` with it on N generated inputs (default 20000)
  bench [FILTER]            run the benchmarks and print their figures
  demo                      start a local registry with a few images, move tags, and run
                            `oci-check update` against it (no internet needed)
  release [--publish]       check that versions and CHANGELOG.md agree, then package every
                            publishable crate in dependency order; publishes only with --publish
  help                      this text
";

/// Every workspace crate in dependency order (`release` publishes in this order), with the workspace crates
/// each may depend on and what each must never reach.
const LAYERS: &[Layer] = &[
    Layer::new("oci-version", &[]).no_io(),
    Layer::new("oci-digest", &[]).no_io(),
    Layer::new("oci-ref", &["oci-digest"]).no_io(),
    Layer::new("oci-manifest", &["oci-digest"]).no_io(),
    Layer::new("oci-auth", &[]).no_io(),
    Layer::new(
        "oci-client",
        &["oci-digest", "oci-ref", "oci-manifest", "oci-auth", "oci-version"],
    ),
    // Reads engines over their unix socket with hyper and tokio; its parsers stay pure and are fuzzed.
    Layer::new("oci-inventory", &["oci-digest", "oci-ref", "oci-manifest"]),
    // The watcher's machine is pure; its directory store does file IO, its own input types keep it apart.
    Layer::new("oci-watch", &[]),
    // Test support (publish = false): it may use anything, and nothing may use it but as a dev-dependency.
    Layer::new("oci-testkit", &[]).any_dependency(),
    Layer::new(
        "oci-check",
        &["oci-client", "oci-ref", "oci-auth", "oci-version", "oci-inventory"],
    ),
    Layer::new("xtask", &[]).tool(),
];

/// The crates that do IO; only `oci-client` and the CLI above it may know them.
const NO_IO: &[&str] = &[
    "hyper",
    "hyper-util",
    "rustls",
    "tokio",
    "tokio-rustls",
    "h2",
    "mio",
    "socket2",
];

fn main() -> ExitCode {
    let args: Vec<String> = env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("test") => test(),
        Some("ci") => ci(),
        Some("layering") => layering::command(&root()),
        Some("fuzz") => fuzz::command(&args[1..]),
        Some("baseline") => baseline::command(&args[1..]),
        Some("bench") => bench(&args[1..]),
        Some("demo") => demo::command(&args[1..]),
        Some("release") => release::command(&args[1..]),
        None | Some("help" | "-h" | "--help") => {
            print!("{HELP}");
            Ok(())
        }
        Some(other) => Err(format!("unknown command `{other}`; try `cargo xtask help`").into()),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("xtask: error: {err}");
            ExitCode::FAILURE
        }
    }
}

/// The README's test command: every suite, nothing skipped.
///
/// Ends with a line `tests: N passed, N failed` (also written to `target/xtask/test-summary.txt`
/// so `.ci/run` can repeat it last).
fn test() -> Result {
    registry::ensure()?;
    registry::ensure_podman()?;
    registry::ensure_redis()?;
    let root = root();
    let locked = locked_flag();
    let mut totals = Totals::default();
    let result = cargo_test(
        &root,
        &["--workspace", "--all-targets", "--all-features"],
        &locked,
        &mut totals,
    )
    .and_then(|()| cargo_test(&root, &["--workspace", "--doc", "--all-features"], &locked, &mut totals));
    let summary = format!("tests: {} passed, {} failed\n", totals.passed, totals.failed);
    let dir = root.join("target/xtask");
    fs::create_dir_all(&dir)?;
    fs::write(dir.join("test-summary.txt"), &summary)?;
    print!("{summary}");
    result?;
    if totals.passed == 0 {
        return Err("the test suite ran no test".into());
    }
    Ok(())
}

/// Test counts added up over every `test result:` line that cargo's test harness prints.
#[derive(Default)]
struct Totals {
    passed: u64,
    failed: u64,
}

/// Runs `cargo test`, passing its output through while counting the results.
fn cargo_test(root: &Path, args: &[&str], extra: &[&str], totals: &mut Totals) -> Result {
    let mut cmd = Command::new("cargo");
    cmd.current_dir(root)
        .arg("test")
        .args(args)
        .args(extra)
        .stdout(Stdio::piped());
    let shown = show(&cmd);
    eprintln!("$ {shown}");
    let mut child = cmd.spawn().map_err(|err| format!("could not run `{shown}`: {err}"))?;
    let stdout = child.stdout.take().ok_or("cargo test's output was not piped")?;
    for line in BufReader::new(stdout).lines() {
        let line = line?;
        println!("{line}");
        if let Some(rest) = line.strip_prefix("test result: ") {
            totals.passed += count_before(rest, "passed");
            totals.failed += count_before(rest, "failed");
        }
    }
    let status = child.wait()?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("`{shown}` failed ({status})").into())
    }
}

/// The number just before `label` in `ok. 6 passed; 0 failed; 0 ignored; ...`.
fn count_before(text: &str, label: &str) -> u64 {
    text.split(';')
        .filter_map(|part| part.trim().rsplit_once(' '))
        .find(|(_, word)| *word == label)
        .and_then(|(number, _)| number.rsplit(' ').next()?.parse().ok())
        .unwrap_or(0)
}

fn ci() -> Result {
    let root = root();
    let locked = locked_flag();
    // The cheapest check first: it needs no build.
    layering::command(&root)?;
    cargo(&root, &["fmt", "--all", "--check"], &[])?;
    cargo(
        &root,
        &["clippy", "--workspace", "--all-targets", "--all-features"],
        &[&locked[..], &["--", "-D", "warnings"]].concat(),
    )?;
    run(Command::new("cargo")
        .current_dir(&root)
        .env("RUSTDOCFLAGS", "-D warnings")
        .args(["doc", "--workspace", "--no-deps", "--all-features"])
        .args(&locked))?;
    fuzz::build(&root)?;
    test()
}

fn bench(args: &[String]) -> Result {
    registry::ensure()?;
    registry::ensure_redis()?;
    let root = root();
    let mut cmd = Command::new("cargo");
    cmd.current_dir(&root)
        .args(["bench", "--workspace", "--all-features"])
        .args(locked_flag());
    if !args.is_empty() {
        cmd.arg("--").args(args);
    }
    run(&mut cmd)
}

/// The workspace root: xtask lives one level below it.
fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask sits inside the workspace")
        .to_path_buf()
}

/// `--locked` when `Cargo.lock` is committed, so CI builds exactly what was tested.
fn locked_flag() -> Vec<&'static str> {
    if env::var_os("CI").is_some() {
        vec!["--locked"]
    } else {
        vec![]
    }
}

fn cargo(dir: &Path, args: &[&str], extra: &[&str]) -> Result {
    run(Command::new("cargo").current_dir(dir).args(args).args(extra))
}

/// Runs a command with inherited output; a non-zero exit is an error naming the command.
fn run(cmd: &mut Command) -> Result {
    let shown = show(cmd);
    eprintln!("$ {shown}");
    let status = cmd.status().map_err(|err| format!("could not run `{shown}`: {err}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("`{shown}` failed ({status})").into())
    }
}

/// Runs a command and returns its standard output.
fn output(cmd: &mut Command) -> Result<String> {
    let shown = show(cmd);
    let out = cmd.output().map_err(|err| format!("could not run `{shown}`: {err}"))?;
    if !out.status.success() {
        return Err(format!(
            "`{shown}` failed ({}):\n{}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        )
        .into());
    }
    Ok(String::from_utf8(out.stdout)?)
}

fn show(cmd: &Command) -> String {
    std::iter::once(cmd.get_program())
        .chain(cmd.get_args())
        .map(|s| s.to_string_lossy().into_owned())
        .collect::<Vec<_>>()
        .join(" ")
}

fn read(path: &Path) -> Result<String> {
    fs::read_to_string(path).map_err(|err| format!("reading {}: {err}", path.display()).into())
}
