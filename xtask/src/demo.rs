//! `cargo xtask demo`: the main job end to end without internet access.
//!
//! Has oci-check's `push-demo` example start the registry the tests use (oci-testkit's `Registry`: Debian's
//! `docker-registry`, installed here when missing, on a free loopback port with a temporary directory), pushes a few
//! images with the same example (a single-arch image, two multi-arch indexes, an unpinned tag), runs
//! `oci-check update` on the list of digests in use, moves the tags, and runs it again: the moved single-arch tag
//! and the index whose linux/amd64 image was rebuilt are updates, the index where only arm64 was rebuilt is not.
//! Closing the example's standard input at the end stops the registry and removes its directory.
//!
//! xtask stays a driver: starting the registry needs the test kit, whose dependencies xtask does not take.

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, ChildStdin, Stdio};
use std::{env, fs};

use crate::{Result, cargo_command, output, registry, root, show};

/// `push-demo serve`, which runs the registry until its standard input closes, and the directory of the image
/// list; on drop the registry is stopped and the directory removed.
struct Demo {
    server: Child,
    stdin: Option<ChildStdin>,
    dir: PathBuf,
}

impl Drop for Demo {
    fn drop(&mut self) {
        // End of input is the signal to stop; killing `cargo run` would leave the example running.
        drop(self.stdin.take());
        let _ = self.server.wait();
        let _ = fs::remove_dir_all(&self.dir);
    }
}

pub(crate) fn command(args: &[String]) -> Result {
    let keep = match args {
        [] => false,
        [flag] if flag == "--keep" => true,
        _ => return Err(format!("`cargo xtask demo` takes only --keep (got `{}`)", args.join(" ")).into()),
    };
    registry::ensure()?;
    let root = root();
    let dir = env::temp_dir().join(format!("oci-check-demo-{}", std::process::id()));
    fs::create_dir_all(&dir)?;
    let mut serve = cargo_command();
    serve
        .current_dir(&root)
        .args([
            "run",
            "--quiet",
            "-p",
            "oci-check",
            "--example",
            "push-demo",
            "--",
            "serve",
        ])
        .args(keep.then_some("--keep"))
        .stdin(if keep { Stdio::null() } else { Stdio::piped() })
        .stdout(Stdio::piped());
    // Its own process group, so that `kill -- -PGID` stops cargo, the example and the registry together.
    std::os::unix::process::CommandExt::process_group(&mut serve, 0);
    eprintln!("$ {}", show(&serve));
    let mut server = serve.spawn()?;
    let stdin = server.stdin.take();
    let stdout = server.stdout.take().ok_or("push-demo's output was not piped")?;
    let demo = Demo { server, stdin, dir };
    let mut host = String::new();
    BufReader::new(stdout).read_line(&mut host)?;
    let host = host.trim().to_owned();
    if host.is_empty() {
        return Err("push-demo serve ended before the registry was listening (its error is above)".into());
    }
    println!("A registry is listening on {host}.\n");

    let push = |step: &str| {
        output(
            cargo_command()
                .current_dir(&root)
                .args(["run", "--quiet", "-p", "oci-check", "--example", "push-demo", "--"])
                .args([host.as_str(), step]),
        )
    };
    let list = push("setup")?;
    let list_path = demo.dir.join("images.txt");
    fs::write(&list_path, &list)?;
    println!(
        "Pushed the demo images; the digests in use, in {}:\n\n{list}",
        list_path.display()
    );

    let list_arg = list_path.to_string_lossy().into_owned();
    let update = |extra: &[&str]| -> Result<i32> {
        let mut cmd = cargo_command();
        cmd.current_dir(&root)
            .args(["run", "--quiet", "-p", "oci-check", "--", "update"])
            .args(["--platform", "linux/amd64", "-f", list_arg.as_str()])
            .args(extra);
        println!(
            "$ {}",
            show(&cmd).replace("cargo run --quiet -p oci-check --", "oci-check")
        );
        let status = cmd.status()?;
        let code = status.code().ok_or("oci-check was killed")?;
        println!("(exit code {code})\n");
        Ok(code)
    };
    let before = update(&[])?;
    println!("Moving the tags:\n\n{}", push("move")?);
    let after = update(&[])?;
    let json = update(&["--json"])?;
    if keep {
        let group = demo.server.id();
        let list = list_path.display().to_string();
        // Keep the registry and the list: the process group outlives xtask.
        std::mem::forget(demo);
        println!(
            "The registry keeps running on {host} (process group {group}); try the README's tour on it:\n\n  \
             oci-check update --platform linux/amd64 -f {list}\n  \
             oci-check digest --platform linux/arm64 {host}/demo/multi:latest\n  \
             oci-check manifest --platform linux/amd64 {host}/demo/multi:latest\n  \
             oci-check tags {host}/demo/app\n\n\
             Stop it with: kill -- -{group}\n"
        );
    } else {
        drop(demo);
        println!("The registry is stopped.");
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
    Ok(())
}
