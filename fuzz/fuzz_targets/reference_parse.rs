//! Any string parses to a reference or a typed error, through every entry point; whatever parses
//! re-parses from its canonical string to the same value, and from its familiar string too
//! unless Go's rules give the short form another meaning.
#![no_main]

use libfuzzer_sys::fuzz_target;
use oci_ref::{Reference, parse_any};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    match Reference::parse_normalized(text) {
        Ok(reference) => {
            let canonical = reference.to_string();
            let again = Reference::parse_normalized(&canonical).expect("a canonical string parses");
            assert_eq!(again, reference);
            assert_eq!(
                Reference::parse_named(&canonical).expect("canonical is canonical"),
                reference
            );
            assert_eq!(
                Reference::parse_raw(&canonical).expect("canonical parses raw"),
                reference
            );
            let familiar = reference.familiar();
            let first = reference.familiar_name().split('/').next().unwrap_or_default();
            let ambiguous = reference.registry() == "docker.io"
                && ((reference.familiar_name().contains('/') && (first.contains(['.', ':']) || first == "localhost"))
                    || (first.len() == 64 && first.bytes().all(|b| b.is_ascii_hexdigit())));
            if !ambiguous {
                let from_familiar = Reference::parse_normalized(&familiar).expect("a familiar string parses");
                assert_eq!(from_familiar, reference, "familiar {familiar:?}");
            }
            let pull = Reference::parse_docker_ref(text).expect("normalized input parses for pulling");
            assert_eq!(pull.digest(), reference.digest());
        }
        Err(err) => {
            assert_eq!(err.input(), text);
            assert!(!err.to_string().is_empty());
        }
    }
    if let Ok(raw) = Reference::parse_raw(text) {
        assert_eq!(raw.to_string(), text, "raw parsing keeps the input");
    }
    if let Ok(any) = parse_any(text) {
        assert_eq!(parse_any(&any.to_string()).expect("a shown reference parses"), any);
    }
});
