//! Cache entries, which a shared directory or Redis may hold corrupt or forged: the file header, the manifest entry
//! and the tag list entry never panic, a header written reads back as written, and a manifest entry is accepted only when its
//! bytes are the digest's and within the limit.
#![no_main]

use libfuzzer_sys::fuzz_target;
use oci_registry::internal::{TagsEntry, cache_header, decode_cached_manifest, decode_cached_tags, parse_cache_header};
use oci_digest::Digest;

fuzz_target!(|data: &[u8]| {
    if let Some((expires, start)) = parse_cache_header(data) {
        assert!(start <= data.len() && data[start - 1] == b'\n');
        let written = cache_header(expires);
        assert_eq!(parse_cache_header(&written), Some((expires, written.len())));
    }
    // A tag list entry is judged by the reader's age rule: never listed in the future, never past the cap.
    let now = std::time::Duration::from_secs(1_800_000_000);
    if let TagsEntry::Fresh(tags) = decode_cached_tags(data, now, std::time::Duration::from_secs(300)) {
        assert!(tags.len() <= oci_registry::internal::MAX_TAGS);
    }
    let Some((&selector, entry)) = data.split_first() else { return };
    let limit = u64::from(selector) * 16;
    // The digest of the bytes after the first newline: the entry may hold it or not.
    let body = entry.iter().position(|&b| b == b'\n').map_or(&[][..], |at| &entry[at + 1..]);
    let digest = if selector % 2 == 0 { Digest::sha256(body) } else { Digest::sha256(entry) };
    if let Some((media_type, bytes)) = decode_cached_manifest(&digest, entry, limit) {
        assert_eq!(Digest::sha256(&bytes), digest);
        assert!(bytes.len() as u64 <= limit);
        assert!(!media_type.is_some_and(|media_type| media_type.contains('\n')));
    }
});
