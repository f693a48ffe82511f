//! A small strict DER reader: the tags a SubjectPublicKeyInfo, an RSA public key, an ECDSA signature and an RFC 3161
//! timestamp use (SEQUENCE, SET, INTEGER, BIT STRING, OCTET STRING, NULL, OBJECT IDENTIFIER, GeneralizedTime and
//! context-specific tags), definite lengths in their shortest form and at most two length bytes (64 KiB; the inputs
//! are smaller), nothing after the end.

use std::fmt::Write as _;

pub(crate) const SEQUENCE: u8 = 0x30;
pub(crate) const INTEGER: u8 = 0x02;
pub(crate) const BIT_STRING: u8 = 0x03;
pub(crate) const NULL: u8 = 0x05;
pub(crate) const OID: u8 = 0x06;
pub(crate) const OCTET_STRING: u8 = 0x04;
pub(crate) const SET: u8 = 0x31;
pub(crate) const GENERALIZED_TIME: u8 = 0x18;
/// `[0]`, constructed: an EXPLICIT tag, or an IMPLICIT one over a SEQUENCE or SET.
pub(crate) const CONTEXT_0: u8 = 0xa0;
/// `[1]`, constructed.
pub(crate) const CONTEXT_1: u8 = 0xa1;

/// What is wrong with the DER, for the message.
pub(crate) type DerError = &'static str;

/// Reads values one after the other from a slice.
pub(crate) struct Reader<'a> {
    data: &'a [u8],
}

impl<'a> Reader<'a> {
    pub(crate) fn new(data: &'a [u8]) -> Self {
        Self { data }
    }

    /// The next value's tag, if there is one, without reading it.
    pub(crate) fn peek(&self) -> Option<u8> {
        self.data.first().copied()
    }

    /// The contents of the next value, which must have `tag`.
    pub(crate) fn read(&mut self, tag: u8) -> Result<&'a [u8], DerError> {
        let (&found, rest) = self.data.split_first().ok_or("a value is missing at the end")?;
        if found != tag {
            return Err(match tag {
                SEQUENCE => "expected a SEQUENCE",
                INTEGER => "expected an INTEGER",
                BIT_STRING => "expected a BIT STRING",
                NULL => "expected NULL",
                OID => "expected an OBJECT IDENTIFIER",
                OCTET_STRING => "expected an OCTET STRING",
                SET => "expected a SET",
                GENERALIZED_TIME => "expected a GeneralizedTime",
                _ => "expected another tag",
            });
        }
        let (&first, rest) = rest.split_first().ok_or("a length is missing")?;
        let (len, rest) = match first {
            0..=0x7f => (usize::from(first), rest),
            0x81 => match rest {
                [len @ 0x80..=0xff, rest @ ..] => (usize::from(*len), rest),
                [_, ..] => return Err("a length is not in its shortest form"),
                [] => return Err("a length is cut off"),
            },
            0x82 => match rest {
                [hi @ 1..=0xff, lo, rest @ ..] => (usize::from(*hi) << 8 | usize::from(*lo), rest),
                [0, _, ..] => return Err("a length is not in its shortest form"),
                _ => return Err("a length is cut off"),
            },
            0x80 => return Err("an indefinite length (BER, not DER)"),
            _ => return Err("a length of more than two bytes"),
        };
        if len > rest.len() {
            return Err("a length runs past the end of the input");
        }
        let (value, rest) = rest.split_at(len);
        self.data = rest;
        Ok(value)
    }

    /// The whole next value (tag, length and contents), which must have `tag`: for a value that is signed or hashed
    /// as it was encoded.
    pub(crate) fn element(&mut self, tag: u8) -> Result<&'a [u8], DerError> {
        let before = self.data;
        self.read(tag)?;
        Ok(&before[..before.len() - self.data.len()])
    }

    /// The contents of the next value when it has `tag`; `None`, reading nothing, when another value or nothing
    /// comes next (an OPTIONAL field).
    pub(crate) fn optional(&mut self, tag: u8) -> Result<Option<&'a [u8]>, DerError> {
        if self.peek() == Some(tag) {
            self.read(tag).map(Some)
        } else {
            Ok(None)
        }
    }

    /// Whether everything was read.
    pub(crate) fn is_empty(&self) -> bool {
        self.data.is_empty()
    }

    /// A BIT STRING's bits, which must be whole bytes (no unused bits).
    pub(crate) fn bit_string(&mut self) -> Result<&'a [u8], DerError> {
        match self.read(BIT_STRING)? {
            [0, bits @ ..] => Ok(bits),
            [] => Err("a BIT STRING is empty"),
            _ => Err("a BIT STRING has unused bits"),
        }
    }

    /// A non-negative INTEGER's magnitude (without the sign byte), in its shortest form.
    pub(crate) fn unsigned(&mut self) -> Result<&'a [u8], DerError> {
        match self.read(INTEGER)? {
            [] => Err("an INTEGER is empty"),
            [0, next, ..] if *next < 0x80 => Err("an INTEGER is not in its shortest form"),
            [0, rest @ ..] if !rest.is_empty() => Ok(rest),
            [first, ..] if *first >= 0x80 => Err("an INTEGER is negative"),
            value => Ok(value),
        }
    }

    /// Succeeds when everything was read.
    pub(crate) fn finish(self) -> Result<(), DerError> {
        if self.data.is_empty() {
            Ok(())
        } else {
            Err("bytes follow the end")
        }
    }
}

