//! Hostile inputs: compose files, `.env` files and inspect output made to exhaust the stack, the memory or the
//! time, to read what they should not, or to print a secret. Each is refused with a typed error naming the limit,
//! or read in time linear in its size; the tests at the documented limits assert the input is processed, not how
//! long it took.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use oci_inventory::{ComposeFile, ErrorKind, MAX_FILE_SIZE, Variables, load_compose, parse_compose};
use oci_testkit::TempDir;

fn parse(text: &str, vars: &Variables) -> Result<Vec<oci_inventory::Workload>, oci_inventory::Error> {
    parse_compose(
        &[ComposeFile {
            path: Path::new("compose.yaml"),
            text,
        }],
        vars,
    )
}

#[track_caller]
fn refused(text: &str, kind: ErrorKind, fragment: &str) {
    let err = parse(text, &Variables::new()).unwrap_err();
    assert_eq!(err.kind(), kind, "{err}");
    assert!(err.line().is_some(), "{err}");
    assert!(err.to_string().contains(fragment), "{err}");
}

/// A chain of `count` services, `s0` extending `s1` ... up to the last, which has the image.
fn extends_chain(count: usize) -> String {
    let mut text = String::from("services:\n");
    for n in 0..count - 1 {
        writeln!(text, "  s{n}:\n    extends: s{}", n + 1).unwrap();
    }
    writeln!(text, "  s{}:\n    image: nginx:1.25", count - 1).unwrap();
    text
}

#[test]
fn extends_chains_are_bounded_and_resolved_once() {
    // 64 services in a chain are fine, and every one of them gets the image from the end of it.
    let workloads = parse(&extends_chain(64), &Variables::new()).unwrap();
    assert_eq!(workloads.len(), 64);
    assert!(workloads.iter().all(|w| w.image().to_string() == "nginx:1.25"));
    refused(&extends_chain(65), ErrorKind::LimitExceeded, "more than 64 services");
    // What once overflowed the stack: 20 000 chained `extends` (0.5 MB).
    refused(&extends_chain(20_000), ErrorKind::LimitExceeded, "extends");
    // A loop is still a loop, named by the service that closes it.
    refused(
        "services:\n  a:\n    extends: b\n  b:\n    extends: c\n  c:\n    extends: a\n",
        ErrorKind::InvalidCompose,
        "service \"a\" extends itself through \"b\"",
    );
}

#[test]
fn aliases_cannot_nest_deeper_than_the_limit() {
    // Each mapping merges the one before: 100 000 levels once the aliases are resolved, in 3 MB of text.
    let mut text = String::from("x-m0: &m0 {image: nginx}\n");
    for n in 1..100_000 {
        writeln!(text, "x-m{n}: &m{n} {{<<: *m{}}}", n - 1).unwrap();
    }
    text.push_str("services:\n  web:\n    <<: *m99999\n");
    refused(
        &text,
        ErrorKind::LimitExceeded,
        "nest deeper than 128 levels once aliases are resolved",
    );
    // Each sequence holds 120 levels around the one before: 480 000 levels in 1 MB.
    let mut text = String::from("x-a0: &a0 [x]\n");
    for n in 1..4000 {
        writeln!(text, "x-a{n}: &a{n} {}*a{}{}", "[".repeat(120), n - 1, "]".repeat(120)).unwrap();
    }
    refused(&text, ErrorKind::LimitExceeded, "128 levels");
    // Merge keys within the limit still work.
    let text = "x-a: &a {image: nginx:1.25}\nx-b: &b {<<: *a}\nservices:\n  web:\n    <<: *b\n";
    assert_eq!(
        parse(text, &Variables::new()).unwrap()[0].image().to_string(),
        "nginx:1.25"
    );
}

#[test]
fn anchors_belong_to_their_document() {
    refused(
        "x: &a {image: nginx}\n---\nservices:\n  web: *a\n",
        ErrorKind::InvalidYaml,
        "anchor",
    );
}

