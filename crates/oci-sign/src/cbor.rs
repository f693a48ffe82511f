//! A small strict CBOR reader (RFC 8949) for COSE envelopes: definite lengths only, at most 16 levels deep, no
//! duplicate map keys, nothing after the end; and the one encoding COSE needs, its `Sig_structure`.

/// A CBOR data item, borrowing its strings from the input.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Cbor<'a> {
    /// An unsigned integer (major type 0).
    Unsigned(u64),
    /// A negative integer `-1 - n` (major type 1), as `n`.
    Negative(u64),
    Bytes(&'a [u8]),
    Text(&'a str),
    Array(Vec<Self>),
    Map(Vec<(Self, Self)>),
    Tag(u64, Box<Self>),
    /// A simple value or a float (major type 7), kept only as its additional information.
    Simple(u8),
}

/// What is wrong with the CBOR, for the message.
pub(crate) type CborError = &'static str;

/// The deepest nesting read.
const MAX_DEPTH: usize = 16;

/// Reads exactly one data item, the whole of `data`.
pub(crate) fn decode(data: &[u8]) -> Result<Cbor<'_>, CborError> {
    let mut reader = Reader { data, at: 0 };
    let item = reader.item(0)?;
    if reader.at != data.len() {
        return Err("bytes follow the end");
    }
    Ok(item)
}

struct Reader<'a> {
    data: &'a [u8],
    at: usize,
}

impl<'a> Reader<'a> {
    fn byte(&mut self) -> Result<u8, CborError> {
        let byte = *self.data.get(self.at).ok_or("the input ends inside an item")?;
        self.at += 1;
        Ok(byte)
    }

    fn take(&mut self, len: u64) -> Result<&'a [u8], CborError> {
        let len = usize::try_from(len).map_err(|_| "a length runs past the end of the input")?;
        let end = self.at.checked_add(len).filter(|end| *end <= self.data.len());
        let end = end.ok_or("a length runs past the end of the input")?;
        let slice = &self.data[self.at..end];
        self.at = end;
        Ok(slice)
    }

    /// The argument of an item whose additional information is `info`.
    fn argument(&mut self, info: u8) -> Result<u64, CborError> {
        Ok(match info {
            0..=23 => u64::from(info),
            24 => u64::from(self.byte()?),
            25 => u64::from(u16::from_be_bytes(self.take(2)?.try_into().expect("two bytes"))),
            26 => u64::from(u32::from_be_bytes(self.take(4)?.try_into().expect("four bytes"))),
            27 => u64::from_be_bytes(self.take(8)?.try_into().expect("eight bytes")),
            31 => return Err("an indefinite length (not read here)"),
            _ => return Err("a reserved additional information value"),
        })
    }

    /// A count of items that at least that many bytes must follow (each item takes one byte or more), so that a
    /// forged count cannot make the reader reserve memory the input does not back.
    fn count(&self, count: u64, per_item: usize) -> Result<usize, CborError> {
        let left = self.data.len() - self.at;
        usize::try_from(count)
            .ok()
            .filter(|count| count.checked_mul(per_item).is_some_and(|bytes| bytes <= left))
            .ok_or("a count runs past the end of the input")
    }

    fn item(&mut self, depth: usize) -> Result<Cbor<'a>, CborError> {
        if depth > MAX_DEPTH {
            return Err("items nested too deep");
        }
        let initial = self.byte()?;
        let (major, info) = (initial >> 5, initial & 0x1f);
        if major == 7 {
            // Simple values and floats: their argument is read (and skipped) like an integer's.
            self.argument(info)?;
            return Ok(Cbor::Simple(info));
        }
        let argument = self.argument(info)?;
        Ok(match major {
            0 => Cbor::Unsigned(argument),
            1 => Cbor::Negative(argument),
            2 => Cbor::Bytes(self.take(argument)?),
            3 => Cbor::Text(std::str::from_utf8(self.take(argument)?).map_err(|_| "a text string is not UTF-8")?),
            4 => {
                let count = self.count(argument, 1)?;
                let mut items = Vec::with_capacity(count);
                for _ in 0..count {
                    items.push(self.item(depth + 1)?);
                }
                Cbor::Array(items)
            }
            5 => {
                let count = self.count(argument, 2)?;
                let mut entries: Vec<(Cbor<'a>, Cbor<'a>)> = Vec::with_capacity(count);
                for _ in 0..count {
                    let key = self.item(depth + 1)?;
                    if entries.iter().any(|(known, _)| *known == key) {
                        return Err("a map key appears twice");
                    }
                    let value = self.item(depth + 1)?;
                    entries.push((key, value));
                }
                Cbor::Map(entries)
            }
            _ => Cbor::Tag(argument, Box::new(self.item(depth + 1)?)),
        })
    }
}

impl<'a> Cbor<'a> {
    /// The value of `key` in a map (`None` for another item, or a map without it).
    pub(crate) fn get(&self, key: &Cbor<'_>) -> Option<&Self> {
        match self {
            Self::Map(entries) => entries.iter().find(|(k, _)| k == key).map(|(_, value)| value),
            _ => None,
        }
    }

