//! Credentials: a credential helper named by a temporary `DOCKER_CONFIG`, inline `auths`, `--username` with
//! `--password-stdin`, Bearer tokens from a token server, and what happens when credentials are missing or wrong.

use std::os::unix::fs::PermissionsExt;

use oci_digest::Digest;
use oci_testkit::{Images, Registry, TempDir, block_on};

use crate::{Outcome, oci_check_env};

const USER: &str = "tester";
const PASSWORD: &str = "s3cret-password";

fn registry() -> (Registry, Digest) {
    let registry = Registry::htpasswd(USER, PASSWORD);
    let client = registry.client();
    let host = registry.host().to_owned();
    let digest = block_on(async {
        Images::new(&client, &host, "private/app")
            .unwrap()
            .platform_image("amd64", "private", Some("1"))
            .await
            .unwrap()
            .digest
    });
    (registry, digest)
}

/// A DOCKER_CONFIG directory with `config` as config.json, and a bin directory for helpers.
fn docker_config(config: &str) -> (TempDir, TempDir) {
    let dir = TempDir::new("oci-check-docker-config");
    std::fs::write(dir.path().join("config.json"), config).unwrap();
    (dir, TempDir::new("oci-check-bin"))
}

/// Writes `docker-credential-NAME` answering `get` with the test user for any server.
fn helper(bin: &TempDir, name: &str, password: &str) {
    let path = bin.path().join(format!("docker-credential-{name}"));
    let script = format!(
        "#!/bin/sh\n[ \"$1\" = get ] || exit 1\nread server\n\
         printf '{{\"ServerURL\":\"%s\",\"Username\":\"{USER}\",\"Secret\":\"{password}\"}}' \"$server\"\n"
    );
    std::fs::write(&path, script).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
}

fn update(
    registry: &Registry,
    digest: &Digest,
    config: &TempDir,
    bin: &TempDir,
    extra: &[&str],
    stdin: &str,
) -> Outcome {
    let image = format!("{}/private/app:1@{digest}", registry.host());
    let path = format!("{}:{}", bin.path().display(), std::env::var("PATH").unwrap_or_default());
    let mut args = vec!["update", "--json", "--insecure-registry", registry.host()];
    args.extend_from_slice(extra);
    args.push(&image);
    oci_check_env(
        &args,
        stdin,
        &[("DOCKER_CONFIG", config.path().to_str().unwrap()), ("PATH", &path)],
    )
}

fn status(out: &Outcome) -> (String, String) {
    let object: serde_json::Value =
        serde_json::from_str(out.stdout.trim()).unwrap_or_else(|err| panic!("{out:?}: {err}"));
    (
        object["status"].as_str().unwrap().to_owned(),
        object["error"]["kind"].as_str().unwrap_or("").to_owned(),
    )
}

