//! What the bundle and the trusted root share of protobuf's JSON form: `rawBytes`, `logId`, 64-bit integers
//! written as strings, base64 fields.

use serde::Deserialize;

use crate::encoding::base64_decode;
use crate::error::{Error, ErrorKind};

/// `{"rawBytes": "<base64 DER>"}`.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct RawBytes {
    pub(super) raw_bytes: String,
}

/// `{"keyId": "<base64>"}`.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct RawLogId {
    pub(super) key_id: String,
}

/// A protobuf `int64`: JSON writes it as a string of digits, and readers accept a number too.
#[derive(Deserialize)]
#[serde(untagged)]
pub(super) enum Int64 {
    Text(String),
    Number(i64),
}

impl Int64 {
    /// The value, which must not be negative (log indexes, sizes and times here never are).
    pub(super) fn non_negative(&self, what: &str) -> Result<u64, Error> {
        let value = match self {
            Self::Text(text) => {
                if text.is_empty() || text.len() > 19 || !text.bytes().all(|b| b.is_ascii_digit()) {
                    return Err(Error::new(
                        ErrorKind::Bundle,
                        format!("{what} {} is not a non-negative integer", crate::error::quote(text)),
                    ));
                }
                text.parse::<i64>().ok()
            }
            Self::Number(n) => Some(*n),
        };
        value
            .and_then(|v| u64::try_from(v).ok())
            .ok_or_else(|| Error::new(ErrorKind::Bundle, format!("{what} is negative or too large")))
    }
}

/// Decodes a base64 field, naming it when it is not standard base64. Line breaks are skipped, as Go's decoder (what
/// cosign and sigstore-go read bundles with) skips them: `base64` wraps its output at 76 columns, and a timestamp
/// pasted from it is still the same bytes.
pub(super) fn base64(text: &str, kind: ErrorKind, what: &str) -> Result<Vec<u8>, Error> {
    let decoded = if text.contains(['\r', '\n']) {
        base64_decode(&text.replace(['\r', '\n'], ""))
    } else {
        base64_decode(text)
    };
    decoded.ok_or_else(|| Error::new(kind, format!("{what} is not standard base64")))
}

/// Lowercase hex.
pub(super) fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write as _;
    bytes.iter().fold(String::with_capacity(bytes.len() * 2), |mut out, b| {
        let _ = write!(out, "{b:02x}");
        out
    })
}
