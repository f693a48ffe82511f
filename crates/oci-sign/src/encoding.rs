//! Strict base64 (RFC 4648's standard alphabet, padding required, nothing else) and PEM armor (RFC 7468's strict
//! form): what cosign writes for keys and signature annotations, and nothing looser, so one signature has one
//! encoding.

use crate::error::{Error, ErrorKind, quote};

const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// Encodes with the standard alphabet and padding.
pub(crate) fn base64_encode(input: &[u8]) -> String {
    let mut out = String::with_capacity(input.len().div_ceil(3) * 4);
    for chunk in input.chunks(3) {
        let b = [chunk[0], *chunk.get(1).unwrap_or(&0), *chunk.get(2).unwrap_or(&0)];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(char::from(ALPHABET[(n >> (18 - 6 * i)) as usize & 63]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// Decodes base64url without padding (RFC 7515's `BASE64URL`, as JWS writes its parts), with the same strictness
/// as [`base64_decode`]: only the URL-safe alphabet, no `=`, and zero unused bits.
pub(crate) fn base64url_decode(input: &str) -> Option<Vec<u8>> {
    if input.bytes().any(|b| matches!(b, b'+' | b'/' | b'=')) || input.len() % 4 == 1 {
        return None;
    }
    let mut standard: String = input
        .chars()
        .map(|c| match c {
            '-' => '+',
            '_' => '/',
            other => other,
        })
        .collect();
    while standard.len() % 4 != 0 {
        standard.push('=');
    }
    base64_decode(&standard)
}

/// Decodes standard base64 with padding: a length that is a multiple of 4, `=` only at the end, and the unused
/// bits of the last character zero (so that every byte string has exactly one accepted encoding).
pub(crate) fn base64_decode(input: &str) -> Option<Vec<u8>> {
    let bytes = input.as_bytes();
    if bytes.len() % 4 != 0 {
        return None;
    }
    let mut out = Vec::with_capacity(bytes.len() / 4 * 3);
    let chunks = bytes.len() / 4;
    for (index, chunk) in bytes.chunks(4).enumerate() {
        let last = index + 1 == chunks;
        let padding = if last {
            chunk.iter().rev().take_while(|&&b| b == b'=').count()
        } else {
            0
        };
        if padding > 2 {
            return None;
        }
        let mut n: u32 = 0;
        for &b in &chunk[..4 - padding] {
            n = (n << 6) | u32::from(value(b)?);
        }
        n <<= 6 * padding as u32;
        let decoded = [(n >> 16) as u8, (n >> 8) as u8, n as u8];
        let keep = 3 - padding;
        // The bits the padding leaves over must be zero.
        if decoded[keep..].iter().any(|&b| b != 0) {
            return None;
        }
        out.extend_from_slice(&decoded[..keep]);
    }
    Some(out)
}

fn value(b: u8) -> Option<u8> {
    match b {
        b'A'..=b'Z' => Some(b - b'A'),
        b'a'..=b'z' => Some(b - b'a' + 26),
        b'0'..=b'9' => Some(b - b'0' + 52),
        b'+' => Some(62),
        b'/' => Some(63),
        _ => None,
    }
}

/// Reads exactly one PEM `PUBLIC KEY` block and gives its decoded body, with nothing but white space around it. Lines may end in `\n` or `\r\n`; the body's
/// lines are base64 of any length (RFC 7468 section 3's strict form writes 64, other writers 76) and are decoded
/// as one string, so the padding may only end the body.
pub(crate) fn pem_decode(text: &str) -> Result<Vec<u8>, Error> {
    let pem = |why: &str| Error::new(ErrorKind::Pem, format!("not a PEM public key: {why}"));
    let mut lines = text.trim().lines().map(|line| line.strip_suffix('\r').unwrap_or(line));
    let first = lines.next().unwrap_or_default();
    let label = first
        .strip_prefix("-----BEGIN ")
        .and_then(|rest| rest.strip_suffix("-----"))
        .ok_or_else(|| {
            pem(&format!(
                "the first line {} is not `-----BEGIN PUBLIC KEY-----`",
                quote(first)
            ))
        })?;
    if label.is_empty() || !label.bytes().all(|b| b.is_ascii_uppercase() || b == b' ') {
        return Err(pem(&format!("the label {} is not a PEM label", quote(label))));
    }
    let end = format!("-----END {label}-----");
    let mut body = String::new();
    let mut ended = false;
    for line in lines.by_ref() {
        if line == end {
            ended = true;
            break;
        }
        if line.starts_with("-----") {
            return Err(pem(&format!("{} does not end the {} block", quote(line), quote(label))));
        }
        body.push_str(line.trim_end_matches([' ', '\t']));
    }
    if !ended {
        return Err(pem(&format!("no line {} ends the block", quote(&end))));
    }
    if lines.next().is_some() {
        return Err(pem("text follows the block; give one key per PEM text"));
    }
    if label != "PUBLIC KEY" {
        let hint = match label {
            "RSA PUBLIC KEY" => "; convert it with `openssl rsa -RSAPublicKey_in -pubout`",
            "CERTIFICATE" => "; give the certificate's public key (`openssl x509 -pubkey -noout`)",
            _ if label.contains("PRIVATE") => "; give the public key (cosign.pub), never the private one",
            _ => "",
        };
        return Err(Error::new(
            ErrorKind::PemLabel,
            format!("the PEM block is {}, not a PUBLIC KEY{hint}", quote(label)),
        ));
    }
    base64_decode(&body).ok_or_else(|| Error::new(ErrorKind::Base64, "the PEM block's body is not standard base64"))
}

/// The PEM block of `label` for `der`, in lines of 64 characters.
pub(crate) fn pem_encode(label: &str, der: &[u8]) -> String {
    let body = base64_encode(der);
    let mut out = format!("-----BEGIN {label}-----\n");
    for line in body.as_bytes().chunks(64) {
        // The encoding is ASCII, so any cut is at a character boundary.
        out.push_str(std::str::from_utf8(line).unwrap_or_default());
        out.push('\n');
    }
    out.push_str(&format!("-----END {label}-----\n"));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc4648_vectors_and_one_encoding_each() {
        for (plain, encoded) in [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg=="),
            ("fooba", "Zm9vYmE="),
            ("foobar", "Zm9vYmFy"),
        ] {
            assert_eq!(base64_encode(plain.as_bytes()), encoded);
            assert_eq!(base64_decode(encoded).as_deref(), Some(plain.as_bytes()));
        }
        // Missing padding, the URL alphabet, stray bits, white space, padding in the middle, too much padding.
        for bad in [
            "Zg", "Zm8", "-_8=", "Zh==", "Zm9=", "Zm 9v", "Zg==Zg==", "Z===", "====", "Zm9v\n",
        ] {
            assert_eq!(base64_decode(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn every_length_round_trips() {
        let data: Vec<u8> = (0..=255).collect();
        for len in 0..data.len() {
            assert_eq!(
                base64_decode(&base64_encode(&data[..len])).as_deref(),
                Some(&data[..len])
            );
        }
    }

    fn check_pem(text: &str, expected: Result<&[u8], ErrorKind>) {
        let got = pem_decode(text).map_err(|err| err.kind());
        assert_eq!(got.as_deref().map_err(|kind| *kind), expected, "{text:?}");
    }

    #[test]
    fn pem_blocks() {
        check_pem(
            "-----BEGIN PUBLIC KEY-----\nZm9v\n-----END PUBLIC KEY-----\n",
            Ok(b"foo"),
        );
        check_pem(
            "\n  -----BEGIN PUBLIC KEY-----\r\nZm9v\r\nYg==\r\n-----END PUBLIC KEY-----",
            Ok(b"foob"),
        );
        check_pem("-----BEGIN PUBLIC KEY-----\n-----END PUBLIC KEY-----\n", Ok(b""));
        check_pem(
            "-----BEGIN PUBLIC KEY-----\nZg==\nZg==\n-----END PUBLIC KEY-----\n",
            Err(ErrorKind::Base64),
        );
        check_pem("-----BEGIN PUBLIC KEY-----\nZm9v\n", Err(ErrorKind::Pem));
        check_pem(
            "-----BEGIN PUBLIC KEY-----\nZm9v\n-----END PRIVATE KEY-----\n",
            Err(ErrorKind::Pem),
        );
        check_pem("Zm9v", Err(ErrorKind::Pem));
        check_pem("", Err(ErrorKind::Pem));
        check_pem("-----BEGIN -----\n-----END -----\n", Err(ErrorKind::Pem));
        let two = "-----BEGIN PUBLIC KEY-----\nZm9v\n-----END PUBLIC KEY-----\n";
        check_pem(&format!("{two}{two}"), Err(ErrorKind::Pem));
        check_pem(
            "-----BEGIN EC PRIVATE KEY-----\nZm9v\n-----END EC PRIVATE KEY-----\n",
            Err(ErrorKind::PemLabel),
        );
        check_pem(
            "-----BEGIN RSA PUBLIC KEY-----\nZm9v\n-----END RSA PUBLIC KEY-----\n",
            Err(ErrorKind::PemLabel),
        );
    }

    #[test]
    fn pem_encoding_reads_back() {
        let der: Vec<u8> = (0..200).map(|i| (i * 7) as u8).collect();
        let text = pem_encode("PUBLIC KEY", &der);
        assert!(text.lines().all(|line| line.len() <= 64));
        assert_eq!(pem_decode(&text).ok(), Some(der));
    }
}
