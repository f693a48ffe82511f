//! What runs here, when it is hostile: compose projects and inspect output from elsewhere, and engines that stall.
//! Each gives one clear failure, promptly, without a secret in it.

use std::io::Read;
use std::os::unix::net::UnixListener;

use oci_testkit::TempDir;

use super::{oci_check, oci_check_env};

/// Makes a FIFO at `path` with `mkfifo`.
fn mkfifo(path: &std::path::Path) {
    let status = std::process::Command::new("mkfifo").arg(path).status().unwrap();
    assert!(status.success());
}

#[test]
fn an_engine_that_accepts_and_stalls_is_bounded_by_the_timeout() {
    let dir = TempDir::new("oci-check-stalled-engine");
    let socket = dir.path().join("docker.sock");
    let listener = UnixListener::bind(&socket).unwrap();
    let holder = std::thread::spawn(move || {
        // Accepts and never answers, until the client closes its connection.
        if let Ok((mut stream, _)) = listener.accept() {
            let mut sink = [0u8; 1024];
            while matches!(stream.read(&mut sink), Ok(n) if n > 0) {}
        }
    });
    let url = format!("unix://{}", socket.display());
    let out = oci_check(&["update", "--docker", "--host", &url, "--timeout", "1"], "");
    assert_eq!(out.code, 1, "{out:?}");
    assert!(
        out.stderr.contains("could not read the Docker engine"),
        "{}",
        out.stderr
    );
    // The engine's bound is --timeout, not a fixed 30 s per request.
    assert!(out.stderr.contains("took longer than 1 s in all"), "{}", out.stderr);
    holder.join().unwrap();
}

#[test]
fn a_dotenv_fifo_is_refused_instead_of_waited_on() {
    let dir = TempDir::new("oci-check-dotenv-fifo");
    let compose = dir.path().join("compose.yaml");
    std::fs::write(&compose, "services:\n  web:\n    image: nginx:1.27\n").unwrap();
    mkfifo(&dir.path().join(".env"));
    let out = oci_check(&["update", "--compose", compose.to_str().unwrap()], "");
    assert_eq!(out.code, 1, "{out:?}");
    assert!(
        out.stderr.contains(".env") && out.stderr.contains("a FIFO"),
        "{}",
        out.stderr
    );
}

#[test]
fn a_dotenv_link_out_of_the_project_is_refused() {
    let outside = TempDir::new("oci-check-outside");
    std::fs::write(outside.path().join("id"), "TAG=from-outside\n").unwrap();
    let dir = TempDir::new("oci-check-dotenv-link");
    let compose = dir.path().join("compose.yaml");
    std::fs::write(&compose, "services:\n  web:\n    image: nginx:${TAG}\n").unwrap();
    std::os::unix::fs::symlink(outside.path().join("id"), dir.path().join(".env")).unwrap();
    let out = oci_check(&["update", "--compose", compose.to_str().unwrap()], "");
    assert_eq!(out.code, 1, "{out:?}");
    assert!(out.stderr.contains("outside the project directory"), "{}", out.stderr);
    assert!(
        !out.stderr.contains("from-outside") && !out.stdout.contains("from-outside"),
        "{out:?}"
    );
}

#[test]
fn a_compose_file_cannot_print_a_variable() {
    let secret = "ghp_TOPSECRETvalue0123456789";
    let dir = TempDir::new("oci-check-compose-secret");
    let compose = dir.path().join("compose.yaml");
    for text in [
        // The uppercase value makes no reference: the message must not show it.
        "services:\n  web:\n    image: evil.example/${GITHUB_TOKEN}\n",
        "services:\n  web:\n    image: ${NOT_SET:?$GITHUB_TOKEN}\n",
    ] {
        std::fs::write(&compose, text).unwrap();
        let out = oci_check_env(
            &["update", "--compose", compose.to_str().unwrap()],
            "",
            &[("GITHUB_TOKEN", secret)],
        );
        assert_eq!(out.code, 1, "{out:?}");
        assert!(
            out.stderr.contains("GITHUB_TOKEN"),
            "the variable is named: {}",
            out.stderr
        );
        assert!(
            !out.stderr.contains("TOPSECRET") && !out.stdout.contains("TOPSECRET"),
            "{out:?}"
        );
    }
}

#[test]
fn inspect_output_is_a_file_or_a_pipe_within_the_limit() {
    let out = oci_check(&["update", "--inspect", "/dev/zero"], "");
    assert_eq!(out.code, 1, "{out:?}");
    assert!(out.stderr.contains("a device"), "{}", out.stderr);
    // Standard input is bounded the same way.
    let long = vec![b' '; 64 * 1024 * 1024 + 1];
    let out = oci_check(&["update", "--inspect", "-"], long);
    assert_eq!(out.code, 1, "{out:?}");
    assert!(out.stderr.contains("larger than 67108864 bytes"), "{}", out.stderr);
}

#[test]
fn a_compose_file_deep_in_aliases_is_refused_not_a_crash() {
    use std::fmt::Write as _;
    let dir = TempDir::new("oci-check-compose-deep");
    let compose = dir.path().join("compose.yaml");
    let mut text = String::from("x-m0: &m0 {image: nginx}\n");
    for n in 1..100_000 {
        writeln!(text, "x-m{n}: &m{n} {{<<: *m{}}}", n - 1).unwrap();
    }
    text.push_str("services:\n  web:\n    <<: *m99999\n");
    std::fs::write(&compose, text).unwrap();
    let out = oci_check(&["update", "--compose", compose.to_str().unwrap()], "");
    // Before, the process died of a stack overflow (no exit code at all).
    assert_eq!(out.code, 1, "{out:?}");
    assert!(out.stderr.contains("128 levels"), "{}", out.stderr);
}
