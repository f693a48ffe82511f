//! Credential helpers run for real: shell scripts written to a temporary directory and found through the
//! `PATH` of an injected environment (the process environment is never touched, since tests run in parallel).

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

use oci_auth::{AuthFile, Credential, CredentialStore, Environment, ErrorKind, Source};

const WORKING: &str = r#"#!/bin/sh
[ "$1" = get ] || exit 9
read -r server
case "$server" in
  ghcr.io) echo '{"ServerURL":"ghcr.io","Username":"octo","Secret":"helper-pass"}' ;;
  token.example.com) echo '{"ServerURL":"token.example.com","Username":"<token>","Secret":"refresh-from-helper"}' ;;
  https://index.docker.io/v1/) printf '{"ServerURL":"%s","Username":"hub","Secret":"hub-from-helper"}' "$server" ;;
  empty.example.com) echo '{"ServerURL":"empty.example.com","Username":"","Secret":""}' ;;
  *) echo "credentials not found in native keychain"; exit 1 ;;
esac
"#;

const FAILING: &str = "#!/bin/sh\ncat >/dev/null\necho 'keychain is locked; password hunter2' >&2\nexit 3\n";
const GARBAGE: &str = "#!/bin/sh\ncat >/dev/null\necho 'Username: octo, Secret: hunter2'\n";
const HANGING: &str = "#!/bin/sh\nsleep 5\necho '{}'\n";
const NOT_EXECUTABLE: &str = "#!/bin/sh\necho '{}'\n";

/// The helper scripts (in `bin/`) and a docker config directory (`docker/`), removed on drop.
struct Scripts {
    dir: PathBuf,
}

impl Scripts {
    fn write(dir: PathBuf) -> Self {
        let _ = std::fs::remove_dir_all(&dir);
        let bin = dir.join("bin");
        std::fs::create_dir_all(&bin).unwrap();
        for (name, script, mode) in [
            ("working", WORKING, 0o755),
            ("failing", FAILING, 0o755),
            ("garbage", GARBAGE, 0o755),
            ("hanging", HANGING, 0o755),
            ("noexec", NOT_EXECUTABLE, 0o644),
        ] {
            let path = bin.join(format!("docker-credential-{name}"));
            std::fs::write(&path, script).unwrap();
            set_mode(&path, mode);
        }
        // A docker config directory for `from_environment`.
        let config = dir.join("docker");
        std::fs::create_dir_all(&config).unwrap();
        std::fs::write(
            config.join("config.json"),
            r#"{"auths":{"inline.example.com":{"auth":"aW46bGluZQ=="}},"credHelpers":{"ghcr.io":"working"}}"#,
        )
        .unwrap();
        Self { dir }
    }
}

impl Drop for Scripts {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// One scripts directory for the tests that run at the same time: written when the first of them takes it, before
/// it runs a helper, and removed when the last lets go. (Written once per process in a static, it was never dropped:
/// every test run left an `oci-auth-helpers-PID` directory behind.) Writing while no test holds it also keeps a
/// script from being written while another thread forks to run one, which can make exec fail with ETXTBSY.
struct Shared {
    prefix: &'static str,
    /// How many [`Helpers`] are alive, the directory while any is, and how many directories were made.
    state: Mutex<(usize, Option<Scripts>, u64)>,
}

impl Shared {
    const fn new(prefix: &'static str) -> Self {
        Self {
            prefix,
            state: Mutex::new((0, None, 0)),
        }
    }

    fn take(&'static self) -> Helpers {
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        let (users, scripts, made) = &mut *state;
        if scripts.is_none() {
            *made += 1;
            let name = format!("{}-{}-{made}", self.prefix, std::process::id());
            *scripts = Some(Scripts::write(std::env::temp_dir().join(name)));
        }
        *users += 1;
        let dir = scripts.as_ref().map(|scripts| scripts.dir.clone()).unwrap();
        Helpers { shared: self, dir }
    }
}

static SHARED: Shared = Shared::new("oci-auth-helpers");

/// A test's hold on the scripts directory; see [`Shared`].
struct Helpers {
    shared: &'static Shared,
    dir: PathBuf,
}

impl Helpers {
    fn take() -> Self {
        SHARED.take()
    }

    /// The directory: `bin/` holds the scripts, `docker/` a docker config.
    fn dir(&self) -> &Path {
        &self.dir
    }