/// An OBJECT IDENTIFIER's contents in dotted form, for messages (`?` for contents that are not one).
pub(crate) fn dotted(oid: &[u8]) -> String {
    let mut arcs: Vec<u64> = Vec::new();
    let mut value: u64 = 0;
    let mut fresh = true;
    for &b in oid {
        if fresh && b == 0x80 {
            return "?".to_owned();
        }
        fresh = false;
        let Some(next) = value.checked_mul(128) else {
            return "?".to_owned();
        };
        value = next | u64::from(b & 0x7f);
        if b & 0x80 == 0 {
            arcs.push(value);
            value = 0;
            fresh = true;
        }
    }
    if !fresh || arcs.is_empty() {
        return "?".to_owned();
    }
    let first = arcs[0];
    let (a, b) = if first < 80 {
        (first / 40, first % 40)
    } else {
        (2, first - 80)
    };
    let mut out = format!("{a}.{b}");
    for arc in &arcs[1..] {
        let _ = write!(out, ".{arc}");
    }
    out
}

/// The bit length of a big-endian magnitude without leading zero bytes.
pub(crate) fn bit_len(magnitude: &[u8]) -> usize {
    match magnitude.first() {
        None => 0,
        Some(first) => (magnitude.len() - 1) * 8 + (8 - first.leading_zeros() as usize),
    }
}

