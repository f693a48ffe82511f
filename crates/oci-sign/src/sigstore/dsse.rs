//! DSSE: the pre-authentication encoding a signature covers, and the in-toto statement's subjects.

use serde::Deserialize;
use std::collections::BTreeMap;

use crate::error::{Error, ErrorKind, quote};

/// The payload type of an in-toto statement.
pub(super) const IN_TOTO: &str = "application/vnd.in-toto+json";

/// The most subjects one statement may name.
const MAX_SUBJECTS: usize = 1024;

/// DSSE's `PAE(type, body) = "DSSEv1" SP LEN(type) SP type SP LEN(body) SP body`, lengths in ASCII decimal.
pub(super) fn pae(payload_type: &str, payload: &[u8]) -> Vec<u8> {
    let mut out = format!("DSSEv1 {} {payload_type} {} ", payload_type.len(), payload.len()).into_bytes();
    out.extend_from_slice(payload);
    out
}

#[derive(Deserialize)]
struct Statement {
    #[serde(rename = "_type")]
    statement_type: String,
    subject: Vec<Subject>,
}

#[derive(Deserialize)]
struct Subject {
    #[serde(default)]
    digest: BTreeMap<String, String>,
}

/// Whether the in-toto statement `payload` names `hex` (the artifact's digest, lowercase hex) under `algorithm`
/// (`sha256`, ...) among its subjects.
pub(super) fn statement_names(payload: &[u8], algorithm: &str, hex: &str) -> Result<(), Error> {
    let statement: Statement = serde_json::from_slice(payload).map_err(|err| {
        Error::new(
            ErrorKind::Bundle,
            format!("the DSSE payload is not an in-toto statement: {err}"),
        )
        .with_source(err)
    })?;
    if !statement.statement_type.starts_with("https://in-toto.io/Statement/") {
        return Err(Error::new(
            ErrorKind::Bundle,
            format!(
                "the DSSE payload's _type {} is not an in-toto statement",
                quote(&statement.statement_type)
            ),
        ));
    }
    if statement.subject.len() > MAX_SUBJECTS {
        return Err(Error::new(
            ErrorKind::TooLarge,
            format!(
                "an in-toto statement with {} subjects; the limit is {MAX_SUBJECTS}",
                statement.subject.len()
            ),
        ));
    }
    let named = statement.subject.iter().any(|subject| {
        subject
            .digest
            .get(algorithm)
            .is_some_and(|value| value.eq_ignore_ascii_case(hex))
    });
    if named {
        Ok(())
    } else {
        Err(Error::new(
            ErrorKind::ArtifactMismatch,
            format!("the in-toto statement's subjects do not name the artifact's digest {algorithm}:{hex}"),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pae_is_dssev1_with_lengths() {
        assert_eq!(pae("a/b", b"hello"), b"DSSEv1 3 a/b 5 hello");
        assert_eq!(pae("", b""), b"DSSEv1 0  0 ");
    }

    #[test]
    fn a_statement_names_its_subjects_digests_only() {
        let statement = br#"{"_type":"https://in-toto.io/Statement/v1","subject":[{"name":"a","digest":{"sha256":"AB12"}}],"predicateType":"x"}"#;
        statement_names(statement, "sha256", "ab12").unwrap();
        let other = statement_names(statement, "sha256", "ab13").unwrap_err();
        assert_eq!(other.kind(), ErrorKind::ArtifactMismatch);
        assert_eq!(
            statement_names(statement, "sha512", "ab12").unwrap_err().kind(),
            ErrorKind::ArtifactMismatch
        );
        let not_statement = br#"{"_type":"something else","subject":[]}"#;
        assert_eq!(
            statement_names(not_statement, "sha256", "ab12").unwrap_err().kind(),
            ErrorKind::Bundle
        );
        assert_eq!(
            statement_names(b"[]", "sha256", "ab12").unwrap_err().kind(),
            ErrorKind::Bundle
        );
    }
}
