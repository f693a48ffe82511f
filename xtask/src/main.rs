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
mod dist;
mod fuzz;
#[cfg(feature = "image")]
mod image;
mod layering;
mod newest;
mod registry;
mod release;

type Result<T = ()> = std::result::Result<T, Box<dyn Error>>;

const HELP: &str = "\
cargo xtask COMMAND

Commands:
  test                      run the whole test suite (unit, property, doc and integration tests),
                            installing what it needs first; this is the README's test command
  ci                        the layering invariants, format check, clippy and rustdoc with
                            -D warnings, a build of every fuzz target (with CI set, left to the
                            fuzz run that follows in .ci/run), a build of the published crates
                            against their newest compatible dependencies (no lock file) with
                            -D warnings, then `test`
  test-tools                unpack the test programs Debian's stable archive lacks (ntfy, cosign, oras)
                            below target/test-tools/, as `test` does, and print where they are
  layering                  check the dependency arrows between workspace crates and that no crate
                            below oci-registry reaches an IO crate (see docs/architecture.md)
  newest                    that build of the published crates alone: no lock file, the newest
                            dependencies the running rustc can build (in target/xtask/newest)
  fuzz [TARGET] [--seconds N]
                            run one fuzz target, or every one, for N seconds each (default 60);
                            installs cargo-fuzz when missing and uses the nightly toolchain
  baseline [--differential [N]] [--seed S] [--save FILE] | baseline --bench
                            regenerate oci-ref's vectors from the Go reference implementation
                            (installs Go and its sources from Debian); with --differential, compare
                            `oci-check ref --json` with it on N generated inputs (default 20000);
                            with --bench, time Go on the corpus of oci-ref's parse benchmark
  bench [FILTER]            run the benchmarks and print their figures
  demo [--keep]             build oci-check, start a local registry with a few images, move tags, and
                            run `oci-check update` against it (no internet needed); --keep leaves the
                            registry running for the README's tour and says how to stop it
  screenshot [FILE]         the README's picture of the watcher's page (docs/page.png), made again by headless
                            Chromium from the demo's images
  release [--publish]       check that versions and CHANGELOG.md agree, then package every
                            publishable crate in dependency order; publishes only with --publish
  dist                      build the release binary into target/dist/ with its shell completions
                            (completions/) and man pages (man/)
  image [--push REGISTRY/REPO:TAG] [--insecure]
                            build the container image of oci-check without a Docker daemon, as an
                            OCI layout in target/dist/image/; --push uploads it with oci-registry
                            (--insecure: plain HTTP to a registry that is not on loopback)
  help                      this text
";

/// Every workspace crate in dependency order (`release` publishes in this order), with the workspace crates
/// each may depend on and what each must never reach.
const LAYERS: &[Layer] = &[
    Layer::new("oci-version", &[]).no_io(),
    Layer::new("oci-digest", &[]).no_io(),
    Layer::new("oci-ref", &["oci-digest"]).no_io(),
    Layer::new("oci-manifest", &["oci-digest"]).no_io(),
    // Signatures: judges the bytes of signature manifests and payloads it is handed; finding them is the client's.
    Layer::new("oci-sign", &["oci-digest", "oci-manifest"]).no_io(),
    Layer::new("oci-auth", &[]).no_io(),
    Layer::new("oci-notify", &["oci-auth"]).no_io(),
    Layer::new(
        "oci-registry",
        &["oci-digest", "oci-ref", "oci-manifest", "oci-auth", "oci-version"],
    ),
    // Reads engines over their unix socket with hyper and tokio; its parsers stay pure and are fuzzed.
    Layer::new("oci-inventory", &["oci-digest", "oci-ref", "oci-manifest"]),
    // The watcher's machine is pure; its directory store does file IO, its own input types keep it apart.
    Layer::new("oci-watch", &[]),
    // The watcher's page, API and metrics, rendered from its states: pure itself, but oci-watch (whose state it
    // reads) brings tokio for its store.
    Layer::new("oci-dashboard", &["oci-watch"]),
    // Test support (publish = false): it may use anything, and nothing may use it but as a dev-dependency.
    Layer::new("oci-testkit", &[]).any_dependency(),
    Layer::new(
        "oci-check",
        &[
            "oci-registry",
            "oci-ref",
            "oci-auth",
            "oci-version",
            "oci-inventory",
            "oci-manifest",
            "oci-notify",
            "oci-watch",
            "oci-dashboard",
            "oci-sign",
        ],
    ),
    // `cargo xtask image` pushes with the registry client (feature `image`).
    Layer::new("xtask", &["oci-registry", "oci-auth"]).tool(),
];

