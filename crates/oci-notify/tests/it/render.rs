//! Golden renders per service (tests/data/render/NAME.json), the `on` filter and test messages.
//!
//! `UPDATE_GOLDEN=1 cargo test -p oci-notify --test it render` rewrites the golden files; review
//! the diff against each service's documented API before committing it.

use std::fs;

use oci_notify::{Event, EventKind, Jump, Notification, Rendered, Target, matrix_access_token};
use serde_json::{Value, json};

use crate::data;

/// One round's events: one of each kind, with hostile text in a note.
pub(crate) fn events() -> Vec<Event> {
    let event = |kind, workload: &str, image: &str| Event {
        kind,
        workload: workload.into(),
        image: image.into(),
        current: None,
        latest: None,
        tag: None,
        note: None,
        record: json!({ "image": image }),
    };
    vec![
        Event {
            current: Some(format!("sha256:{}", "a".repeat(64))),
            latest: Some(format!("sha256:{}", "b".repeat(64))),
            record: json!({ "image": "nginx:1.27", "status": "update", "nested": { "keep": [1, 2.5, null] } }),
            ..event(EventKind::Update, "docker/web", "nginx:1.27")
        },
        Event {
            tag: Some("16.4".into()),
            ..event(EventKind::Newer { jump: Jump::Minor }, "docker/db", "postgres:16.3")
        },
        Event {
            tag: Some("17.0".into()),
            ..event(
                EventKind::Newer { jump: Jump::Major },
                "compose/app/db",
                "postgres:16.3",
            )
        },
        Event {
            note: Some("HTTP 401 from registry.example\u{1b}[2J\nforged line".into()),
            ..event(EventKind::Error, "docker/api", "registry.example/api:1")
        },
        event(EventKind::Recovered, "docker/cache", "redis:7"),
    ]
}

fn round() -> Notification {
    Notification {
        host: "nas".into(),
        events: events(),
    }
}

/// A render as JSON for the golden files; bodies that are JSON are shown parsed.
fn to_value(rendered: &Rendered) -> Value {
    let body = |bytes: &[u8]| {
        serde_json::from_slice::<Value>(bytes).unwrap_or_else(|_| Value::String(String::from_utf8_lossy(bytes).into()))
    };
    let request = |request: &oci_notify::HttpRequest| {
        json!({
            "method": request.method(),
            "url": request.url(),
            "headers": request.headers(),
            "body": body(request.body()),
        })
    };
    match rendered {
        Rendered::Http { login, requests } => json!({
            "http": {
                "login": login.as_ref().map(request),
                "requests": requests.iter().map(request).collect::<Vec<_>>(),
            }
        }),
        Rendered::Mqtt { publishes } => json!({
            "mqtt": publishes.iter().map(|publish| json!({
                "topic": publish.topic,
                "retain": publish.retain,
                "payload": body(&publish.payload),
            })).collect::<Vec<_>>()
        }),
        Rendered::Smtp(mail) => json!({
            "smtp": { "from": mail.from, "to": mail.to, "subject": mail.subject, "body": mail.body }
        }),
        Rendered::Script { path, stdin } => json!({ "script": { "path": path, "stdin": body(stdin) } }),
        other => panic!("a render the tests do not know: {other:?}"),
    }
}

/// One golden case: the render of `url` for `round()` and its test message.
#[track_caller]
fn golden(name: &str, url: &str) {
    let target = Target::parse(url).unwrap();
    let actual = json!({
        "url": url,
        "render": target.render(&round()).as_ref().map(to_value),
        "test": to_value(&target.test_notification("nas")),
    });
    let path = data(&format!("render/{name}.json"));
    let text = serde_json::to_string_pretty(&actual).unwrap() + "\n";
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        fs::write(&path, &text).unwrap();
    }
    let expected = fs::read_to_string(&path).unwrap_or_else(|err| panic!("{}: {err}", path.display()));
    assert_eq!(
        text, expected,
        "{name}: the render changed (UPDATE_GOLDEN=1 rewrites it)"
    );
}

#[test]
fn ntfy() {
    golden(
        "ntfy",
        "ntfy://alice:s3cret@ntfy.example/updates?tags=whale&priority=high",
    );
    golden(
        "ntfy-token",
        "ntfy://:tk_t0ken@127.0.0.1:2586/updates?scheme=http&title=Images&on=update,newer,error,recovered",
    );
}

#[test]
fn mqtt() {
    golden(
        "mqtt",
        "mqtt://ha:s3cret@broker.lan/oci-check?on=update,newer,error,recovered",
    );
    golden(
        "mqtt-no-discovery",
        "mqtts://broker.lan/oci?retain=no&discovery=no&on=update",
    );
}

#[test]
fn smtp() {
    golden(
        "smtp",
        "smtp://me:s3cret@mail.lan/?from=oci@nas.lan&to=a@example.org,b@example.org",
    );
}

