//! Compose files: one `check` per case, on the image (and platform) of each service.

use std::path::{Path, PathBuf};

use oci_inventory::{ComposeFile, Error, ErrorKind, ImageRef, Source, Variables, load_compose, parse_compose};

use super::data;

fn vars() -> Variables {
    Variables::from_pairs([("TAG", "1.27"), ("EMPTY", ""), ("REGISTRY", "ghcr.io/acme")])
}

fn parse(files: &[(&str, &str)]) -> Result<Vec<oci_inventory::Workload>, Error> {
    let files: Vec<ComposeFile<'_>> = files
        .iter()
        .map(|(path, text)| ComposeFile {
            path: Path::new(path),
            text,
        })
        .collect();
    parse_compose(&files, &vars())
}

/// `expected`: `service=image` with the image's `Display`, `(build)`, or `local:NAME` for a built image.
#[track_caller]
fn check(files: &[(&str, &str)], expected: &[&str]) {
    let workloads = parse(files).unwrap_or_else(|err| panic!("{err}"));
    let found: Vec<String> = workloads
        .iter()
        .map(|w| match w.image() {
            ImageRef::Local(reference) => format!("{}=local:{}", w.name(), reference.familiar()),
            image => format!("{}={image}", w.name()),
        })
        .collect();
    assert_eq!(found, expected, "{files:?}");
}

/// The error's kind, line and a fragment of its message.
#[track_caller]
fn refuse(files: &[(&str, &str)], kind: ErrorKind, line: usize, fragment: &str) {
    let err = parse(files).unwrap_err();
    assert_eq!(err.kind(), kind, "{err}");
    assert_eq!(err.line(), Some(line), "{err}");
    assert!(err.file().is_some(), "{err}");
    assert!(err.to_string().contains(fragment), "{err}");
}

#[test]
fn images_and_builds() {
    check(
        &[("c.yaml", "services:\n  web:\n    image: nginx:1.25\n")],
        &["web=nginx:1.25"],
    );
    check(
        &[("c.yaml", "services:\n  web:\n    image: \"docker.io/library/nginx\"\n")],
        &["web=nginx"],
    );
    check(&[("c.yaml", "services:\n  app:\n    build: .\n")], &["app=(build)"]);
    check(
        &[(
            "c.yaml",
            "services:\n  app:\n    build:\n      context: .\n    image: acme/app:dev\n",
        )],
        &["app=local:acme/app:dev"],
    );
    let digest = oci_digest::Digest::sha256(b"x");
    check(
        &[("c.yaml", &format!("services:\n  pinned:\n    image: {digest}\n"))],
        &[&format!("pinned={digest}")],
    );
    check(
        &[("c.yaml", &format!("services:\n  pinned:\n    image: nginx@{digest}\n"))],
        &[&format!("pinned=nginx@{digest}")],
    );
    check(&[("c.yaml", "")], &[]);
    check(&[("c.yaml", "version: '3'\n")], &[]);
    check(&[("c.yaml", "services:\n")], &[]);
    check(&[("c.yaml", "name: shop\nservices: {}\nvolumes:\n  data:\n")], &[]);
}

