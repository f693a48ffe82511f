//! `cargo xtask demo`: the main job end to end without internet access.
//!
//! Checks for the registry, then builds `oci-check` and its `push-demo` example in view (cargo's progress): a first
//! build takes a few minutes, and a demo that says nothing meanwhile looks hung. Then has `push-demo` start the
//! registry the tests use (oci-testkit's `Registry`: Debian's `docker-registry`, installed here when missing, on a free
//! loopback port with a temporary directory), pushes a few images with the same example (a single-arch image, two
//! multi-arch indexes, an unpinned tag, two version tags), runs `oci-check update` on the list of digests in use, moves
//! the tags, and runs it again: the moved single-arch tag and the index whose linux/amd64 image was rebuilt are
//! updates, the index where only arm64 was rebuilt is not. Each phase starts with a line saying what it does.
//!
//! Closing the example's standard input at the end stops the registry and removes its directory and the demo's; so
//! does xtask's end, however it ends (an error, Ctrl-C), since that closes the pipe too. With `--keep`, once the demo
//! has run, a line `keep` on that input hands the registry over to a watcher: it stays, and `push-demo` removes the
//! directories when its process group is killed. `oci-check` keeps its cache in the demo's directory too, so the
//! demo leaves nothing in `~/.cache`.
//!
//! xtask stays a driver: starting the registry needs the test kit, whose dependencies xtask does not take.

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::time::Instant;
use std::{env, fs};

use crate::{Result, cargo_command, locked_flag, output, registry, root, run, show};

/// `push-demo serve`, which runs the registry until its standard input closes; on drop the registry is stopped and
/// the demo's directory removed (by `push-demo`, which owns it), unless [`Demo::keep`] handed it over.
struct Demo {
    server: Child,
    stdin: Option<ChildStdin>,
    stdout: BufReader<ChildStdout>,
    push_demo: PathBuf,
    /// The registry's `host:port`.
    host: String,
}

/// What `cargo xtask demo` and `screenshot` run, freshly built.
struct Built {
    /// The directory of the debug build.
    bin: PathBuf,
    oci_check: PathBuf,
    push_demo: PathBuf,
}

impl Demo {
    /// Runs `serve` (a [`serve_command`]) and waits until its registry listens. `dir` is xtask's to remove when it
    /// cannot start; once it runs, it is `push-demo`'s.
    fn start(mut serve: Command, push_demo: &Path, dir: &Path) -> Result<Self> {
        let mut server = serve.spawn().inspect_err(|_| {
            let _ = fs::remove_dir_all(dir);
        })?;
        let stdin = server.stdin.take();
        let stdout = server.stdout.take().ok_or("push-demo's output was not piped")?;
        let mut demo = Self {
            server,
            stdin,
            stdout: BufReader::new(stdout),
            push_demo: push_demo.to_owned(),
            host: String::new(),
        };
        demo.stdout.read_line(&mut demo.host)?;
        demo.host = demo.host.trim().to_owned();
        if demo.host.is_empty() {
            return Err("push-demo serve ended before the registry was listening (its error is above)".into());
        }
        Ok(demo)
    }

    /// `push-demo HOST STEP` (`setup` or `move`): what it printed.
    fn push(&self, step: &str) -> Result<String> {
        output(Command::new(&self.push_demo).args([self.host.as_str(), step]))
    }

    /// Leaves the registry running after xtask ends, and returns its process group. `push-demo` answers `keep` with
    /// `kept` once its watcher runs, which will clean up when the group is killed.
    fn keep(mut self) -> Result<u32> {
        let stdin = self.stdin.as_mut().ok_or("push-demo's input was not piped")?;
        stdin.write_all(b"keep\n")?;
        stdin.flush()?;
        let mut answer = String::new();
        self.stdout.read_line(&mut answer)?;
        if answer.trim() != "kept" {
            return Err("push-demo could not keep the registry running (its error is above)".into());
        }
        let group = self.server.id();
        // Neither close its input nor wait: it runs on after xtask, as asked.
        std::mem::forget(self);
        Ok(group)
    }
}

impl Drop for Demo {
    fn drop(&mut self) {
        // End of input is the signal to stop: `push-demo` stops the registry and removes the directories.
        drop(self.stdin.take());
        let _ = self.server.wait();
    }
}

