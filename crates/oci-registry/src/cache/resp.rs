//! [`ReplyBound`]: a watch on the bytes a Redis server sends, which refuses a reply too large to be one this client
//! asked for before the reply is read.
//!
//! redis-rs reads a reply whole before it hands it over, and has no limit of its own: a server (or whoever sits on a
//! plain `redis://` connection) that answers `$1073741824` makes it buffer a gigabyte, and a 1 GiB error line is
//! formatted whole into the error. The scanner follows the RESP2 and RESP3 framing of the byte stream (not the
//! values) and stops it at the first header or line that breaks a bound, before the bytes it announces arrive:
//!
//! - a bulk string, verbatim string or blob error longer than [`MAX_BULK`] (the largest entry, [`MAX_ENTRY`],
//!   and room for a key);
//! - a line (simple string, error, number, double, big number, or a header) longer than [`MAX_LINE`];
//! - a whole reply, all its nested elements included, longer than [`MAX_REPLY`];
//! - an aggregate (array, map, set, push, attribute) of more than [`MAX_ELEMENTS`] elements, or nested deeper than
//!   [`MAX_DEPTH`];
//! - a type byte RESP does not have, or a length that is not a number.
//!
//! It is pure (bytes in, a verdict out), so the fuzz target `redis_reply` feeds it arbitrary streams cut at
//! arbitrary places and checks that the cuts never change the verdict.

use std::fmt;

use super::MAX_ENTRY;

/// The longest bulk string accepted: [`MAX_ENTRY`] and 1 MiB for a key (`SCAN` replies carry keys, which this client
/// writes short).
pub const MAX_BULK: u64 = MAX_ENTRY + 1024 * 1024;

/// The most bytes one reply may take, all its elements and their framing included.
pub const MAX_REPLY: u64 = MAX_BULK + 4 * 1024 * 1024;

/// The longest line (a simple string, an error, a number, a header), `\r\n` included.
pub const MAX_LINE: u64 = 64 * 1024;

/// The most elements an aggregate may announce (a `SCAN` step asks for 1000 keys; a pipeline answers a few).
pub const MAX_ELEMENTS: u64 = 1_000_000;

/// How deep aggregates may nest (this client's replies nest two deep).
pub const MAX_DEPTH: usize = 32;

/// Why a stream was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReplyError {
    /// A bulk string announced more bytes than [`MAX_BULK`].
    BulkTooLarge(u64),
    /// A line ran past [`MAX_LINE`] bytes without its `\r\n`.
    LineTooLong,
    /// A reply took more than [`MAX_REPLY`] bytes.
    ReplyTooLarge,
    /// An aggregate announced more than [`MAX_ELEMENTS`] elements.
    TooManyElements(u64),
    /// Aggregates nested deeper than [`MAX_DEPTH`].
    TooDeep,
    /// A byte where a reply's type should be that is not one of RESP's.
    UnknownType(u8),
    /// A length or count that is not a (possibly negative) decimal number, or a line not ended by `\r\n`.
    BadHeader,
}

impl fmt::Display for ReplyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::BulkTooLarge(len) => write!(
                f,
                "the Redis server announced a string of {len} bytes, more than the {MAX_BULK} this client reads"
            ),
            Self::LineTooLong => write!(f, "the Redis server sent a line longer than {MAX_LINE} bytes"),
            Self::ReplyTooLarge => write!(f, "the Redis server sent a reply larger than {MAX_REPLY} bytes"),
            Self::TooManyElements(count) => write!(
                f,
                "the Redis server announced {count} elements, more than the {MAX_ELEMENTS} this client reads"
            ),
            Self::TooDeep => write!(f, "the Redis server nested a reply deeper than {MAX_DEPTH} levels"),
            Self::UnknownType(byte) => write!(
                f,
                "the Redis server sent byte 0x{byte:02x} where a reply's type belongs"
            ),
            Self::BadHeader => f.write_str("the Redis server sent a malformed length or line"),
        }
    }
}

impl std::error::Error for ReplyError {}

/// What the scanner is in the middle of.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Step {
    /// Before a value's type byte.
    Type,
    /// In a line after type `kind`: `len` bytes read so far, the number parsed so far when the line is a header.
    Line { kind: u8, len: u64, number: Number },
    /// In a bulk string's bytes, `left` of them (its closing `\r\n` included) still to come.
    Bulk { left: u64 },
}

/// A header's decimal number, read digit by digit.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Number {
    negative: bool,
    value: u64,
    digits: u32,
    /// The line had a byte that is not a digit (or a `-` first): fine for a simple line, not for a header.
    malformed: bool,
    /// The `\r` that ends the line was seen; the next byte must be `\n`.
    cr: bool,
}

impl Number {
    const START: Self = Self {
        negative: false,
        value: 0,
        digits: 0,
        malformed: false,
        cr: false,
    };
}

