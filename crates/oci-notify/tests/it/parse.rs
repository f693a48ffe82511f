//! The table of target URLs.

use oci_notify::{ErrorKind, ServiceKind, Target};

use crate::cases;

fn service(word: &str) -> ServiceKind {
    match word {
        "ntfy" => ServiceKind::Ntfy,
        "mqtt" => ServiceKind::Mqtt,
        "smtp" => ServiceKind::Smtp,
        "webhook" => ServiceKind::Webhook,
        "discord" => ServiceKind::Discord,
        "slack" => ServiceKind::Slack,
        "gotify" => ServiceKind::Gotify,
        "telegram" => ServiceKind::Telegram,
        "matrix" => ServiceKind::Matrix,
        "pushover" => ServiceKind::Pushover,
        "script" => ServiceKind::Script,
        other => panic!("unknown service word {other}"),
    }
}

fn kind(word: &str) -> ErrorKind {
    match word {
        "Syntax" => ErrorKind::Syntax,
        "UnknownScheme" => ErrorKind::UnknownScheme,
        "Encoding" => ErrorKind::Encoding,
        "InvalidHost" => ErrorKind::InvalidHost,
        "InvalidPort" => ErrorKind::InvalidPort,
        "InvalidPath" => ErrorKind::InvalidPath,
        "InvalidCredentials" => ErrorKind::InvalidCredentials,
        "UnknownOption" => ErrorKind::UnknownOption,
        "DuplicateOption" => ErrorKind::DuplicateOption,
        "InvalidOption" => ErrorKind::InvalidOption,
        "MissingOption" => ErrorKind::MissingOption,
        "UnknownKind" => ErrorKind::UnknownKind,
        "InvalidAddress" => ErrorKind::InvalidAddress,
        "RelativePath" => ErrorKind::RelativePath,
        other => panic!("unknown error kind word {other}"),
    }
}

#[test]
fn table() {
    let mut kinds_seen = std::collections::HashSet::new();
    for (name, line) in cases("targets.txt") {
        let words: Vec<&str> = line.split(' ').collect();
        // `\t` in the table stands for a tab, which a URL may not have.
        let url = words[2].replace("\\t", "\t");
        match words[0] {
            "ok" => {
                let target = Target::parse(&url).unwrap_or_else(|err| panic!("{name}: {err}"));
                assert_eq!(target.service(), service(words[1]), "{name}");
                let expected = match words[3] {
                    "=" => url.as_str(),
                    shown => shown,
                };
                let shown = target.to_string();
                assert_eq!(shown, expected, "{name}");
                // The redacted form parses again, into a target that shows the same.
                let again = Target::parse(&shown).unwrap_or_else(|err| panic!("{name}: {shown} does not parse: {err}"));
                assert_eq!(again.to_string(), shown, "{name}");
                assert_eq!(again.service(), target.service(), "{name}");
                assert_eq!(again.on(), target.on(), "{name}");
                assert_eq!(url.parse::<Target>().unwrap(), target, "{name}: FromStr");
            }
            "err" => {
                let err = Target::parse(&url).expect_err(&name);
                assert_eq!(err.kind(), kind(words[1]), "{name}: {err}");
                kinds_seen.insert(err.kind());
                let message = err.to_string();
                assert!(message.starts_with("invalid "), "{name}: {message}");
            }
            other => panic!("{name}: unknown verdict {other}"),
        }
    }
    // Every parse error kind has a case (InvalidResponse is the Matrix answer's, tested in render).
    assert_eq!(kinds_seen.len(), 14, "{kinds_seen:?}");
}

#[test]
fn messages() {
    let cases = [
        (
            "ntfy://alice:s3cret@ntfy.example/t?priority=highest",
            r#"invalid notification target "ntfy://***@ntfy.example/t?priority=highest": priority "highest" is not 1 to 5 or min, low, default, high, max, urgent"#,
        ),
        (
            "gopher://x",
            r#"invalid notification target "gopher://x": unknown service; expected ntfy, mqtt, mqtts, smtp, webhook+https, webhook+http, discord, slack, gotify, telegram, matrix, pushover or script"#,
        ),
        (
            "ntfy://ntfy.example/t?colour=red",
            r#"invalid notification target "ntfy://ntfy.example/t?colour=***": unknown option "colour" for ntfy"#,
        ),
        (
            "ntfy://ntfy.example/t?on=update,sometimes",
            r#"invalid notification target "ntfy://ntfy.example/t?on=update,sometimes": unknown kind "sometimes"; expected a comma list of update, newer, major, minor, patch, error, recovered and untrusted"#,
        ),
        (
            "script://relative",
            r#"invalid notification target "script://relative": a script has no host: script:///ABSOLUTE/PATH (three slashes)"#,
        ),
        (
            "alice:s3cret@ntfy.example",
            r#"invalid notification target "alice...": expected SERVICE://... as in the README's list of targets"#,
        ),
    ];
    for (input, expected) in cases {
        assert_eq!(Target::parse(input).unwrap_err().to_string(), expected, "{input}");
    }
}

#[test]
fn long_and_hostile_inputs_are_bounded_in_errors() {
    let long = format!("ntfy://ntfy.example/t?title={}&x=\u{202e}", "a".repeat(100_000));
    let message = Target::parse(&long).unwrap_err().to_string();
    assert!(message.len() < 1000, "{}", message.len());
    let hostile = "gopher://\u{1b}[2Jx\u{202e}";
    let message = Target::parse(hostile).unwrap_err().to_string();
    assert!(
        !message.contains('\u{1b}') && !message.contains('\u{202e}'),
        "{message}"
    );
}

#[test]
fn error_is_small() {
    assert!(size_of::<oci_notify::Error>() <= 8);
}

#[test]
fn defaults() {
    let target = Target::parse("smtp://mail.lan/?from=a@b.c&to=d@e.f").unwrap();
    let server = target.server().unwrap();
    assert_eq!(
        (server.port(), server.tls()),
        (587, oci_notify::Tls::StartTls { required: false })
    );
    let target = Target::parse("smtp://mail.lan/?from=a@b.c&to=d@e.f&tls=tls").unwrap();
    assert_eq!(target.server().unwrap().port(), 465);
    let target = Target::parse("smtp://mail.lan/?from=a@b.c&to=d@e.f&tls=starttls").unwrap();
    assert_eq!(
        target.server().unwrap().tls(),
        oci_notify::Tls::StartTls { required: true }
    );
    let target = Target::parse("mqtts://u:p@[::1]/x").unwrap();
    let server = target.server().unwrap();
    assert_eq!(
        (server.host(), server.port(), server.tls()),
        ("::1", 8883, oci_notify::Tls::Implicit)
    );
    assert_eq!(
        (server.username(), server.password().map(|p| p.expose())),
        (Some("u"), Some("p"))
    );
    let target = Target::parse("mqtt://broker").unwrap();
    assert_eq!(target.server().unwrap().port(), 1883);
    assert_eq!(target.on().to_string(), "update,newer,error");
    let target = Target::parse("script:///opt/my%20hooks/notify").unwrap();
    assert_eq!(target.script().unwrap(), std::path::Path::new("/opt/my hooks/notify"));
    assert!(target.server().is_none());
}
