//! One request's challenge rounds: lines of `STATUS WWW-Authenticate` as a registry's answers, in order. Whatever
//! they say, the request ends (an answer or giving up) within `MAX_AUTH_ROUNDS` answered challenges, and gives up
//! only after answering that many.
#![no_main]

use libfuzzer_sys::fuzz_target;
use oci_registry::internal::{AuthRounds, AuthStep, MAX_AUTH_ROUNDS};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let mut rounds = AuthRounds::default();
    let mut answers = text.lines().cycle();
    if text.is_empty() {
        return;
    }
    for step in 0.. {
        assert!(step <= MAX_AUTH_ROUNDS + 1, "more than {MAX_AUTH_ROUNDS} rounds");
        let Some(line) = answers.next() else { return };
        let (status, header) = line.split_once(' ').unwrap_or((line, ""));
        let status = status.parse::<u16>().unwrap_or(401);
        let headers: Vec<&str> = if header.is_empty() { Vec::new() } else { vec![header] };
        match rounds.next(status, &headers) {
            Err(_) | Ok(AuthStep::Answer) => return,
            Ok(AuthStep::GiveUp) => {
                assert_eq!(rounds.answered(), MAX_AUTH_ROUNDS);
                return;
            }
            Ok(AuthStep::Challenge(_)) => assert!(rounds.answered() <= MAX_AUTH_ROUNDS),
            Ok(_) => return,
        }
    }
});