#[test]
fn substitution() {
    check(
        &[("c.yaml", "services:\n  web:\n    image: nginx:${TAG}\n")],
        &["web=nginx:1.27"],
    );
    check(
        &[("c.yaml", "services:\n  web:\n    image: nginx:$TAG\n")],
        &["web=nginx:1.27"],
    );
    check(
        &[(
            "c.yaml",
            "services:\n  web:\n    image: ${REGISTRY}/web:${TAG:-latest}\n",
        )],
        &["web=ghcr.io/acme/web:1.27"],
    );
    check(
        &[("c.yaml", "services:\n  web:\n    image: nginx:${UNSET:-1.25}\n")],
        &["web=nginx:1.25"],
    );
    check(
        &[("c.yaml", "services:\n  web:\n    image: nginx:${EMPTY:-1.25}\n")],
        &["web=nginx:1.25"],
    );
    check(
        &[("c.yaml", "services:\n  web:\n    image: nginx${EMPTY-:1.25}\n")],
        &["web=nginx"],
    );
    check(
        &[("c.yaml", "services:\n  web:\n    image: nginx${TAG:+:alt}\n")],
        &["web=nginx:alt"],
    );
    check(
        &[("c.yaml", "services:\n  web:\n    image: nginx:${TAG:?need a tag}\n")],
        &["web=nginx:1.27"],
    );
    // `$$` is a dollar, which no reference allows: the error shows both forms.
    invalid(
        &[("c.yaml", "services:\n  web:\n    image: nginx:$$TAG\n")],
        "\"nginx:$TAG\" (from \"nginx:$$TAG\")",
    );
    // An unset variable is named: it expanded to nothing.
    invalid(
        &[("c.yaml", "services:\n  web:\n    image: ${REGISTRY_UNSET}/app:1\n")],
        "$REGISTRY_UNSET is not set, so it expanded to nothing",
    );
    refuse(
        &[(
            "c.yaml",
            "services:\n  web:\n    image: nginx:${UNSET:?set UNSET to the tag}\n",
        )],
        ErrorKind::Interpolation,
        3,
        "the variable UNSET is required but not set: \"set UNSET to the tag\"",
    );
    refuse(
        &[("c.yaml", "services:\n  web:\n    image: nginx:${UNSET?}\n")],
        ErrorKind::Interpolation,
        3,
        "UNSET is required",
    );
    refuse(
        &[("c.yaml", "services:\n  web:\n    image: nginx:${TAG\n")],
        ErrorKind::Interpolation,
        3,
        "write `$$` for a literal `$`",
    );
    // An unset variable leaves an empty tag: the message shows the text as written and names the variable.
    invalid(
        &[("c.yaml", "services:\n  web:\n\n    image: \"nginx:${UNSET}\"\n")],
        "c.yaml:4: the image \"nginx:${UNSET}\" (with $UNSET substituted; values are not shown)",
    );
}

#[test]
fn override_files() {
    let base = "services:\n  web:\n    image: nginx:1.25\n  db:\n    image: postgres:16\n  app:\n    build: .\n";
    check(
        &[
            ("compose.yaml", base),
            (
                "compose.override.yaml",
                "services:\n  web:\n    image: nginx:1.27\n  cache:\n    image: redis:7\n",
            ),
        ],
        &["web=nginx:1.27", "db=postgres:16", "app=(build)", "cache=redis:7"],
    );
    // An override that only adds `build` makes the image a local build; one that only adds other keys keeps it.
    check(
        &[
            ("compose.yaml", base),
            (
                "dev.yaml",
                "services:\n  db:\n    build: ./db\n  web:\n    ports: ['80:80']\n",
            ),
        ],
        &["web=nginx:1.25", "db=local:postgres:16", "app=(build)"],
    );
    // `!reset` removes what an earlier file set.
    check(
        &[
            ("compose.yaml", "services:\n  app:\n    image: acme/app\n    build: .\n"),
            ("ci.yaml", "services:\n  app:\n    build: !reset null\n"),
        ],
        &["app=acme/app"],
    );
    check(
        &[("compose.yaml", base), ("slim.yaml", "services:\n  db: !reset {}\n")],
        &["web=nginx:1.25", "app=(build)"],
    );
    // The workload names the file its image came from.
    let workloads = parse(&[
        ("compose.yaml", base),
        ("prod.yaml", "services:\n  web:\n    image: nginx:1.27\n"),
    ])
    .unwrap();
    assert_eq!(
        workloads[0].source(),
        &Source::Compose {
            file: PathBuf::from("prod.yaml")
        }
    );
    assert_eq!(
        workloads[1].source(),
        &Source::Compose {
            file: PathBuf::from("compose.yaml")
        }
    );
}

