//! The registry and the images of `cargo xtask demo`.
//!
//! `push-demo serve DIR` starts the registry the tests use (oci-testkit's `Registry`: Debian's `docker-registry` on a
//! free loopback port, plain HTTP, a temporary directory), prints its `HOST:PORT` on a line of its own, and keeps it
//! running until its standard input is closed; then it stops the registry and removes its directory and `DIR` (the
//! demo's own, for its image list). `push-demo serve DIR --keep` keeps it running until the process is killed; so
//! does a line `keep` on the standard input of `push-demo serve DIR`, answered with a line `kept` (what
//! `cargo xtask demo --keep` sends once the demo has run, so that a demo that fails or is interrupted before then
//! leaves nothing running). A kept registry has a watcher in a process group of its own (`push-demo watch`), which
//! stops the registry and removes both directories however the process ended (`kill -- -PGID`, Ctrl-C, even
//! SIGKILL).
//!
//! `push-demo HOST:PORT setup` pushes a single-arch image, a multi-arch index, an image left unpinned and two version
//! tags of the single-arch repository (`1.0.0`, `1.1.0`, built a few months apart), and prints the list
//! `oci-check update -f` reads, with the digests in use. `push-demo HOST:PORT move` then moves the tags: the
//! single-arch tag to a new image, the index to a new one whose linux/amd64 image is unchanged (only arm64 was
//! rebuilt), and a second index to one whose linux/amd64 image changed.

#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::error::Error;
use std::io::{BufRead, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{ChildStdin, Command, ExitCode, Stdio};

use oci_digest::Digest;
use oci_registry::{Client, RegistryOptions, Scheme};
use oci_testkit::{Images, Registry};

const USAGE: &str = "usage: push-demo serve DIR [--keep] | push-demo HOST:PORT setup|move";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.as_slice() {
        [serve, dir] if serve == "serve" => serve_until_stdin_closes(Path::new(dir)),
        [serve, dir, keep] if serve == "serve" && keep == "--keep" => serve_until_killed(Path::new(dir)),
        [command, pid, dirs @ ..] if command == "watch" => watch(pid, dirs),
        [host, step] => push_step(host, step),
        _ => {
            eprintln!("{USAGE}");
            return ExitCode::from(2);
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("push-demo: {err}");
            ExitCode::FAILURE
        }
    }
}

/// Starts the registry and prints its address on a line of its own, which the caller waits for.
fn start() -> Result<Registry, Box<dyn Error>> {
    let registry = Registry::open();
    print_line(registry.host())?;
    Ok(registry)
}

fn print_line(line: &str) -> Result<(), Box<dyn Error>> {
    let mut stdout = std::io::stdout().lock();
    writeln!(stdout, "{line}")?;
    stdout.flush()?;
    Ok(())
}

/// Runs the registry until standard input reaches its end, so that it stops with whoever started it (also when
/// that one was killed: its end of the pipe closes all the same), or until a line `keep` hands it over to
/// [`keep_running`].
fn serve_until_stdin_closes(dir: &Path) -> Result<(), Box<dyn Error>> {
    let registry = start()?;
    let mut stdin = std::io::stdin().lock();
    let mut line = String::new();
    let read = loop {
        line.clear();
        match stdin.read_line(&mut line) {
            Ok(0) => break Ok(()),
            Ok(_) if line.trim() == "keep" => return keep_running(registry, dir, Announce::Kept),
            Ok(_) => {}
            Err(err) => break Err(err),
        }
    };
    drop(registry);
    let _ = std::fs::remove_dir_all(dir);
    Ok(read?)
}

/// Runs the registry until this process is killed (with its process group, which takes the registry too).
/// Its address is printed only once the watcher runs, so that a caller may kill the group as soon as it reads it.
fn serve_until_killed(dir: &Path) -> Result<(), Box<dyn Error>> {
    keep_running(Registry::open(), dir, Announce::Host)
}

/// What [`keep_running`] prints once its watcher runs.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Announce {
    /// The registry's `HOST:PORT`, the first line a caller of `serve DIR --keep` waits for.
    Host,
    /// A line `kept`, the answer to `keep`.
    Kept,
}

/// Keeps `registry` running until this process is killed. A killed process runs no destructor, so a watcher outside
/// the group cleans up: it reads a pipe only this process writes to, whose end comes when this process ends, however
/// it ends. What `announce` names is printed on standard output once the watcher runs.
fn keep_running(registry: Registry, dir: &Path, announce: Announce) -> Result<(), Box<dyn Error>> {
    let mut watcher = Command::new(std::env::current_exe()?);
    watcher
        .arg("watch")
        .arg(registry.pid().to_string())
        .arg(registry.dir())
        .arg(dir)
        .stdin(Stdio::piped())
        .stdout(Stdio::null());
    // Not in the demo's process group, so that `kill -- -PGID` leaves it to do its work.
    std::os::unix::process::CommandExt::process_group(&mut watcher, 0);
    let watcher = watcher.spawn()?;
    let _pipe: Option<ChildStdin> = watcher.stdin;
    match announce {
        Announce::Host => print_line(registry.host())?,
        Announce::Kept => print_line("kept")?,
    }
    // The registry is left to the watcher: dropping it here would stop it.
    std::mem::forget(registry);
    loop {
        std::thread::park();
    }
}

