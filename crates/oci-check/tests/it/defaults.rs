//! What works without flags, and despite a broken environment: plain-HTTP registries on loopback, credentials
//! files that cannot be read, and flags written the way people write them.

use oci_digest::Digest;
use serde_json::Value;

use oci_testkit::{Images, Registry, TempDir, block_on};

use crate::{oci_check, oci_check_env};

/// An open plain-HTTP registry on 127.0.0.1 with `demo/app:1` and the image's digest.
fn registry() -> (Registry, Digest) {
    let registry = Registry::open();
    let client = registry.client();
    let host = registry.host().to_owned();
    let digest = block_on(async {
        let app = Images::new(&client, &host, "demo/app").unwrap();
        app.platform_image("amd64", "app", Some("1")).await.unwrap().digest
    });
    (registry, digest)
}

#[test]
fn a_plain_http_registry_on_loopback_needs_no_flag() {
    let (registry, digest) = registry();
    let port = registry.host().rsplit_once(':').unwrap().1;
    for host in [registry.host().to_owned(), format!("localhost:{port}")] {
        let out = oci_check(&["digest", &format!("{host}/demo/app:1")], "");
        assert_eq!(out.code, 0, "{host}: {out:?}");
        assert_eq!(out.stdout, format!("{digest}\n"), "{host}");
        let out = oci_check(&["update", "--json", &format!("{host}/demo/app:1@{digest}")], "");
        assert_eq!(out.code, 0, "{host}: {out:?}");
        assert!(out.stdout.contains("\"up_to_date\""), "{host}: {out:?}");
    }
}

#[test]
fn verbose_says_where_credentials_are_looked_for_and_the_plain_http_probe_is_no_failure() {
    let (registry, digest) = registry();
    let out = oci_check(
        &["-v", "update", &format!("{}/demo/app:1@{digest}", registry.host())],
        "",
    );
    assert_eq!(out.code, 0, "{out:?}");
    // The test harness points DOCKER_CONFIG at an empty directory: no config.json there.
    assert!(
        out.stderr.contains("credentials: no docker config at "),
        "{}",
        out.stderr
    );
    assert!(
        !out.stderr.contains("failed after"),
        "the HTTPS probe of a plain-HTTP loopback registry is logged as a failed request: {}",
        out.stderr
    );
    assert!(out.stderr.contains("using http://"), "{}", out.stderr);
}

#[test]
fn insecure_registry_takes_a_host_for_every_port_and_refuses_urls() {
    let (registry, digest) = registry();
    let image = format!("{}/demo/app:1", registry.host());
    let out = oci_check(&["digest", "--insecure-registry", "127.0.0.1", &image], "");
    assert_eq!(out.code, 0, "{out:?}");
    assert_eq!(out.stdout, format!("{digest}\n"));

    let url = format!("http://{}", registry.host());
    let out = oci_check(&["digest", "--insecure-registry", &url, &image], "");
    assert_eq!(out.code, 2, "{out:?}");
    assert!(out.stderr.contains("drop the scheme"), "{}", out.stderr);
    assert!(
        out.stderr.contains(&format!("--insecure-registry {}", registry.host())),
        "{}",
        out.stderr
    );
}

#[test]
fn a_broken_credentials_file_is_a_warning_and_open_registries_are_still_checked() {
    let (registry, digest) = registry();
    let config = TempDir::new("oci-check-broken-config");
    std::fs::write(config.path().join("config.json"), "{ this is not json").unwrap();
    let image = format!("{}/demo/app:1@{digest}", registry.host());
    let moved = format!("{}/demo/app:1@{}", registry.host(), Digest::sha256(b"older"));
    let env = [("DOCKER_CONFIG", config.path().to_str().unwrap())];

    let out = oci_check_env(&["update", "--json", &image, &moved], "", &env);
    assert_eq!(out.code, 10, "the moved image decides the exit code: {out:?}");
    let statuses: Vec<String> = out
        .stdout
        .lines()
        .map(|line| {
            serde_json::from_str::<Value>(line).unwrap()["status"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect();
    assert_eq!(statuses, ["up_to_date", "update_available"]);
    assert!(
        out.stderr.contains("config.json"),
        "the warning names the file: {}",
        out.stderr
    );
    assert_eq!(out.stderr.lines().count(), 1, "{}", out.stderr);

    let out = oci_check_env(&["update", &image], "", &env);
    assert_eq!(out.code, 0, "{out:?}");
    assert!(out.stdout.contains("up to date"), "{out:?}");

    // A registry that asks for credentials fails for the reason the file gave, and only it.
    let private = Registry::htpasswd("alice", "s3cret");
    let private_digest = block_on(async {
        let client = private.client();
        let app = Images::new(&client, private.host(), "team/app").unwrap();
        app.platform_image("amd64", "private", Some("1")).await.unwrap().digest
    });
    let locked = format!("{}/team/app:1@{private_digest}", private.host());
    let out = oci_check_env(&["update", "--json", &image, &locked], "", &env);
    assert_eq!(out.code, 1, "{out:?}");
    let lines: Vec<Value> = out
        .stdout
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    assert_eq!(lines[0]["status"], "up_to_date");
    assert_eq!(lines[1]["status"], "error");
    assert_eq!(lines[1]["error"]["kind"], "credentials");
    let message = lines[1]["error"]["message"].as_str().unwrap();
    assert!(
        message.contains("config.json") && message.contains("fix or move"),
        "{message}"
    );

    let out = oci_check_env(&["update", "-q", &image], "", &env);
    assert_eq!((out.code, out.stderr.as_str()), (0, ""), "{out:?}");
}
