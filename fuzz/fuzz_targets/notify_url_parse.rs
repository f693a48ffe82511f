//! Notification target URLs: no panic and a bounded error on any input; a parsed target's
//! redacted form parses again and shows the same; and a secret never shows. For the last, each
//! `@@` of the input becomes a distinct marker (`Mk0000Zq`, ...): a marker that ended up inside one
//! of the target's secrets must not appear in its `Display`, `Debug` or rendered requests.
#![no_main]

use libfuzzer_sys::fuzz_target;
use oci_notify::{Notification, Target};

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    match Target::parse(&text) {
        Ok(target) => {
            let shown = target.to_string();
            let again = Target::parse(&shown).expect("a target's redacted form parses");
            assert_eq!(again.to_string(), shown);
            assert_eq!(again.service(), target.service());
        }
        Err(err) => assert!(err.to_string().len() < 4096, "{}", err.to_string().len()),
    }

    // Markers must be the only way their text gets into the URL.
    if text.contains("Mk") || text.contains('%') {
        return;
    }
    let pieces: Vec<&str> = text.split("@@").collect();
    let markers: Vec<String> = (0..pieces.len() - 1).map(|n| format!("Mk{n:04}Zq")).collect();
    let mut url = String::from(pieces[0]);
    for (marker, piece) in markers.iter().zip(&pieces[1..]) {
        url.push_str(marker);
        url.push_str(piece);
    }
    let Ok(target) = Target::parse(&url) else {
        return;
    };
    let round = Notification {
        host: "h".into(),
        events: Vec::new(),
    };
    let shown = format!(
        "{target} {target:?} {:?} {:?} {:?}",
        target.test_notification("h"),
        target.render(&round),
        target.server()
    );
    for secret in oci_notify::internal::secrets(&target) {
        for marker in markers.iter().filter(|marker| secret.contains(marker.as_str())) {
            assert!(!shown.contains(marker.as_str()), "{marker} of a secret shows in {shown}");
        }
    }
});