#[test]
fn substituted_values_never_reach_a_message() {
    let secret = "ghp_SECRETsecret0123456789";
    let vars = Variables::from_pairs([("GITHUB_TOKEN", secret)]);
    for text in [
        // Uppercase makes it no reference.
        "services:\n  web:\n    image: evil.example/${GITHUB_TOKEN}\n",
        "services:\n  web:\n    image: nginx\n    platform: linux/${GITHUB_TOKEN}/x/y\n",
        "services:\n  web:\n    image: ${UNSET:?$GITHUB_TOKEN}\n",
        "services:\n  web:\n    image: ${UNSET?${GITHUB_TOKEN:-x}}\n",
    ] {
        let err = parse(text, &vars).unwrap_err();
        let shown = format!("{err} {err:?}");
        assert!(!shown.contains("SECRET"), "{shown}");
        let mut source = std::error::Error::source(&err);
        while let Some(cause) = source {
            assert!(!cause.to_string().contains("SECRET"), "{cause}");
            source = cause.source();
        }
        assert!(
            shown.contains("GITHUB_TOKEN"),
            "the message names the variable: {shown}"
        );
    }
}

#[test]
fn substitution_is_bounded() {
    // One 1 MiB value, named by 40 services: 40 MiB if nothing stopped it.
    let vars = Variables::from_pairs([("BIG", "x".repeat(1 << 20))]);
    let mut text = String::from("services:\n");
    for n in 0..40 {
        writeln!(text, "  s{n}:\n    image: nginx:$BIG").unwrap();
    }
    let err = parse(&text, &vars).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::LimitExceeded, "{err}");
    assert!(err.to_string().contains("16777216 bytes"), "{err}");
    // A long scalar aliased into every service counts once per service as well.
    let mut text = format!("x-big: &big \"nginx:{}\"\nservices:\n", "1".repeat(1 << 20));
    for n in 0..40 {
        writeln!(text, "  s{n}:\n    image: *big").unwrap();
    }
    assert_eq!(
        parse(&text, &Variables::new()).unwrap_err().kind(),
        ErrorKind::LimitExceeded
    );
}

/// A project directory with `files` written in it.
fn project(files: &[(&str, &str)]) -> TempDir {
    let dir = TempDir::new("oci-inventory-hostile");
    for (name, text) in files {
        std::fs::write(dir.path().join(name), text).unwrap();
    }
    dir
}

#[cfg(unix)]
#[test]
fn dotenv_links_stay_in_the_project() {
    let outside = project(&[("secrets", "TAG=from-outside\n")]);
    let dir = project(&[("compose.yaml", "services:\n  web:\n    image: nginx:${TAG:-none}\n")]);
    std::os::unix::fs::symlink(outside.path().join("secrets"), dir.path().join(".env")).unwrap();
    let compose = [dir.path().join("compose.yaml")];
    let err = load_compose(&compose, Variables::new()).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::OutsideProject, "{err}");
    assert_eq!(err.file(), Some(dir.path().join(".env").as_path()));
    assert!(!err.to_string().contains("from-outside"), "{err}");
    // A link within the project is read, and so is one through `..` that comes back in.
    std::fs::remove_file(dir.path().join(".env")).unwrap();
    std::fs::create_dir(dir.path().join("env")).unwrap();
    std::fs::write(dir.path().join("env/dev"), "TAG=1.27\n").unwrap();
    std::os::unix::fs::symlink("env/../env/dev", dir.path().join(".env")).unwrap();
    let workloads = load_compose(&compose, Variables::new()).unwrap();
    assert_eq!(workloads[0].image().to_string(), "nginx:1.27");
    // A dangling link is no `.env`, as before.
    std::fs::remove_file(dir.path().join(".env")).unwrap();
    std::os::unix::fs::symlink("missing", dir.path().join(".env")).unwrap();
    let workloads = load_compose(&compose, Variables::new()).unwrap();
    assert_eq!(workloads[0].image().to_string(), "nginx:none");
}

/// Makes a FIFO at `path` with `mkfifo`.
#[cfg(unix)]
fn mkfifo(path: &Path) {
    let status = std::process::Command::new("mkfifo").arg(path).status().unwrap();
    assert!(status.success());
}