/// The crates that do IO; only `oci-registry` and the CLI above it may know them.
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
        Some("test-tools") => test_tools(),
        Some("newest") => newest::check(&root()),
        Some("fuzz") => fuzz::command(&args[1..]),
        Some("baseline") => baseline::command(&args[1..]),
        Some("bench") => bench(&args[1..]),
        Some("demo") => demo::command(&args[1..]),
        Some("release") => release::command(&args[1..]),
        Some("screenshot") => demo::screenshot(&args[1..]),
        Some("dist") => dist::command(&args[1..]),
        Some("image") => image(&args[1..]),
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

/// `cargo xtask image`: with the `image` feature, the command itself; without it, xtask again with the feature, so
/// that only this command builds the registry client.
fn image(args: &[String]) -> Result {
    #[cfg(feature = "image")]
    {
        image::command(args)
    }
    #[cfg(not(feature = "image"))]
    {
        run(cargo_command()
            .current_dir(root())
            .args([
                "run",
                "--quiet",
                "--package",
                "xtask",
                "--features",
                "image",
                "--",
                "image",
            ])
            .args(args))
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
    registry::ensure_squid()?;
    registry::ensure_openssl()?;
    registry::ensure_prometheus()?;
    registry::ensure_chromium()?;
    registry::ensure_mosquitto()?;
    registry::ensure_aiosmtpd()?;
    registry::ensure_docker()?;
    let root = root();
    let mut unpacked = Vec::new();
    for tool in registry::UNPACKED {
        unpacked.push((tool.variable, registry::ensure_unpacked(&root, tool)?));
    }
    let locked = locked_flag();
    // The examples as programs (`cargo test` builds them only as test harnesses): the demo's test runs push-demo.
    cargo(
        &root,
        &["build", "--workspace", "--examples", "--all-features"],
        &locked,
    )?;
    let mut totals = Totals::default();
    let tools: Vec<(&str, &Path)> = unpacked.iter().map(|(name, path)| (*name, path.as_path())).collect();
    let result = cargo_test(
        &root,
        &["--workspace", "--all-targets", "--all-features"],
        &locked,
        &tools,
        &mut totals,
    )
    .and_then(|()| {
        cargo_test(
            &root,
            &["--workspace", "--doc", "--all-features"],
            &locked,
            &tools,
            &mut totals,
        )
    });
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

/// `cargo xtask test-tools`: what `test` unpacks, alone, for running one crate's tests by hand.
fn test_tools() -> Result {
    let root = root();
    for tool in registry::UNPACKED {
        let path = registry::ensure_unpacked(&root, tool)?;
        println!("{}={}", tool.variable, path.display());
    }
    Ok(())
}

/// Test counts added up over every `test result:` line that cargo's test harness prints.
#[derive(Default)]
struct Totals {
    passed: u64,
    failed: u64,
}

/// Runs `cargo test` with `tools` (variables naming binaries the tests start) in its environment, passing its
/// output through while counting the results.
fn cargo_test(root: &Path, args: &[&str], extra: &[&str], tools: &[(&str, &Path)], totals: &mut Totals) -> Result {
    let mut cmd = cargo_command();
    cmd.current_dir(root)
        .envs(tools.iter().copied())
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
    run(cargo_command()
        .current_dir(&root)
        .env("RUSTDOCFLAGS", "-D warnings")
        .args(["doc", "--workspace", "--no-deps", "--all-features"])
        .args(&locked))?;
    if env::var_os("CI").is_none() {
        fuzz::build(&root)?;
    } else {
        // On a CI machine the fuzz smoke run that follows (`.ci/run`) builds the targets, after the test build is
        // removed: the two builds (2 and 3 GB) never share the disk.
        eprintln!("xtask: CI: the fuzz targets are built by the fuzz run that follows");
    }
    newest::check(&root)?;
    if env::var_os("CI").is_some() {
        // Its 1 GB of build is kept between local runs to save time; a CI machine starts afresh and may be short
        // of disk.
        newest::forget(&root)?;
    }
    // The release dry run: versions, CHANGELOG and exact requirements agree, and every publishable crate builds
    // from its packaged sources.
    release::command(&[])?;
    test()
}

fn bench(args: &[String]) -> Result {
    registry::ensure()?;
    registry::ensure_redis()?;
    let root = root();
    // The signature benchmark signs with the real cosign, which the test kit finds where this unpacks it.
    for tool in registry::UNPACKED {
        registry::ensure_unpacked(&root, tool)?;
    }
    let mut cmd = cargo_command();
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
    run(cargo_command().current_dir(dir).args(args).args(extra))
}

/// The variables `cargo run` sets for the program it runs (here: xtask), which a cargo started by xtask must not
/// see. Build scripts such as ring's ask to rerun when `CARGO_MANIFEST_DIR` or `CARGO_PKG_*` change, and cargo
/// compares them with its own environment: a child cargo that inherited xtask's values would rebuild ring, rustls
/// and everything above them, and the next plain `cargo build` would rebuild them back.
const CARGO_RUN_VARIABLES: &[&str] = &[
    "CARGO_MANIFEST_DIR",
    "CARGO_MANIFEST_PATH",
    "CARGO_MANIFEST_LINKS",
    "CARGO_PKG_AUTHORS",
    "CARGO_PKG_DESCRIPTION",
    "CARGO_PKG_HOMEPAGE",
    "CARGO_PKG_LICENSE",
    "CARGO_PKG_LICENSE_FILE",
    "CARGO_PKG_NAME",
    "CARGO_PKG_README",
    "CARGO_PKG_REPOSITORY",
    "CARGO_PKG_RUST_VERSION",
    "CARGO_PKG_VERSION",
    "CARGO_PKG_VERSION_MAJOR",
    "CARGO_PKG_VERSION_MINOR",
    "CARGO_PKG_VERSION_PATCH",
    "CARGO_PKG_VERSION_PRE",
    "CARGO_CRATE_NAME",
    "CARGO_BIN_NAME",
    "CARGO_PRIMARY_PACKAGE",
    "CARGO_RUSTC_CURRENT_DIR",
    "CARGO_TARGET_TMPDIR",
];

/// `cargo`, without the variables `cargo run` gave xtask: every cargo xtask starts is made here.
///
/// Besides the fixed list, any other `CARGO_PKG_*` in xtask's environment goes too (a newer cargo may add one).
/// `CARGO` and `CARGO_HOME` stay: they name the toolchain and its home, the same for a plain `cargo build`.
fn cargo_command() -> Command {
    let mut cmd = Command::new("cargo");
    for name in CARGO_RUN_VARIABLES {
        cmd.env_remove(name);
    }
    for (name, _) in env::vars_os() {
        if name.to_str().is_some_and(|name| name.starts_with("CARGO_PKG_")) {
            cmd.env_remove(name);
        }
    }
    cmd
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

#[cfg(test)]
mod tests {
    use std::ffi::OsStr;

    use super::*;

    /// What `cargo_command` does to each variable: `Some(true)` removed, `Some(false)` set, `None` inherited.
    fn treatment(cmd: &Command, name: &str) -> Option<bool> {
        cmd.get_envs()
            .find(|(key, _)| *key == OsStr::new(name))
            .map(|(_, value)| value.is_none())
    }

    #[test]
    fn child_cargo_does_not_see_what_cargo_run_set() {
        let cmd = cargo_command();
        assert_eq!(cmd.get_program(), "cargo");
        // The ones ring's build script reruns on, and the rest of what `cargo run` and `cargo test` set.
        for name in CARGO_RUN_VARIABLES {
            assert_eq!(treatment(&cmd, name), Some(true), "{name} must be removed");
        }
        // This test runs under `cargo test`, which set these for it as `cargo run` does for xtask.
        for (name, _) in env::vars() {
            if name.starts_with("CARGO_PKG_") || name == "CARGO_MANIFEST_DIR" {
                assert_eq!(treatment(&cmd, &name), Some(true), "{name} must be removed");
            }
        }
        // What a plain `cargo build` sees too stays inherited: the toolchain, its home, the user's flags.
        for name in [
            "CARGO",
            "CARGO_HOME",
            "PATH",
            "RUSTFLAGS",
            "CARGO_TARGET_DIR",
            "RUSTUP_TOOLCHAIN",
        ] {
            assert_eq!(treatment(&cmd, name), None, "{name} must be inherited");
        }
    }

    #[test]
    fn the_list_names_what_ring_reruns_on() {
        // ring's build script: `rerun-if-env-changed` for each of these.
        for name in [
            "CARGO_MANIFEST_DIR",
            "CARGO_PKG_NAME",
            "CARGO_PKG_VERSION_MAJOR",
            "CARGO_PKG_VERSION_MINOR",
            "CARGO_PKG_VERSION_PATCH",
            "CARGO_PKG_VERSION_PRE",
            "CARGO_MANIFEST_LINKS",
        ] {
            assert!(CARGO_RUN_VARIABLES.contains(&name), "{name}");
        }
    }
}
