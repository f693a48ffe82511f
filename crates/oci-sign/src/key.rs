//! [`PublicKey`]: a PEM `PUBLIC KEY` (SubjectPublicKeyInfo) for ECDSA P-256 or P-384, RSA or Ed25519, its
//! [`KeyId`], and verification on ring.

use std::fmt;
use std::str::FromStr;

use oci_digest::Digest;
use ring::signature::{self as ring_sig, UnparsedPublicKey, VerificationAlgorithm};

use crate::der::{self, NULL, OID, Reader, SEQUENCE};
use crate::encoding::{pem_decode, pem_encode};
use crate::error::{Error, ErrorKind, quote};

/// The largest PEM text or DER key read: far above an 8192-bit RSA key (about 1.4 KiB of PEM).
const MAX_KEY_SIZE: usize = 64 * 1024;

/// A public key to verify signatures with: only constructed from a well-formed SubjectPublicKeyInfo of a supported
/// algorithm.
///
/// Equality is that of the DER bytes. `Display` writes the PEM block (64-character lines), which
/// [`FromStr`]/[`from_pem`](Self::from_pem) reads back to an equal key. A public key is not a secret, so `Debug`
/// shows the algorithm and the [`KeyId`].
#[derive(Clone, PartialEq, Eq)]
pub struct PublicKey {
    spki: Box<[u8]>,
    /// Where the subjectPublicKey bits start in `spki`: what ring takes (an EC point, an RSAPublicKey, 32 bytes).
    key_start: usize,
    algorithm: KeyAlgorithm,
    id: KeyId,
}

/// The kind of a [`PublicKey`], and so how it verifies.
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum KeyAlgorithm {
    /// ECDSA on P-256; signatures are DER `Ecdsa-Sig-Value`s over SHA-256 (what `cosign generate-key-pair` makes).
    EcdsaP256,
    /// ECDSA on P-384; signatures over SHA-384 or SHA-256 (cosign hashes with SHA-256 whatever the curve).
    EcdsaP384,
    /// RSA with a modulus of 2048 to 8192 bits; PKCS #1 v1.5 or PSS signatures over SHA-256.
    Rsa {
        /// The modulus length.
        bits: u16,
    },
    /// Ed25519 (pure, over the message itself).
    Ed25519,
}

/// Who signed: the SHA-256 of the key's SubjectPublicKeyInfo DER, written `sha256:<hex>` (the form the CLI
/// reports as `signer`). Two PEM files of one key have one id; a project that changes its key gets a new one.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct KeyId(Digest);

// DER contents of the object identifiers read here.
const EC_PUBLIC_KEY: &[u8] = &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01]; // 1.2.840.10045.2.1
const P256: &[u8] = &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07]; // 1.2.840.10045.3.1.7
const P384: &[u8] = &[0x2b, 0x81, 0x04, 0x00, 0x22]; // 1.3.132.0.34
const RSA_ENCRYPTION: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01]; // 1.2.840.113549.1.1.1
const ED25519: &[u8] = &[0x2b, 0x65, 0x70]; // 1.3.101.112

impl PublicKey {
    /// Reads one PEM `PUBLIC KEY` block (a `cosign.pub`), with nothing but white space around it.
    ///
    /// Refused: text over 64 KiB ([`ErrorKind::TooLarge`]), anything but one block ([`ErrorKind::Pem`]), another
    /// label such as a private key or PKCS #1's `RSA PUBLIC KEY` ([`ErrorKind::PemLabel`]), a body that is not
    /// standard base64 ([`ErrorKind::Base64`]), and whatever [`from_spki_der`](Self::from_spki_der) refuses.
    pub fn from_pem(text: &str) -> Result<Self, Error> {
        if text.len() > MAX_KEY_SIZE {
            return Err(too_large(text.len()));
        }
        Self::from_spki_der(&pem_decode(text)?)
    }