    /// A `PATH` with the scripts in it, after a directory that does not exist.
    fn path_var(&self) -> OsString {
        std::env::join_paths([
            Path::new("/nonexistent-dir"),
            &self.dir.join("bin"),
            Path::new("/usr/bin"),
            Path::new("/bin"),
        ])
        .unwrap()
    }

    /// A store whose docker config sends every registry to helper `name`.
    fn store(&self, name: &str) -> CredentialStore {
        let config = AuthFile::parse(&format!(r#"{{"credsStore":"{name}"}}"#)).unwrap();
        CredentialStore::new()
            .with_docker_config(config)
            .with_path(self.path_var())
            .with_helper_timeout(Duration::from_millis(500))
    }
}

impl Drop for Helpers {
    fn drop(&mut self) {
        let mut state = self.shared.state.lock().unwrap_or_else(PoisonError::into_inner);
        state.0 -= 1;
        if state.0 == 0 {
            // Dropping the scripts removes their directory.
            state.1 = None;
        }
    }
}

#[test]
fn the_scripts_directory_is_removed_when_the_last_test_lets_go() {
    // A `Shared` of its own: the other tests hold `SHARED` at unknown times.
    static OWN: Shared = Shared::new("oci-auth-helpers-drop-test");
    let first = OWN.take();
    let second = OWN.take();
    let dir = first.dir().to_owned();
    assert_eq!(second.dir(), dir, "tests running at once share one directory");
    assert!(dir.join("bin/docker-credential-working").is_file());
    drop(first);
    assert!(dir.is_dir(), "removed while a test still used it");
    drop(second);
    assert!(!dir.exists(), "left behind: {}", dir.display());
    // Taken again, it is written again, under a new name.
    let again = OWN.take();
    assert!(again.dir().join("bin/docker-credential-working").is_file());
    assert_ne!(again.dir(), dir);
    let dir = again.dir().to_owned();
    drop(again);
    assert!(!dir.exists(), "left behind: {}", dir.display());
}

fn set_mode(path: &Path, mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
}

#[test]
fn working_helper() {
    let helpers = Helpers::take();
    let store = helpers.store("working");
    let (credential, source) = store.lookup("ghcr.io", None).unwrap().unwrap();
    assert_eq!(credential, Credential::basic("octo", "helper-pass"));
    assert_eq!(source, Source::Helper("working".into()));
    // `<token>` means an identity token.
    let (credential, _) = store.lookup("token.example.com", None).unwrap().unwrap();
    assert_eq!(credential, Credential::IdentityToken("refresh-from-helper".into()));
    // Docker Hub is asked for under its legacy key, whatever spelling the caller used.
    let (credential, _) = store.lookup("registry-1.docker.io", None).unwrap().unwrap();
    assert_eq!(credential, Credential::basic("hub", "hub-from-helper"));
    // "credentials not found" and an empty secret are anonymous, not errors.
    assert!(store.lookup("unknown.example.com", None).unwrap().is_none());
    assert!(store.lookup("empty.example.com", None).unwrap().is_none());
}

#[test]
fn failing_helper() {
    let helpers = Helpers::take();
    let err = helpers.store("failing").lookup("ghcr.io", None).unwrap_err();
    assert_eq!(
        err.kind(),
        &ErrorKind::HelperFailed {
            helper: "failing".into(),
            code: Some(3)
        }
    );
    let msg = err.to_string();
    assert!(msg.contains("docker-credential-failing"), "{msg}");
    assert!(msg.contains("exit status 3"), "{msg}");
    // The helper's stderr is not repeated (it may hold a secret); the message says how to see it.
    assert!(!msg.contains("hunter2") && !msg.contains("keychain"), "{msg}");
    assert!(
        msg.contains("bytes to stderr") && msg.contains("docker-credential-failing get"),
        "{msg}"
    );
    assert_eq!(err.input(), "ghcr.io");
}

#[test]
fn garbage_helper() {
    let helpers = Helpers::take();
    let err = helpers.store("garbage").lookup("ghcr.io", None).unwrap_err();
    assert_eq!(
        err.kind(),
        &ErrorKind::HelperOutput {
            helper: "garbage".into()
        }
    );
    let msg = err.to_string();
    assert!(msg.contains("docker-credential-garbage"), "{msg}");
    assert!(!msg.contains("hunter2"), "stdout must not be quoted: {msg}");
}

#[test]
fn hanging_helper_times_out() {
    let started = Instant::now();
    let helpers = Helpers::take();
    let err = helpers.store("hanging").lookup("ghcr.io", None).unwrap_err();
    let took = started.elapsed();
    assert_eq!(
        err.kind(),
        &ErrorKind::HelperTimeout {
            helper: "hanging".into()
        }
    );
    assert!(took >= Duration::from_millis(500), "{took:?}");
    assert!(
        took < Duration::from_secs(4),
        "the helper was not killed in time: {took:?}"
    );
    assert!(err.to_string().contains("docker-credential-hanging"), "{err}");
}

#[test]
fn missing_helper() {
    let helpers = Helpers::take();
    for name in ["absent", "noexec"] {
        let err = helpers.store(name).lookup("ghcr.io", None).unwrap_err();
        assert_eq!(err.kind(), &ErrorKind::HelperNotFound { helper: name.into() });
        assert!(err.to_string().contains(&format!("docker-credential-{name}")), "{err}");
    }
    // Without a PATH nothing can be found.
    let config = AuthFile::parse(r#"{"credsStore":"working"}"#).unwrap();
    let err = CredentialStore::new()
        .with_docker_config(config)
        .lookup("ghcr.io", None)
        .unwrap_err();
    assert_eq!(
        err.kind(),
        &ErrorKind::HelperNotFound {
            helper: "working".into()
        }
    );
}

#[test]
fn lookup_order() {
    let helpers = Helpers::take();
    let docker = AuthFile::parse(
        r#"{
            "auths": {
                "ghcr.io": {"auth": "Z2hjcjppbmxpbmU="},
                "inline.example.com": {"auth": "aW46bGluZQ=="},
                "unknown.example.com": {"auth": "dW5rOm5vd24="}
            },
            "credHelpers": {"ghcr.io": "working", "unknown.example.com": "working"}
        }"#,
    )
    .unwrap();
    let podman =
        AuthFile::parse(r#"{"auths": {"quay.io/team": {"auth": "cG9kOm1hbg=="}, "ghcr.io": {"auth": "eDp5"}}}"#)
            .unwrap();
    let store = CredentialStore::new()
        .with_docker_config(docker)
        .with_podman_auth(podman)
        .with_path(helpers.path_var())
        .with_credential("https://explicit.example.com/", Credential::basic("ex", "plicit"));
    let found = |registry: &str, repository: Option<&str>| store.lookup(registry, repository).unwrap();
    // Explicit first.
    assert_eq!(
        found("explicit.example.com", None),
        Some((Credential::basic("ex", "plicit"), Source::Explicit))
    );
    // credHelpers before the inline entry of the same registry.
    assert_eq!(found("ghcr.io", None).unwrap().1, Source::Helper("working".into()));
    // A helper with nothing falls through to the inline entry.
    assert_eq!(
        found("unknown.example.com", None),
        Some((Credential::basic("unk", "nown"), Source::DockerConfig))
    );
    assert_eq!(
        found("inline.example.com", None),
        Some((Credential::basic("in", "line"), Source::DockerConfig))
    );
    // Podman last, path-scoped.
    assert_eq!(
        found("quay.io", Some("team/app")),
        Some((Credential::basic("pod", "man"), Source::PodmanAuth))
    );
    assert_eq!(found("quay.io", Some("other/app")), None);
    assert_eq!(found("nothing.example.com", None), None);
    // An explicit credential overrides even for Docker Hub spellings.
    let hub = CredentialStore::new().with_credential("index.docker.io", Credential::IdentityToken("t".into()));
    assert!(hub.lookup("docker.io", None).unwrap().is_some());
}

#[test]
fn from_environment() {
    let helpers = Helpers::take();
    let dir = helpers.dir();
    let env = Environment::new()
        .with_var("DOCKER_CONFIG".as_ref(), dir.join("docker"))
        .with_var("PATH".as_ref(), helpers.path_var())
        .with_var("XDG_RUNTIME_DIR".as_ref(), dir.join("no-such-runtime-dir"));
    let store = CredentialStore::from_environment(&env)
        .unwrap()
        .with_helper_timeout(Duration::from_secs(5));
    assert_eq!(
        store.lookup("inline.example.com", None).unwrap(),
        Some((Credential::basic("in", "line"), Source::DockerConfig))
    );
    assert_eq!(
        store.lookup("ghcr.io", None).unwrap().unwrap().1,
        Source::Helper("working".into())
    );
    // Nothing configured at all: anonymous.
    let empty = CredentialStore::from_environment(&Environment::new()).unwrap();
    assert!(empty.lookup("ghcr.io", None).unwrap().is_none());
}
