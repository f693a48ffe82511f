//! Running `docker-credential-NAME get`, with a timeout and without async.
//!
//! The protocol: the server URL on stdin, `{"ServerURL":..,"Username":..,"Secret":..}` on stdout, and for a
//! registry the helper has nothing for, a non-zero exit with "credentials not found" in its output.
//!
//! The deadline is kept by polling `try_wait` and killing the child when it passes; its pipes are read on two
//! threads so a chatty helper cannot block. After a kill the function returns at once: a grandchild the helper
//! forked may keep the pipes open, and the reader threads then end when it does, not before.

use std::ffi::OsStr;
use std::io::{Read, Write};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use serde::Deserialize;

use crate::credentials::Credential;
use crate::error::{Error, ErrorKind, excerpt};
use crate::json::parse_object;

/// The most a helper may print; more is cut off.
const OUTPUT_LIMIT: u64 = 1 << 20;

/// How long to wait for a helper's output pipes after it exits (a forked grandchild may keep them open).
const PIPE_GRACE: Duration = Duration::from_millis(200);

#[derive(Deserialize)]
struct Answer {
    #[serde(rename = "Username", default)]
    username: String,
    #[serde(rename = "Secret", default)]
    secret: String,
}

/// Asks helper `name` for the credentials of `server_url`; `Ok(None)` when it has none.
pub(crate) fn get(
    name: &str,
    server_url: &str,
    path: Option<&OsStr>,
    timeout: Duration,
) -> Result<Option<Credential>, Error> {
    let err = |kind| Error::new(kind, server_url);
    let program = find(name, path).ok_or_else(|| err(ErrorKind::HelperNotFound { helper: name.into() }))?;
    let io_err = |e: std::io::Error| err(ErrorKind::HelperIo { helper: name.into() }).with_source(e);

    let mut command = Command::new(&program);
    command
        .arg("get")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    if let Some(path) = path {
        command.env("PATH", path);
    }
    let mut child = command.spawn().map_err(io_err)?;

    if let Some(mut stdin) = child.stdin.take() {
        // A helper that exits without reading closes the pipe; that is its business, not an error here.
        let _ = stdin.write_all(server_url.as_bytes());
    }
    let stdout = child.stdout.take().map(drain);
    let stderr = child.stderr.take().map(drain);

    let deadline = Instant::now() + timeout;
    let mut pause = Duration::from_millis(1);
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) if Instant::now() >= deadline => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(err(ErrorKind::HelperTimeout { helper: name.into() })
                    .with_detail(format!("no answer within {} ms", timeout.as_millis())));
            }
            Ok(None) => {
                thread::sleep(pause.min(deadline.saturating_duration_since(Instant::now())));
                pause = (pause * 2).min(Duration::from_millis(20));
            }
            Err(e) => {
                let _ = child.kill();
                return Err(io_err(e));
            }
        }
    };
    let collect = |rx: Option<mpsc::Receiver<Vec<u8>>>| {
        rx.and_then(|rx| rx.recv_timeout(PIPE_GRACE).ok())
            .map(|bytes| String::from_utf8_lossy(&bytes).into_owned())
            .unwrap_or_default()
    };
    let out = collect(stdout);
    let errors = collect(stderr);

    if !status.success() {
        let not_found = |s: &str| s.to_ascii_lowercase().contains("credentials not found");
        if not_found(&out) || not_found(&errors) {
            return Ok(None);
        }
        // Neither stream is repeated: a confused helper may have printed a secret on either, and its text is not
        // ours to put on a terminal. Say how to see it instead.
        let mut error = err(ErrorKind::HelperFailed {
            helper: name.into(),
            code: status.code(),
        });
        if !errors.trim().is_empty() {
            error = error.with_detail(format!(
                "it wrote {} bytes to stderr, not repeated here: run `echo {} | docker-credential-{name} get` to see them",
                errors.len(),
                excerpt(server_url, 100)
            ));
        }
        return Err(error);
    }
    let answer: Answer = parse_object(out.as_bytes()).map_err(|_| {
        err(ErrorKind::HelperOutput { helper: name.into() }).with_detail(format!(
            "{} bytes that are not a JSON object with `Username` and `Secret`",
            out.len()
        ))
    })?;
    if answer.secret.is_empty() {
        return Ok(None);
    }
    Ok(Some(if answer.username == "<token>" {
        Credential::IdentityToken(answer.secret.into())
    } else {
        Credential::basic(answer.username, answer.secret)
    }))
}

/// `docker-credential-NAME` in the first directory of `path` that has it as an executable file.
fn find(name: &str, path: Option<&OsStr>) -> Option<PathBuf> {
    let file = format!("docker-credential-{name}");
    std::env::split_paths(path?)
        .filter(|dir| !dir.as_os_str().is_empty())
        .map(|dir| dir.join(&file))
        .find(|candidate| is_executable(candidate))
}

#[cfg(unix)]
fn is_executable(path: &std::path::Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

#[cfg(not(unix))]
fn is_executable(path: &std::path::Path) -> bool {
    path.is_file()
}

/// Reads a pipe to its end on a thread, so that a chatty helper never blocks on a full pipe.
fn drain(mut pipe: impl Read + Send + 'static) -> mpsc::Receiver<Vec<u8>> {
    let (tx, rx) = mpsc::channel();
    thread::spawn(move || {
        let mut bytes = Vec::new();
        let _ = pipe.by_ref().take(OUTPUT_LIMIT).read_to_end(&mut bytes);
        let _ = tx.send(bytes);
    });
    rx
}
