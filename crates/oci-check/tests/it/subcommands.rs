//! `oci-check digest` and `oci-check manifest` against a real registry.

use oci_digest::Digest;
use oci_testkit::{Images, Registry, block_on, images};
use serde_json::Value;

use crate::{Demo, oci_check};

impl Demo {
    fn run(&self, subcommand: &str, extra: &[&str]) -> crate::Outcome {
        let mut args = vec![subcommand, "--insecure-registry", self.registry.host()];
        args.extend_from_slice(extra);
        oci_check(&args, "")
    }
}

#[test]
fn digest_prints_one_line_per_image_and_goes_on_after_a_failure() {
    let f = Demo::new();
    let h = f.registry.host();
    let app = format!("{h}/demo/app:1");
    let multi = format!("{h}/demo/multi");
    let out = f.run("digest", &[&app, &multi]);
    assert_eq!(out.code, 0, "{out:?}");
    assert_eq!(out.stdout, format!("{}\n{}\n", f.app, f.multi));

    let out = f.run("digest", &["--platform", "linux/arm64", &multi, &app]);
    assert_eq!(out.code, 0, "{out:?}");
    assert_eq!(out.stdout, format!("{}\n{}\n", f.arm64, f.app));

    // By digest: the registry is asked and must agree.
    let pinned = format!("{h}/demo/multi@{}", f.amd64);
    assert_eq!(f.run("digest", &[&pinned]).stdout, format!("{}\n", f.amd64));

    let missing = format!("{h}/demo/app:2");
    let out = f.run("digest", &[&missing, "Bad Ref", &app]);
    assert_eq!(out.code, 1, "{out:?}");
    assert_eq!(out.stdout, format!("{}\n", f.app));
    assert_eq!(out.stderr.lines().count(), 2, "{}", out.stderr);
    assert!(out.stderr.contains("was not found"), "{}", out.stderr);
    assert!(out.stderr.contains("is not an image reference"), "{}", out.stderr);

    let out = f.run("digest", &["--platform", "windows/amd64", &multi]);
    assert_eq!(out.code, 1, "{out:?}");
    assert!(out.stderr.contains("linux/amd64, linux/arm64"), "{}", out.stderr);

    assert_eq!(oci_check(&["digest"], "").code, 2);
}

#[test]
fn manifest_raw_pretty_and_by_platform() {
    let f = Demo::new();
    let h = f.registry.host();
    let multi = format!("{h}/demo/multi:latest");
    let raw = f.run("manifest", &["--raw", &multi]);
    assert_eq!(raw.code, 0, "{raw:?}");
    assert_eq!(Digest::sha256(raw.stdout.as_bytes()), f.multi);

    let pretty = f.run("manifest", &[&multi]);
    assert_eq!(pretty.code, 0, "{pretty:?}");
    assert_ne!(pretty.stdout, raw.stdout);
    let parsed: Value = serde_json::from_str(&pretty.stdout).unwrap();
    assert_eq!(parsed, serde_json::from_str::<Value>(&raw.stdout).unwrap());
    assert!(
        pretty.stdout.starts_with("{\n  \"schemaVersion\": 2,\n  \"mediaType\""),
        "{}",
        pretty.stdout
    );
    assert_eq!(parsed["manifests"][1]["digest"], f.arm64.to_string());

    let child = f.run("manifest", &["--raw", "--platform", "linux/amd64", &multi]);
    assert_eq!(child.code, 0, "{child:?}");
    assert_eq!(Digest::sha256(child.stdout.as_bytes()), f.amd64);

    let by_digest = f.run("manifest", &["--raw", &format!("{h}/demo/app@{}", f.app)]);
    assert_eq!(Digest::sha256(by_digest.stdout.as_bytes()), f.app);

    let missing = f.run("manifest", &[&format!("{h}/demo/nothing:1")]);
    assert_eq!(missing.code, 1, "{missing:?}");
    assert_eq!(missing.stdout, "");
    assert_eq!(missing.stderr.lines().count(), 1, "{}", missing.stderr);
}

