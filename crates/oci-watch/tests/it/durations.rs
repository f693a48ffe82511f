use oci_watch::{ErrorKind, Interval, Timestamp, WorkloadKey, parse_duration};

#[test]
fn durations_parse() {
    for (text, seconds) in [
        ("1s", 1),
        ("30s", 30),
        ("15m", 900),
        ("6h", 21_600),
        ("1d", 86_400),
        ("1h30m", 5400),
        ("1d6h", 108_000),
        ("90m", 5400),
        ("365d", 31_536_000),
    ] {
        assert_eq!(parse_duration(text).map(Interval::as_secs), Ok(seconds), "{text}");
    }
}

#[test]
fn durations_refused() {
    for (text, kind) in [
        ("", ErrorKind::InvalidDuration),
        ("6", ErrorKind::InvalidDuration),
        ("h", ErrorKind::InvalidDuration),
        ("6x", ErrorKind::InvalidDuration),
        ("30m1h", ErrorKind::InvalidDuration),
        ("1h1h", ErrorKind::InvalidDuration),
        ("-1s", ErrorKind::InvalidDuration),
        (" 1s", ErrorKind::InvalidDuration),
        ("1.5h", ErrorKind::InvalidDuration),
        ("0s", ErrorKind::DurationOutOfRange),
        ("366d", ErrorKind::DurationOutOfRange),
        ("365d1s", ErrorKind::DurationOutOfRange),
        ("99999999999999999999s", ErrorKind::DurationOutOfRange),
    ] {
        assert_eq!(parse_duration(text).map_err(|err| err.kind()), Err(kind), "{text:?}");
    }
}

#[test]
fn duration_display_is_shortest() {
    for (text, shown) in [("90m", "1h30m"), ("3600s", "1h"), ("1d0h", "1d"), ("86401s", "1d1s")] {
        assert_eq!(parse_duration(text).unwrap().to_string(), shown);
    }
}

#[test]
fn error_messages() {
    assert_eq!(
        parse_duration("6x").unwrap_err().to_string(),
        "invalid duration `6x`; write it like 30s, 15m, 6h, 1d or 1h30m"
    );
    assert_eq!(
        parse_duration("400d").unwrap_err().to_string(),
        "duration out of range `400d`; use 1s to 365d"
    );
    assert_eq!(
        "a\u{1b}b".parse::<Timestamp>().unwrap_err().to_string(),
        "invalid RFC 3339 time `a\\u{1b}b`; write it like 2026-12-07T10:00:00Z"
    );
}

#[test]
fn timestamps() {
    for (text, shown) in [
        ("2026-12-07T10:00:00Z", "2026-12-07T10:00:00Z"),
        ("2026-12-07T10:00:00.999999999Z", "2026-12-07T10:00:00Z"),
        ("2026-12-07T11:30:00+01:30", "2026-12-07T10:00:00Z"),
        ("2026-12-07t10:00:00z", "2026-12-07T10:00:00Z"),
        ("2024-02-29T00:00:00Z", "2024-02-29T00:00:00Z"),
    ] {
        assert_eq!(text.parse::<Timestamp>().unwrap().to_string(), shown, "{text}");
    }
    for bad in [
        "",
        "2026-12-07",
        "2026-02-30T00:00:00Z",
        "2023-02-29T00:00:00Z",
        "2026-12-07T24:00:00Z",
        "2026-12-07T10:00:00",
        "2026-12-07T10:00:00.Z",
        "0000-01-01T00:00:00Z",
    ] {
        assert!(bad.parse::<Timestamp>().is_err(), "{bad}");
    }
    // Rounded up, so "pending until" is never before the real time.
    let at: Timestamp = "2026-12-07T09:59:01Z".parse().unwrap();
    assert_eq!(at.to_utc_minutes(), "2026-12-07 10:00 UTC");
}

#[test]
fn workload_keys_round_trip_and_stay_apart() {
    let odd = WorkloadKey::new("h|1", "compose:/srv/a%b.yml", "web\n", "nginx:1.27", "linux/amd64");
    let text = odd.to_string();
    assert_eq!(text, "h%7C1|compose:/srv/a%25b.yml|web%0A|nginx:1.27|linux/amd64");
    assert_eq!(text.parse::<WorkloadKey>(), Ok(odd));
    for bad in ["a|b|c|d", "a|b|c|d|e|f", "%41|b|c|d|e", "%zz|b|c|d|e", "%FF|b|c|d|e"] {
        assert!(bad.parse::<WorkloadKey>().is_err(), "{bad}");
    }
}

#[test]
fn target_ids_cannot_hold_a_url_so_the_state_holds_no_secret() {
    use oci_watch::TargetId;
    for bad in ["", "ntfy://user:pass@host/topic", "a b", "x/y", "ü", &"a".repeat(129)] {
        let err = bad.parse::<TargetId>().unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidTargetId, "{bad}");
    }
    for good in ["ntfy-3f2a", "sha256:0a1b", "mail_1.x"] {
        assert_eq!(good.parse::<TargetId>().unwrap().as_str(), good);
    }
}
