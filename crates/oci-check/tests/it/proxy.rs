//! Behind a proxy: `oci-check update` through a real squid (`oci_testkit::Squid`) with Basic proxy auth, to the real
//! registry on loopback under a name, `registry.test`, that only squid's own hosts file knows: a request that
//! bypasses the proxy cannot reach it, and squid's access log shows what went through.

use std::collections::BTreeMap;
use std::net::{IpAddr, Ipv4Addr};

use oci_digest::Digest;
use oci_testkit::squid::AccessEntry;
use oci_testkit::{Auth, Registry, Squid, TestCa, block_on};
use serde_json::Value;

use crate::{Outcome, oci_check_env};

/// The registry's name, known only inside the proxy.
const NAME: &str = "registry.test";
const USER: &str = "alice";
const PASSWORD: &str = "pr0xy-s3cret";

/// A registry with images whose tags moved (or not), and squid in front of it.
struct Behind {
    registry: Registry,
    squid: Squid,
    /// `registry.test:PORT`.
    host: String,
    app1: Digest,
    app2: Digest,
    steady: Digest,
    multi1: Digest,
    multi2: Digest,
    multi_amd64: Digest,
    rebuilt1: Digest,
    rebuilt2: Digest,
    rebuilt_amd64_2: Digest,
}

impl Behind {
    /// Over TLS (a certificate for `registry.test` from a test CA) when `tls`, else plain HTTP.
    fn new(tls: bool) -> Self {
        let registry = if tls {
            Registry::start(Auth::Open, Some(&TestCa::with_names(&[NAME])))
        } else {
            Registry::open()
        };
        let port = registry.host().rsplit(':').next().unwrap().to_owned();
        let squid = Squid::builder()
            .basic_auth(USER, PASSWORD)
            .host(NAME, IpAddr::V4(Ipv4Addr::LOCALHOST))
            .start();
        let images = |name: &str| registry.images(name).unwrap();
        let (app, steady, multi, rebuilt) = (
            images("demo/app"),
            images("demo/steady"),
            images("demo/multi"),
            images("demo/rebuilt"),
        );
        block_on(async {
            let digest = |pushed: oci_testkit::Pushed| pushed.digest;
            let app1 = digest(app.platform_image("amd64", "app-1.0", Some("1")).await.unwrap());
            let app2 = digest(app.platform_image("amd64", "app-1.1", Some("1")).await.unwrap());
            let steady = digest(steady.platform_image("amd64", "steady", Some("1")).await.unwrap());
            let multi_amd64 = digest(multi.platform_image("amd64", "multi-amd64", None).await.unwrap());
            let arm1 = digest(multi.platform_image("arm64", "multi-arm64-1", None).await.unwrap());
            let multi1 = digest(
                multi
                    .index(&[("amd64", &multi_amd64), ("arm64", &arm1)], "latest")
                    .await
                    .unwrap(),
            );
            let arm2 = digest(multi.platform_image("arm64", "multi-arm64-2", None).await.unwrap());
            let multi2 = digest(
                multi
                    .index(&[("amd64", &multi_amd64), ("arm64", &arm2)], "latest")
                    .await
                    .unwrap(),
            );
            let old_amd = digest(rebuilt.platform_image("amd64", "rebuilt-amd64-1", None).await.unwrap());
            let old_arm = digest(rebuilt.platform_image("arm64", "rebuilt-arm64-1", None).await.unwrap());
            let rebuilt1 = digest(
                rebuilt
                    .index(&[("amd64", &old_amd), ("arm64", &old_arm)], "3")
                    .await
                    .unwrap(),
            );
            let new_amd = digest(rebuilt.platform_image("amd64", "rebuilt-amd64-2", None).await.unwrap());
            let new_arm = digest(rebuilt.platform_image("arm64", "rebuilt-arm64-2", None).await.unwrap());
            let rebuilt2 = digest(
                rebuilt
                    .index(&[("amd64", &new_amd), ("arm64", &new_arm)], "3")
                    .await
                    .unwrap(),
            );
            Self {
                squid,
                host: format!("{NAME}:{port}"),
                registry,
                app1,
                app2,
                steady,
                multi1,
                multi2,
                multi_amd64,
                rebuilt1,
                rebuilt2,
                rebuilt_amd64_2: new_amd,
            }
        })
    }

