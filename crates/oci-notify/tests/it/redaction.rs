//! Secrets never in `Display`, `Debug`, errors or a rendered request's `Debug`.

use oci_notify::{Notification, Target};
use proptest::prelude::*;

use crate::{SECRETS, cases};

/// Every way a target or its error shows itself, with the test message rendered too.
fn shown(url: &str) -> Vec<String> {
    match Target::parse(url) {
        Ok(target) => {
            let mut out = vec![target.to_string(), format!("{target:?}"), format!("{target:#?}")];
            out.push(format!("{:?}", target.test_notification("nas")));
            let round = Notification {
                host: "nas".into(),
                events: crate::render::events(),
            };
            out.push(format!("{:?}", target.render(&round)));
            if let Some(server) = target.server() {
                out.push(format!("{server:?}"));
            }
            out
        }
        Err(err) => vec![err.to_string(), format!("{err:?}"), err.redacted_input().to_owned()],
    }
}

#[test]
fn the_tables_secrets_never_show() {
    for (name, line) in cases("targets.txt") {
        let url = line.split(' ').nth(2).unwrap().replace("\\t", "\t");
        for text in shown(&url) {
            for secret in SECRETS {
                assert!(!text.contains(secret), "{name}: {secret} in {text}");
            }
        }
    }
}

/// URL templates with `PW` where a secret goes; each parses when PW is a plain token.
const VALID: &[&str] = &[
    "ntfy://alice:PW@ntfy.example/updates",
    "ntfy://:PW@ntfy.example/updates",
    "mqtt://ha:PW@broker.lan/oci",
    "mqtts://ha:PW@broker.lan:8883/oci",
    "smtp://me:PW@mail.lan/?from=a@b.c&to=d@e.f",
    "webhook+https://u:PW@hooks.example/in",
    "webhook+https://hooks.example/in/PW",
    "webhook+https://hooks.example/in?token=PW",
    "discord://PW@123",
    "discord+https://127.0.0.1:9/api/webhooks/1/PW",
    "slack://T1/B2/PW",
    "slack://PW/B2/C3",
    "gotify://gotify.lan/PW",
    "gotify+https://gotify.lan/message?token=PW",
    "telegram://123:PW@telegram?chats=1",
    "telegram+https://127.0.0.1:9/botPW/sendMessage?chats=1",
    "matrix://bot:PW@matrix.example/?rooms=!a:b",
    "matrix://:PW@matrix.example/?rooms=!a:b",
    "pushover://shoutrrr:PW@Ukey/",
    "pushover://shoutrrr:Atoken@PW/",
];

/// Templates that fail to parse, with the secret in them.
const INVALID: &[&str] = &[
    "ntfy://alice:PW@ntfy.example/",
    "ntfy://alice:PW@ntfy.example:99999/t",
    "ntfy://alice:PW/t",
    "ntfy://ntfy.example/t?PW",
    "ntfy://alice:PW@ntfy.example/t?on=nothing",
    "smtp://me:PW@mail.lan/?from=a",
    "discord://PW@notanumber",
    "discord://PW:PW@1",
    "slack://T1/PW",
    "gotify://gotify.lan/PW?priority=x",
    "telegram://123:PW@telegram",
    "matrix://bot:PW@matrix.example/",
    "pushover://shoutrrr:PW@Ukey/?priority=9",
    "webhook+https://u:PW@/in",
    "gopher://u:PW@host/",
    "u:PW@host",
];

proptest! {
    #[test]
    fn arbitrary_tokens_never_show(secret in "Zq[A-Za-z0-9]{10,24}") {
        for template in VALID {
            let url = template.replace("PW", &secret);
            prop_assert!(Target::parse(&url).is_ok(), "{url} does not parse");
            for text in shown(&url) {
                prop_assert!(!text.contains(&secret), "{url}: shown as {text}");
            }
        }
        for template in INVALID {
            let url = template.replace("PW", &secret);
            prop_assert!(Target::parse(&url).is_err(), "{url} parses");
            for text in shown(&url) {
                prop_assert!(!text.contains(&secret), "{url}: shown as {text}");
            }
        }
    }

    /// Any password, percent-encoded (it may hold `@`, `/`, `:`, anything): never shown, decoded or not.
    #[test]
    fn arbitrary_passwords_never_show(password in "Zq\\PC{8,24}") {
        let encoded: String = password.bytes().map(|b| format!("%{b:02X}")).collect();
        for template in ["ntfy://alice:PW@ntfy.example/t", "smtp://me:PW@mail.lan/?from=a@b.c&to=d@e.f", "matrix://bot:PW@m.example/?rooms=!a:b", "mqtt://u:PW@broker/x"] {
            let url = template.replace("PW", &encoded);
            let target = Target::parse(&url).unwrap();
            for text in shown(&url) {
                prop_assert!(!text.contains(&password) && !text.contains(&encoded), "{url}: {text}");
            }
            // The redacted form keeps the structure: it parses again and shows the same.
            let again = Target::parse(&target.to_string()).unwrap();
            prop_assert_eq!(again.to_string(), target.to_string());
        }
    }

    /// Raw, unescaped secrets in the user info (a `/`, `?` or `@` in them breaks the URL): the error
    /// or the target never shows the secret's characters after its first one.
    #[test]
    fn unescaped_passwords_never_show(password in "Zq[A-Za-z0-9/?@:]{0,6}[A-Za-z0-9]{10}") {
        let url = format!("ntfy://alice:{password}@ntfy.example/t");
        let tail = &password[password.len() - 10..];
        for text in shown(&url) {
            prop_assert!(!text.contains(tail), "{url}: {text}");
        }
    }

    #[test]
    fn kind_sets_round_trip(bits in 1u8..128) {
        let words = ["update", "newer", "major", "minor", "patch", "error", "recovered"];
        let list: Vec<&str> = words.iter().enumerate().filter(|(i, _)| bits & (1 << i) != 0).map(|(_, w)| *w).collect();
        let set: oci_notify::KindSet = list.join(",").parse().unwrap();
        prop_assert_eq!(set.to_string(), list.join(","));
        prop_assert_eq!(set.to_string().parse::<oci_notify::KindSet>().unwrap(), set);
    }
}