/// The framing scanner: feed it the stream in pieces of any size with [`feed`](Self::feed).
#[derive(Clone, Debug)]
pub struct ReplyBound {
    step: Step,
    /// For each open aggregate, the elements still to come.
    open: Vec<u64>,
    /// Bytes of the reply in progress (0 between replies).
    reply: u64,
    /// The first refusal: every later feed repeats it.
    failed: Option<ReplyError>,
}

impl Default for ReplyBound {
    fn default() -> Self {
        Self::new()
    }
}

impl ReplyBound {
    /// A scanner at the start of a stream.
    pub fn new() -> Self {
        Self {
            step: Step::Type,
            open: Vec::new(),
            reply: 0,
            failed: None,
        }
    }

    /// Whether the stream so far ends between replies.
    pub fn between_replies(&self) -> bool {
        self.failed.is_none() && self.step == Step::Type && self.open.is_empty() && self.reply == 0
    }

    /// Reads `bytes`, the next piece of the stream.
    ///
    /// # Errors
    ///
    /// The first bound the stream breaks, as soon as a header or line shows it; the scanner stays failed.
    pub fn feed(&mut self, bytes: &[u8]) -> Result<(), ReplyError> {
        if let Some(err) = self.failed {
            return Err(err);
        }
        let result = self.scan(bytes);
        if let Err(err) = result {
            self.failed = Some(err);
        }
        result
    }

    fn scan(&mut self, mut bytes: &[u8]) -> Result<(), ReplyError> {
        while let Some((&byte, rest)) = bytes.split_first() {
            match self.step {
                Step::Bulk { left } => {
                    // Skip the bulk's bytes at once; its size was checked against the bounds when it was announced.
                    let take = usize::try_from(left).map_or(bytes.len(), |left| left.min(bytes.len()));
                    bytes = &bytes[take..];
                    let left = left - take as u64;
                    if left == 0 {
                        self.step = Step::Type;
                        self.value_done();
                    } else {
                        self.step = Step::Bulk { left };
                    }
                    continue;
                }
                Step::Type => {
                    self.count(1)?;
                    if !matches!(
                        byte,
                        b'+' | b'-'
                            | b':'
                            | b'_'
                            | b','
                            | b'#'
                            | b'('
                            | b'$'
                            | b'!'
                            | b'='
                            | b'*'
                            | b'%'
                            | b'~'
                            | b'>'
                            | b'|'
                    ) {
                        return Err(ReplyError::UnknownType(byte));
                    }
                    self.step = Step::Line {
                        kind: byte,
                        len: 1,
                        number: Number::START,
                    };
                }
                Step::Line { kind, len, mut number } => {
                    self.count(1)?;
                    let len = len + 1;
                    if len > MAX_LINE {
                        return Err(ReplyError::LineTooLong);
                    }
                    if number.cr {
                        if byte != b'\n' {
                            return Err(ReplyError::BadHeader);
                        }
                        self.line_done(kind, number)?;
                    } else {
                        if byte == b'\r' {
                            number.cr = true;
                        } else if byte == b'-' && number.digits == 0 && !number.negative {
                            number.negative = true;
                        } else if byte.is_ascii_digit() && number.digits < 19 {
                            number.value = number.value * 10 + u64::from(byte - b'0');
                            number.digits += 1;
                        } else {
                            number.malformed = true;
                        }
                        self.step = Step::Line { kind, len, number };
                    }
                }
            }
            bytes = rest;
        }
        Ok(())
    }

    /// Adds `n` bytes to the reply in progress.
    fn count(&mut self, n: u64) -> Result<(), ReplyError> {
        self.reply += n;
        if self.reply > MAX_REPLY {
            return Err(ReplyError::ReplyTooLarge);
        }
        Ok(())
    }

    /// A line of type `kind` ended with `number` read from it.
    fn line_done(&mut self, kind: u8, number: Number) -> Result<(), ReplyError> {
        self.step = Step::Type;
        if !matches!(kind, b'$' | b'!' | b'=' | b'*' | b'%' | b'~' | b'>' | b'|') {
            self.value_done();
            return Ok(());
        }
        if number.malformed || number.digits == 0 {
            return Err(ReplyError::BadHeader);
        }
        if number.negative {
            // `$-1` and `*-1`: RESP2's null; no other negative length exists.
            if number.value != 1 {
                return Err(ReplyError::BadHeader);
            }
            self.value_done();
            return Ok(());
        }
        match kind {
            b'$' | b'!' | b'=' => {
                if number.value > MAX_BULK {
                    return Err(ReplyError::BulkTooLarge(number.value));
                }
                // The reply's bytes are counted before they arrive, so that a reply announcing too many is refused
                // at its header.
                self.count(number.value + 2)?;
                self.step = Step::Bulk { left: number.value + 2 };
                Ok(())
            }
            _ => {
                if number.value > MAX_ELEMENTS {
                    return Err(ReplyError::TooManyElements(number.value));
                }
                // A map and an attribute hold pairs. An attribute comes before the value it describes: its pairs
                // and then one more value, the one it is attached to.
                let elements = match kind {
                    b'%' => number.value * 2,
                    b'|' => number.value * 2 + 1,
                    _ => number.value,
                };
                if elements == 0 {
                    self.value_done();
                    return Ok(());
                }
                if self.open.len() >= MAX_DEPTH {
                    return Err(ReplyError::TooDeep);
                }
                self.open.push(elements);
                Ok(())
            }
        }
    }