#[test]
fn anchors_merge_keys_and_extends() {
    let text = [
        "x-common: &common",
        "  image: ${REGISTRY}/base:1",
        "  platform: linux/arm64",
        "services:",
        "  a:",
        "    <<: *common",
        "  b:",
        "    <<: *common",
        "    image: nginx",
        "  c:",
        "    extends: a",
        "  d:",
        "    extends:",
        "      service: b",
        "    build: .",
    ]
    .join("\n");
    let text = text.as_str();
    check(
        &[("c.yaml", text)],
        &[
            "a=ghcr.io/acme/base:1",
            "b=nginx",
            "c=ghcr.io/acme/base:1",
            "d=local:nginx",
        ],
    );
    let workloads = parse(&[("c.yaml", text)]).unwrap();
    assert!(
        workloads
            .iter()
            .all(|w| w.platform().unwrap().to_string() == "linux/arm64")
    );
    refuse(
        &[("c.yaml", "services:\n  a:\n    extends: b\n  b:\n    extends: a\n")],
        ErrorKind::InvalidCompose,
        3,
        "extends itself",
    );
    refuse(
        &[("c.yaml", "services:\n  a:\n    extends: nothing\n")],
        ErrorKind::InvalidCompose,
        3,
        "which is not a service",
    );
    refuse(
        &[(
            "c.yaml",
            "services:\n  a:\n    extends:\n      file: other.yaml\n      service: x\n",
        )],
        ErrorKind::InvalidCompose,
        4,
        "another file",
    );
    check(
        &[(
            "c.yaml",
            "services:\n  a:\n    image: nginx\n    extends:\n      file: other.yaml\n      service: x\n",
        )],
        &["a=nginx"],
    );
}

#[test]
fn shapes_compose_refuses() {
    for (text, line, fragment) in [
        (
            "services:\n  web:\n    image: 3\n",
            3,
            "`image` of service \"web\" must be a string, not a number",
        ),
        ("services:\n  web:\n    image: 1.25\n", 3, "not a number"),
        ("services:\n  web:\n    image: true\n", 3, "not a boolean"),
        ("services:\n  web:\n    image:\n      name: nginx\n", 4, "not a mapping"),
        ("services:\n  web:\n    image: [nginx]\n", 3, "not a sequence"),
        ("services: [web]\n", 1, "`services` must be a mapping"),
        ("- a\n- b\n", 1, "a compose file is a mapping"),
        ("services:\n  web: nginx\n", 2, "service \"web\" must be a mapping"),
        (
            "services:\n  web:\n    ports: []\n",
            2,
            "has neither an `image` nor a `build`",
        ),
        (
            "services:\n  web:\n    image: a\n    image: b\n",
            4,
            "the key \"image\" appears twice",
        ),
    ] {
        refuse(&[("c.yaml", text)], ErrorKind::InvalidCompose, line, fragment);
    }
    // Quoted numbers are strings (and then references).
    check(&[("c.yaml", "services:\n  web:\n    image: '3'\n")], &["web=3"]);
    invalid(
        &[(
            "c.yaml",
            "services:\n  web:\n    image: Nginx\n  ok:\n    image: nginx\n",
        )],
        "c.yaml:3: the image \"Nginx\" of service \"web\" is not a reference",
    );
    refuse(
        &[("c.yaml", "services:\n  web:\n    image: nginx\n    platform: amd64\n")],
        ErrorKind::InvalidField,
        4,
        "`os/arch[/variant]`",
    );
}

#[test]
fn yaml_that_is_not_yaml() {
    for (text, line) in [
        ("services:\n  web:\n    image: [nginx\n", 4),
        ("services:\n\tweb:\n", 2),
        ("services:\n  web:\n    image: *nothing\n", 3),
        ("a: 'open\n", 1),
    ] {
        let err = parse(&[("bad.yaml", text)]).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidYaml, "{text:?}: {err}");
        assert_eq!(err.line(), Some(line), "{text:?}: {err}");
        assert!(
            err.to_string().starts_with(&format!("bad.yaml:{line}: not YAML: ")),
            "{err}"
        );
    }
    let deep = format!("services:\n  web:\n    image: nginx\n    x: {}\n", "[".repeat(5000));
    assert_eq!(
        parse(&[("deep.yaml", &deep)]).unwrap_err().kind(),
        ErrorKind::InvalidYaml
    );
}