    /// Reads a DER SubjectPublicKeyInfo (RFC 5280):
    /// - `id-ecPublicKey` with the named curve P-256 or P-384 and an uncompressed point;
    /// - `rsaEncryption` with NULL parameters and an `RSAPublicKey` of 2048 to 8192 bits and an odd exponent of
    ///   at least 3 and at most 33 bits (what ring verifies with);
    /// - `id-Ed25519` without parameters and 32 key bytes.
    ///
    /// Refused: malformed DER ([`ErrorKind::Der`]), another algorithm or curve ([`ErrorKind::UnsupportedKey`]),
    /// key bytes that do not fit the algorithm ([`ErrorKind::InvalidKey`]).
    pub fn from_spki_der(der: &[u8]) -> Result<Self, Error> {
        if der.len() > MAX_KEY_SIZE {
            return Err(too_large(der.len()));
        }
        let malformed = |why: der::DerError| Error::new(ErrorKind::Der, format!("not a DER public key: {why}"));
        let mut outer = Reader::new(der);
        let mut spki = Reader::new(outer.read(SEQUENCE).map_err(malformed)?);
        outer.finish().map_err(malformed)?;
        let mut algorithm_id = Reader::new(spki.read(SEQUENCE).map_err(malformed)?);
        let bits = spki.bit_string().map_err(malformed)?;
        spki.finish().map_err(malformed)?;
        let oid = algorithm_id.read(OID).map_err(malformed)?;
        let algorithm = match oid {
            EC_PUBLIC_KEY => {
                let curve = algorithm_id.read(OID).map_err(malformed)?;
                let (algorithm, len, name) = match curve {
                    P256 => (KeyAlgorithm::EcdsaP256, 65, "P-256"),
                    P384 => (KeyAlgorithm::EcdsaP384, 97, "P-384"),
                    other => {
                        return Err(Error::new(
                            ErrorKind::UnsupportedKey,
                            format!(
                                "unsupported elliptic curve {}; supported: P-256, P-384",
                                quote(&der::dotted(other))
                            ),
                        ));
                    }
                };
                if bits.first() != Some(&0x04) || bits.len() != len {
                    return Err(Error::new(
                        ErrorKind::InvalidKey,
                        format!(
                            "a {name} public key must be an uncompressed point of {len} bytes starting with 04, \
                             not {} bytes starting with {:02x}",
                            bits.len(),
                            bits.first().copied().unwrap_or_default()
                        ),
                    ));
                }
                algorithm
            }
            RSA_ENCRYPTION => {
                algorithm_id.read(NULL).map_err(malformed).and_then(|null| {
                    if null.is_empty() {
                        Ok(())
                    } else {
                        Err(malformed("NULL has contents"))
                    }
                })?;
                rsa_key(bits)?
            }
            ED25519 => {
                if bits.len() != 32 {
                    return Err(Error::new(
                        ErrorKind::InvalidKey,
                        format!("an Ed25519 public key has 32 bytes, not {}", bits.len()),
                    ));
                }
                KeyAlgorithm::Ed25519
            }
            other => {
                return Err(Error::new(
                    ErrorKind::UnsupportedKey,
                    format!(
                        "unsupported key algorithm {}; supported: ECDSA P-256 and P-384, RSA, Ed25519",
                        quote(&der::dotted(other))
                    ),
                ));
            }
        };
        if algorithm_id.peek().is_some() {
            return Err(malformed("unexpected algorithm parameters"));
        }
        Ok(Self {
            spki: der.into(),
            key_start: der.len() - bits.len(),
            algorithm,
            id: KeyId(Digest::sha256(der)),
        })
    }

    /// What kind of key it is.
    pub fn algorithm(&self) -> KeyAlgorithm {
        self.algorithm
    }

    /// The key's id: SHA-256 of its SubjectPublicKeyInfo DER.
    pub fn id(&self) -> &KeyId {
        &self.id
    }

    /// The SubjectPublicKeyInfo DER the key was read from.
    pub fn spki_der(&self) -> &[u8] {
        &self.spki
    }