#[cfg(unix)]
#[test]
fn fifos_are_refused_without_blocking() {
    let dir = project(&[("compose.yaml", "services:\n  web:\n    image: nginx\n")]);
    mkfifo(&dir.path().join(".env"));
    let err = load_compose(&[dir.path().join("compose.yaml")], Variables::new()).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NotRegularFile, "{err}");
    assert!(err.to_string().contains("a FIFO"), "{err}");
    let fifo: PathBuf = dir.path().join("fifo.yaml");
    mkfifo(&fifo);
    let err = load_compose(&[fifo], Variables::new()).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NotRegularFile, "{err}");
    let err = load_compose(&[dir.path().to_path_buf()], Variables::new()).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NotRegularFile, "{err}");
    assert!(err.to_string().contains("a directory"), "{err}");
}

#[test]
fn files_over_the_limit_are_refused() {
    let dir = project(&[("compose.yaml", "services: {}\n")]);
    let big = format!("# {}\n", "x".repeat(MAX_FILE_SIZE as usize));
    std::fs::write(dir.path().join(".env"), &big).unwrap();
    let err = load_compose(&[dir.path().join("compose.yaml")], Variables::new()).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::LimitExceeded, "{err}");
    assert!(err.to_string().contains(&MAX_FILE_SIZE.to_string()), "{err}");
}

/// Text of at most `limit` bytes, `line(n)` for n = 0, 1, ... as long as the next line fits.
fn fill(head: &str, limit: usize, line: impl Fn(usize) -> String) -> String {
    let mut text = String::from(head);
    for n in 0.. {
        let next = line(n);
        if text.len() + next.len() > limit {
            break;
        }
        text.push_str(&next);
    }
    text
}

#[test]
fn inputs_at_the_limits_are_read() {
    let limit = MAX_FILE_SIZE as usize;
    // A `.env` file of 4 MiB whose every line names the one before (lookups were a scan of every earlier line).
    let dotenv = fill("V0=1\n", limit, |n| format!("V{}=${{V{n}:-x}}\n", n + 1));
    let vars = Variables::new().with_dotenv(&dotenv, Path::new(".env")).unwrap();
    assert_eq!(vars.get("V1000"), Some("1"));
    // A compose file of 4 MiB: services that all merge one mapping of many keys, in chains of `extends` as long
    // as allowed, and an override that resets most of them.
    let mut head = String::from("x-base: &base\n");
    for n in 0..2000 {
        writeln!(head, "  label{n}: x").unwrap();
    }
    head.push_str("  image: nginx:1.25\nservices:\n");
    let compose = fill(&head, limit, |n| {
        if n % 64 == 0 {
            format!("  s{n}:\n    <<: *base\n")
        } else {
            format!("  s{n}:\n    extends: s{}\n", n - 1)
        }
    });
    let services = compose.matches("\n  s").count();
    assert!(services > 100_000, "{services}");
    let workloads = parse(&compose, &Variables::new()).unwrap();
    assert_eq!(workloads.len(), services);
    assert!(workloads.iter().all(|w| w.image().to_string() == "nginx:1.25"));
    // An override that resets nine services in ten of a 4 MiB file (each reset shifted every later service).
    let base = fill("services:\n", limit, |n| format!("  r{n}: {{image: nginx}}\n"));
    let count = base.matches("\n  r").count();
    let mut reset = String::from("services:\n");
    for n in (0..count).filter(|n| n % 10 != 0) {
        writeln!(reset, "  r{n}: !reset null").unwrap();
    }
    let files = [
        ComposeFile {
            path: Path::new("compose.yaml"),
            text: &base,
        },
        ComposeFile {
            path: Path::new("reset.yaml"),
            text: &reset,
        },
    ];
    let workloads = parse_compose(&files, &Variables::new()).unwrap();
    assert_eq!(workloads.len(), count.div_ceil(10));
    assert_eq!(workloads[1].name(), "r10");
}