    /// One image per verdict (and an index whose image for linux/amd64 did not change), in this order:
    /// `demo/app` (moved), `demo/steady`, `demo/multi` (an index whose image for linux/amd64 did not change),
    /// `demo/rebuilt` (moved, both images) and `demo/multi` again without a digest.
    fn list(&self) -> String {
        let h = &self.host;
        format!(
            "{h}/demo/app:1@{}\n{h}/demo/steady:1@{}\n{h}/demo/multi:latest@{}\n{h}/demo/rebuilt:3@{}\n{h}/demo/multi\n",
            self.app1, self.steady, self.multi1, self.rebuilt1
        )
    }

    /// `oci-check update --json --platform linux/amd64 -f - EXTRA...` with the registry's transport options (its CA
    /// for `registry.test`, or plain HTTP to it), the list on stdin, and `env` (every proxy variable unset unless
    /// `env` sets it).
    fn update(&self, extra: &[&str], env: &[(&str, &str)]) -> Outcome {
        let ca;
        let mut args = vec!["update", "--json", "--platform", "linux/amd64", "-f", "-"];
        match self.registry.ca_file() {
            Some(file) => {
                ca = format!("{}={}", self.host, file.display());
                args.extend(["--ca-cert", &ca]);
            }
            None => args.extend(["--insecure-registry", &self.host]),
        }
        args.extend_from_slice(extra);
        oci_check_env(&args, self.list(), &with_proxy_variables(env))
    }

    /// Checks the verdicts of [`list`](Self::list), in order.
    fn assert_verdicts(&self, out: &Outcome) {
        assert_eq!(out.code, 10, "{out:?}");
        let objects: Vec<Value> = out
            .stdout
            .lines()
            .map(|line| serde_json::from_str(line).unwrap())
            .collect();
        let fields: Vec<(&str, &str, Option<&str>)> = objects
            .iter()
            .map(|object| {
                (
                    object["status"].as_str().unwrap(),
                    object["latest_digest"].as_str().unwrap_or("-"),
                    object["platform_digest"].as_str(),
                )
            })
            .collect();
        let d = |digest: &Digest| digest.to_string();
        let (app2, steady, multi2, amd64, rebuilt2, rebuilt_amd64) = (
            d(&self.app2),
            d(&self.steady),
            d(&self.multi2),
            d(&self.multi_amd64),
            d(&self.rebuilt2),
            d(&self.rebuilt_amd64_2),
        );
        assert_eq!(
            fields,
            [
                ("update_available", app2.as_str(), None),
                ("up_to_date", steady.as_str(), None),
                ("up_to_date", multi2.as_str(), Some(amd64.as_str())),
                ("update_available", rebuilt2.as_str(), Some(rebuilt_amd64.as_str())),
                ("no_digest", multi2.as_str(), Some(amd64.as_str())),
            ],
            "{out:?}"
        );
        assert_eq!(objects[2]["index_changed"], true);
        assert_eq!(objects[2]["platform_changed"], false);
        assert!(
            objects
                .iter()
                .all(|object| object["verified"] != false && object["error"].is_null())
        );
    }

    /// What squid carried since the last look, as `(method, url, status, user)`.
    fn carried(&self) -> Vec<(String, String, u16, Option<String>)> {
        self.squid
            .mark()
            .into_iter()
            .map(
                |AccessEntry {
                     method,
                     url,
                     status,
                     user,
                     ..
                 }| (method, url, status, user),
            )
            .collect()
    }
}

