//! The security rules, one test each.

use oci_auth::{Challenge, Credential, ErrorKind, Registry, TokenRequestBuilder, is_forbidden_ip, is_loopback_host};

fn bearer(realm: &str) -> oci_auth::BearerChallenge {
    Challenge::parse_header(&format!(r#"Bearer realm="{realm}",service="s""#)).unwrap()[0]
        .bearer()
        .unwrap()
        .unwrap()
}

/// `Ok` or the error kind of building a token request with a credential.
fn with_credential(registry: &Registry, realm: &str) -> Result<(), ErrorKind> {
    let challenge = bearer(realm);
    let credential = Credential::basic("u", "p");
    TokenRequestBuilder::new(registry, &challenge)
        .credential(Some(&credential))
        .build()
        .map(|_| ())
        .map_err(|e| e.kind().clone())
}

fn anonymous(registry: &Registry, realm: &str) -> Result<(), ErrorKind> {
    let challenge = bearer(realm);
    TokenRequestBuilder::new(registry, &challenge)
        .build()
        .map(|_| ())
        .map_err(|e| e.kind().clone())
}

#[test]
fn no_credentials_over_plain_http_to_remote_hosts() {
    let remote = Registry::http("registry.example.com");
    assert_eq!(
        with_credential(&remote, "http://registry.example.com/token"),
        Err(ErrorKind::InsecureTransport)
    );
    // Anonymous is fine, and so is the same request once the registry is marked insecure.
    assert_eq!(anonymous(&remote, "http://registry.example.com/token"), Ok(()));
    assert_eq!(
        with_credential(&remote.clone().with_insecure(true), "http://registry.example.com/token"),
        Ok(())
    );
    // Loopback in every spelling is fine.
    for realm in [
        "http://127.0.0.1:5001/auth",
        "http://[::1]:5001/auth",
        "http://localhost/auth",
        "http://127.3.4.5/x",
    ] {
        assert_eq!(
            with_credential(&Registry::http("127.0.0.1:5000"), realm),
            Ok(()),
            "{realm}"
        );
    }
    // HTTPS realm of an HTTP registry is fine.
    assert_eq!(with_credential(&remote, "https://auth.example.com/token"), Ok(()));
    // Basic to the registry itself follows the same rule.
    let credential = Credential::basic("u", "p");
    assert_eq!(
        remote.basic_authorization(&credential).unwrap_err().kind(),
        &ErrorKind::InsecureTransport
    );
    assert_eq!(
        Registry::https("registry.example.com")
            .basic_authorization(&credential)
            .unwrap()
            .as_deref(),
        Some("Basic dTpw")
    );
    assert!(
        Registry::http("localhost:5000")
            .basic_authorization(&credential)
            .unwrap()
            .is_some()
    );
    assert!(
        Registry::http("[::1]:5000")
            .basic_authorization(&credential)
            .unwrap()
            .is_some()
    );
    assert!(
        remote
            .clone()
            .with_insecure(true)
            .basic_authorization(&credential)
            .unwrap()
            .is_some()
    );
    assert!(
        Registry::https("x")
            .basic_authorization(&Credential::IdentityToken("t".into()))
            .unwrap()
            .is_none()
    );
    // A registry token goes to the registry: the same rule.
    let challenge = bearer("https://auth.example.com/token");
    let token = Credential::RegistryToken("rt".into());
    let plan = TokenRequestBuilder::new(&remote, &challenge)
        .credential(Some(&token))
        .build();
    assert_eq!(plan.unwrap_err().kind(), &ErrorKind::InsecureTransport);
    assert!(!remote.allows_credentials());
    assert!(Registry::http("127.0.0.1:5000").allows_credentials());
    assert!(Registry::https("r.example.com").allows_credentials());
    let err = remote.basic_authorization(&credential).unwrap_err();
    assert!(err.to_string().contains("mark the registry insecure"), "{err}");
}

#[test]
fn https_registry_needs_https_realm() {
    let registry = Registry::https("registry.example.com");
    assert_eq!(
        anonymous(&registry, "http://auth.example.com/token"),
        Err(ErrorKind::InsecureRealm)
    );
    assert_eq!(
        anonymous(&registry, "HTTP://auth.example.com/token"),
        Err(ErrorKind::InsecureRealm)
    );
    assert_eq!(anonymous(&registry, "https://auth.example.com/token"), Ok(()));
    assert_eq!(anonymous(&registry, "HTTPS://auth.example.com/token"), Ok(()));
    // Loopback excepted (a test token server next to a TLS registry).
    assert_eq!(anonymous(&registry, "http://127.0.0.1:8080/token"), Ok(()));
    assert_eq!(anonymous(&registry, "http://localhost:8080/token"), Ok(()));
    // Marking insecure does not make an HTTPS registry accept an HTTP realm.
    assert_eq!(
        anonymous(&registry.with_insecure(true), "http://auth.example.com/token"),
        Err(ErrorKind::InsecureRealm)
    );
    // An HTTP registry may use an HTTP realm (credentials are another matter).
    assert_eq!(
        anonymous(&Registry::http("r.example.com"), "http://auth.example.com/token"),
        Ok(())
    );
}

#[test]
fn forbidden_realm_addresses() {
    let registry = Registry::https("registry.example.com").with_insecure(true);
    for realm in [
        "https://169.254.169.254/latest/meta-data/",
        "http://169.254.169.254/token",
        "https://169.254.0.1/",
        "https://[fe80::1]/token",
        "https://[febf:ffff::1]:8443/token",
        "https://0.0.0.0/token",
        "https://[::]/token",
        "https://[::ffff:169.254.169.254]/token",
        "https://[fd00:ec2::254]/token",
        "https://metadata.google.internal/computeMetadata/v1/",
        "https://METADATA.GOOGLE.INTERNAL./x",
        "https://2852039166/token",
        "https://0xa9fea9fe/token",
        "https://0251.0376.0251.0376/token",
        "https://169.254.43518/token",
    ] {
        assert_eq!(
            anonymous(&registry, realm),
            Err(ErrorKind::ForbiddenRealmAddress),
            "{realm}"
        );
    }
    for realm in [
        "https://169.253.1.1/x",
        "https://[fec0::1]/x",
        "https://10.0.0.1/x",
        "https://1.example.com/x",
    ] {
        assert_eq!(anonymous(&registry, realm), Ok(()), "{realm}");
    }
    assert!(is_forbidden_ip("169.254.169.254".parse().unwrap()));
    assert!(is_forbidden_ip("::".parse().unwrap()));
    assert!(!is_forbidden_ip("127.0.0.1".parse().unwrap()));
    assert!(is_loopback_host("::1") && is_loopback_host("[::1]") && !is_loopback_host("a.localhost"));
    assert!(!is_loopback_host("localhost.example.com") && !is_loopback_host("128.0.0.1"));
}

#[test]
fn malformed_realms() {
    let registry = Registry::https("r");
    for realm in [
        "/token",
        "auth.example.com/token",
        "ftp://auth.example.com/token",
        "https://",
        "https:///token",
        "https://user:pw@auth.example.com/token",
        "https://auth.example.com:99999/token",
        "https://auth.example.com:8x/token",
        "https://[::1/token",
        "https://[nothex]/token",
        "https://auth example.com/token",
        "https://auth.example.com/token#frag",
        "https://auth.ex%61mple.com/token",
    ] {
        assert_eq!(anonymous(&registry, realm), Err(ErrorKind::InvalidUrl), "{realm}");
    }
    let realm = registry.check_realm("https://[2001:db8::1]:8443/token?x=y").unwrap();
    assert_eq!(realm.host(), "2001:db8::1");
    assert!(realm.is_https());
    assert_eq!(realm.as_str(), "https://[2001:db8::1]:8443/token?x=y");
}

#[test]
fn secrets_never_in_debug_or_display() {
    let secret = oci_auth::Secret::new("hunter2");
    assert_eq!(format!("{secret:?}"), "Secret(<redacted>)");
    assert_eq!(format!("{secret}"), "<redacted>");
    assert_eq!(secret.expose(), "hunter2");
    let store = oci_auth::CredentialStore::new().with_credential("r", Credential::basic("u", "hunter2"));
    assert!(!format!("{store:?}").contains("hunter2"));
    let challenge = bearer("https://a/t");
    let credential = Credential::basic("u", "hunter2");
    let registry = Registry::https("r");
    let builder = TokenRequestBuilder::new(&registry, &challenge).credential(Some(&credential));
    assert!(!format!("{builder:?}").contains("hunter2"));
    let plan = builder.build().unwrap();
    assert!(!format!("{plan:?}").contains("hunter2"));
    assert!(!format!("{plan:?}").contains("dTpodW50ZXIy"), "{plan:?}");
}

/// Only `localhost` itself and loopback address literals count as loopback: any other name, even one under
/// `.localhost`, resolves wherever its DNS says.
#[test]
fn loopback_hosts() {
    for (host, loopback) in [
        ("localhost", true),
        ("LOCALHOST", true),
        ("LocalHost", true),
        ("localhost.", true),
        ("LOCALHOST.", true),
        ("127.0.0.1", true),
        ("127.0.0.2", true),
        ("127.255.255.254", true),
        ("127.3.4.5", true),
        ("::1", true),
        ("[::1]", true),
        ("0:0:0:0:0:0:0:1", true),
        ("[0:0:0:0:0:0:0:1]", true),
        // Names that merely look local.
        ("evil.localhost", false),
        ("x.localhost", false),
        ("a.localhost", false),
        ("X.LOCALHOST.", false),
        ("localhost.example.com", false),
        ("localhost..", false),
        (".localhost", false),
        ("localhost:5000", false),
        ("loopback", false),
        ("127.0.0.1.nip.io", false),
        ("", false),
        // Addresses that are not loopback, or not in literal form.
        ("128.0.0.1", false),
        ("126.255.255.255", false),
        ("0.0.0.0", false),
        ("::", false),
        ("::2", false),
        ("::ffff:127.0.0.1", false),
        ("[::ffff:127.0.0.1]", false),
        ("127.1", false),
        ("2130706433", false),
        ("0x7f000001", false),
        ("127.000.000.001", false),
        // Brackets only around IPv6, and only a matched pair.
        ("[127.0.0.1]", false),
        ("[localhost]", false),
        ("[::1", false),
        ("::1]", false),
        ("[[::1]]", false),
        ("[::1%lo]", false),
    ] {
        assert_eq!(is_loopback_host(host), loopback, "{host:?}");
    }
    // The realm checks use the same rule.
    let https = Registry::https("registry.example.com");
    assert_eq!(
        anonymous(&https, "http://evil.localhost/token"),
        Err(ErrorKind::InsecureRealm)
    );
    assert_eq!(anonymous(&https, "http://LOCALHOST.:8080/token"), Ok(()));
    let local = Registry::http("127.0.0.1:5000");
    assert_eq!(
        with_credential(&local, "http://x.localhost:5001/token"),
        Err(ErrorKind::InsecureTransport)
    );
    assert_eq!(with_credential(&local, "http://localhost.:5001/token"), Ok(()));
    assert!(!Registry::http("evil.localhost:5000").allows_credentials());
}

/// Credentials go over plain HTTP only to loopback, or to the very host (any port) of a registry marked
/// insecure; marking a registry insecure does not open clear text to any other host, whatever the
/// credential and whichever request carries it.
#[test]
fn clear_text_only_to_loopback_or_the_insecure_registry_host() {
    let loopback = Registry::http("127.0.0.1:5000");
    let insecure_loopback = Registry::http("127.0.0.1:5000").with_insecure(true);
    let insecure = Registry::http("registry.example.com:5000").with_insecure(true);
    let insecure_v6 = Registry::http("[2001:db8::1]:5000").with_insecure(true);
    let insecure_https = Registry::https("registry.example.com").with_insecure(true);
    let secure = Registry::https("registry.example.com");
    let refused = Err(ErrorKind::InsecureTransport);
    for (registry, realm, expected) in [
        // A loopback registry, insecure or not, never sends credentials to a remote plain-HTTP realm.
        (&loopback, "http://auth.example.com/token", refused.clone()),
        (&insecure_loopback, "http://auth.example.com/token", refused.clone()),
        (
            &insecure_loopback,
            "http://registry.example.com:5000/token",
            refused.clone(),
        ),
        (&insecure_loopback, "http://127.0.0.1:5001/token", Ok(())),
        (&insecure_loopback, "http://localhost:5001/token", Ok(())),
        // An insecure registry: its own host on any port, in any case, with or without a trailing dot.
        (&insecure, "http://registry.example.com:5000/token", Ok(())),
        (&insecure, "http://registry.example.com/token", Ok(())),
        (&insecure, "http://REGISTRY.Example.COM.:8080/token", Ok(())),
        (&insecure, "http://[::1]:5001/token", Ok(())),
        (&insecure, "http://auth.example.com/token", refused.clone()),
        (&insecure, "http://registry.example.com.evil.net/token", refused.clone()),
        (&insecure, "http://example.com/token", refused.clone()),
        (&insecure, "http://10.0.0.1/token", refused.clone()),
        (&insecure_v6, "http://[2001:db8::1]:5001/token", Ok(())),
        (&insecure_v6, "http://[2001:db8::2]/token", refused.clone()),
        // HTTPS realms are fine for every registry.
        (&loopback, "https://auth.example.com/token", Ok(())),
        (&insecure_loopback, "https://auth.example.com/token", Ok(())),
        (&insecure, "https://auth.example.com/token", Ok(())),
        (&secure, "https://auth.example.com/token", Ok(())),
        // An HTTPS registry takes a plain-HTTP realm only on loopback, insecure or not.
        (
            &insecure_https,
            "http://registry.example.com/token",
            Err(ErrorKind::InsecureRealm),
        ),
        (&insecure_https, "http://127.0.0.1/token", Ok(())),
    ] {
        assert_eq!(with_credential(registry, realm), expected, "{registry:?} {realm}");
        // The OAuth2 form POSTs carry secrets in the body: the same rule.
        let challenge = bearer(realm);
        let identity = Credential::IdentityToken("refresh".into());
        let oauth = TokenRequestBuilder::new(registry, &challenge)
            .credential(Some(&identity))
            .build()
            .map(|_| ())
            .map_err(|e| e.kind().clone());
        assert_eq!(oauth, expected, "identity token: {registry:?} {realm}");
        let basic = Credential::basic("u", "p");
        let password = TokenRequestBuilder::new(registry, &challenge)
            .credential(Some(&basic))
            .oauth_password(true)
            .build()
            .map(|_| ())
            .map_err(|e| e.kind().clone());
        assert_eq!(password, expected, "oauth password: {registry:?} {realm}");
        // Without credentials only the realm checks apply.
        if expected == refused {
            assert_eq!(anonymous(registry, realm), Ok(()), "{registry:?} {realm}");
        }
    }
    // The rule as a predicate, and Basic to the registry itself.
    assert!(!insecure.may_send_credentials(false, "auth.example.com"));
    assert!(!insecure_loopback.may_send_credentials(false, "auth.example.com"));
    assert!(insecure.may_send_credentials(false, "registry.example.com"));
    assert!(insecure.may_send_credentials(true, "auth.example.com"));
    assert!(insecure.may_send_credentials(false, "127.0.0.1"));
    let credential = Credential::basic("u", "p");
    for registry in [&loopback, &insecure_loopback, &insecure, &insecure_v6, &secure] {
        assert!(registry.allows_credentials(), "{registry:?}");
        assert!(
            registry.basic_authorization(&credential).unwrap().is_some(),
            "{registry:?}"
        );
    }
    let err = with_credential(&insecure, "http://auth.example.com/token").unwrap_err();
    assert_eq!(err, ErrorKind::InsecureTransport);
}