#[test]
fn a_credential_helper_from_docker_config() {
    let (registry, digest) = registry();
    let (config, bin) = docker_config(&format!(r#"{{"credHelpers": {{"{}": "oci-test"}}}}"#, registry.host()));
    helper(&bin, "oci-test", PASSWORD);
    let out = update(&registry, &digest, &config, &bin, &[], "");
    assert_eq!(out.code, 0, "{out:?}");
    assert_eq!(status(&out), ("up_to_date".to_owned(), String::new()));

    // credsStore applies to every registry.
    let (config, bin) = docker_config(r#"{"credsStore": "oci-store"}"#);
    helper(&bin, "oci-store", PASSWORD);
    let out = update(&registry, &digest, &config, &bin, &[], "");
    assert_eq!(out.code, 0, "{out:?}");
}

#[test]
fn a_wrong_password_from_the_helper_is_a_refused_login() {
    let (registry, digest) = registry();
    let (config, bin) = docker_config(&format!(r#"{{"credHelpers": {{"{}": "oci-test"}}}}"#, registry.host()));
    helper(&bin, "oci-test", "wrong");
    let out = update(&registry, &digest, &config, &bin, &[], "");
    assert_eq!(out.code, 1, "{out:?}");
    assert_eq!(status(&out), ("error".to_owned(), "unauthorized".to_owned()));
    assert!(out.stderr.contains("refused the login"), "{}", out.stderr);
    assert!(out.stderr.contains("docker login"), "{}", out.stderr);
}

#[test]
fn a_missing_helper_is_one_clear_line() {
    let (registry, digest) = registry();
    let (config, bin) = docker_config(&format!(r#"{{"credHelpers": {{"{}": "absent"}}}}"#, registry.host()));
    let out = update(&registry, &digest, &config, &bin, &[], "");
    assert_eq!(out.code, 1, "{out:?}");
    assert_eq!(status(&out), ("error".to_owned(), "credentials".to_owned()));
    assert_eq!(out.stderr.lines().count(), 1, "{}", out.stderr);
    assert!(
        out.stderr.contains("`docker-credential-absent`") && out.stderr.contains("not on PATH"),
        "{}",
        out.stderr
    );
}

#[test]
fn inline_auths_no_credentials_and_password_stdin() {
    let (registry, digest) = registry();
    let auth = oci_testkit::base64(format!("{USER}:{PASSWORD}").as_bytes());
    let (config, bin) = docker_config(&format!(
        r#"{{"auths": {{"{}": {{"auth": "{auth}"}}}}}}"#,
        registry.host()
    ));
    assert_eq!(update(&registry, &digest, &config, &bin, &[], "").code, 0);

    let (empty, bin) = docker_config("{}");
    let out = update(&registry, &digest, &empty, &bin, &[], "");
    assert_eq!(out.code, 1, "{out:?}");
    assert_eq!(status(&out).1, "unauthorized");

    let flags = ["--username", USER, "--password-stdin"];
    let out = update(&registry, &digest, &empty, &bin, &flags, &format!("{PASSWORD}\n"));
    assert_eq!(out.code, 0, "{out:?}");
    let out = update(&registry, &digest, &empty, &bin, &flags, "nope\n");
    assert_eq!(status(&out).1, "unauthorized");
    let out = update(&registry, &digest, &empty, &bin, &flags, "");
    assert_eq!(out.code, 2, "{out:?}");
}

#[test]
fn bearer_tokens_from_the_registry_token_server_with_password_stdin() {
    let registry = Registry::bearer(USER, PASSWORD);
    let host = registry.host().to_owned();
    let images: Vec<String> = block_on(async {
        let mut images = Vec::new();
        for name in ["tok/one", "tok/two", "tok/three"] {
            let pushed = registry
                .images(name)
                .unwrap()
                .platform_image("amd64", name, Some("1"))
                .await
                .unwrap();
            images.push(format!("{host}/{name}:1@{}", pushed.digest));
        }
        images
    });
    let before = registry.token_requests();
    let mut args = vec![
        "update",
        "--json",
        "--insecure-registry",
        &host,
        "--username",
        USER,
        "--password-stdin",
    ];
    args.extend(images.iter().map(String::as_str));
    let out = oci_check_env(&args, format!("{PASSWORD}\n"), &[]);
    assert_eq!(out.code, 0, "{out:?}");
    assert_eq!(
        out.stdout
            .lines()
            .filter(|l| l.contains(r#""status":"up_to_date""#))
            .count(),
        3,
        "{out:?}"
    );
    // Bearer auth went through the token server, one token request for the three repositories together.
    let sent = registry.token_requests() - before;
    let scopes = registry.token_server().unwrap().scopes();
    assert_eq!(sent, 1, "{sent} token requests: {scopes:?}");
}

#[test]
fn two_hundred_repositories_on_a_bearer_registry_cost_a_handful_of_token_requests() {
    const REPOSITORIES: usize = 200;
    let registry = Registry::bearer(USER, PASSWORD);
    let host = registry.host().to_owned();
    let images: Vec<String> = block_on(async {
        let mut images = Vec::new();
        for n in 0..REPOSITORIES {
            let name = format!("many/app{n}");
            let pushed = registry
                .images(&name)
                .unwrap()
                .platform_image("amd64", "shared", Some("1"))
                .await
                .unwrap();
            images.push(format!("{host}/{name}:1@{}", pushed.digest));
        }
        images
    });
    let list = TempDir::new("oci-check-many");
    let file = list.path().join("images.txt");
    std::fs::write(&file, images.join("\n")).unwrap();
    let before = registry.token_requests();
    let out = oci_check_env(
        &[
            "update",
            "--json",
            "--username",
            USER,
            "--password-stdin",
            "-f",
            file.to_str().unwrap(),
        ],
        format!("{PASSWORD}\n"),
        &[],
    );
    assert_eq!(out.code, 0, "{}", out.stderr);
    let up_to_date = out
        .stdout
        .lines()
        .filter(|line| line.contains(r#""status":"up_to_date""#))
        .count();
    assert_eq!(up_to_date, REPOSITORIES, "{}", out.stderr);
    let sent = registry.token_requests() - before;
    assert!(
        (1..=4).contains(&sent),
        "{sent} token requests for {REPOSITORIES} repositories"
    );
}