#[test]
fn webhook() {
    golden(
        "webhook",
        "webhook+https://hook:s3cret@hooks.example/oci?token=t0ken&on=update,newer,error,recovered",
    );
}

#[test]
fn chat_services() {
    golden("discord", "discord://t0ken@123456789?username=oci");
    golden("discord-explicit", "discord+http://127.0.0.1:9999/api/webhooks/1/t0ken");
    golden("slack", "slack://OciBot@T000/B000/XXXt0ken");
    golden("gotify", "gotify://gotify.lan/At0ken?priority=8");
    golden("telegram", "telegram://110201543:AAHt0ken@telegram?chats=@oci,-100123");
    golden(
        "matrix",
        "matrix://bot:s3cret@matrix.example/?rooms=!abc:matrix.example,!def:other.example",
    );
    golden(
        "matrix-token",
        "matrix://:t0ken@matrix.example:8448/?rooms=!abc:matrix.example",
    );
    golden(
        "pushover",
        "pushover://shoutrrr:At0ken@Uuserkey/?devices=phone&priority=1",
    );
}

#[test]
fn script() {
    golden(
        "script",
        "script:///usr/local/bin/notify?on=update,newer,error,recovered",
    );
}

#[test]
fn the_on_filter() {
    let kinds = |url: &str| -> Option<Vec<String>> {
        let Rendered::Script { stdin, .. } = Target::parse(url).unwrap().render(&round())? else {
            panic!("a script renders a script run");
        };
        let document: Notification = serde_json::from_slice(&stdin).unwrap();
        Some(
            document
                .events
                .iter()
                .map(|event| format!("{}:{:?}", event.workload, event.kind))
                .collect(),
        )
    };
    let cases: [(&str, Option<&[&str]>); 6] = [
        (
            "",
            Some(&[
                "docker/web:Update",
                "docker/db:Newer { jump: Minor }",
                "compose/app/db:Newer { jump: Major }",
                "docker/api:Error",
                "docker/cache:Recovered",
            ]),
        ),
        ("?on=major", Some(&["compose/app/db:Newer { jump: Major }"])),
        (
            "?on=minor,recovered",
            Some(&["docker/db:Newer { jump: Minor }", "docker/cache:Recovered"]),
        ),
        (
            "?on=newer,major",
            Some(&[
                "docker/db:Newer { jump: Minor }",
                "compose/app/db:Newer { jump: Major }",
            ]),
        ),
        ("?on=patch", None),
        ("?on=update", Some(&["docker/web:Update"])),
    ];
    for (query, expected) in cases {
        let expected = expected.map(|kinds| kinds.iter().map(|kind| (*kind).to_owned()).collect::<Vec<_>>());
        assert_eq!(kinds(&format!("script:///bin/x{query}")), expected, "{query}");
    }
    // A build jump is told only to `newer`.
    let build = Notification {
        host: "nas".into(),
        events: vec![Event {
            kind: EventKind::Newer { jump: Jump::Build },
            ..events()[1].clone()
        }],
    };
    let target = Target::parse("script:///bin/x?on=major,minor,patch").unwrap();
    assert!(target.render(&build).is_none());
    assert!(
        Target::parse("script:///bin/x?on=newer")
            .unwrap()
            .render(&build)
            .is_some()
    );
}

#[test]
fn an_untrusted_update_is_its_own_group_and_a_changed_signer_is_a_warning() {
    let round = Notification {
        host: "nas".into(),
        events: vec![
            Event {
                record: json!({ "status": "update_available", "same_signer": false }),
                ..events()[0].clone()
            },
            Event {
                kind: EventKind::Untrusted,
                tag: Some("1.28.0".into()),
                note: Some("not proposed: the update's signature is unsigned".into()),
                record: json!({ "status": "untrusted", "same_signer": null }),
                ..events()[0].clone()
            },
            Event {
                record: json!({ "status": "update_available", "same_signer": true }),
                workload: "docker/same".into(),
                ..events()[0].clone()
            },
        ],
    };
    let Some(Rendered::Smtp(mail)) = Target::parse("smtp://m/?from=a@b.c&to=d@e.f").unwrap().render(&round) else {
        panic!("smtp renders a mail");
    };
    assert_eq!(
        mail.subject, "oci-check on nas: 2 updates, 1 untrusted update",
        "{mail:?}"
    );
    let lines: Vec<&str> = mail.body.lines().collect();
    let (a, b) = (
        format!("sha256:{}", "a".repeat(12)),
        format!("sha256:{}", "b".repeat(12)),
    );
    let expected = [
        "Updates (2):".to_owned(),
        format!(
            "- docker/web: nginx:1.27 {a} -> {b}: warning: signed by another key or identity than the image in use"
        ),
        format!("- docker/same: nginx:1.27 {a} -> {b}"),
        "Untrusted updates (1):".to_owned(),
        format!("- docker/web: nginx:1.27 {a} -> {b} (newer 1.28.0): not proposed: the update's signature is unsigned"),
    ];
    for line in &expected {
        assert!(lines.contains(&line.as_str()), "{line}\n{}", mail.body);
    }
    // Its kind word in the MQTT state, and nothing proposed to Home Assistant for it.
    let untrusted = Notification {
        host: "nas".into(),
        events: vec![round.events[1].clone()],
    };
    let Some(Rendered::Mqtt { publishes }) = Target::parse("mqtt://broker/p").unwrap().render(&untrusted) else {
        panic!("mqtt renders publishes");
    };
    let state: Value = serde_json::from_slice(&publishes[0].payload).unwrap();
    assert_eq!(state["events"], json!(["untrusted"]));
    assert_eq!(state["installed_version"], state["latest_version"], "{state}");
}

