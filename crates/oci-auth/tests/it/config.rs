//! Credentials files: docker `config.json`, podman `auth.json`, key normalization, the environment.

use std::ffi::OsStr;
use std::path::{Path, PathBuf};

use oci_auth::{
    AuthFile, Credential, CredentialStore, Environment, ErrorKind, MAX_AUTH_FILE_SIZE, helper_server_url,
    normalize_registry,
};

use crate::data;

fn docker() -> AuthFile {
    AuthFile::load(&data("config/docker-config.json")).unwrap().unwrap()
}

fn podman() -> AuthFile {
    AuthFile::load(&data("config/podman-auth.json")).unwrap().unwrap()
}

/// `expected`: `basic USER PASS`, `identity TOKEN`, `registry TOKEN`, or `none`.
fn show(credential: Option<&Credential>) -> String {
    match credential {
        Some(Credential::Basic { username, password }) => format!("basic {username} {}", password.expose()),
        Some(Credential::IdentityToken(t)) => format!("identity {}", t.expose()),
        Some(Credential::RegistryToken(t)) => format!("registry {}", t.expose()),
        Some(other) => panic!("unexpected {other:?}"),
        None => "none".to_owned(),
    }
}

#[test]
fn normalization() {
    for (key, expected) in [
        ("https://index.docker.io/v1/", "docker.io"),
        ("http://index.docker.io/v1/", "docker.io"),
        ("index.docker.io", "docker.io"),
        ("docker.io", "docker.io"),
        ("registry-1.docker.io", "docker.io"),
        ("https://registry-1.docker.io/v2/", "docker.io"),
        ("Docker.IO", "docker.io"),
        ("registry.hub.docker.com", "docker.io"),
        ("ghcr.io", "ghcr.io"),
        ("https://ghcr.io", "ghcr.io"),
        ("https://ghcr.io/", "ghcr.io"),
        ("HTTPS://Quay.IO/v2/", "quay.io"),
        ("localhost:5000", "localhost:5000"),
        ("http://localhost:5000/v2/", "localhost:5000"),
        ("quay.io/team/app", "quay.io"),
        (" ghcr.io ", "ghcr.io"),
    ] {
        assert_eq!(normalize_registry(key), expected, "{key:?}");
    }
    assert_eq!(helper_server_url("registry-1.docker.io"), "https://index.docker.io/v1/");
    assert_eq!(helper_server_url("https://ghcr.io/"), "ghcr.io");
}

#[test]
fn docker_config_every_field() {
    let file = docker();
    for (registry, expected) in [
        // `auth`, under the Hub key, found by every Hub spelling.
        ("docker.io", "basic hubuser hubpass"),
        ("index.docker.io", "basic hubuser hubpass"),
        ("registry-1.docker.io", "basic hubuser hubpass"),
        ("https://index.docker.io/v1/", "basic hubuser hubpass"),
        // `username` and `password`.
        ("ghcr.io", "basic octo ghp_token"),
        // `auth` whose password has colons, under a key with a scheme.
        ("quay.io", "basic quser pa:ss:word"),
        // `identitytoken`, under a key with a path.
        ("registry.example.com:5000", "identity refresh-abc"),
        // `registrytoken`.
        ("bearer.example.com", "registry bearer-xyz"),
        // NUL padding after the password, as some tools write.
        ("padded.example.com", "basic nul pass"),
        // Empty and null entries are markers, not credentials.
        ("empty.example.com", "none"),
        ("nullentry.example.com", "none"),
        ("unknown.example.com", "none"),
    ] {
        assert_eq!(show(file.credential(registry)), expected, "{registry}");
    }
    assert_eq!(file.helper("gcr.io"), Some("gcloud"));
    assert_eq!(
        file.helper("123456789012.dkr.ecr.us-east-1.amazonaws.com"),
        Some("ecr-login")
    );
    assert_eq!(file.helper("ghcr.io"), Some("desktop"));
    assert_eq!(file.creds_store(), Some("desktop"));
    assert!(file.registries().any(|r| r == "docker.io"));
}

