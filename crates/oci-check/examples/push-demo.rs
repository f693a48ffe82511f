//! The registry and the images of `cargo xtask demo`.
//!
//! `push-demo serve` starts the registry the tests use (oci-testkit's `Registry`: Debian's `docker-registry` on a
//! free loopback port, plain HTTP, a temporary directory), prints its `HOST:PORT` on a line of its own, and keeps it
//! running until its standard input is closed; then it stops the registry and removes its directory. `push-demo serve
//! --keep` keeps it running until the process is killed (`cargo xtask demo --keep` says how).
//!
//! `push-demo HOST:PORT setup` pushes a single-arch image, a multi-arch index and an image left unpinned, and
//! prints the list `oci-check update -f` reads, with the digests in use. `push-demo HOST:PORT move` then moves the
//! tags: the single-arch tag to a new image, the index to a new one whose linux/amd64 image is unchanged (only
//! arm64 was rebuilt), and a second index to one whose linux/amd64 image changed.

#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::error::Error;
use std::io::{Read, Write};
use std::process::ExitCode;

use oci_digest::Digest;
use oci_registry::{Client, RegistryOptions, Transport};
use oci_testkit::{Images, Registry};

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.as_slice() {
        [serve] if serve == "serve" => serve_until_stdin_closes(),
        [serve, keep] if serve == "serve" && keep == "--keep" => serve_until_killed(),
        [host, step] => push_step(host, step),
        _ => {
            eprintln!("usage: push-demo serve [--keep] | push-demo HOST:PORT setup|move");
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

/// Runs the registry until standard input reaches its end, so that it stops with whoever started it.
fn serve_until_stdin_closes() -> Result<(), Box<dyn Error>> {
    let registry = Registry::open();
    let mut stdout = std::io::stdout().lock();
    writeln!(stdout, "{}", registry.host())?;
    stdout.flush()?;
    std::io::stdin().lock().read_to_end(&mut Vec::new())?;
    drop(registry);
    Ok(())
}

/// Runs the registry until this process is killed (with its process group, which takes the registry too).
fn serve_until_killed() -> Result<(), Box<dyn Error>> {
    let registry = Registry::open();
    let mut stdout = std::io::stdout().lock();
    writeln!(stdout, "{}", registry.host())?;
    stdout.flush()?;
    drop(stdout);
    loop {
        std::thread::park();
    }
}

fn push_step(host: &str, step: &str) -> Result<(), Box<dyn Error>> {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    let list = runtime.block_on(push(host, step))?;
    print!("{list}");
    Ok(())
}

async fn push(host: &str, step: &str) -> Result<String, Box<dyn Error>> {
    let client = Client::builder()
        .registry(host, RegistryOptions::new().transport(Transport::Http))
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
            Ok(format!(
                "# The images in use, as `oci-check update -f` reads them: IMAGE@DIGEST or IMAGE DIGEST.\n\
                 {host}/demo/app:1@{app1}\n\
                 {host}/demo/multi:latest {multi1}\n\
                 {host}/demo/rebuilt:3@{rebuilt1}\n\
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
