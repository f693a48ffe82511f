//! The byte stream a Redis server sends, as `RedisCache` watches it before redis-rs reads it: arbitrary bytes, cut
//! into pieces at arbitrary places. Scanning never panics, and where the stream is cut never changes the verdict
//! (the same refusal, or the same state at the end): a reply split across reads is judged as a whole.
#![no_main]

use libfuzzer_sys::fuzz_target;
use oci_registry::internal::ReplyBound;

fuzz_target!(|data: &[u8]| {
    // The first byte chooses the cuts; the rest is the stream.
    let Some((&seed, stream)) = data.split_first() else { return };
    let mut whole = ReplyBound::new();
    let whole_verdict = whole.feed(stream);

    let mut pieces = ReplyBound::new();
    let mut verdict = Ok(());
    let mut at = 0;
    let mut step = usize::from(seed % 7) + 1;
    while at < stream.len() {
        let end = (at + step).min(stream.len());
        verdict = pieces.feed(&stream[at..end]);
        if verdict.is_err() {
            break;
        }
        at = end;
        step = step * 3 % 11 + 1;
    }
    assert_eq!(verdict, whole_verdict);
    assert_eq!(pieces.between_replies(), whole.between_replies());
});
