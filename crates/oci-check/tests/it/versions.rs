//! `update --newer` and `versions` against the real registry: tags whose images have chosen dates and
//! platforms, so that the newer version the rules pick can be asserted for amd64 and arm64.

use oci_digest::Digest;
use oci_testkit::{Registry, block_on};
use serde_json::Value;

use crate::oci_check;

/// `demo/app` with `1.0.0` (amd64 + arm64, January, in use), `1.1.0` (both, March), `1.2.0` (amd64 only, June:
/// its arm64 image is not pushed yet), `2021.12.16` (both, December 2021: a higher number, an older image),
/// `latest` = `1.2.0`, and a cosign signature tag. Returns the registry and the digest of `1.0.0`.
fn repository() -> (Registry, Digest) {
    let registry = Registry::open();
    let in_use = block_on(async {
        let app = registry.images("demo/app").unwrap();
        let index = |arches: &'static [&'static str], seed: &'static str, created: &'static str| {
            let app = &app;
            async move {
                let mut children = Vec::new();
                for arch in arches {
                    let image = app
                        .dated_image(arch, &format!("{seed}-{arch}"), Some(created), None)
                        .await
                        .unwrap();
                    children.push((*arch, image.digest));
                }
                children
            }
        };
        let both = &["amd64", "arm64"][..];
        let mut tagged = Vec::new();
        for (tag, arches, created) in [
            ("1.0.0", both, "2024-01-01T00:00:00Z"),
            ("1.1.0", both, "2024-03-01T00:00:00Z"),
            ("1.2.0", &["amd64"][..], "2024-06-01T00:00:00Z"),
            ("2021.12.16", both, "2021-12-16T00:00:00Z"),
        ] {
            let children = index(arches, tag, created).await;
            let entries: Vec<(&str, &Digest)> = children.iter().map(|(arch, digest)| (*arch, digest)).collect();
            let pushed = app.index(&entries, tag).await.unwrap();
            tagged.push((tag, pushed.digest));
        }
        let latest = &tagged[2].1;
        let bytes = app
            .client()
            .manifest(&app.repository().digest(latest.clone()))
            .await
            .unwrap();
        app.manifest(oci_testkit::images::OCI_INDEX, bytes.bytes().clone(), Some("latest"))
            .await
            .unwrap();
        let signature = format!("sha256-{}.sig", &tagged[0].1.encoded());
        app.dated_image("amd64", "signature", None, Some(&signature))
            .await
            .unwrap();
        tagged[0].1.clone()
    });
    (registry, in_use)
}

fn record(out: &crate::Outcome) -> Value {
    assert_eq!(out.stdout.lines().count(), 1, "{out:?}");
    serde_json::from_str(out.stdout.trim()).unwrap()
}

#[test]
fn update_newer_picks_what_the_rules_say_for_each_platform() {
    let (registry, in_use) = repository();
    let image = format!("{}/demo/app:1.0.0@{in_use}", registry.host());

    let amd64 = oci_check(
        &["update", "--newer", "--json", "--platform", "linux/amd64", &image],
        "",
    );
    assert_eq!(amd64.code, 10, "a newer version is an update: {amd64:?}");
    let amd64 = record(&amd64);
    assert_eq!(
        amd64["status"], "newer_available",
        "the tag itself did not move, but a newer version is there"
    );
    assert_eq!(amd64["newer"]["tag"], "1.2.0");
    assert_eq!(amd64["newer"]["kind"], "minor");
    assert_eq!(amd64["newer"]["created"], "2024-06-01T00:00:00Z");

    // 1.2.0 has no arm64 image yet, and 2021.12.16's image is older than the one in use: 1.1.0 it is.
    let arm64 = oci_check(
        &["update", "--newer", "--json", "--platform", "linux/arm64", &image],
        "",
    );
    assert_eq!(arm64.code, 10, "{arm64:?}");
    let arm64 = record(&arm64);
    assert_eq!(arm64["newer"]["tag"], "1.1.0");
    assert_eq!(arm64["newer"]["kind"], "minor");

    // A patch cap leaves nothing; without --newer, the fields are null and empty.
    let capped = oci_check(
        &["update", "--newer=patch", "--json", "--platform", "linux/amd64", &image],
        "",
    );
    assert_eq!(capped.code, 0, "{capped:?}");
    assert_eq!(record(&capped)["newer"], Value::Null);
    let plain = oci_check(&["update", "--json", "--platform", "linux/amd64", &image], "");
    assert_eq!(plain.code, 0, "{plain:?}");
    let plain = record(&plain);
    assert_eq!(
        (plain["newer"].clone(), plain["same_as"].clone()),
        (Value::Null, Value::Array(Vec::new()))
    );

    // The table gains a NEWER column.
    let table = oci_check(&["update", "--newer", "--platform", "linux/amd64", &image], "");
    assert!(table.stdout.lines().next().unwrap().contains("NEWER"), "{table:?}");
    assert!(table.stdout.contains("1.2.0 (minor)"), "{table:?}");
}

#[test]
fn a_rolling_tag_says_which_version_it_is() {
    let (registry, _) = repository();
    let latest = format!("{}/demo/app:latest", registry.host());
    let out = oci_check(
        &["update", "--newer", "--json", "--platform", "linux/amd64", &latest],
        "",
    );
    assert_eq!(out.code, 0, "{out:?}");
    let latest = record(&out);
    assert_eq!(latest["same_as"], serde_json::json!(["1.2.0"]));
    assert_eq!(latest["newer"], Value::Null);
}

#[test]
fn versions_shows_the_pick_and_why_the_others_were_skipped() {
    let (registry, _) = repository();
    let image = format!("{}/demo/app:1.0.0", registry.host());
    let out = oci_check(&["versions", "--platform", "linux/arm64", &image], "");
    assert_eq!(out.code, 0, "{out:?}");
    let line = |tag: &str| {
        out.stdout
            .lines()
            .find(|line| line.trim_start().starts_with(&format!("{tag} ")) || line.trim() == tag)
            .unwrap_or_else(|| panic!("no line for {tag} in\n{}", out.stdout))
            .to_owned()
    };
    assert!(
        out.stdout
            .starts_with(&format!("{image} on linux/arm64: newer version 1.1.0")),
        "{}",
        out.stdout
    );
    assert!(line("1.0.0").contains("in use"), "{}", out.stdout);
    assert!(line("1.1.0").contains("<- newer (minor)"), "{}", out.stdout);
    assert!(line("1.2.0").contains("no linux/arm64 image"), "{}", out.stdout);
    assert!(
        line("2021.12.16").contains("older than the one in use"),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout.contains("not versions:") && out.stdout.contains(".sig"),
        "{}",
        out.stdout
    );
}