    /// Whether `signature` is this key's signature over `message`, as cosign signs (see [`KeyAlgorithm`] for the
    /// hash and padding each kind accepts).
    pub fn verify(&self, message: &[u8], signature: &[u8]) -> bool {
        let key = &self.spki[self.key_start..];
        let algorithms: &[&'static dyn VerificationAlgorithm] = match self.algorithm {
            KeyAlgorithm::EcdsaP256 => &[&ring_sig::ECDSA_P256_SHA256_ASN1],
            KeyAlgorithm::EcdsaP384 => &[&ring_sig::ECDSA_P384_SHA384_ASN1, &ring_sig::ECDSA_P384_SHA256_ASN1],
            KeyAlgorithm::Rsa { .. } => &[
                &ring_sig::RSA_PKCS1_2048_8192_SHA256,
                &ring_sig::RSA_PSS_2048_8192_SHA256,
            ],
            KeyAlgorithm::Ed25519 => &[&ring_sig::ED25519],
        };
        algorithms.iter().any(|&algorithm| {
            UnparsedPublicKey::new(algorithm, key)
                .verify(message, signature)
                .is_ok()
        })
    }
}

impl PublicKey {
    /// Whether `signature` is this key's signature over `message` with the JWS algorithm `alg` (RFC 7518: `ES256`
    /// and `ES384` with their fixed-width `r || s` signatures on the matching curve, `PS256`, `PS384` and `PS512`
    /// on RSA). Any other algorithm, or one that does not fit the key (`ES256` with a P-384 key), is `false`.
    pub(crate) fn verify_jws(&self, alg: &str, message: &[u8], signature: &[u8]) -> bool {
        let algorithm: &'static dyn VerificationAlgorithm = match (alg, self.algorithm) {
            ("ES256", KeyAlgorithm::EcdsaP256) => &ring_sig::ECDSA_P256_SHA256_FIXED,
            ("ES384", KeyAlgorithm::EcdsaP384) => &ring_sig::ECDSA_P384_SHA384_FIXED,
            ("PS256", KeyAlgorithm::Rsa { .. }) => &ring_sig::RSA_PSS_2048_8192_SHA256,
            ("PS384", KeyAlgorithm::Rsa { .. }) => &ring_sig::RSA_PSS_2048_8192_SHA384,
            ("PS512", KeyAlgorithm::Rsa { .. }) => &ring_sig::RSA_PSS_2048_8192_SHA512,
            _ => return false,
        };
        UnparsedPublicKey::new(algorithm, &self.spki[self.key_start..])
            .verify(message, signature)
            .is_ok()
    }
}

/// The hash functions a CMS signature (an RFC 3161 timestamp) may name.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Hash {
    Sha256,
    Sha384,
    Sha512,
}

impl Hash {
    /// The hash named by a digest AlgorithmIdentifier's OID (dotted), if it is one of the three.
    pub(crate) fn from_oid(dotted: &str) -> Option<Self> {
        match dotted {
            "2.16.840.1.101.3.4.2.1" => Some(Self::Sha256),
            "2.16.840.1.101.3.4.2.2" => Some(Self::Sha384),
            "2.16.840.1.101.3.4.2.3" => Some(Self::Sha512),
            _ => None,
        }
    }

    pub(crate) fn digest(self, data: &[u8]) -> ring::digest::Digest {
        let algorithm = match self {
            Self::Sha256 => &ring::digest::SHA256,
            Self::Sha384 => &ring::digest::SHA384,
            Self::Sha512 => &ring::digest::SHA512,
        };
        ring::digest::digest(algorithm, data)
    }
}