#[test]
fn load_reads_the_files_and_the_dotenv_beside_the_first() {
    let dir = data("compose/project");
    let files = [dir.join("compose.yaml"), dir.join("compose.prod.yaml")];
    // The environment wins over .env.
    let workloads = load_compose(&files, Variables::from_pairs([("WEB_TAG", "1.27-alpine")])).unwrap();
    let found: Vec<String> = workloads
        .iter()
        .map(|w| format!("{}={}", w.name(), w.image()))
        .collect();
    assert_eq!(
        found,
        [
            "web=nginx:1.27-alpine",
            "api=registry.example.com/shop/api:2.4.1",
            "worker=registry.example.com/shop/worker:2.4.1",
            "db=postgres:16.4",
            "frontend=(build)",
        ]
    );
    // The source is the file that set the image; the platform came from the other.
    let api = &workloads[1];
    assert_eq!(api.platform().unwrap().to_string(), "linux/arm64");
    assert_eq!(api.source().file(), Some(files[0].as_path()));
    assert_eq!(workloads[3].source().file(), Some(files[1].as_path()));

    let missing = load_compose(&[dir.join("nope.yaml")], Variables::new()).unwrap_err();
    assert_eq!(missing.kind(), ErrorKind::Io);
    assert!(load_compose(&[], Variables::new()).unwrap().is_empty());
}

#[test]
fn dotenv_errors_name_the_file_and_line() {
    let err = Variables::new()
        .with_dotenv("A=1\nNOT A LINE\n", Path::new("proj/.env"))
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidDotenv);
    assert_eq!(err.to_string(), "proj/.env:2: expected KEY=VALUE");
    let err = Variables::new()
        .with_dotenv("A=${B:?B is needed}\n", Path::new(".env"))
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Interpolation);
    assert_eq!(err.line(), Some(1));
    let vars = Variables::from_pairs([("A", "env")])
        .with_dotenv("A=dotenv\nB=${A}-b\n", Path::new(".env"))
        .unwrap();
    assert_eq!(vars.get("A"), Some("env"));
    assert_eq!(vars.get("B"), Some("env-b"));
}

/// Replays what the fuzz targets found, split as they split their input.
#[test]
fn fuzzed_regressions() {
    let dir = data("fuzzed");
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        let bytes = std::fs::read(&path).unwrap();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        if name.starts_with("compose_parse-") {
            // The compose file, then `\0` and a `.env` file, then `\0` and an override file.
            let text = String::from_utf8(bytes).unwrap();
            let mut parts = text.splitn(3, '\0');
            let compose = parts.next().unwrap_or_default();
            let vars = match parts.next() {
                Some(dotenv) => vars().with_dotenv(dotenv, Path::new(".env")).unwrap_or_else(|_| vars()),
                None => vars(),
            };
            let mut files = vec![ComposeFile {
                path: Path::new("compose.yaml"),
                text: compose,
            }];
            if let Some(overrides) = parts.next() {
                files.push(ComposeFile {
                    path: Path::new("override.yaml"),
                    text: overrides,
                });
            }
            if let Err(err) = parse_compose(&files, &vars) {
                assert!(err.line().is_some(), "{name}: {err}");
            }
        } else if name.starts_with("engine_answers-") {
            let _ = oci_inventory::parse_inspect(&bytes, None);
            let _ = oci_inventory::internal::answers::parse_containers(&bytes);
            let _ = oci_inventory::internal::answers::parse_image(&bytes);
        }
    }
}

/// The first service of `files` has an image that is no reference, with a reason containing `fragment`; the other
/// services are still read.
fn invalid(files: &[(&str, &str)], fragment: &str) {
    let workloads = parse(files).unwrap();
    match workloads[0].image() {
        ImageRef::Invalid { reason, .. } => assert!(reason.contains(fragment), "{reason}"),
        other => panic!("not invalid: {other:?}"),
    }
    assert!(
        workloads[1..]
            .iter()
            .all(|w| !matches!(w.image(), ImageRef::Invalid { .. })),
        "{workloads:?}"
    );
}

/// Writes `files` (relative path, text) below a new temporary directory.
fn project(files: &[(&str, &str)]) -> oci_testkit::TempDir {
    let dir = oci_testkit::TempDir::new("compose-include");
    for (path, text) in files {
        let path = dir.path().join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }
    dir
}

