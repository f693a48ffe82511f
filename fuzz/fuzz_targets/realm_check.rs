//! Any text as a Bearer realm, checked for an HTTPS registry, a plain-HTTP loopback registry and insecure ones:
//! nothing panics; a realm that passes is not on a forbidden address literal, an HTTPS registry passes a
//! plain-HTTP realm only on loopback, and credentials go to a plain-HTTP realm only on loopback or on the very
//! host of a registry marked insecure.
#![no_main]

use std::net::IpAddr;

use libfuzzer_sys::fuzz_target;
use oci_auth::{Challenge, Credential, ErrorKind, Registry, TokenRequestBuilder, is_forbidden_ip, is_loopback_host};

fuzz_target!(|data: &[u8]| {
    let Ok(realm) = std::str::from_utf8(data) else { return };
    let registries = [
        (Registry::https("registry.example.com"), "registry.example.com"),
        (Registry::http("127.0.0.1:5000"), "127.0.0.1"),
        (Registry::http("127.0.0.1:5000").with_insecure(true), "127.0.0.1"),
        (
            Registry::http("registry.example.com:5000").with_insecure(true),
            "registry.example.com",
        ),
    ];
    // The same realm as a challenge, when it survives quoting, to drive the token request builder too.
    let quoted = realm.replace('\\', "\\\\").replace('"', "\\\"");
    let challenge = Challenge::parse_header(&format!(r#"Bearer realm="{quoted}",service="s""#))
        .ok()
        .and_then(|c| c.into_iter().next())
        .and_then(|c| c.bearer().ok().flatten())
        .filter(|b| b.realm() == realm);
    let credential = Credential::basic("u", "p");
    for (registry, registry_host) in &registries {
        let checked = match registry.check_realm(realm) {
            Ok(checked) => checked,
            Err(err) => {
                assert!(matches!(
                    err.kind(),
                    ErrorKind::InvalidUrl | ErrorKind::ForbiddenRealmAddress | ErrorKind::InsecureRealm
                ));
                continue;
            }
        };
        assert_eq!(checked.as_str(), realm);
        let host = checked.host();
        if let Ok(ip) = host.parse::<IpAddr>() {
            assert!(!is_forbidden_ip(ip), "{realm}");
        }
        let plain = !checked.is_https();
        if plain && registry.is_https() {
            assert!(is_loopback_host(host), "{realm}");
        }
        // The clear-text rule, stated independently: loopback, or the insecure registry's own host.
        let bare = host.strip_suffix('.').unwrap_or(host);
        let allowed =
            !plain || is_loopback_host(host) || (registry.is_insecure() && bare.eq_ignore_ascii_case(registry_host));
        assert_eq!(
            registry.may_send_credentials(checked.is_https(), host),
            allowed,
            "{realm} {registry:?}"
        );
        if let Some(challenge) = &challenge {
            let built = TokenRequestBuilder::new(registry, challenge)
                .credential(Some(&credential))
                .build();
            match built {
                Ok(_) => assert!(allowed, "{realm} {registry:?}"),
                Err(err) => {
                    assert_eq!(err.kind(), &ErrorKind::InsecureTransport, "{realm} {registry:?}");
                    assert!(!allowed, "{realm} {registry:?}");
                }
            }
        }
    }
});