#[test]
fn podman_most_specific_key() {
    let file = podman();
    for (registry, repository, expected) in [
        ("quay.io", "team/app", "basic repo level"),
        ("quay.io", "team/app/sub", "basic repo level"),
        ("quay.io", "team/other", "basic ns level"),
        ("quay.io", "team", "basic ns level"),
        ("quay.io", "teammate/x", "basic host level"),
        ("quay.io", "else/x", "basic host level"),
        ("docker.io", "library/nginx", "basic lib rary"),
        ("index.docker.io", "library/nginx", "basic lib rary"),
        ("docker.io", "someone/nginx", "none"),
        ("legacy.example.com", "v1/x", "basic legacy key"),
        ("legacy.example.com", "any", "basic legacy key"),
    ] {
        assert_eq!(
            show(file.credential_for_repository(registry, repository)),
            expected,
            "{registry}/{repository}"
        );
    }
    // Host-level lookup ignores path-scoped keys unless nothing else matches.
    assert_eq!(show(file.credential("quay.io")), "basic host level");
    assert_eq!(show(file.credential("docker.io")), "basic lib rary");
    assert_eq!(file.helper("podhelped.example.com"), Some("secretservice"));
    assert_eq!(file.helper("quay.io"), None);
}

#[test]
fn invalid_files() {
    for (file, detail) in [
        ("bad-base64.json", "not base64"),
        ("bad-no-colon.json", "not `user:password`"),
        ("bad-helper-name.json", "must be letters"),
        ("bad-json.json", "invalid type"),
        ("not-json.json", "expected"),
    ] {
        let err = AuthFile::load(&data(&format!("config/{file}"))).unwrap_err();
        assert_eq!(err.kind(), &ErrorKind::InvalidConfig, "{file}");
        assert!(err.to_string().contains(detail), "{file}: {err}");
        assert!(err.input().ends_with(file), "{file}: {err}");
    }
    assert!(AuthFile::load(&data("config/does-not-exist.json")).unwrap().is_none());
    // Minimal and empty documents are fine.
    assert!(AuthFile::parse("{}").unwrap().credential("x").is_none());
    assert!(
        AuthFile::parse(r#"{"auths":null,"credsStore":""}"#)
            .unwrap()
            .creds_store()
            .is_none()
    );
    assert_eq!(AuthFile::parse("[]").unwrap_err().kind(), &ErrorKind::InvalidConfig);
}

#[test]
fn secrets_stay_out_of_errors() {
    let err = AuthFile::parse(r#"{"auths":{"x.io":{"auth":"c2VjcmV0LXdpdGhvdXQtY29sb24="}}}"#).unwrap_err();
    assert!(!err.to_string().contains("secret-without-colon"), "{err}");
    assert!(!err.to_string().contains("c2VjcmV0LXdpdGhvdXQtY29sb24"), "{err}");
}

#[test]
fn environment_paths() {
    let env = |vars: &[(&str, &str)]| Environment::from_vars(vars.iter().map(|(k, v)| (*k, *v)));
    let e = env(&[("HOME", "/home/u")]);
    assert_eq!(
        e.docker_config_path(),
        Some(PathBuf::from("/home/u/.docker/config.json"))
    );
    assert_eq!(e.podman_auth_path(), None);
    let e = env(&[("HOME", "/home/u"), ("DOCKER_CONFIG", "/etc/docker-cfg")]);
    assert_eq!(
        e.docker_config_path(),
        Some(PathBuf::from("/etc/docker-cfg/config.json"))
    );
    let e = env(&[("XDG_RUNTIME_DIR", "/run/user/1000")]);
    assert_eq!(
        e.podman_auth_path(),
        Some(PathBuf::from("/run/user/1000/containers/auth.json"))
    );
    assert_eq!(e.docker_config_path(), None);
    let e = env(&[
        ("XDG_RUNTIME_DIR", "/run/user/1000"),
        ("REGISTRY_AUTH_FILE", "/tmp/auth.json"),
    ]);
    assert_eq!(e.podman_auth_path(), Some(PathBuf::from("/tmp/auth.json")));
    let e = env(&[("PATH", "/a:/b"), ("UNRELATED", "x"), ("HOME", "")]);
    assert_eq!(e.path(), Some(OsStr::new("/a:/b")));
    assert_eq!(e.docker_config_path(), None);
    assert_eq!(Environment::new(), Environment::default());
}

/// Inputs the fuzzers found: normalization must be idempotent and parsing must not panic.
#[test]
fn fuzzed_regressions() {
    let mut seen = 0;
    for entry in std::fs::read_dir(data("fuzzed")).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        if !name.starts_with("docker_config-") {
            continue;
        }
        let text = String::from_utf8_lossy(&std::fs::read(&path).unwrap()).into_owned();
        let once = normalize_registry(&text);
        assert_eq!(normalize_registry(&once), once, "{name}");
        if let Err(err) = AuthFile::parse(&text) {
            assert_eq!(err.kind(), &ErrorKind::InvalidConfig, "{name}");
        }
        seen += 1;
    }
    assert!(seen >= 1);
    assert_eq!(normalize_registry("[ /x"), "[");
    assert_eq!(normalize_registry("ghcr.io /x"), "ghcr.io");
}

/// An empty directory of this test's own under cargo's scratch space.
fn scratch(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("oci-auth-files").join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Loads `path` and checks the error is `kind` and names the file.
fn refused(path: &Path, kind: &ErrorKind) -> oci_auth::Error {
    let err = AuthFile::load(path).unwrap_err();
    assert_eq!(err.kind(), kind, "{}: {err}", path.display());
    assert_eq!(err.input(), path.to_string_lossy(), "{err}");
    assert!(err.to_string().contains(&*path.to_string_lossy()), "{err}");
    err
}

/// A FIFO would block the reader until someone writes to it: it is refused without being opened, from the
/// docker and the podman location alike.
#[cfg(unix)]
#[test]
fn fifo_is_refused_unopened() {
    let dir = scratch("fifo");
    let fifo = dir.join("config.json");
    let status = std::process::Command::new("mkfifo").arg(&fifo).status().unwrap();
    assert!(status.success());
    let err = refused(&fifo, &ErrorKind::NotRegularFile);
    assert!(
        err.to_string()
            .ends_with("which is not a regular file: it is a FIFO; replace it with a regular file or remove it"),
        "{err}"
    );
    let env = Environment::new().with_var("DOCKER_CONFIG".as_ref(), &dir);
    let err = CredentialStore::from_environment(&env).unwrap_err();
    assert_eq!(err.kind(), &ErrorKind::NotRegularFile);
    let env = Environment::new().with_var("REGISTRY_AUTH_FILE".as_ref(), &fifo);
    let err = CredentialStore::from_environment(&env).unwrap_err();
    assert_eq!(err.kind(), &ErrorKind::NotRegularFile);
}

/// A symlink is followed, and a device at its end is refused: `/dev/zero` would be read until memory runs out.
#[cfg(unix)]
#[test]
fn symlink_to_dev_zero_is_refused() {
    let dir = scratch("dev-zero");
    let link = dir.join("config.json");
    std::os::unix::fs::symlink("/dev/zero", &link).unwrap();
    let err = refused(&link, &ErrorKind::NotRegularFile);
    assert!(err.to_string().contains("it is a device"), "{err}");
    // A symlink to a regular file is fine, and a dangling one is a missing file.
    let real = dir.join("real.json");
    std::fs::write(&real, r#"{"auths":{"ghcr.io":{"auth":"dTpw"}}}"#).unwrap();
    let good = dir.join("good.json");
    std::os::unix::fs::symlink(&real, &good).unwrap();
    assert!(AuthFile::load(&good).unwrap().unwrap().credential("ghcr.io").is_some());
    let dangling = dir.join("dangling.json");
    std::os::unix::fs::symlink(dir.join("nowhere"), &dangling).unwrap();
    assert!(AuthFile::load(&dangling).unwrap().is_none());
}

#[test]
fn directory_is_refused() {
    let err = refused(&data("config"), &ErrorKind::NotRegularFile);
    assert!(err.to_string().contains("it is a directory"), "{err}");
}

/// Valid JSON one byte over the cap is refused; at the cap it is read.
#[test]
fn file_over_the_size_cap_is_refused() {
    let dir = scratch("size-cap");
    let document = r#"{"auths":{"ghcr.io":{"auth":"dTpw"}}}"#;
    let padded = |size: u64| {
        let mut text = document.to_owned();
        text.push_str(&" ".repeat(usize::try_from(size).unwrap() - document.len()));
        text
    };
    let at_cap = dir.join("at-cap.json");
    std::fs::write(&at_cap, padded(MAX_AUTH_FILE_SIZE)).unwrap();
    assert!(
        AuthFile::load(&at_cap)
            .unwrap()
            .unwrap()
            .credential("ghcr.io")
            .is_some()
    );
    let over = dir.join("over.json");
    std::fs::write(&over, padded(MAX_AUTH_FILE_SIZE + 1)).unwrap();
    let err = refused(
        &over,
        &ErrorKind::FileTooLarge {
            limit: MAX_AUTH_FILE_SIZE,
        },
    );
    assert!(err.to_string().contains("larger than 4194304 bytes"), "{err}");
    assert_eq!(MAX_AUTH_FILE_SIZE, 4 << 20);
}

/// A podman key scoped to a namespace serves that namespace and what is below it, never a sibling whose name
/// merely starts the same, nor the registry as a whole; and the store says when its answer depends on the
/// repository, so that a client caches credentials per repository there.
#[test]
fn podman_namespace_keys_stay_in_their_namespace() {
    let podman = AuthFile::parse(
        r#"{"auths": {
            "registry.example/team-a": {"auth": "YTpucw=="},
            "registry.example/team-a/special": {"auth": "YTpyZXBv"},
            "wide.example": {"auth": "aG9zdDp3aWRl"},
            "wide.example/team-a": {"auth": "YTpucw=="}
        }}"#,
    )
    .unwrap();
    let store = CredentialStore::new().with_podman_auth(podman);
    let user = |registry: &str, repository: Option<&str>| {
        store
            .lookup(registry, repository)
            .unwrap()
            .map(|(credential, _)| show(Some(&credential)))
    };
    for (repository, expected) in [
        (Some("team-a/x"), Some("basic a ns")),
        (Some("team-a/sub/y"), Some("basic a ns")),
        (Some("team-a"), Some("basic a ns")),
        (Some("team-a/special"), Some("basic a repo")),
        (Some("team-a/special/z"), Some("basic a repo")),
        (Some("team-a/specialist"), Some("basic a ns")),
        (Some("team-ab/x"), None),
        (Some("team-b/x"), None),
        (Some("team"), None),
        (Some("x/team-a"), None),
        (None, None),
    ] {
        assert_eq!(
            user("registry.example", repository).as_deref(),
            expected,
            "{repository:?}"
        );
    }
    // With a host-wide key as well, the namespace key still wins inside its namespace only.
    assert_eq!(user("wide.example", Some("team-a/x")).as_deref(), Some("basic a ns"));
    assert_eq!(
        user("wide.example", Some("team-b/x")).as_deref(),
        Some("basic host wide")
    );
    assert_eq!(user("wide.example", None).as_deref(), Some("basic host wide"));
    assert!(store.varies_by_repository("registry.example"));
    assert!(store.varies_by_repository("REGISTRY.example"));
    assert!(store.varies_by_repository("https://wide.example/v2/"));
    assert!(!store.varies_by_repository("other.example"));
    // An explicit credential wins for every repository.
    let explicit = store
        .clone()
        .with_credential("registry.example", Credential::basic("ex", "plicit"));
    assert!(!explicit.varies_by_repository("registry.example"));
    assert!(explicit.varies_by_repository("wide.example"));
    // A docker config key's path is not a namespace (docker writes `host/v2/` and ignores the path): the
    // credential is the registry's, for every repository.
    let docker = AuthFile::parse(r#"{"auths": {"registry.example:5000/v2/": {"auth": "ZG9jazplcg=="}}}"#).unwrap();
    let store = CredentialStore::new().with_docker_config(docker);
    assert!(!store.varies_by_repository("registry.example:5000"));
    for repository in [None, Some("team-a/x"), Some("v2")] {
        assert_eq!(
            store
                .lookup("registry.example:5000", repository)
                .unwrap()
                .map(|(credential, _)| show(Some(&credential)))
                .as_deref(),
            Some("basic dock er"),
            "{repository:?}"
        );
    }
}

#[test]
fn an_unreadable_file_fails_only_the_lookups_that_find_nothing_else() {
    let dir = std::env::temp_dir().join(format!("oci-auth-lenient-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("config.json"), "{ not json").unwrap();
    let env = Environment::new().with_var(OsStr::new("DOCKER_CONFIG"), dir.as_os_str());
    assert!(CredentialStore::from_environment(&env).is_err());
    let (store, errors) = CredentialStore::from_environment_lenient(&env);
    assert_eq!(errors.len(), 1);
    assert!(errors[0].to_string().contains("config.json"), "{}", errors[0]);
    let store = store.with_credential("given.example", Credential::basic("u", "p"));
    assert!(store.lookup("given.example", None).unwrap().is_some());
    let err = store.lookup("other.example", None).unwrap_err();
    assert_eq!(err.kind(), &ErrorKind::InvalidConfig);
    let message = err.to_string();
    assert!(
        message.contains("config.json") && message.contains("other.example"),
        "{message}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}
