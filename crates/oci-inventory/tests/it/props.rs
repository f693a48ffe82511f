//! Property tests: text forms round-trip, substitution leaves `$$`-escaped text as it was, and no input makes a
//! parser panic.

use std::path::Path;

use oci_inventory::{ApiVersion, ComposeFile, EngineAddress, Variables, parse_compose, parse_inspect, parse_kubectl};
use proptest::prelude::*;

proptest! {
    #[test]
    fn api_versions_round_trip(major in 0u16..100, minor in 0u16..1000) {
        let version = ApiVersion::new(major, minor);
        prop_assert_eq!(version.to_string().parse::<ApiVersion>().unwrap(), version);
    }

    #[test]
    fn unix_addresses_round_trip(path in "(/[a-z0-9._-]{1,12}){1,4}") {
        let address = EngineAddress::Unix(path.into());
        prop_assert_eq!(address.to_string().parse::<EngineAddress>().unwrap(), address);
    }

    #[test]
    fn tcp_addresses_round_trip(host in "[a-z][a-z0-9.-]{0,20}|127\\.0\\.0\\.[0-9]{1,2}|::1|fd00::[0-9a-f]{1,4}", port: u16) {
        let address = EngineAddress::Tcp { host, port };
        prop_assert_eq!(address.to_string().parse::<EngineAddress>().unwrap(), address);
    }

    /// An image string with every `$` doubled comes out of substitution unchanged.
    #[test]
    fn escaped_dollars_survive_substitution(tag in "[a-z0-9$]{1,20}") {
        let escaped = tag.replace('$', "$$");
        let text = format!("services:\n  web:\n    image: 'nginx:{escaped}'\n");
        let file = ComposeFile { path: Path::new("c.yaml"), text: &text };
        match parse_compose(&[file], &Variables::new()) {
            // A `$` in a tag is no reference: the service's reason shows the value after substitution.
            Ok(workloads) => match workloads[0].image() {
                oci_inventory::ImageRef::Invalid { reason, .. } => {
                    let shown = format!("\"nginx:{tag}\"");
                    prop_assert!(tag.contains('$') && reason.contains(&shown), "{}", reason);
                }
                image => prop_assert_eq!(image.to_string(), format!("nginx:{tag}")),
            },
            // A `$` in a tag is no reference: the message shows the value after substitution.
            Err(err) => {
                let shown = format!("\"nginx:{tag}\"");
                prop_assert!(tag.contains('$') && err.to_string().contains(&shown), "{}", err);
            }
        }
    }

    #[test]
    fn compose_never_panics(text in "[a-z:${}\\-?+ \n'\"&*<!\\[\\]]{0,200}") {
        let file = ComposeFile { path: Path::new("c.yaml"), text: &text };
        let _ = parse_compose(&[file], &Variables::from_pairs([("a", "x")]));
    }

    #[test]
    fn inspect_never_panics(text in "[\\[\\]{}\":,a-zA-Z0-9 ]{0,200}") {
        let _ = parse_inspect(text.as_bytes(), None);
    }

    #[test]
    fn kubectl_never_panics(text in "[\\[\\]{}\":,a-zA-Z0-9@/ ]{0,200}") {
        let _ = parse_kubectl(text.as_bytes(), None);
    }
}
