//! A watch state file as the directory store reads it. Nothing panics; what parses writes back to
//! a state that parses to itself; what does not is one error that the caller treats as unreadable.
#![no_main]

use libfuzzer_sys::fuzz_target;
use oci_watch::State;

fuzz_target!(|data: &[u8]| {
    match State::from_json(data) {
        Ok(state) => {
            let again = State::from_json(&state.to_json()).expect("a written state reads back");
            assert_eq!(again, state);
            for (key, workload) in state.workloads() {
                assert_eq!(&workload.last().key, key);
                assert_eq!(key.to_string().parse().as_ref(), Ok(key));
            }
        }
        Err(err) => {
            assert!(err.is_unreadable(), "{err}");
            assert!(!err.to_string().is_empty());
        }
    }
});
