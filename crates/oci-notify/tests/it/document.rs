//! The document's JSON contract (the README's) and KindSet's text form.

use oci_notify::{Event, EventKind, Jump, Kind, KindSet, Notification};
use serde_json::json;

#[test]
fn the_webhook_body_is_the_contract() {
    let notification = Notification {
        host: "nas".into(),
        events: vec![
            Event {
                kind: EventKind::Update,
                workload: "docker/web".into(),
                image: "nginx:1.27".into(),
                current: Some("sha256:1".into()),
                latest: Some("sha256:2".into()),
                tag: None,
                note: None,
                record: json!({"z": 1, "a": [true, null, "x"]}),
            },
            Event {
                kind: EventKind::Newer { jump: Jump::Patch },
                workload: "docker/db".into(),
                image: "postgres:16.3".into(),
                current: None,
                latest: None,
                tag: Some("16.4".into()),
                note: Some("n".into()),
                record: json!(null),
            },
        ],
    };
    let text = String::from_utf8(notification.to_json()).unwrap();
    assert_eq!(
        text,
        r#"{"host":"nas","events":[{"kind":"update","workload":"docker/web","image":"nginx:1.27","current":"sha256:1","latest":"sha256:2","tag":null,"note":null,"record":{"a":[true,null,"x"],"z":1}},{"kind":"newer","jump":"patch","workload":"docker/db","image":"postgres:16.3","current":null,"latest":null,"tag":"16.4","note":"n","record":null}]}"#
    );
    let back: Notification = serde_json::from_str(&text).unwrap();
    assert_eq!(back, notification);
    for (kind, word) in [
        (EventKind::Error, "error"),
        (EventKind::Recovered, "recovered"),
        (EventKind::Untrusted, "untrusted"),
        (EventKind::Newer { jump: Jump::Build }, "newer"),
    ] {
        let value = serde_json::to_value(Event {
            kind,
            ..notification.events[0].clone()
        })
        .unwrap();
        assert_eq!(value["kind"], word);
    }
}

#[test]
fn kind_sets() {
    let cases = [
        ("update,newer,error", "update,newer,error"),
        ("error, update", "update,error"),
        ("recovered,recovered", "recovered"),
        ("patch,minor,major", "major,minor,patch"),
        ("untrusted,update", "update,untrusted"),
    ];
    for (input, shown) in cases {
        let set = KindSet::parse(input).unwrap();
        assert_eq!(set.to_string(), shown, "{input}");
        assert_eq!(format!("{set:?}"), format!("KindSet({shown})"));
    }
    assert_eq!(
        KindSet::default(),
        KindSet::of(&[Kind::Update, Kind::Newer, Kind::Error])
    );
    assert!(KindSet::DEFAULT.matches(EventKind::Newer { jump: Jump::Build }));
    // A recovery goes wherever its failure went.
    assert!(KindSet::DEFAULT.matches(EventKind::Recovered));
    assert!(!KindSet::of(&[Kind::Update, Kind::Newer]).matches(EventKind::Recovered));
    assert!(KindSet::of(&[Kind::Recovered]).matches(EventKind::Recovered));
    // A refused update goes wherever updates or newer versions go: --require-signed silences no target.
    for (set, told) in [
        (KindSet::DEFAULT, true),
        (KindSet::of(&[Kind::Update]), true),
        (KindSet::of(&[Kind::Newer]), true),
        (KindSet::of(&[Kind::Untrusted]), true),
        (KindSet::of(&[Kind::Error, Kind::Recovered, Kind::Major]), false),
    ] {
        assert_eq!(set.matches(EventKind::Untrusted), told, "{set}");
    }
    assert!(!KindSet::of(&[Kind::Untrusted]).matches(EventKind::Update));
    for bad in ["", "update,", "Update", "all", "newer;error"] {
        let err = KindSet::parse(bad).unwrap_err();
        assert_eq!(err.kind(), oci_notify::ErrorKind::UnknownKind, "{bad}");
        assert!(err.to_string().starts_with("invalid notification kinds "), "{err}");
    }
    assert_eq!(
        KindSet::parse("update,news").unwrap_err().to_string(),
        r#"invalid notification kinds "update,news": unknown kind "news"; expected a comma list of update, newer, major, minor, patch, error, recovered and untrusted"#
    );
}