fn names_and_images(workloads: &[oci_inventory::Workload]) -> Vec<String> {
    workloads
        .iter()
        .map(|w| format!("{}={}", w.name(), w.image()))
        .collect()
}

#[test]
fn include_brings_the_services_of_other_files() {
    let dir = project(&[
        (
            "compose.yaml",
            "include:\n  - common/db.yaml\n  - path: [cache/compose.yaml, cache/override.yaml]\n    env_file: cache/cache.env\nservices:\n  web:\n    image: nginx:${WEB_TAG}\n",
        ),
        (".env", "WEB_TAG=1.27\n"),
        // An included file's own .env (its directory is its project directory) and the includer's variables.
        (
            "common/db.yaml",
            "services:\n  db:\n    image: postgres:${DB_TAG}\n  web-db-tag:\n    image: busybox:${WEB_TAG}\n",
        ),
        ("common/.env", "DB_TAG=16.4\nWEB_TAG=ignored\n"),
        (
            "cache/compose.yaml",
            "include: [deeper/queue.yaml]\nservices:\n  cache:\n    image: redis:7\n",
        ),
        (
            "cache/override.yaml",
            "services:\n  cache:\n    image: redis:${CACHE_TAG}\n",
        ),
        ("cache/cache.env", "CACHE_TAG=7.4\n"),
        (
            "cache/deeper/queue.yaml",
            "services:\n  queue:\n    image: rabbitmq:${CACHE_TAG}\n",
        ),
    ]);
    let workloads = load_compose(&[dir.path().join("compose.yaml")], Variables::new()).unwrap();
    let mut found = names_and_images(&workloads);
    found.sort();
    assert_eq!(
        found,
        [
            "cache=redis:7.4",
            "db=postgres:16.4",
            "queue=rabbitmq:7.4",
            "web-db-tag=busybox:1.27",
            "web=nginx:1.27",
        ]
    );
    let db = workloads.iter().find(|w| w.name() == "db").unwrap();
    assert_eq!(db.source().file(), Some(dir.path().join("common/db.yaml").as_path()));
}

#[test]
fn a_service_defined_twice_through_include_is_an_error() {
    let dir = project(&[
        (
            "compose.yaml",
            "include:\n  - db.yaml\nservices:\n  web:\n    image: nginx\n  db:\n    image: postgres:17\n",
        ),
        ("db.yaml", "services:\n  db:\n    image: postgres:16\n"),
        ("two.yaml", "include: [db.yaml, again/db.yaml]\n"),
        ("again/db.yaml", "services:\n  db:\n    image: mariadb\n"),
    ]);
    let err = load_compose(&[dir.path().join("compose.yaml")], Variables::new()).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidCompose, "{err}");
    assert_eq!(err.line(), Some(6), "{err}");
    assert!(
        err.to_string().contains("\"db\" is also defined by the included file"),
        "{err}"
    );
    let err = load_compose(&[dir.path().join("two.yaml")], Variables::new()).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidCompose, "{err}");
    assert!(err.to_string().contains("defined by two included files"), "{err}");
    // A later -f file overrides an included service, as compose merges models after include.
    std::fs::write(
        dir.path().join("prod.yaml"),
        "services:\n  db:\n    image: postgres:16.5\n",
    )
    .unwrap();
    std::fs::write(dir.path().join("base.yaml"), "include: [db.yaml]\n").unwrap();
    let workloads = load_compose(
        &[dir.path().join("base.yaml"), dir.path().join("prod.yaml")],
        Variables::new(),
    )
    .unwrap();
    assert_eq!(names_and_images(&workloads), ["db=postgres:16.5"]);
}

