//! Image configs: the platform, creation time and labels, from Docker and OCI configs.

use oci_manifest::{ErrorKind, ImageConfig, Platform};

#[test]
fn docker_config_fields() {
    let body = br#"{"architecture":"arm","config":{"Hostname":"","Env":["PATH=/usr/bin"],"Cmd":["sh"],"Labels":{"org.opencontainers.image.version":"1.36.1","maintainer":"x"}},"container":"abc","created":"2024-09-26T21:31:42.432384593Z","docker_version":"20.10.23","history":[{"created":"2024-09-26T21:31:42Z"}],"os":"linux","rootfs":{"type":"layers","diff_ids":["sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"]},"variant":"v7"}"#;
    let config = ImageConfig::parse(body).unwrap();
    assert_eq!(config.version(), Some("1.36.1"));
    assert_eq!(config.label("maintainer"), Some("x"));
    assert_eq!(config.created(), Some("2024-09-26T21:31:42.432384593Z"));
    assert_eq!(config.platform().to_string(), "linux/arm/v7");
    assert_eq!(
        (config.os(), config.architecture(), config.variant()),
        ("linux", "arm", Some("v7"))
    );
    assert_eq!(config.os_version(), None);
}

#[test]
fn windows_config_and_nulls() {
    let body = br#"{"architecture":"amd64","os":"windows","os.version":"10.0.20348.2762","os.features":null,"config":{"Labels":null},"author":null}"#;
    let config = ImageConfig::parse(body).unwrap();
    assert_eq!(config.os_version(), Some("10.0.20348.2762"));
    assert!(config.labels().is_empty());
    assert!(config.os_features().is_empty());
    assert_eq!(config.author(), None);
    assert_eq!(config.platform().to_string(), "windows(10.0.20348.2762)/amd64");
    let body = br#"{"architecture":"amd64","os":"linux","config":null}"#;
    assert!(ImageConfig::parse(body).unwrap().labels().is_empty());
}

#[test]
fn errors() {
    assert_eq!(ImageConfig::parse(b"{").unwrap_err().kind(), ErrorKind::InvalidJson);
    assert_eq!(ImageConfig::parse(b"").unwrap_err().kind(), ErrorKind::InvalidJson);
    assert_eq!(
        ImageConfig::parse(br#"{"os":"linux"}"#).unwrap_err().kind(),
        ErrorKind::InvalidField
    );
    assert_eq!(
        ImageConfig::parse(br#"{"os":"linux","architecture":"amd64","config":{"Labels":{"a":1}}}"#)
            .unwrap_err()
            .kind(),
        ErrorKind::InvalidField
    );
    let err = ImageConfig::parse(b"[]").unwrap_err();
    assert!(err.to_string().starts_with("invalid image config: "), "{err}");
}

#[test]
fn built_config_round_trips() {
    let platform: Platform = "linux/arm64/v8.2".parse().unwrap();
    let config = ImageConfig::new(&platform)
        .with_created("2026-11-28T04:00:00Z")
        .with_label("org.opencontainers.image.version", "3.1.0");
    let json = serde_json::to_string(&config).unwrap();
    assert_eq!(
        json,
        r#"{"created":"2026-11-28T04:00:00Z","architecture":"arm64","os":"linux","variant":"v8.2","config":{"Labels":{"org.opencontainers.image.version":"3.1.0"}}}"#
    );
    assert_eq!(ImageConfig::parse(json.as_bytes()).unwrap(), config);
    assert_eq!(config.platform(), platform);
}
