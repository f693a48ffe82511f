//! The tags signatures are found under: cosign's legacy [`SignatureTag`] and the OCI referrers tag schema's
//! [`ReferrersTag`].

use std::fmt;
use std::str::FromStr;

use oci_digest::{Algorithm, Digest};

use crate::error::{Error, ErrorKind, quote};

/// cosign's legacy signature tag for a digest: `sha256-<hex>.sig` (the digest with `:` made `-`, then `.sig`).
///
/// `Display` and [`FromStr`] round-trip exactly. A sha512 digest's tag has 135 characters, more than a registry
/// takes (128); cosign writes it all the same, and so does this type.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SignatureTag {
    digest: Digest,
}

/// The OCI referrers tag schema's tag for a digest (distribution spec 1.1, for registries without the referrers
/// API): `<algorithm>-<encoded>`, the encoded part cut to 64 characters. The index under it lists the digest's
/// referrers, cosign's OCI 1.1 signatures among them.
///
/// A cut tag does not name its digest; [`matches`](Self::matches) says whether it is a digest's. `Display` and
/// [`FromStr`] round-trip exactly.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ReferrersTag {
    algorithm: Algorithm,
    /// Lower-case hex, as long as the algorithm's encoding but at most 64 characters.
    encoded: Box<str>,
}

/// The longest encoded part the referrers tag schema keeps.
const REFERRERS_CUT: usize = 64;

impl SignatureTag {
    /// The signature tag of `digest`.
    pub fn new(digest: &Digest) -> Self {
        Self { digest: digest.clone() }
    }

    /// The digest whose signatures the tag holds.
    pub fn digest(&self) -> &Digest {
        &self.digest
    }
}

impl fmt::Display for SignatureTag {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{}.sig", self.digest.algorithm().name(), self.digest.encoded())
    }
}

impl FromStr for SignatureTag {
    type Err = Error;

    /// Reads `<algorithm>-<hex>.sig` as [`Display`](fmt::Display) writes it: a supported algorithm and lower-case
    /// hex of its full length ([`ErrorKind::Tag`] otherwise).
    fn from_str(tag: &str) -> Result<Self, Error> {
        let digest = tag
            .strip_suffix(".sig")
            .and_then(|rest| rest.split_once('-'))
            .and_then(|(algorithm, encoded)| Digest::parse(&format!("{algorithm}:{encoded}")).ok())
            .ok_or_else(|| {
                Error::new(
                    ErrorKind::Tag,
                    format!("{} is not a cosign signature tag (sha256-<64 hex>.sig)", quote(tag)),
                )
            })?;
        Ok(Self { digest })
    }
}

impl ReferrersTag {
    /// The referrers tag of `digest`.
    pub fn new(digest: &Digest) -> Self {
        let encoded = digest.encoded();
        Self {
            algorithm: digest.algorithm(),
            encoded: encoded[..encoded.len().min(REFERRERS_CUT)].into(),
        }
    }

    /// The algorithm of the digests it can be the tag of.
    pub fn algorithm(&self) -> Algorithm {
        self.algorithm
    }

    /// Whether this is `digest`'s referrers tag.
    pub fn matches(&self, digest: &Digest) -> bool {
        *self == Self::new(digest)
    }
}

impl fmt::Display for ReferrersTag {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{}", self.algorithm.name(), self.encoded)
    }
}

impl FromStr for ReferrersTag {
    type Err = Error;

    /// Reads `<algorithm>-<hex>` as [`Display`](fmt::Display) writes it: a supported algorithm and lower-case hex
    /// of its encoded length cut to 64 ([`ErrorKind::Tag`] otherwise).
    fn from_str(tag: &str) -> Result<Self, Error> {
        let refused = || {
            Error::new(
                ErrorKind::Tag,
                format!("{} is not a referrers tag (sha256-<64 hex>)", quote(tag)),
            )
        };
        let (name, encoded) = tag.split_once('-').ok_or_else(refused)?;
        let algorithm = Algorithm::from_name(name).ok_or_else(refused)?;
        let hex = encoded
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
        if !hex || encoded.len() != algorithm.encoded_len().min(REFERRERS_CUT) {
            return Err(refused());
        }
        Ok(Self {
            algorithm,
            encoded: encoded.into(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEX: &str = "70abd7814edc0fb29aba0378c776e9d43428e2ed3138abf4a47a1df3787b1bc9";

    #[test]
    fn tags_of_a_digest() {
        let digest = Digest::parse(&format!("sha256:{HEX}")).unwrap();
        assert_eq!(SignatureTag::new(&digest).to_string(), format!("sha256-{HEX}.sig"));
        assert_eq!(ReferrersTag::new(&digest).to_string(), format!("sha256-{HEX}"));
        let long = Digest::compute(Algorithm::Sha512, b"x");
        let tag = ReferrersTag::new(&long);
        assert_eq!(tag.to_string(), format!("sha512-{}", &long.encoded()[..64]));
        assert!(tag.matches(&long));
        assert!(!tag.matches(&Digest::compute(Algorithm::Sha512, b"y")));
        assert!(!ReferrersTag::new(&digest).matches(&Digest::sha256(b"y")));
    }

    #[test]
    fn tags_that_are_not_signature_or_referrers_tags() {
        for bad in [
            "latest".to_owned(),
            format!("sha256-{HEX}"),
            format!("sha256-{HEX}.att"),
            format!("sha256:{HEX}.sig"),
            format!("sha256-{}.sig", HEX.to_uppercase()),
            format!("sha256-{}.sig", &HEX[1..]),
            format!("md5-{HEX}.sig"),
        ] {
            assert_eq!(
                bad.parse::<SignatureTag>().map_err(|e| e.kind()),
                Err(ErrorKind::Tag),
                "{bad}"
            );
        }
        for bad in [
            "latest".to_owned(),
            format!("sha256-{HEX}.sig"),
            format!("sha256-{}", HEX.to_uppercase()),
            format!("sha256-{}", &HEX[1..]),
            format!("sha512-{HEX}{HEX}"),
            format!("sha256:{HEX}"),
            "sha256-".to_owned(),
        ] {
            assert_eq!(
                bad.parse::<ReferrersTag>().map_err(|e| e.kind()),
                Err(ErrorKind::Tag),
                "{bad}"
            );
        }
    }
}