#[test]
fn messages_stay_within_service_limits() {
    let many = Notification {
        host: "nas".into(),
        events: (0..500)
            .map(|n| Event {
                workload: format!("docker/{n}-{}", "w".repeat(300)),
                ..events()[0].clone()
            })
            .collect(),
    };
    for (url, field, limit) in [
        ("discord://t@1", "content", 2000),
        ("telegram://1:t@telegram?chats=1", "text", 4096),
        ("slack://a/b/c", "text", 40_000),
    ] {
        let Some(Rendered::Http { requests, .. }) = Target::parse(url).unwrap().render(&many) else {
            panic!("{url} renders HTTP");
        };
        let body: Value = serde_json::from_slice(requests[0].body()).unwrap();
        let text = body[field].as_str().unwrap();
        assert!(text.chars().count() <= limit, "{url}: {}", text.chars().count());
        assert!(text.contains("more"), "{url}: {text}");
        // Each foreign value is cut: no line carries the whole 300-character name.
        assert!(!text.contains(&"w".repeat(250)), "{url}");
    }
}

#[test]
fn hostile_text_is_escaped_in_messages() {
    let Some(Rendered::Smtp(mail)) = Target::parse("smtp://m/?from=a@b.c&to=d@e.f").unwrap().render(&round()) else {
        panic!("smtp renders a mail");
    };
    assert!(!mail.body.contains('\u{1b}'), "{}", mail.body);
    assert!(mail.body.contains("\\u{1b}[2J\\nforged line"), "{}", mail.body);
    assert!(!mail.subject.contains('\n'));
    let hostile = Notification {
        host: "nas\nSubject: x".into(),
        events: events(),
    };
    let Some(Rendered::Smtp(mail)) = Target::parse("smtp://m/?from=a@b.c&to=d@e.f").unwrap().render(&hostile) else {
        panic!("smtp renders a mail");
    };
    assert!(!mail.subject.contains('\n'), "{}", mail.subject);
}

#[test]
fn mqtt_topics_have_no_wildcards() {
    let round = Notification {
        host: "a/b+c#".into(),
        events: vec![Event {
            workload: "docker/we+b#\u{0}".into(),
            ..events()[0].clone()
        }],
    };
    let Some(Rendered::Mqtt { publishes }) = Target::parse("mqtt://broker/p").unwrap().render(&round) else {
        panic!("mqtt renders publishes");
    };
    assert_eq!(publishes[0].topic, "p/a_b_c_/docker/we_b__");
    for publish in &publishes {
        assert!(!publish.topic.contains(['+', '#', '\0']), "{}", publish.topic);
    }
    assert!(
        publishes[1]
            .topic
            .starts_with("homeassistant/update/oci-check_a_b_c__docker_we_b___")
    );
}

#[test]
fn matrix_login_answers() {
    let token =
        matrix_access_token(br#"{"user_id":"@bot:x","access_token":"syt_t0ken","device_id":"oci-check"}"#).unwrap();
    assert_eq!(token.expose(), "syt_t0ken");
    assert_eq!(format!("{token:?} {token}"), "Secret(***) ***");
    for answer in [&b"{}"[..], b"not json", br#"{"access_token": 5}"#] {
        let err = matrix_access_token(answer).unwrap_err();
        assert_eq!(err.kind(), oci_notify::ErrorKind::InvalidResponse);
        assert_eq!(
            err.to_string(),
            r#"invalid answer to a "matrix login": the login answer has no access_token"#
        );
    }
    let Rendered::Http { login, mut requests } = Target::parse("matrix://bot:s3cret@m.example/?rooms=!a:b")
        .unwrap()
        .test_notification("nas")
    else {
        panic!("matrix renders HTTP");
    };
    assert!(login.is_some());
    assert!(!requests[0].headers().iter().any(|(name, _)| name == "Authorization"));
    requests[0].set_bearer(&token);
    assert!(
        requests[0]
            .headers()
            .contains(&("Authorization".into(), "Bearer syt_t0ken".into()))
    );
    assert!(!format!("{:?}", requests[0]).contains("syt_t0ken"));
}