/// Where cargo puts what it builds: `CARGO_TARGET_DIR` (relative to the workspace), else `target`.
fn target_dir(root: &Path) -> PathBuf {
    match env::var_os("CARGO_TARGET_DIR") {
        Some(dir) => root.join(dir),
        None => root.join("target"),
    }
}

/// Builds `oci-check` and its `push-demo` example, showing cargo's progress.
fn build(root: &Path) -> Result<Built> {
    run(cargo_command()
        .current_dir(root)
        .args([
            "build",
            "-p",
            "oci-check",
            "--bin",
            "oci-check",
            "--example",
            "push-demo",
        ])
        .args(locked_flag()))?;
    let bin = target_dir(root).join("debug");
    Ok(Built {
        oci_check: bin.join("oci-check"),
        push_demo: bin.join("examples").join("push-demo"),
        bin,
    })
}

/// `push-demo serve DIR`, its input and output piped, in a process group of its own so that `kill -- -PGID` stops
/// the example and the registry together.
fn serve_command(push_demo: &Path, dir: &Path) -> Command {
    let mut serve = Command::new(push_demo);
    serve.arg("serve").arg(dir).stdin(Stdio::piped()).stdout(Stdio::piped());
    std::os::unix::process::CommandExt::process_group(&mut serve, 0);
    serve
}

/// A line saying what happens next, and how long the demo has run.
fn phase(started: Instant, what: &str) {
    println!("[{:>3} s] {what}", started.elapsed().as_secs());
}

pub(crate) fn command(args: &[String]) -> Result {
    let keep = match args {
        [] => false,
        [flag] if flag == "--keep" => true,
        _ => return Err(format!("`cargo xtask demo` takes only --keep (got `{}`)", args.join(" ")).into()),
    };
    let started = Instant::now();
    let root = root();
    // First, so that a registry the user must install stops the demo before a build of minutes.
    phase(
        started,
        &format!(
            "Checking for the registry ({}; installed when missing)",
            registry::BINARY
        ),
    );
    registry::ensure()?;
    phase(
        started,
        "Building oci-check and its push-demo example (cargo's progress below; a first build takes a few minutes \
         on 2 cores, later ones seconds):",
    );
    let Built {
        bin,
        oci_check,
        push_demo,
    } = build(&root)?;

    let dir = env::temp_dir().join(format!("oci-check-demo-{}", std::process::id()));
    fs::create_dir_all(&dir)?;
    phase(started, "Starting the registry on a free loopback port:");
    // Its input is a pipe from xtask even with --keep: until `keep` is sent at the end, xtask's end stops it.
    let serve = serve_command(&push_demo, &dir);
    println!("$ {}", show(&serve));
    let demo = Demo::start(serve, &push_demo, &dir)?;
    let host = demo.host.clone();
    println!("A registry is listening on {host}.\n");

    phase(started, "Pushing the demo images:");
    let list = demo.push("setup")?;
    let list_path = dir.join("images.txt");
    fs::write(&list_path, &list)?;
    println!("The digests in use, in {}:\n\n{list}", list_path.display());

    let list_arg = list_path.to_string_lossy().into_owned();
    let cache_home = dir.join("cache");
    let update = |extra: &[&str]| -> Result<i32> {
        let mut cmd = Command::new(&oci_check);
        // The cache goes with the demo's directory instead of into the user's ~/.cache.
        cmd.env("XDG_CACHE_HOME", &cache_home)
            .arg("update")
            .args(["--platform", "linux/amd64", "-f", list_arg.as_str()])
            .args(extra);
        println!(
            "$ {}",
            show(&cmd).replace(&oci_check.display().to_string(), "oci-check")
        );
        let status = cmd.status()?;
        let code = status.code().ok_or("oci-check was killed")?;
        println!("(exit code {code})\n");
        Ok(code)
    };
    phase(started, &format!("Running oci-check ({}):", oci_check.display()));
    let before = update(&[])?;
    phase(started, "Moving the tags:");
    println!("{}", demo.push("move")?);
    phase(started, "Running oci-check again:");
    let after = update(&[])?;
    let json = update(&["--json"])?;
    if keep {
        let group = demo.keep()?;
        println!(
            "The registry keeps running on {host} (process group {group}). oci-check is {}; for the README's \
             tour, run these two lines first:\n\n  \
             export PATH=\"{}:$PATH\"\n  \
             cd {}\n\n\
             then, for example:\n\n  \
             oci-check update --platform linux/amd64 -f images.txt\n  \
             oci-check update --newer --platform linux/amd64 -f images.txt\n  \
             oci-check versions --platform linux/amd64 {host}/demo/app:1.0.0\n  \
             oci-check digest --platform linux/arm64 {host}/demo/multi:latest\n  \
             oci-check manifest --platform linux/amd64 {host}/demo/multi:latest\n  \
             oci-check tags {host}/demo/app\n\n\
             Stop it with: kill -- -{group}   (this also removes the registry's directory and {})\n",
            oci_check.display(),
            bin.display(),
            dir.display(),
            dir.display(),
        );
    } else {
        drop(demo);
        println!("The registry is stopped and its directory removed.");
    }
    if (before, after, json) != (0, 10, 10) {
        return Err(
            format!("expected exit codes 0 before the move and 10 after it, got {before}, {after} and {json}").into(),
        );
    }
    println!(
        "Exit codes: 0 all up to date, 10 an update is available, 1 a check failed, 2 usage error.\n\
         demo/multi is up to date after the move: its index changed, but not its linux/amd64 image."
    );
    phase(started, "Done.");
    Ok(())
}

