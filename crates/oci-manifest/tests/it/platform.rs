//! Platform text forms: parsing normalizes as containerd does, display gives the specifier back.

use oci_manifest::{ErrorKind, Platform};

#[track_caller]
fn check(input: &str, expected: &str) {
    let platform: Platform = input.parse().unwrap_or_else(|err| panic!("{input}: {err}"));
    assert_eq!(platform.to_string(), expected, "{input}");
    let again: Platform = expected.parse().unwrap();
    assert_eq!(again, platform, "{input}");
}

#[track_caller]
fn check_err(input: &str) {
    let err = input.parse::<Platform>().expect_err(input);
    assert_eq!(err.kind(), ErrorKind::InvalidPlatform, "{input}");
    assert!(err.to_string().starts_with("invalid platform "), "{err}");
}

#[test]
fn parse_and_display() {
    check("linux/amd64", "linux/amd64");
    check("linux/x86_64", "linux/amd64");
    check("linux/x86-64", "linux/amd64");
    check("linux/amd64/v1", "linux/amd64");
    check("linux/amd64/v3", "linux/amd64/v3");
    check("linux/i386", "linux/386");
    check("linux/i386/whatever", "linux/386");
    check("linux/aarch64", "linux/arm64");
    check("linux/arm64/v8", "linux/arm64");
    check("linux/arm64/8", "linux/arm64");
    check("linux/arm64/v8.0", "linux/arm64");
    check("linux/arm64/v8.2", "linux/arm64/v8.2");
    check("linux/arm64/9", "linux/arm64/v9");
    check("linux/arm64/v9.0", "linux/arm64/v9");
    check("linux/arm", "linux/arm/v7");
    check("linux/arm/7", "linux/arm/v7");
    check("linux/arm/5", "linux/arm/v5");
    check("linux/arm/6", "linux/arm/v6");
    check("linux/arm/8", "linux/arm/v8");
    check("linux/armhf", "linux/arm/v7");
    check("linux/armel", "linux/arm/v6");
    check("LINUX/ARM64", "linux/arm64");
    check("macos/arm64", "darwin/arm64");
    check("windows/amd64", "windows/amd64");
    check("windows(10.0.20348.2113)/amd64", "windows(10.0.20348.2113)/amd64");
    check("windows()/amd64", "windows/amd64");
    check("linux/ppc64le", "linux/ppc64le");
    check("linux/riscv64", "linux/riscv64");
    check("unknown/unknown", "unknown/unknown");
    check("freebsd/amd64", "freebsd/amd64");
}

#[test]
fn parse_errors() {
    for input in [
        "",
        "linux",
        "amd64",
        "linux/",
        "/amd64",
        "linux/amd64/",
        "linux/amd64/v3/extra",
        "linux//v7",
        "linux/amd 64",
        "linux/*",
        "li.nux/amd64",
        "windows(10.0/amd64",
        "windows(10 0)/amd64",
        "linux/amd64\n",
        "linux/amd64é",
    ] {
        check_err(input);
    }
    let long = format!("{}/amd64/x/y", "l".repeat(10_000));
    assert!(long.parse::<Platform>().unwrap_err().to_string().len() < 300);
}

#[test]
fn parts_are_at_most_128_bytes() {
    let at_limit = "a".repeat(128);
    let version = format!("10.0.{}", "1".repeat(123));
    let longest = format!("{at_limit}({version})/{at_limit}/{at_limit}");
    let platform: Platform = longest.parse().unwrap();
    assert_eq!(platform.to_string(), longest);
    for input in [
        format!("{at_limit}a/amd64"),
        format!("windows({version}1)/amd64"),
        format!("linux/{at_limit}a"),
        format!("linux/amd64/{at_limit}a"),
    ] {
        let err = input.parse::<Platform>().expect_err("too long");
        assert_eq!(err.kind(), ErrorKind::InvalidPlatform);
        assert!(err.to_string().ends_with("a part is longer than 128 bytes"), "{err}");
    }
    for input in [
        format!("{longest}a"),
        format!("linux/amd64/{}", "v".repeat(20_000_000)),
        "a/".repeat(10_000_000),
    ] {
        let err = input.parse::<Platform>().expect_err("too long");
        assert_eq!(err.kind(), ErrorKind::InvalidPlatform);
        assert!(err.to_string().ends_with("it is longer than 516 bytes"), "{err}");
        assert!(err.to_string().len() < 300, "{err}");
    }
}

#[test]
fn values_keep_what_they_were_given() {
    let platform = Platform::new("Linux", "aarch64").with_variant("8");
    assert_eq!(
        (platform.os(), platform.architecture(), platform.variant()),
        ("Linux", "aarch64", Some("8"))
    );
    assert_eq!(platform.normalize().to_string(), "linux/arm64");
    let windows = Platform::new("windows", "amd64")
        .with_os_version("10.0.17763.5122")
        .with_os_features(["win32k".to_owned()]);
    assert_eq!(windows.os_features(), ["win32k"]);
    assert_eq!(windows.os_version(), Some("10.0.17763.5122"));
    assert_eq!(
        serde_json::to_string(&windows).unwrap(),
        r#"{"architecture":"amd64","os":"windows","os.version":"10.0.17763.5122","os.features":["win32k"]}"#
    );
}

#[test]
fn host_is_a_normalized_known_platform() {
    let host = Platform::host();
    assert_eq!(host.normalize().os(), host.os());
    assert_eq!(host.normalize().architecture(), host.architecture());
    assert!(host.runs(&host));
    #[cfg(all(target_os = "linux", target_arch = "x86_64"))]
    assert_eq!(host.to_string(), "linux/amd64");
    #[cfg(all(target_os = "linux", target_arch = "aarch64"))]
    assert_eq!(host.to_string(), "linux/arm64");
    let shown = host.to_string();
    assert_eq!(shown.parse::<Platform>().unwrap().to_string(), shown);
}

#[test]
fn runs() {
    let pi: Platform = "linux/arm/v7".parse().unwrap();
    assert!(pi.runs(&"linux/arm/v6".parse().unwrap()));
    assert!(!pi.runs(&"linux/arm64".parse().unwrap()));
    let arm64: Platform = "linux/arm64".parse().unwrap();
    assert!(arm64.runs(&Platform::new("linux", "aarch64").with_variant("v8")));
}