/// `push-demo watch PID DIR...`: waits for the end of standard input, then stops the registry `PID` (when the
/// process group's signal did not already) and removes the directories.
fn watch(pid: &str, dirs: &[String]) -> Result<(), Box<dyn Error>> {
    let pid: u32 = pid
        .parse()
        .map_err(|_| format!("`{pid}` is not a process id; {USAGE}"))?;
    let _ = std::io::stdin().lock().read_to_end(&mut Vec::new());
    // `kill` fails when the registry is gone already, which is the usual case.
    let _ = Command::new("kill").arg(pid.to_string()).stderr(Stdio::null()).status();
    for dir in dirs.iter().map(PathBuf::from) {
        // The registry may still be writing its log for a moment after its signal.
        for _ in 0..50 {
            if std::fs::remove_dir_all(&dir).is_ok() || !dir.exists() {
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
    }
    Ok(())
}

fn push_step(host: &str, step: &str) -> Result<(), Box<dyn Error>> {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    let list = runtime.block_on(push(host, step))?;
    print!("{list}");
    Ok(())
}

async fn push(host: &str, step: &str) -> Result<String, Box<dyn Error>> {
    let client = Client::builder()
        .registry(host, RegistryOptions::new().scheme(Scheme::Http))
        .build()?;
    let app = Images::new(&client, host, "demo/app")?;
    let multi = Images::new(&client, host, "demo/multi")?;
    let rebuilt = Images::new(&client, host, "demo/rebuilt")?;
    let web = Images::new(&client, host, "demo/web")?;
    match step {
        "setup" => {
            let app1 = app.platform_image("amd64", "app-1.0", Some("1")).await?.digest;
            let multi1 = index(&multi, "multi-amd64-1", "multi-arm64-1", "latest").await?;
            let rebuilt1 = index(&rebuilt, "rebuilt-amd64-1", "rebuilt-arm64-1", "3").await?;
            web.platform_image("amd64", "web-1", Some("stable")).await?;
            // Version tags for `update --newer` and `versions`: 1.1.0 is newer and built later, so it is confirmed.
            let version1 = app
                .dated_image("amd64", "app-1.0.0", Some("2025-01-15T10:00:00Z"), Some("1.0.0"))
                .await?
                .digest;
            app.dated_image("amd64", "app-1.1.0", Some("2025-04-02T10:00:00Z"), Some("1.1.0"))
                .await?;
            Ok(format!(
                "# The images in use, as `oci-check update -f` reads them: IMAGE@DIGEST or IMAGE DIGEST.\n\
                 {host}/demo/app:1@{app1}\n\
                 {host}/demo/multi:latest {multi1}\n\
                 {host}/demo/rebuilt:3@{rebuilt1}\n\
                 # A version tag: with --newer, oci-check also looks for a newer version of its shape (#.#.#).\n\
                 {host}/demo/app:1.0.0@{version1}\n\
                 # No digest: oci-check reports the tag's current digests, to pin them.\n\
                 {host}/demo/web:stable\n"
            ))
        }
        "move" => {
            let app2 = app.platform_image("amd64", "app-1.1", Some("1")).await?.digest;
            // Only the arm64 image was rebuilt: the index digest changes, the linux/amd64 image does not.
            let multi2 = index(&multi, "multi-amd64-1", "multi-arm64-2", "latest").await?;
            let rebuilt2 = index(&rebuilt, "rebuilt-amd64-2", "rebuilt-arm64-2", "3").await?;
            Ok(format!(
                "moved {host}/demo/app:1 to {app2}\nmoved {host}/demo/multi:latest to {multi2} (arm64 rebuilt)\n\
                 moved {host}/demo/rebuilt:3 to {rebuilt2} (both rebuilt)\n"
            ))
        }
        other => Err(format!("unknown step `{other}`: setup or move").into()),
    }
}

/// Pushes a linux/amd64 and a linux/arm64 image and an index naming both under `tag`.
async fn index(images: &Images, amd64: &str, arm64: &str, tag: &str) -> Result<Digest, Box<dyn Error>> {
    let amd64 = images.platform_image("amd64", amd64, None).await?.digest;
    let arm64 = images.platform_image("arm64", arm64, None).await?.digest;
    Ok(images.index(&[("amd64", &amd64), ("arm64", &arm64)], tag).await?.digest)
}