/// `cargo xtask screenshot [FILE]`: the README's picture of the watcher's page, made again from the demo's images.
/// Starts the demo's registry, pushes and moves its images, runs `oci-check watch --newer --listen` on them, and
/// has headless Chromium take a picture of the page (`docs/page.png` unless FILE is given).
pub(crate) fn screenshot(args: &[String]) -> Result {
    let root = root();
    let file = match args {
        [] => root.join("docs/page.png"),
        [file] => PathBuf::from(file),
        _ => return Err("`cargo xtask screenshot` takes at most a FILE".into()),
    };
    registry::ensure()?;
    registry::ensure_chromium()?;
    let Built {
        oci_check, push_demo, ..
    } = build(&root)?;
    let dir = env::temp_dir().join(format!("oci-check-screenshot-{}", std::process::id()));
    fs::create_dir_all(&dir)?;
    let demo = Demo::start(serve_command(&push_demo, &dir), &push_demo, &dir)?;
    let list = demo.push("setup")?;
    let list_path = dir.join("images.txt");
    fs::write(&list_path, &list)?;
    demo.push("move")?;
    let port = std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
    let mut watcher = Command::new(&oci_check)
        .env("XDG_CACHE_HOME", dir.join("cache"))
        .args([
            "watch",
            "--interval",
            "1h",
            "--newer",
            "--platform",
            "linux/amd64",
            "--host-name",
            "demo",
        ])
        .arg("--state")
        .arg(dir.join("state"))
        .arg("--listen")
        .arg(port.to_string())
        .arg("-f")
        .arg(&list_path)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()?;
    let mut lines = BufReader::new(watcher.stderr.take().ok_or("the watcher's stderr was not piped")?);
    let mut round = false;
    let mut line = String::new();
    while lines.read_line(&mut line)? > 0 {
        print!("{line}");
        if line.contains("round: ") {
            round = true;
            break;
        }
        line.clear();
    }
    let shot = if round {
        run(Command::new("/usr/bin/chromium")
            .args([
                "--headless=new",
                "--no-sandbox",
                "--disable-gpu",
                "--hide-scrollbars",
                "--force-device-scale-factor=1",
                "--window-size=1440,520",
            ])
            .arg(format!("--user-data-dir={}", dir.join("chromium").display()))
            .arg(format!("--screenshot={}", file.display()))
            .arg(format!("http://127.0.0.1:{port}/")))
    } else {
        Err("the watcher ended before its first round (its error is above)".into())
    };
    let _ = Command::new("kill").args(["-TERM", &watcher.id().to_string()]).status();
    let _ = watcher.wait();
    drop(demo);
    shot?;
    println!("wrote {}", file.display());
    Ok(())
}
