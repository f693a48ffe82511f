//! A base URL line then `Link` header lines: links parse or give a typed error, display round-trips, and a next page
//! is only ever on the base's origin.
#![no_main]

use http::{HeaderMap, HeaderValue, Uri};
use libfuzzer_sys::fuzz_target;
use oci_registry::internal::{Link, NextPage, next_page};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let mut lines = text.split('\n');
    let base = lines.next().unwrap_or_default();
    let mut headers = HeaderMap::new();
    for line in lines {
        match Link::parse_header(line) {
            Ok(links) => {
                for link in links {
                    let again = Link::parse_header(&link.to_string()).expect("a displayed link parses");
                    assert_eq!(again, [link]);
                }
            }
            Err(err) => assert!(!err.to_string().is_empty()),
        }
        if let Ok(value) = HeaderValue::from_str(line) {
            headers.append(http::header::LINK, value);
        }
    }
    let Ok(base) = base.parse::<Uri>() else { return };
    if let Ok(NextPage::Next(next)) = next_page(&base, &headers) {
        assert_eq!(next.host().map(str::to_ascii_lowercase), base.host().map(str::to_ascii_lowercase));
        assert_eq!(
            next.scheme_str().map(str::to_ascii_lowercase),
            base.scheme_str().map(str::to_ascii_lowercase)
        );
        assert!(next.path() != base.path() || next.query() != base.query());
    }
});