/// `env` with every proxy variable it does not set removed, so that the tester's own proxy settings play no part.
fn with_proxy_variables<'a>(env: &[(&'a str, &'a str)]) -> Vec<(&'a str, &'a str)> {
    let mut all: Vec<(&str, &str)> = [
        "https_proxy",
        "HTTPS_PROXY",
        "http_proxy",
        "HTTP_PROXY",
        "all_proxy",
        "ALL_PROXY",
        "no_proxy",
        "NO_PROXY",
        "REQUEST_METHOD",
    ]
    .into_iter()
    .map(|name| (name, ""))
    .collect();
    all.extend_from_slice(env);
    all
}

/// The JSON record's error kind and message of each line of stdout.
fn errors(out: &Outcome) -> Vec<(String, String)> {
    out.stdout
        .lines()
        .map(|line| {
            let object: Value = serde_json::from_str(line).unwrap();
            (
                object["error"]["kind"].as_str().unwrap_or_default().to_owned(),
                object["error"]["message"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect()
}

#[test]
fn every_verdict_through_a_connect_tunnel() {
    let b = Behind::new(true);
    // The name resolves only inside the proxy: without it, nothing is reached.
    let direct = b.update(&[], &[]);
    assert_eq!(direct.code, 1, "{direct:?}");
    assert!(
        errors(&direct)
            .iter()
            .all(|(kind, _)| kind == "unreachable" || kind == "timeout"),
        "{direct:?}"
    );
    assert_eq!(b.carried(), []);

    let url = b.squid.url();
    let out = b.update(&["-v", "--proxy", &url], &[]);
    b.assert_verdicts(&out);
    // squid saw only tunnels to the registry, opened for the user of the proxy URL; what went inside them is TLS.
    let tunnels = b.carried();
    assert!(!tunnels.is_empty());
    for tunnel in &tunnels {
        assert_eq!(
            tunnel,
            &("CONNECT".to_owned(), b.host.clone(), 200, Some(USER.to_owned())),
            "{tunnels:?}"
        );
    }
    // -v names the proxy each connection and request used, never its password.
    let shown = format!("http://{USER}:***@{}", b.squid.address());
    assert!(
        out.stderr.contains(&format!(
            "connecting to {} through the proxy {shown} (CONNECT tunnel)",
            b.host
        )),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr
            .contains(&format!("HEAD https://{}/v2/demo/steady/manifests/1 -> 200", b.host)),
        "{}",
        out.stderr
    );
    assert!(
        !out.stderr.contains(PASSWORD) && !out.stdout.contains(PASSWORD),
        "{}",
        out.stderr
    );
    eprintln!("CONNECT tunnels for the 5 images: {}", tunnels.len());
    if let Some(summary) = out.stderr.lines().find(|line| line.contains("summary:")) {
        eprintln!("{summary}");
    }

    // The same from the environment, lower case first as curl reads it: the upper-case variable's wrong password
    // is never tried.
    let wrong = b.squid.url_as(USER, "wrong");
    let out = b.update(&[], &[("https_proxy", &url), ("HTTPS_PROXY", &wrong)]);
    b.assert_verdicts(&out);
    assert!(
        b.carried()
            .iter()
            .all(|(method, _, status, _)| method == "CONNECT" && *status == 200)
    );
}

#[test]
fn every_verdict_through_a_plain_http_proxy_in_absolute_form() {
    let b = Behind::new(false);
    let url = b.squid.url();
    let out = b.update(&[], &[("HTTP_PROXY", &url)]);
    b.assert_verdicts(&out);
    // Every request reached squid in absolute form with the proxy credentials (squid logs the user it checked),
    // and squid forwarded it: one line per request, so the requests per image can be counted.
    let carried = b.carried();
    let mut per_repository: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (method, url, status, user) in &carried {
        assert_eq!(user.as_deref(), Some(USER), "{carried:?}");
        assert_eq!(*status, 200, "{carried:?}");
        let path = url
            .strip_prefix(&format!("http://{}/v2/", b.host))
            .unwrap_or_else(|| panic!("not absolute form to the registry: {url}"));
        let repository = path.split("/manifests/").next().unwrap_or_default().to_owned();
        per_repository
            .entry(repository)
            .or_default()
            .push(format!("{method} {path}"));
    }
    eprintln!("requests through the proxy per image: {per_repository:#?}");
    // The ping, then the image that is up to date costs exactly one HEAD; the others are each seen.
    assert_eq!(per_repository[""], ["GET "], "{per_repository:#?}");
    assert_eq!(
        per_repository["demo/steady"],
        ["HEAD demo/steady/manifests/1"],
        "{per_repository:#?}"
    );
    for repository in ["demo/app", "demo/multi", "demo/rebuilt"] {
        assert!(per_repository.contains_key(repository), "{per_repository:#?}");
    }
}

#[test]
fn no_proxy_entries_bypass_the_proxy() {
    let b = Behind::new(true);
    let url = b.squid.url();
    // NO_PROXY names the registry: it is reached directly, where its name does not resolve, and squid sees nothing.
    for list in [NAME, ".test", "*.test", &b.host, "*"] {
        let out = b.update(&[], &[("HTTPS_PROXY", &url), ("NO_PROXY", list)]);
        assert_eq!(out.code, 1, "NO_PROXY={list}: {out:?}");
        assert!(
            errors(&out)
                .iter()
                .all(|(kind, _)| kind == "unreachable" || kind == "timeout"),
            "NO_PROXY={list}: {out:?}"
        );
        assert_eq!(b.carried(), [], "NO_PROXY={list}");
    }
    // Entries that do not name it, another port of it among them, leave it to the proxy; --no-proxy replaces NO_PROXY.
    let other_port = format!("{NAME}:1");
    let out = b.update(
        &["--no-proxy", &format!("other.test, 10.0.0.0/8 {other_port}")],
        &[("HTTPS_PROXY", &url), ("NO_PROXY", NAME)],
    );
    b.assert_verdicts(&out);
    assert!(!b.carried().is_empty());

    // A loopback registry is never proxied, whatever the variables say.
    let open = Registry::open();
    let image = format!("{}/demo/none:1", open.host());
    let out = oci_check_env(
        &["update", "--json", &image],
        "",
        &with_proxy_variables(&[("HTTPS_PROXY", &url), ("HTTP_PROXY", &url)]),
    );
    let kinds: Vec<String> = errors(&out).into_iter().map(|(kind, _)| kind).collect();
    assert_eq!(kinds, ["not_found"], "{out:?}");
    assert_eq!(b.carried(), []);
}

#[test]
fn a_refusing_proxy_is_a_proxy_error_naming_it() {
    for tls in [true, false] {
        let b = Behind::new(tls);
        let wrong = b.squid.url_as(USER, "not-the-password");
        let none = b.squid.url_without_credentials();
        for (url, says) in [
            (&wrong, format!("refused the credentials of `{USER}`")),
            (&none, "the proxy URL has none".to_owned()),
        ] {
            let out = b.update(&["--proxy", url], &[]);
            assert_eq!(out.code, 1, "{out:?}");
            for (kind, message) in errors(&out) {
                assert_eq!(kind, "proxy", "{out:?}");
                let named = match url.split_once('@') {
                    Some(_) => format!("`http://{USER}:***@{}`", b.squid.address()),
                    None => format!("`http://{}`", b.squid.address()),
                };
                assert!(message.contains(&named), "{message}");
                assert!(message.contains("407") && message.contains(&says), "{message}");
                assert!(!message.contains("not-the-password"), "{message}");
            }
            assert!(!out.stderr.contains("not-the-password"), "{}", out.stderr);
            // squid refused each attempt with 407, and nothing reached the registry.
            let carried = b.carried();
            assert!(!carried.is_empty());
            assert!(carried.iter().all(|(_, _, status, _)| *status == 407), "{carried:?}");
        }
    }
}

#[test]
fn unusable_proxy_settings_are_usage_errors() {
    for (args, env, says) in [
        (
            &["--proxy", "socks5://127.0.0.1:1080"][..],
            &[][..],
            "SOCKS proxies are not supported",
        ),
        (
            &["--proxy", "https://alice:hunter2@proxy.example"],
            &[],
            "https:// proxies (TLS to the proxy) are not supported",
        ),
        (
            &[],
            &[("HTTPS_PROXY", "http://alice:hunter2@proxy.example:99999")],
            "in HTTPS_PROXY",
        ),
        (&[], &[("all_proxy", "socks5h://tor:9050")], "fix or unset all_proxy"),
    ] {
        let mut full = vec!["update", "registry.example/app:1"];
        full.extend_from_slice(args);
        let out = oci_check_env(&full, "", &with_proxy_variables(env));
        assert_eq!(out.code, 2, "{args:?} {env:?}: {out:?}");
        assert!(out.stderr.contains(says), "{}", out.stderr);
        assert!(!out.stderr.contains("hunter2"), "{}", out.stderr);
    }
    // A NO_PROXY entry that can match nothing is a warning, as other programs skip it silently.
    let out = oci_check_env(
        &["update", "--json", "127.0.0.1:1/app:1", "--timeout", "2"],
        "",
        &with_proxy_variables(&[("NO_PROXY", "ok.example, :80")]),
    );
    assert!(
        out.stderr
            .contains("NO_PROXY: the entry `:80` is ignored: no host before the port"),
        "{}",
        out.stderr
    );
}

#[test]
fn registry_credentials_travel_inside_the_tunnel_and_its_refusals_stay_the_registrys() {
    let registry = Registry::start(
        Auth::Htpasswd {
            username: "bob",
            password: "registry-pw",
        },
        Some(&TestCa::with_names(&[NAME])),
    );
    let pushed = block_on(
        registry
            .images("private/app")
            .unwrap()
            .platform_image("amd64", "private", Some("1")),
    )
    .unwrap()
    .digest;
    let port = registry.host().rsplit(':').next().unwrap().to_owned();
    let host = format!("{NAME}:{port}");
    let squid = Squid::builder()
        .basic_auth(USER, PASSWORD)
        .host(NAME, IpAddr::V4(Ipv4Addr::LOCALHOST))
        .start();
    let image = format!("{host}/private/app:1@{pushed}");
    let ca = format!("{host}={}", registry.ca_file().unwrap().display());
    let url = squid.url();
    let run = |extra: &[&str], stdin: &str| {
        let mut args = vec!["update", "--json", "--ca-cert", &ca, "--proxy", &url, &image];
        args.extend_from_slice(extra);
        oci_check_env(&args, stdin, &with_proxy_variables(&[]))
    };
    let username = format!("{host}=bob");
    let out = run(&["--username", &username, "--password-stdin"], "registry-pw\n");
    assert_eq!(out.code, 0, "{out:?}");
    assert!(out.stdout.contains("\"status\":\"up_to_date\""), "{out:?}");
    // The proxy saw tunnels only: the registry's Basic credentials went inside them.
    let seen = squid.mark();
    assert!(
        !seen.is_empty() && seen.iter().all(|entry| entry.method == "CONNECT"),
        "{seen:?}"
    );

    // Without them, the registry refuses through the tunnel: that is the registry's refusal, not the proxy's.
    let out = run(&[], "");
    assert_eq!(out.code, 1, "{out:?}");
    let kinds: Vec<String> = errors(&out).into_iter().map(|(kind, _)| kind).collect();
    assert_eq!(kinds, ["unauthorized"], "{out:?}");
}