    /// The integer value, if it is one that fits an `i64`.
    pub(crate) fn integer(&self) -> Option<i64> {
        match *self {
            Self::Unsigned(n) => i64::try_from(n).ok(),
            Self::Negative(n) => i64::try_from(n).ok().map(|n| -1 - n),
            _ => None,
        }
    }
}

/// COSE's `Sig_structure` for a `COSE_Sign1` (RFC 9052, 4.4): the array `["Signature1", protected, h'', payload]`,
/// encoded, which is what is signed.
pub(crate) fn sig_structure(protected: &[u8], payload: &[u8]) -> Vec<u8> {
    let mut out = vec![0x84];
    head(&mut out, 3, 10);
    out.extend_from_slice(b"Signature1");
    for bytes in [protected, &[], payload] {
        head(&mut out, 2, bytes.len() as u64);
        out.extend_from_slice(bytes);
    }
    out
}

/// An item's head: major type and argument, in the shortest form.
fn head(out: &mut Vec<u8>, major: u8, argument: u64) {
    let major = major << 5;
    match argument {
        0..=23 => out.push(major | argument as u8),
        24..=0xff => out.extend_from_slice(&[major | 24, argument as u8]),
        0x100..=0xffff => {
            out.push(major | 25);
            out.extend_from_slice(&(argument as u16).to_be_bytes());
        }
        0x1_0000..=0xffff_ffff => {
            out.push(major | 26);
            out.extend_from_slice(&(argument as u32).to_be_bytes());
        }
        _ => {
            out.push(major | 27);
            out.extend_from_slice(&argument.to_be_bytes());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn items_read_as_rfc_8949_writes_them() {
        // RFC 8949, appendix A.
        assert_eq!(decode(&[0x00]), Ok(Cbor::Unsigned(0)));
        assert_eq!(decode(&[0x18, 0x64]), Ok(Cbor::Unsigned(100)));
        assert_eq!(decode(&[0x39, 0x03, 0xe7]), Ok(Cbor::Negative(999)));
        assert_eq!(decode(&[0x38, 0x24]).unwrap().integer(), Some(-37));
        assert_eq!(decode(&[0x43, 1, 2, 3]), Ok(Cbor::Bytes(&[1, 2, 3])));
        assert_eq!(decode(&[0x62, b'I', b'E']), Ok(Cbor::Text("IE")));
        assert_eq!(
            decode(&[0x83, 0x01, 0x82, 0x02, 0x03, 0x82, 0x04, 0x05]),
            Ok(Cbor::Array(vec![
                Cbor::Unsigned(1),
                Cbor::Array(vec![Cbor::Unsigned(2), Cbor::Unsigned(3)]),
                Cbor::Array(vec![Cbor::Unsigned(4), Cbor::Unsigned(5)]),
            ]))
        );
        let map = decode(&[0xa2, 0x01, 0x02, 0x61, b'a', 0xf5]).unwrap();
        assert_eq!(map.get(&Cbor::Unsigned(1)), Some(&Cbor::Unsigned(2)));
        assert_eq!(map.get(&Cbor::Text("a")), Some(&Cbor::Simple(21)));
        assert_eq!(
            decode(&[0xc1, 0x1a, 0x51, 0x4b, 0x67, 0xb0]),
            Ok(Cbor::Tag(1, Box::new(Cbor::Unsigned(1_363_896_240))))
        );
        assert_eq!(decode(&[0xfb, 0, 0, 0, 0, 0, 0, 0, 0]), Ok(Cbor::Simple(27)));
    }

    #[test]
    fn malformed_items_are_refused() {
        for (data, why) in [
            (&[][..], "the input ends inside an item"),
            (&[0x00, 0x00], "bytes follow the end"),
            (&[0x5f, 0x41, 0x00, 0xff], "an indefinite length (not read here)"),
            (&[0x1c], "a reserved additional information value"),
            (&[0x44, 1, 2], "a length runs past the end of the input"),
            (&[0x62, 0xff, 0xfe], "a text string is not UTF-8"),
            (
                &[0x9b, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff],
                "a count runs past the end of the input",
            ),
            (&[0xa2, 0x01, 0x02, 0x01, 0x03], "a map key appears twice"),
        ] {
            assert_eq!(decode(data), Err(why), "{data:02x?}");
        }
        let deep = [0x81; 40];
        assert_eq!(decode(&deep), Err("items nested too deep"));
    }

    #[test]
    fn the_sig_structure_is_the_four_item_array() {
        let encoded = sig_structure(&[0xa0], b"payload");
        assert_eq!(
            decode(&encoded),
            Ok(Cbor::Array(vec![
                Cbor::Text("Signature1"),
                Cbor::Bytes(&[0xa0]),
                Cbor::Bytes(&[]),
                Cbor::Bytes(b"payload"),
            ]))
        );
        let long = vec![7; 300];
        assert_eq!(
            decode(&sig_structure(&[], &long)).unwrap(),
            Cbor::Array(vec![
                Cbor::Text("Signature1"),
                Cbor::Bytes(&[]),
                Cbor::Bytes(&[]),
                Cbor::Bytes(&long)
            ])
        );
    }
}