impl PublicKey {
    /// Whether `signature` is this key's signature over `message` with `hash`: ECDSA (ASN.1 signatures) on either
    /// curve, RSA PKCS#1 v1.5, or Ed25519 (which hashes by itself: `hash` is not used). RSA-PSS, whose parameters a
    /// CMS signature carries apart, is not.
    pub(crate) fn verify_with(&self, hash: Hash, message: &[u8], signature: &[u8]) -> bool {
        let algorithm: &'static dyn VerificationAlgorithm = match (self.algorithm, hash) {
            (KeyAlgorithm::EcdsaP256, Hash::Sha256) => &ring_sig::ECDSA_P256_SHA256_ASN1,
            (KeyAlgorithm::EcdsaP256, Hash::Sha384) => &ring_sig::ECDSA_P256_SHA384_ASN1,
            (KeyAlgorithm::EcdsaP384, Hash::Sha256) => &ring_sig::ECDSA_P384_SHA256_ASN1,
            (KeyAlgorithm::EcdsaP384, Hash::Sha384) => &ring_sig::ECDSA_P384_SHA384_ASN1,
            (KeyAlgorithm::Rsa { .. }, Hash::Sha256) => &ring_sig::RSA_PKCS1_2048_8192_SHA256,
            (KeyAlgorithm::Rsa { .. }, Hash::Sha384) => &ring_sig::RSA_PKCS1_2048_8192_SHA384,
            (KeyAlgorithm::Rsa { .. }, Hash::Sha512) => &ring_sig::RSA_PKCS1_2048_8192_SHA512,
            (KeyAlgorithm::Ed25519, _) => &ring_sig::ED25519,
            _ => return false,
        };
        UnparsedPublicKey::new(algorithm, &self.spki[self.key_start..])
            .verify(message, signature)
            .is_ok()
    }
}

/// Checks an `RSAPublicKey` as ring will use it, so that an unusable key is refused when read, not when verifying.
fn rsa_key(bits: &[u8]) -> Result<KeyAlgorithm, Error> {
    let malformed = |why: der::DerError| Error::new(ErrorKind::Der, format!("not a DER RSA public key: {why}"));
    let mut outer = Reader::new(bits);
    let mut key = Reader::new(outer.read(SEQUENCE).map_err(malformed)?);
    outer.finish().map_err(malformed)?;
    let modulus = key.unsigned().map_err(malformed)?;
    let exponent = key.unsigned().map_err(malformed)?;
    key.finish().map_err(malformed)?;
    let modulus_bits = der::bit_len(modulus);
    if !(2048..=8192).contains(&modulus_bits) {
        return Err(Error::new(
            ErrorKind::InvalidKey,
            format!("an RSA modulus of {modulus_bits} bits; supported: 2048 to 8192 bits"),
        ));
    }
    let odd = exponent.last().is_some_and(|b| b & 1 == 1);
    let exponent_bits = der::bit_len(exponent);
    if !odd || exponent_bits > 33 || (exponent_bits <= 2 && exponent.last() != Some(&3)) {
        return Err(Error::new(
            ErrorKind::InvalidKey,
            "an RSA public exponent must be odd, at least 3 and at most 33 bits",
        ));
    }
    Ok(KeyAlgorithm::Rsa {
        bits: u16::try_from(modulus_bits).unwrap_or(u16::MAX),
    })
}

fn too_large(len: usize) -> Error {
    Error::new(
        ErrorKind::TooLarge,
        format!("a public key of {len} bytes is over the limit of {MAX_KEY_SIZE} bytes"),
    )
}

impl FromStr for PublicKey {
    type Err = Error;

    /// [`PublicKey::from_pem`].
    fn from_str(text: &str) -> Result<Self, Error> {
        Self::from_pem(text)
    }
}

impl fmt::Display for PublicKey {
    /// The PEM block, ending in a newline.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&pem_encode("PUBLIC KEY", &self.spki))
    }
}

impl fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PublicKey")
            .field("algorithm", &self.algorithm)
            .field("id", &self.id.0.as_str())
            .finish()
    }
}

impl KeyId {
    /// The id as a digest (always sha256).
    pub fn digest(&self) -> &Digest {
        &self.0
    }
}

impl fmt::Display for KeyId {
    /// `sha256:<hex>`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0.as_str())
    }
}

impl fmt::Display for KeyAlgorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::EcdsaP256 => f.write_str("ECDSA P-256"),
            Self::EcdsaP384 => f.write_str("ECDSA P-384"),
            Self::Rsa { bits } => write!(f, "RSA {bits}"),
            Self::Ed25519 => f.write_str("Ed25519"),
        }
    }
}