    /// A value is complete: it counts for the aggregate around it, and when there is none the reply is complete.
    fn value_done(&mut self) {
        while let Some(left) = self.open.last_mut() {
            *left -= 1;
            if *left > 0 {
                return;
            }
            self.open.pop();
        }
        self.reply = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scan(stream: &[u8]) -> Result<bool, ReplyError> {
        let mut bound = ReplyBound::new();
        bound.feed(stream)?;
        Ok(bound.between_replies())
    }

    #[test]
    fn the_replies_this_client_gets_pass() {
        for stream in [
            &b"+PONG\r\n"[..],
            b"+OK\r\n$5\r\nhello\r\n$-1\r\n:1\r\n:-1\r\n",
            b"*2\r\n$1\r\n0\r\n*2\r\n$3\r\nabc\r\n$0\r\n\r\n",
            b"*-1\r\n*0\r\n",
            b"-ERR unknown command\r\n",
            b"%1\r\n+a\r\n:1\r\n_\r\n,1.5\r\n#t\r\n(12345678901234567890123\r\n",
            b"=15\r\ntxt:Some string\r\n~2\r\n+a\r\n+b\r\n>2\r\n+message\r\n+x\r\n",
            b"|1\r\n+key\r\n+value\r\n:7\r\n",
            b"!3\r\nerr\r\n",
        ] {
            assert_eq!(scan(stream), Ok(true), "{}", String::from_utf8_lossy(stream));
        }
    }

    #[test]
    fn a_reply_cut_anywhere_is_in_progress_and_scans_the_same() {
        let stream = b"*3\r\n$5\r\nhello\r\n%1\r\n+a\r\n*1\r\n:1\r\n-ERR x\r\n";
        for cut in 0..stream.len() {
            let mut bound = ReplyBound::new();
            bound.feed(&stream[..cut]).unwrap();
            assert_eq!(bound.between_replies(), cut == 0, "cut at {cut}");
            bound.feed(&stream[cut..]).unwrap();
            assert!(bound.between_replies(), "cut at {cut}");
        }
    }

    #[test]
    fn a_huge_bulk_is_refused_at_its_header() {
        assert_eq!(scan(b"$1073741824\r\n"), Err(ReplyError::BulkTooLarge(1 << 30)));
        assert_eq!(
            scan(b"*1\r\n$99999999999999999\r\n"),
            Err(ReplyError::BulkTooLarge(99_999_999_999_999_999))
        );
        // At the limit, it is read.
        let mut bound = ReplyBound::new();
        bound.feed(format!("${MAX_BULK}\r\n").as_bytes()).unwrap();
        assert!(!bound.between_replies());
    }

    #[test]
    fn many_large_bulks_in_one_reply_are_refused() {
        let mut bound = ReplyBound::new();
        let mut failed = None;
        for n in 0..10 {
            let chunk = format!("{}${MAX_ENTRY}\r\n", if n == 0 { "*10\r\n" } else { "" });
            if let Err(err) = bound.feed(chunk.as_bytes()) {
                failed = Some((n, err));
                break;
            }
            bound.feed(&vec![b'x'; usize::try_from(MAX_ENTRY).unwrap()]).unwrap();
            bound.feed(b"\r\n").unwrap();
        }
        assert_eq!(failed, Some((1, ReplyError::ReplyTooLarge)));
    }

    #[test]
    fn long_lines_and_bad_frames_are_refused() {
        let mut long = b"-ERR ".to_vec();
        long.extend(std::iter::repeat_n(b'x', usize::try_from(MAX_LINE).unwrap()));
        assert_eq!(scan(&long), Err(ReplyError::LineTooLong));
        assert_eq!(scan(b"?\r\n"), Err(ReplyError::UnknownType(b'?')));
        assert_eq!(scan(b"$abc\r\n"), Err(ReplyError::BadHeader));
        assert_eq!(scan(b"$\r\n"), Err(ReplyError::BadHeader));
        assert_eq!(scan(b"$-2\r\n"), Err(ReplyError::BadHeader));
        assert_eq!(scan(b"+OK\rX"), Err(ReplyError::BadHeader));
        assert_eq!(scan(b"*2000000\r\n"), Err(ReplyError::TooManyElements(2_000_000)));
        assert_eq!(scan(&b"*1\r\n".repeat(MAX_DEPTH + 1)), Err(ReplyError::TooDeep));
        assert!(scan(&b"*1\r\n".repeat(MAX_DEPTH)).is_ok());
        // A failed scanner stays failed.
        let mut bound = ReplyBound::new();
        assert!(bound.feed(b"?").is_err());
        assert_eq!(bound.feed(b"+OK\r\n"), Err(ReplyError::UnknownType(b'?')));
    }
}