#[test]
fn include_cycles_depth_and_missing_files_are_typed_errors() {
    let dir = project(&[
        ("a.yaml", "include: [b.yaml]\nservices:\n  a:\n    image: a\n"),
        ("b.yaml", "include: [sub/../a.yaml]\n"),
        ("self.yaml", "include: [self.yaml]\n"),
        ("missing.yaml", "services: {}\ninclude:\n  - path: nowhere.yaml\n"),
        ("bad.yaml", "include: nowhere.yaml\n"),
        ("nopath.yaml", "include:\n  - project_directory: x\n"),
        ("emptypath.yaml", "include:\n  - path: []\n"),
        ("numbers.yaml", "include:\n  - 7\n"),
        ("badenv.yaml", "include:\n  - path: a.yaml\n    env_file: missing.env\n"),
    ]);
    std::fs::create_dir(dir.path().join("sub")).unwrap();
    let load = |name: &str| load_compose(&[dir.path().join(name)], Variables::new()).unwrap_err();
    let err = load("a.yaml");
    assert_eq!(err.kind(), ErrorKind::InvalidCompose, "{err}");
    assert!(err.to_string().contains("`include` makes a cycle"), "{err}");
    assert_eq!(err.file(), Some(dir.path().join("b.yaml").as_path()), "{err}");
    assert_eq!(load("self.yaml").kind(), ErrorKind::InvalidCompose);
    let err = load("missing.yaml");
    assert_eq!((err.kind(), err.line()), (ErrorKind::Io, Some(3)), "{err}");
    assert!(err.to_string().contains("nowhere.yaml does not exist"), "{err}");
    assert_eq!(load("bad.yaml").kind(), ErrorKind::InvalidCompose);
    assert_eq!(load("nopath.yaml").kind(), ErrorKind::InvalidCompose);
    for name in ["emptypath.yaml", "numbers.yaml", "bad.yaml"] {
        let err = load(name);
        assert_eq!(err.kind(), ErrorKind::InvalidCompose, "{err}");
        assert_eq!(err.file(), Some(dir.path().join(name).as_path()), "{err}");
        assert_eq!(err.line(), Some(if name == "bad.yaml" { 1 } else { 2 }), "{err}");
    }
    assert_eq!(load("badenv.yaml").kind(), ErrorKind::Io);

    // A chain deeper than the limit.
    let depth = oci_inventory::MAX_INCLUDE_DEPTH + 2;
    for level in 0..depth {
        std::fs::write(
            dir.path().join(format!("level{level}.yaml")),
            format!("include: [level{}.yaml]\n", level + 1),
        )
        .unwrap();
    }
    std::fs::write(dir.path().join(format!("level{depth}.yaml")), "services: {}\n").unwrap();
    let err = load("level0.yaml");
    assert_eq!(err.kind(), ErrorKind::LimitExceeded, "{err}");
    // Too many files: 60 includes of a file that includes a leaf 60 times, though each entry is allowed.
    let sixty = |name: &str| format!("include:\n{}", format!("  - {name}\n").repeat(60));
    std::fs::write(dir.path().join("top.yaml"), sixty("mid.yaml")).unwrap();
    std::fs::write(dir.path().join("mid.yaml"), sixty("leaf.yaml")).unwrap();
    std::fs::write(dir.path().join("leaf.yaml"), "services: {}\n").unwrap();
    let err = load("top.yaml");
    assert_eq!(err.kind(), ErrorKind::LimitExceeded, "{err}");
    assert!(
        err.to_string().contains(&oci_inventory::MAX_COMPOSE_FILES.to_string()),
        "{err}"
    );
}

#[test]
fn an_included_project_reads_no_env_file_outside_itself_and_the_project() {
    let outside = project(&[("secrets.env", "TOKEN=s3cret\n")]);
    let secret = outside.path().join("secrets.env");
    let dir = project(&[
        (
            "compose.yaml",
            &format!(
                "include:\n  - path: sub/compose.yaml\n    env_file: {}\n",
                secret.display()
            ),
        ),
        (
            "sub/compose.yaml",
            "services:\n  leak:\n    image: evil.example/${TOKEN}\n",
        ),
        (
            "dirs.yaml",
            &format!(
                "include:\n  - path: sub/compose.yaml\n    project_directory: {}\n",
                outside.path().display()
            ),
        ),
    ]);
    std::fs::write(outside.path().join(".env"), "TOKEN=s3cret\n").unwrap();
    let err = load_compose(&[dir.path().join("compose.yaml")], Variables::new()).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::OutsideProject, "{err}");
    assert!(!err.to_string().contains("s3cret"), "{err}");
    let err = load_compose(&[dir.path().join("dirs.yaml")], Variables::new()).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::OutsideProject, "{err}");
}
