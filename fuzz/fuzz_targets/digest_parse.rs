//! Any string parses to a digest or a typed error; parse -> display -> parse is the identity.
#![no_main]

use libfuzzer_sys::fuzz_target;
use oci_digest::Digest;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    match Digest::parse(text) {
        Ok(digest) => {
            let shown = digest.to_string();
            assert_eq!(shown, text, "display must give back the exact input");
            let again = Digest::parse(&shown).expect("a displayed digest parses");
            assert_eq!(again, digest);
            assert_eq!(again.algorithm(), digest.algorithm());
            assert_eq!(digest.short().len(), 12);
        }
        Err(err) => {
            assert_eq!(err.input(), text);
            assert!(!err.to_string().is_empty());
        }
    }
});
