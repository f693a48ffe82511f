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
    // The same chain written from its end: each service is resolved from the one before, and still counted.
    let mut text = String::from("services:\n  s0:\n    image: nginx:1.25\n");
    for n in 1..64 {
        writeln!(text, "  s{n}:\n    extends: s{}", n - 1).unwrap();
    }
    assert_eq!(parse(&text, &Variables::new()).unwrap().len(), 64);
    writeln!(text, "  s64:\n    extends: s63").unwrap();
    refused(
        &text,
        ErrorKind::LimitExceeded,
        "service \"s64\" passes more than 64 services",
    );
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
        // An image that is no reference is that service's own failure; the others refuse the file.
        let shown = match parse(text, &vars) {
            Ok(workloads) => {
                let image = workloads[0].image();
                assert!(matches!(image, oci_inventory::ImageRef::Invalid { .. }), "{image:?}");
                format!("{image} {image:?}")
            }
            Err(err) => {
                let mut source = std::error::Error::source(&err);
                while let Some(cause) = source {
                    assert!(!cause.to_string().contains("SECRET"), "{cause}");
                    source = cause.source();
                }
                format!("{err} {err:?}")
            }
        };
        assert!(!shown.contains("SECRET"), "{shown}");
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
    // A `.env` file of 4 MiB whose every line names the one before and one that is not set (lookups were a scan
    // of every earlier line).
    let dotenv = fill("V0=1\n", limit, |n| format!("V{}=${{V{n}}}${{UNSET_{n}:-}}\n", n + 1));
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

/// Inspect output of about `size` bytes: containers as Docker prints them (with the environment, labels and mounts
/// that make up most of it), every 50th of them with its image in the array too.
fn inspect_output(size: usize) -> Vec<u8> {
    let env: Vec<String> = (0..40)
        .map(|n| format!("VARIABLE_{n}=some value of a usual length"))
        .collect();
    let mut out = String::from("[");
    let mut n = 0usize;
    while out.len() + 4096 < size {
        let id = oci_digest::Digest::sha256(format!("image {}", n / 50).as_bytes());
        if n % 50 == 0 {
            let digest = oci_digest::Digest::sha256(format!("manifest {n}").as_bytes());
            write!(
                out,
                r#"{{"Id":"{id}","RepoTags":["app{n}:1.0"],"RepoDigests":["app{n}@{digest}"],"Os":"linux","Architecture":"amd64","Size":123}},"#
            )
            .unwrap();
        }
        let container = oci_digest::Digest::sha256(format!("container {n}").as_bytes());
        write!(
            out,
            r#"{{"Id":"{}","Name":"/c{n}","Image":"{id}","State":{{"Status":"running","Running":true,"Pid":4242}},"Config":{{"Image":"app{}:1.0","Env":{},"Labels":{{"com.example.a":"1","com.example.b":"2"}}}},"Mounts":[{{"Type":"volume","Source":"/var/lib/docker/volumes/x/_data","Destination":"/data"}}],"GraphDriver":{{"Name":"overlay2","Data":{{"LowerDir":"/var/lib/docker/overlay2/l/ABC:/var/lib/docker/overlay2/l/DEF"}}}}}},"#,
            container.encoded(),
            n / 50 * 50,
            serde_json::to_string(&env).unwrap(),
        )
        .unwrap();
        n += 1;
    }
    out.pop();
    out.push(']');
    out.into_bytes()
}

#[test]
fn inspect_output_at_the_limit_is_read() {
    let text = inspect_output(oci_inventory::MAX_INSPECT_SIZE as usize);
    assert!(text.len() as u64 <= oci_inventory::MAX_INSPECT_SIZE);
    let dir = TempDir::new("oci-inventory-inspect");
    let path = dir.path().join("inspect.json");
    std::fs::write(&path, &text).unwrap();
    let workloads = oci_inventory::read_inspect(Some(&path)).unwrap();
    let containers = text.windows(10).filter(|w| w == b"\"Name\":\"/c").count();
    assert!(containers > 20_000, "{containers}");
    assert_eq!(workloads.len(), containers);
    // Each container found its image (by a map, not a scan of every image).
    assert!(workloads.iter().all(|w| !w.repo_digests().is_empty()));
    // One byte more is refused, and named as the limit.
    let mut longer = text;
    longer.resize(oci_inventory::MAX_INSPECT_SIZE as usize + 1, b' ');
    std::fs::write(&path, &longer).unwrap();
    let err = oci_inventory::read_inspect(Some(&path)).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::LimitExceeded, "{err}");
    assert!(err.to_string().contains("67108864"), "{err}");
}

#[cfg(unix)]
#[test]
fn inspect_reads_files_and_pipes_only() {
    let err = oci_inventory::read_inspect(Some(Path::new("/dev/zero"))).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NotRegularFile, "{err}");
    assert!(err.to_string().contains("a device"), "{err}");
    let dir = TempDir::new("oci-inventory-inspect");
    assert_eq!(
        oci_inventory::read_inspect(Some(dir.path())).unwrap_err().kind(),
        ErrorKind::NotRegularFile
    );
    assert_eq!(
        oci_inventory::read_inspect(Some(&dir.path().join("missing")))
            .unwrap_err()
            .kind(),
        ErrorKind::Io
    );
    // A named pipe is what `<(docker inspect ...)` gives: read to its end.
    let fifo = dir.path().join("pipe");
    mkfifo(&fifo);
    let writer = {
        let fifo = fifo.clone();
        std::thread::spawn(move || std::fs::write(fifo, inspect_output(10_000)).unwrap())
    };
    let workloads = oci_inventory::read_inspect(Some(&fifo)).unwrap();
    writer.join().unwrap();
    assert!(!workloads.is_empty());
}

#[test]
fn engine_lists_at_the_limit_are_assembled() {
    use oci_inventory::internal::answers::{ImageDetails, parse_containers};
    use oci_inventory::internal::assemble::Assembly;
    // A container list of 16 MiB (the engine client's default body limit), each container with an image of
    // its own: the images to inspect were found with a scan of those found so far.
    let limit = oci_inventory::EngineOptions::DEFAULT_BODY_LIMIT;
    let mut body = String::from("[");
    let mut n = 0usize;
    while body.len() + 512 < limit {
        let id = oci_digest::Digest::sha256(format!("image {n}").as_bytes());
        write!(
            body,
            r#"{{"Id":"{n:064x}","Names":["/c{n}"],"Image":"app{n}:1","ImageID":"{id}","State":"running","Labels":{{}}}},"#
        )
        .unwrap();
        n += 1;
    }
    body.pop();
    body.push(']');
    let containers = parse_containers(body.as_bytes()).unwrap();
    assert_eq!(containers.len(), n);
    for (source, histories) in [(oci_inventory::Source::Docker, 0), (oci_inventory::Source::Podman, n)] {
        let mut assembly = Assembly::new(source, containers.clone());
        let needed = assembly.images_needed();
        assert_eq!(needed.len(), n);
        for id in needed {
            let details = ImageDetails {
                id: id.clone(),
                repo_tags: Vec::new(),
                repo_digests: Vec::new(),
                platform: None,
                digest: None,
            };
            assembly.add_image(id, Some(details));
        }
        assert!(assembly.images_needed().is_empty());
        // Podman: images without names get their history asked for, each once.
        assert_eq!(assembly.histories_needed().len(), histories);
        assert_eq!(assembly.finish().unwrap().len(), n);
    }
}
