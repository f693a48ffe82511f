//! [`Payload`]: cosign's simple-signing payload, the JSON that a cosign signature signs.

use oci_digest::Digest;
use serde::Deserialize;

use crate::error::{Error, ErrorKind, quote};

/// The `critical.type` of every cosign image signature.
pub const COSIGN_SIGNATURE_TYPE: &str = "cosign container image signature";

/// The largest payload read. cosign's are a few hundred bytes; `cosign sign -a` annotations make them larger, not
/// this large.
const MAX_PAYLOAD_SIZE: usize = 256 * 1024;

/// A simple-signing payload:
/// `{"critical":{"identity":{"docker-reference":R},"image":{"docker-manifest-digest":D},"type":T},"optional":O}`.
///
/// It is read as containers/image reads simple signing, which is stricter than cosign: exactly the fields above
/// (an unknown or duplicate key is refused, where Go would take the last), `optional` absent, `null` or an object.
/// Only constructed from a payload of [`COSIGN_SIGNATURE_TYPE`] with a valid digest.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Payload {
    digest: Digest,
    docker_reference: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Wire {
    critical: Critical,
    #[serde(default)]
    optional: Option<serde_json::Map<String, serde_json::Value>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Critical {
    identity: Identity,
    image: Image,
    #[serde(rename = "type")]
    kind: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Identity {
    #[serde(rename = "docker-reference")]
    docker_reference: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Image {
    #[serde(rename = "docker-manifest-digest")]
    docker_manifest_digest: String,
}

impl Payload {
    /// Reads a payload.
    ///
    /// Refused: over 256 KiB ([`ErrorKind::TooLarge`]); not the JSON above ([`ErrorKind::Payload`]); another
    /// `critical.type` ([`ErrorKind::PayloadType`]); a `docker-manifest-digest` that is not a digest
    /// ([`ErrorKind::PayloadDigest`]).
    pub fn parse(bytes: &[u8]) -> Result<Self, Error> {
        if bytes.len() > MAX_PAYLOAD_SIZE {
            return Err(Error::new(
                ErrorKind::TooLarge,
                format!(
                    "a signature payload of {} bytes is over the limit of {MAX_PAYLOAD_SIZE} bytes",
                    bytes.len()
                ),
            ));
        }
        let wire: Wire = serde_json::from_slice(bytes).map_err(|err| {
            // serde_json's message can hold the payload's own text (an unknown field's name): quoted, so escaped
            // and cut, with the position apart so the cut never loses it.
            let what = err.to_string();
            let what = what.split(" at line ").next().unwrap_or_default();
            Error::new(
                ErrorKind::Payload,
                format!(
                    "the signature payload is not cosign's simple-signing JSON (line {}, column {}): {}",
                    err.line(),
                    err.column(),
                    quote(what)
                ),
            )
            .with_source(err)
        })?;
        let _ = wire.optional;
        let critical = wire.critical;
        if critical.kind != COSIGN_SIGNATURE_TYPE {
            return Err(Error::new(
                ErrorKind::PayloadType,
                format!(
                    "the signature payload's type is {}, not {}",
                    quote(&critical.kind),
                    quote(COSIGN_SIGNATURE_TYPE)
                ),
            ));
        }
        let text = critical.image.docker_manifest_digest;
        let digest = Digest::parse(&text).map_err(|err| {
            Error::new(
                ErrorKind::PayloadDigest,
                format!(
                    "the signature payload's docker-manifest-digest {} is not a digest",
                    quote(&text)
                ),
            )
            .with_source(err)
        })?;
        Ok(Self {
            digest,
            docker_reference: critical.identity.docker_reference,
        })
    }

    /// The digest signed: `critical.image.docker-manifest-digest`.
    pub fn digest(&self) -> &Digest {
        &self.digest
    }

    /// The repository the signer named, `critical.identity.docker-reference` (foreign text, not checked: cosign
    /// does not check it either, and an image may be copied to another repository with its signatures).
    pub fn docker_reference(&self) -> &str {
        &self.docker_reference
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DIGEST: &str = "sha256:70abd7814edc0fb29aba0378c776e9d43428e2ed3138abf4a47a1df3787b1bc9";

    fn check(json: &str, expected: Result<(&str, &str), ErrorKind>) {
        let got = Payload::parse(json.as_bytes());
        let got = got
            .as_ref()
            .map(|p| (p.digest().as_str(), p.docker_reference()))
            .map_err(Error::kind);
        assert_eq!(got, expected, "{json}");
    }

    fn payload(critical: &str, rest: &str) -> String {
        format!(r#"{{"critical":{critical}{rest}}}"#)
    }

    fn critical(reference: &str, digest: &str, kind: &str) -> String {
        format!(
            r#"{{"identity":{{"docker-reference":"{reference}"}},"image":{{"docker-manifest-digest":"{digest}"}},"type":"{kind}"}}"#
        )
    }

    #[test]
    fn payloads() {
        let good = critical("127.0.0.1:5000/demo", DIGEST, COSIGN_SIGNATURE_TYPE);
        // As cosign 2.5 writes it, byte for byte.
        check(
            &format!(
                r#"{{"critical":{{"identity":{{"docker-reference":"127.0.0.1:5123/demo"}},"image":{{"docker-manifest-digest":"{DIGEST}"}},"type":"cosign container image signature"}},"optional":null}}"#
            ),
            Ok((DIGEST, "127.0.0.1:5123/demo")),
        );
        check(&payload(&good, ""), Ok((DIGEST, "127.0.0.1:5000/demo")));
        check(
            &payload(&good, r#","optional":{"a":"b","n":[1]}"#),
            Ok((DIGEST, "127.0.0.1:5000/demo")),
        );
        check(&payload(&good, r#","optional":"x""#), Err(ErrorKind::Payload));
        check(&payload(&good, r#","extra":1"#), Err(ErrorKind::Payload));
        check(
            &payload(&good, &format!(",\"critical\":{good}")),
            Err(ErrorKind::Payload),
        );
        check(
            &payload(&critical("r", DIGEST, "atomic container signature"), ""),
            Err(ErrorKind::PayloadType),
        );
        check(
            &payload(&critical("r", "sha256:abc", COSIGN_SIGNATURE_TYPE), ""),
            Err(ErrorKind::PayloadDigest),
        );
        check(
            &payload(&critical("r", &DIGEST.to_uppercase(), COSIGN_SIGNATURE_TYPE), ""),
            Err(ErrorKind::PayloadDigest),
        );
        let unknown = good.replacen("{", r#"{"extra":true,"#, 1);
        check(&payload(&unknown, ""), Err(ErrorKind::Payload));
        let capitalised = good.replace("\"type\"", "\"Type\"");
        check(&payload(&capitalised, ""), Err(ErrorKind::Payload));
        check("{}", Err(ErrorKind::Payload));
        check("null", Err(ErrorKind::Payload));
        check("", Err(ErrorKind::Payload));
        check(&format!("{} ", payload(&good, "")), Ok((DIGEST, "127.0.0.1:5000/demo")));
        check(&format!("{} x", payload(&good, "")), Err(ErrorKind::Payload));
        let huge = payload(
            &good,
            &format!(r#","optional":{{"a":"{}"}}"#, "x".repeat(MAX_PAYLOAD_SIZE)),
        );
        check(&huge, Err(ErrorKind::TooLarge));
    }

    #[test]
    fn messages_escape_and_cut_what_the_payload_holds() {
        // Found by the sign_payload_parse fuzz target: an unknown field's name reached the message raw.
        let err = Payload::parse(b"{\"cri\x7ftical\":1}").unwrap_err();
        assert_eq!(
            err.to_string(),
            r#"the signature payload is not cosign's simple-signing JSON (line 1, column 12): "unknown field `cri\u{7f}tical`, expected `critical` or `optional`""#
        );
        let long = format!("{{\"{}\":1}}", "x".repeat(1000));
        assert!(Payload::parse(long.as_bytes()).unwrap_err().to_string().len() < 250);
    }

    #[test]
    fn a_deeply_nested_optional_is_an_error_not_a_stack_overflow() {
        let nested = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
        let good = critical("r", DIGEST, COSIGN_SIGNATURE_TYPE);
        check(
            &payload(&good, &format!(r#","optional":{{"a":{nested}}}"#)),
            Err(ErrorKind::Payload),
        );
    }
}
