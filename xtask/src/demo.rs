//! `cargo xtask demo`: the main job end to end without internet access.
//!
//! Starts the registry the tests use (Debian's `docker-registry`, installed when missing) on a free loopback port
//! with a temporary directory, pushes a few images with oci-check's `push-demo` example (a single-arch image, two
//! multi-arch indexes, an unpinned tag), runs `oci-check update` on the list of digests in use, moves the tags, and
//! runs it again: the moved single-arch tag and the index whose linux/amd64 image was rebuilt are updates, the index
//! where only arm64 was rebuilt is not. The registry is stopped and its directory removed at the end.

use std::net::{Ipv4Addr, TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
use std::{env, fs};

use crate::{Result, output, registry, root, show};

/// A registry process and its directory, stopped and removed on drop.
struct Demo {
    child: Child,
    dir: PathBuf,
}

impl Drop for Demo {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = fs::remove_dir_all(&self.dir);
    }
}

pub(crate) fn command(args: &[String]) -> Result {
    if let Some(extra) = args.first() {
        return Err(format!("`cargo xtask demo` takes no arguments (got `{extra}`)").into());
    }
    registry::ensure()?;
    let binary = env::var("OCI_TEST_REGISTRY").unwrap_or_else(|_| registry::BINARY.to_owned());
    let dir = env::temp_dir().join(format!("oci-check-demo-{}", std::process::id()));
    fs::create_dir_all(&dir)?;
    let port = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))?.local_addr()?.port();
    let host = format!("127.0.0.1:{port}");
    let config = dir.join("config.yml");
    fs::write(
        &config,
        format!(
            "version: 0.1\nlog:\n  level: warn\n  accesslog:\n    disabled: true\n\
             storage:\n  filesystem:\n    rootdirectory: {}\n\
             http:\n  addr: \"{host}\"\n  secret: oci-check-demo\n",
            dir.join("storage").display()
        ),
    )?;
    let log = fs::File::create(dir.join("registry.log"))?;
    eprintln!("$ {binary} serve {}", config.display());
    let child = Command::new(&binary)
        .arg("serve")
        .arg(&config)
        .stdin(Stdio::null())
        .stdout(log.try_clone()?)
        .stderr(log)
        .spawn()
        .map_err(|err| format!("could not start {binary}: {err}"))?;
    let mut demo = Demo { child, dir };
    let deadline = Instant::now() + Duration::from_secs(20);
    while TcpStream::connect((Ipv4Addr::LOCALHOST, port)).is_err() {
        if Instant::now() > deadline || demo.child.try_wait()?.is_some() {
            let log = fs::read_to_string(demo.dir.join("registry.log")).unwrap_or_default();
            return Err(format!("the registry did not start; its log:\n{log}").into());
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    println!(
        "A registry is listening on {host} (storage in {}).\n",
        demo.dir.display()
    );

    let root = root();
    let push = |step: &str| {
        output(
            Command::new("cargo")
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
        let mut cmd = Command::new("cargo");
        cmd.current_dir(&root)
            .args(["run", "--quiet", "-p", "oci-check", "--", "update"])
            .args([
                "--insecure-registry",
                host.as_str(),
                "--platform",
                "linux/amd64",
                "-f",
                list_arg.as_str(),
            ])
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
    drop(demo);
    println!("The registry is stopped.");
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