/// Whether `signature` is an ECDSA `Ecdsa-Sig-Value`: a SEQUENCE of two positive INTEGERs of at most 48 bytes
/// (P-384's order), in DER.
pub(crate) fn is_ecdsa_signature(signature: &[u8]) -> bool {
    let parse = || -> Result<(), DerError> {
        let mut outer = Reader::new(signature);
        let mut inner = Reader::new(outer.read(SEQUENCE)?);
        outer.finish()?;
        for _ in 0..2 {
            let n = inner.unsigned()?;
            if n.is_empty() || n.len() > 48 || n.iter().all(|&b| b == 0) {
                return Err("not a scalar");
            }
        }
        inner.finish()
    };
    parse().is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(data: &[u8], tag: u8, expected: Result<&[u8], DerError>) {
        let mut reader = Reader::new(data);
        let got = reader.read(tag).and_then(|value| reader.finish().map(|()| value));
        assert_eq!(got, expected, "{data:02x?}");
    }

    #[test]
    fn lengths_are_definite_shortest_and_within_the_input() {
        check(&[0x05, 0x00], NULL, Ok(&[]));
        check(&[0x30, 0x01, 0xaa], SEQUENCE, Ok(&[0xaa]));
        let long: Vec<u8> = [&[0x30u8, 0x81, 0x80][..], &[7; 0x80]].concat();
        check(&long, SEQUENCE, Ok(&[7; 0x80]));
        let two: Vec<u8> = [&[0x30u8, 0x82, 0x01, 0x00][..], &[7; 0x100]].concat();
        check(&two, SEQUENCE, Ok(&[7; 0x100]));
        check(
            &[0x30, 0x81, 0x01, 0xaa],
            SEQUENCE,
            Err("a length is not in its shortest form"),
        );
        check(
            &[0x30, 0x82, 0x00, 0x01, 0xaa],
            SEQUENCE,
            Err("a length is not in its shortest form"),
        );
        check(
            &[0x30, 0x80, 0x00, 0x00],
            SEQUENCE,
            Err("an indefinite length (BER, not DER)"),
        );
        check(
            &[0x30, 0x83, 0, 0, 1, 0],
            SEQUENCE,
            Err("a length of more than two bytes"),
        );
        check(
            &[0x30, 0x02, 0xaa],
            SEQUENCE,
            Err("a length runs past the end of the input"),
        );
        check(&[0x30, 0x81], SEQUENCE, Err("a length is cut off"));
        check(&[0x30], SEQUENCE, Err("a length is missing"));
        check(&[], SEQUENCE, Err("a value is missing at the end"));
        check(&[0x31, 0x00], SEQUENCE, Err("expected a SEQUENCE"));
        check(&[0x30, 0x00, 0x00], SEQUENCE, Err("bytes follow the end"));
        check(&[0x30, 0x00], SET, Err("expected a SET"));
        check(&[0x30, 0x00], CONTEXT_0, Err("expected another tag"));
    }

    #[test]
    fn elements_keep_their_header_and_optional_values_read_only_their_tag() {
        let data = [0x04, 0x01, 0xaa, 0xa0, 0x00];
        let mut reader = Reader::new(&data);
        assert_eq!(reader.optional(CONTEXT_0), Ok(None));
        assert_eq!(reader.element(OCTET_STRING), Ok(&data[..3]));
        assert!(!reader.is_empty());
        assert_eq!(reader.optional(CONTEXT_0), Ok(Some(&[][..])));
        assert!(reader.is_empty());
        assert_eq!(reader.optional(CONTEXT_0), Ok(None));
        assert_eq!(
            Reader::new(&[0xa0, 0x05]).optional(CONTEXT_0),
            Err("a length runs past the end of the input")
        );
    }

    #[test]
    fn integers_are_non_negative_and_shortest() {
        fn read(data: &[u8]) -> Result<&[u8], DerError> {
            Reader::new(data).unsigned()
        }
        assert_eq!(read(&[0x02, 0x01, 0x00]), Ok(&[0x00][..]));
        assert_eq!(read(&[0x02, 0x01, 0x7f]), Ok(&[0x7f][..]));
        assert_eq!(read(&[0x02, 0x02, 0x00, 0x80]), Ok(&[0x80][..]));
        assert_eq!(read(&[0x02, 0x01, 0x80]), Err("an INTEGER is negative"));
        assert_eq!(
            read(&[0x02, 0x02, 0x00, 0x7f]),
            Err("an INTEGER is not in its shortest form")
        );
        assert_eq!(read(&[0x02, 0x00]), Err("an INTEGER is empty"));
    }

    #[test]
    fn bit_strings_are_whole_bytes() {
        assert_eq!(Reader::new(&[0x03, 0x02, 0x00, 0xff]).bit_string(), Ok(&[0xff][..]));
        assert_eq!(
            Reader::new(&[0x03, 0x02, 0x01, 0xfe]).bit_string(),
            Err("a BIT STRING has unused bits")
        );
        assert_eq!(Reader::new(&[0x03, 0x00]).bit_string(), Err("a BIT STRING is empty"));
    }

    #[test]
    fn object_identifiers_read_as_dotted() {
        assert_eq!(dotted(&[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01]), "1.2.840.10045.2.1");
        assert_eq!(dotted(&[0x2b, 0x65, 0x70]), "1.3.101.112");
        assert_eq!(dotted(&[0x88, 0x37]), "2.999");
        assert_eq!(dotted(&[0x2a, 0x86]), "?");
        assert_eq!(dotted(&[0x2a, 0x80, 0x01]), "?");
        assert_eq!(dotted(&[]), "?");
        assert_eq!(dotted(&[0xff; 20]), "?");
    }

    #[test]
    fn ecdsa_signature_shapes() {
        assert!(is_ecdsa_signature(&[0x30, 0x06, 0x02, 0x01, 0x01, 0x02, 0x01, 0x01]));
        assert!(!is_ecdsa_signature(&[0x30, 0x06, 0x02, 0x01, 0x00, 0x02, 0x01, 0x01]));
        assert!(!is_ecdsa_signature(&[0x30, 0x03, 0x02, 0x01, 0x01]));
        assert!(!is_ecdsa_signature(&[0x31, 0x06, 0x02, 0x01, 0x01, 0x02, 0x01, 0x01]));
        assert!(!is_ecdsa_signature(&[
            0x30, 0x06, 0x02, 0x01, 0x01, 0x02, 0x01, 0x01, 0x00
        ]));
        assert_eq!(bit_len(&[0x01, 0x00]), 9);
        assert_eq!(bit_len(&[0x80]), 8);
    }
}