#[test]
fn tags_lists_every_tag_across_pages() {
    let registry = Registry::open();
    let client = registry.client();
    let host = registry.host().to_owned();
    // More tags than one page of 1000, so that the listing follows the registry's Link header.
    let expected: Vec<String> = block_on(async {
        let images = Images::new(&client, &host, "demo/many").unwrap();
        let digest = images
            .platform_image("amd64", "many", Some("base"))
            .await
            .unwrap()
            .digest;
        let bytes = client
            .manifest(
                &oci_registry::Repository::new(&host, "demo/many")
                    .unwrap()
                    .digest(digest),
            )
            .await
            .unwrap()
            .bytes()
            .clone();
        let repository = oci_registry::Repository::new(&host, "demo/many").unwrap();
        let mut tags = vec!["base".to_owned()];
        for i in 0..1010 {
            let tag = format!("t{i:04}");
            client
                .push_manifest(&repository.tag(&tag).unwrap(), images::OCI_MANIFEST, bytes.clone())
                .await
                .unwrap();
            tags.push(tag);
        }
        tags.sort();
        tags
    });
    let out = oci_check(
        &[
            "tags",
            "--insecure-registry",
            &host,
            &format!("{host}/demo/many:ignored"),
        ],
        "",
    );
    assert_eq!(out.code, 0, "{out:?}");
    let mut got: Vec<&str> = out.stdout.lines().collect();
    got.sort_unstable();
    assert_eq!(got, expected);

    let missing = oci_check(
        &["tags", "--insecure-registry", &host, &format!("{host}/demo/none")],
        "",
    );
    assert_eq!(missing.code, 1, "{missing:?}");
    assert_eq!(missing.stdout, "");
    assert!(missing.stderr.contains("was not found"), "{}", missing.stderr);
    assert_eq!(oci_check(&["tags"], "").code, 2);
}

/// Each shell's script is printed whole and offers the subcommands; bash's parses (`bash -n`).
#[test]
fn completions_for_each_shell_offer_the_subcommands() {
    let dir = oci_testkit::TempDir::new("oci-check-completions");
    for shell in ["bash", "zsh", "fish", "elvish", "powershell"] {
        let out = oci_check(&["completions", shell], "");
        assert_eq!(out.code, 0, "{shell}: {out:?}");
        assert!(out.stderr.is_empty(), "{shell}: {}", out.stderr);
        for subcommand in ["update", "watch", "digest", "completions"] {
            assert!(
                out.stdout.contains(subcommand),
                "{shell} does not offer {subcommand}:\n{}",
                out.stdout
            );
        }
        // The script is for the installed name, whatever the test binary is called.
        assert!(out.stdout.contains("oci-check"), "{shell}:\n{}", out.stdout);
        if shell == "bash" {
            let script = dir.path().join("oci-check.bash");
            std::fs::write(&script, &out.stdout).unwrap();
            let check = std::process::Command::new("bash")
                .arg("-n")
                .arg(&script)
                .output()
                .unwrap();
            assert!(
                check.status.success(),
                "bash -n: {}",
                String::from_utf8_lossy(&check.stderr)
            );
        }
    }
    let out = oci_check(&["completions", "tcsh"], "");
    assert_eq!(out.code, 2, "{out:?}");
    assert!(out.stderr.contains("possible values"), "{}", out.stderr);
    assert!(out.stdout.is_empty(), "{}", out.stdout);
}

/// `man DIR` writes one roff page for the command and one per visible subcommand, none for itself.
#[test]
fn man_writes_a_page_per_subcommand() {
    let dir = oci_testkit::TempDir::new("oci-check-man");
    let pages = dir.path().join("man1");
    let out = oci_check(&["man", pages.to_str().unwrap()], "");
    assert_eq!(out.code, 0, "{out:?}");
    assert!(out.stdout.is_empty(), "{}", out.stdout);
    for (page, mentions) in [
        ("oci-check.1", "update"),
        ("oci-check-update.1", "\\-\\-docker"),
        ("oci-check-watch.1", "\\-\\-interval"),
        ("oci-check-completions.1", "powershell"),
    ] {
        let text = std::fs::read_to_string(pages.join(page)).unwrap_or_else(|err| panic!("{page}: {err}"));
        assert!(
            text.starts_with(".ie") || text.contains("\n.TH "),
            "{page} is not roff:\n{text}"
        );
        assert!(text.contains(mentions), "{page} does not mention {mentions}:\n{text}");
    }
    // Hidden: it is for packagers, who find its pages in `cargo xtask dist`'s output.
    assert!(!pages.join("oci-check-man.1").exists());
    assert!(!oci_check(&["--help"], "").stdout.contains("\n  man "));

    // A directory that cannot be made is a failure told on stderr, not a panic.
    let blocked = dir.path().join("file");
    std::fs::write(&blocked, "").unwrap();
    let out = oci_check(&["man", blocked.join("man1").to_str().unwrap()], "");
    assert_eq!(out.code, 1, "{out:?}");
    assert!(out.stderr.contains("could not write the man pages"), "{}", out.stderr);
}
