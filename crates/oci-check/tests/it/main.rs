//! End-to-end tests: the built `oci-check` binary, run as a user would run it.

mod reference;

use std::io::Write;
use std::process::{Command, Stdio};

/// What one run of `oci-check` did.
#[derive(Debug)]
struct Outcome {
    code: i32,
    stdout: String,
    stderr: String,
}

/// Runs `oci-check ARGS` with `stdin` as its standard input.
fn oci_check(args: &[&str], stdin: impl AsRef<[u8]>) -> Outcome {
    let mut child = Command::new(env!("CARGO_BIN_EXE_oci-check"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("oci-check runs");
    let mut pipe = child.stdin.take().expect("stdin is piped");
    let input = stdin.as_ref().to_vec();
    let writer = std::thread::spawn(move || pipe.write_all(&input));
    let output = child.wait_with_output().expect("oci-check finishes");
    writer.join().expect("writer thread").expect("stdin written");
    Outcome {
        code: output.status.code().expect("oci-check exits rather than being killed"),
        stdout: String::from_utf8(output.stdout).expect("stdout is UTF-8"),
        stderr: String::from_utf8(output.stderr).expect("stderr is UTF-8"),
    }
}
