//! X.509 certificates, for the signatures that carry one (Sigstore's Fulcio certificates, notation's `x5c` chains):
//! a [`Certificate`] read strictly from DER or PEM, with the few fields a verifier asks about, and
//! [`Certificate::verify_path`], which checks that a trusted root issued it at a given time.
//!
//! The key decision: nothing here builds or checks a path by hand. x509-parser reads the fields (the names in the
//! subject alternative name, Sigstore's own extensions, the validity), and rustls-webpki, the path builder rustls
//! trusts for every TLS connection of this workspace, checks the chain on ring: signatures, validity at the given
//! time, basic constraints, path length, name constraints and the extended key usage. A certificate either reads
//! and verifies through both or is refused with a typed [`Error`].

use std::fmt;

use rustls_pki_types::{CertificateDer, UnixTime};
use webpki::{EndEntityCert, KeyUsage};
use x509_parser::extensions::{GeneralName, ParsedExtension};

use crate::encoding::base64_decode;
use crate::error::{Error, ErrorKind, quote};
use crate::key::PublicKey;

/// The largest certificate read (DER bytes). Fulcio's are about 1 KiB, a CA's with many names a few KiB.
pub const MAX_CERTIFICATE: usize = 64 * 1024;

/// The most certificates one PEM text or chain may hold.
pub const MAX_CHAIN: usize = 16;

/// `id-kp-codeSigning` (1.3.6.1.5.5.7.3.3), the extended key usage of Fulcio's and notation's signing certificates,
/// as webpki wants it: the OID's content octets.
const CODE_SIGNING: &[u8] = &[0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x03, 0x03];

/// `id-kp-timeStamping` (1.3.6.1.5.5.7.3.8), the extended key usage RFC 3161 requires of a timestamp authority's
/// certificate.
const TIME_STAMPING: &[u8] = &[0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x03, 0x08];

/// What the leaf certificate of a path must be good for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Usage {
    /// Code signing, and the extended key usage must say so (Fulcio's certificates always do).
    CodeSigning,
    /// Code signing when the certificate names extended key usages at all (notation's rule: a leaf without the
    /// extension may sign anything).
    CodeSigningIfPresent,
    /// Time stamping (RFC 3161), and the extended key usage must say so.
    TimeStamping,
}

/// An X.509 certificate read from DER: its bytes and the fields the verifiers here use.
///
/// `Debug` shows the subject, the names and the validity, never the whole DER.
#[derive(Clone, PartialEq, Eq)]
pub struct Certificate {
    der: Box<[u8]>,
    subject: Box<str>,
    /// The subject's attributes, `(type, value)`: the type by its short name (`CN`, `O`, `C`...) or dotted OID.
    subject_attributes: Vec<(Box<str>, Box<str>)>,
    not_before: i64,
    not_after: i64,
    emails: Vec<Box<str>>,
    uris: Vec<Box<str>>,
    extensions: Vec<(Box<str>, Box<[u8]>)>,
    is_ca: bool,
    /// `None` without the extension, else whether it names code signing.
    code_signing: Option<bool>,
    /// Whether the extended key usage extension names time stamping.
    time_stamping: bool,
    /// `None` without the key usage extension, else whether it has `digitalSignature`.
    digital_signature: Option<bool>,
    /// The issuer's distinguished name as encoded, the serial number's INTEGER contents, and the subject key
    /// identifier: what a CMS signer identifier names a certificate by.
    issuer_der: Box<[u8]>,
    serial: Box<[u8]>,
    subject_key_id: Option<Box<[u8]>>,
    spki: Box<[u8]>,
}

impl Certificate {
    /// Reads one DER certificate, the whole of `der`.
    pub fn from_der(der: &[u8]) -> Result<Self, Error> {
        if der.len() > MAX_CERTIFICATE {
            return Err(Error::new(
                ErrorKind::TooLarge,
                format!("a certificate of {} bytes; the limit is {MAX_CERTIFICATE}", der.len()),
            ));
        }
        let malformed = |why: String| Error::new(ErrorKind::Certificate, format!("not a DER X.509 certificate: {why}"));
        let (rest, cert) = x509_parser::parse_x509_certificate(der).map_err(|e| malformed(e.to_string()))?;
        if !rest.is_empty() {
            return Err(malformed(format!("{} bytes follow the certificate", rest.len())));
        }
        // webpki reads it too (the path check needs it to), so a certificate one parser accepts and the other refuses
        // is refused here, not halfway through a verification.
        EndEntityCert::try_from(&CertificateDer::from(der)).map_err(|e| malformed(e.to_string()))?;
        let mut emails = Vec::new();
        let mut uris = Vec::new();
        let mut extensions = Vec::new();
        let mut is_ca = false;
        let mut code_signing = None;
        let mut time_stamping = false;
        let mut digital_signature = None;
        let mut subject_key_id = None;
        for extension in cert.extensions() {
            match extension.parsed_extension() {
                ParsedExtension::SubjectAlternativeName(names) => {
                    for name in &names.general_names {
                        match name {
                            GeneralName::RFC822Name(email) => emails.push(Box::from(*email)),
                            GeneralName::URI(uri) => uris.push(Box::from(*uri)),
                            _ => {}
                        }
                    }
                }
                ParsedExtension::BasicConstraints(constraints) => is_ca = constraints.ca,
                ParsedExtension::ExtendedKeyUsage(usages) => {
                    code_signing = Some(usages.code_signing);
                    time_stamping = usages.time_stamping;
                }
                ParsedExtension::SubjectKeyIdentifier(id) => subject_key_id = Some(Box::from(id.0)),
                ParsedExtension::KeyUsage(usage) => digital_signature = Some(usage.digital_signature()),
                ParsedExtension::UnsupportedExtension { .. } if extension.critical => {
                    return Err(malformed(format!(
                        "the critical extension {} is not one this crate knows",
                        extension.oid.to_id_string()
                    )));
                }
                _ => {}
            }
            extensions.push((
                extension.oid.to_id_string().into_boxed_str(),
                Box::from(extension.value),
            ));
        }
        Ok(Self {
            der: Box::from(der),
            subject: cert.subject().to_string().into_boxed_str(),
            subject_attributes: cert
                .subject()
                .iter_attributes()
                .filter_map(|attribute| {
                    let value = attribute.as_str().ok()?;
                    let oid = attribute.attr_type().to_id_string();
                    let name = short_name(&oid).map_or(oid.clone(), str::to_owned);
                    Some((name.into_boxed_str(), Box::from(value)))
                })
                .collect(),
            not_before: cert.validity().not_before.timestamp(),
            not_after: cert.validity().not_after.timestamp(),
            emails,
            uris,
            extensions,
            is_ca,
            code_signing,
            time_stamping,
            digital_signature,
            issuer_der: Box::from(cert.issuer().as_raw()),
            serial: Box::from(cert.raw_serial()),
            subject_key_id,
            spki: Box::from(cert.public_key().raw),
        })
    }

    /// Reads exactly one PEM `CERTIFICATE` block.
    pub fn from_pem(text: &str) -> Result<Self, Error> {
        let mut all = Self::all_from_pem(text)?;
        match all.len() {
            1 => Ok(all.remove(0)),
            n => Err(Error::new(
                ErrorKind::Pem,
                format!("{n} certificates where one was expected; give one per file"),
            )),
        }
    }

    /// Reads every PEM `CERTIFICATE` block of `text` (a bundle, a trust store file), at least one and at most
    /// [`MAX_CHAIN`]. Text between blocks is ignored, as OpenSSL ignores it; a block of another label is refused.
    pub fn all_from_pem(text: &str) -> Result<Vec<Self>, Error> {
        let mut out = Vec::new();
        let mut lines = text
            .lines()
            .map(|line| line.strip_suffix('\r').unwrap_or(line).trim_end());
        while let Some(line) = lines.next() {
            let Some(label) = line.strip_prefix("-----BEGIN ").and_then(|l| l.strip_suffix("-----")) else {
                continue;
            };
            if label != "CERTIFICATE" {
                return Err(Error::new(
                    ErrorKind::PemLabel,
                    format!("the PEM block is {}, not a CERTIFICATE", quote(label)),
                ));
            }
            let mut body = String::new();
            let mut ended = false;
            for line in lines.by_ref() {
                if line == "-----END CERTIFICATE-----" {
                    ended = true;
                    break;
                }
                if line.starts_with("-----") {
                    return Err(Error::new(
                        ErrorKind::Pem,
                        format!("{} does not end the CERTIFICATE block", quote(line)),
                    ));
                }
                body.push_str(line.trim_start());
                if body.len() > MAX_CERTIFICATE * 2 {
                    return Err(Error::new(
                        ErrorKind::TooLarge,
                        format!("a PEM certificate over {MAX_CERTIFICATE} bytes"),
                    ));
                }
            }
            if !ended {
                return Err(Error::new(
                    ErrorKind::Pem,
                    "no `-----END CERTIFICATE-----` line ends the block",
                ));
            }
            if out.len() == MAX_CHAIN {
                return Err(Error::new(
                    ErrorKind::TooLarge,
                    format!("more than {MAX_CHAIN} certificates in one PEM text"),
                ));
            }
            let der = base64_decode(&body)
                .ok_or_else(|| Error::new(ErrorKind::Base64, "a CERTIFICATE block's body is not standard base64"))?;
            out.push(Self::from_der(&der)?);
        }
        if out.is_empty() {
            return Err(Error::new(ErrorKind::Pem, "no `-----BEGIN CERTIFICATE-----` block"));
        }
        Ok(out)
    }

    /// The DER the certificate was read from.
    pub fn der(&self) -> &[u8] {
        &self.der
    }

    /// The subject's attributes with a string value, `(type, value)` in the certificate's order: the type by its
    /// short name (`CN`, `C`, `ST`, `L`, `O`, `OU`, `E`, `DC`, `SERIALNUMBER`...) or, for another, its dotted OID.
    pub fn subject_attributes(&self) -> impl Iterator<Item = (&str, &str)> {
        self.subject_attributes.iter().map(|(name, value)| (&**name, &**value))
    }

    /// The subject's distinguished name, as RFC 4514 writes it (empty for Fulcio's certificates).
    pub fn subject(&self) -> &str {
        &self.subject
    }

    /// The first second of validity (`notBefore`), in seconds since the Unix epoch.
    pub fn not_before(&self) -> i64 {
        self.not_before
    }

    /// The last second of validity (`notAfter`), in seconds since the Unix epoch.
    pub fn not_after(&self) -> i64 {
        self.not_after
    }

    /// Whether `unix_seconds` is within the validity, both ends included.
    pub fn valid_at(&self, unix_seconds: i64) -> bool {
        (self.not_before..=self.not_after).contains(&unix_seconds)
    }

    /// The e-mail addresses of the subject alternative name (`rfc822Name`).
    pub fn emails(&self) -> impl Iterator<Item = &str> {
        self.emails.iter().map(|e| &**e)
    }

    /// The URIs of the subject alternative name (`uniformResourceIdentifier`).
    pub fn uris(&self) -> impl Iterator<Item = &str> {
        self.uris.iter().map(|u| &**u)
    }

    /// The raw value (the `extnValue` octets) of the extension `oid` (dotted, `1.3.6.1.4.1.57264.1.8`), if present.
    pub fn extension(&self, oid: &str) -> Option<&[u8]> {
        self.extensions
            .iter()
            .find(|(id, _)| &**id == oid)
            .map(|(_, value)| &**value)
    }

    /// Whether the basic constraints say this is a CA.
    pub fn is_ca(&self) -> bool {
        self.is_ca
    }

    /// The SubjectPublicKeyInfo DER.
    pub fn spki_der(&self) -> &[u8] {
        &self.spki
    }

    /// Whether the key usage extension, when the certificate has one, allows `digitalSignature` (what signing an
    /// envelope is); `true` without the extension. webpki leaves the leaf's key usage to the caller.
    pub fn allows_digital_signature(&self) -> bool {
        self.digital_signature != Some(false)
    }

    /// Whether a CMS signer identifier names this certificate: `issuer` (a DER Name, as encoded) and `serial` (an
    /// INTEGER's contents), or a subject key identifier.
    pub(crate) fn is_named_by(&self, issuer: &[u8], serial: &[u8]) -> bool {
        *self.issuer_der == *issuer && *self.serial == *serial
    }

    /// The subject key identifier extension's value, if the certificate has one.
    pub(crate) fn subject_key_id(&self) -> Option<&[u8]> {
        self.subject_key_id.as_deref()
    }

    /// The subject's public key, when it is one this crate verifies with.
    pub fn public_key(&self) -> Result<PublicKey, Error> {
        PublicKey::from_spki_der(&self.spki)
    }

    /// Checks that one of `roots` issued this certificate, through `intermediates` (any order, unused ones
    /// ignored), with every certificate of the path valid at `unix_seconds`, and the leaf fit for `usage`.
    ///
    /// The roots are trust anchors: their own validity and constraints are the caller's to check (Sigstore's
    /// trusted root gives each authority a validity window of its own). Revocation is not checked: neither Fulcio
    /// nor notation's offline trust stores publish it.
    pub fn verify_path(
        &self,
        intermediates: &[Self],
        roots: &[Self],
        unix_seconds: i64,
        usage: Usage,
    ) -> Result<(), Error> {
        let path = |why: String| Error::new(ErrorKind::CertificatePath, why);
        let root_ders: Vec<CertificateDer<'_>> = roots.iter().map(|r| CertificateDer::from(r.der())).collect();
        let anchors = root_ders
            .iter()
            .map(|der| {
                webpki::anchor_from_trusted_cert(der).map_err(|e| path(format!("a trusted root is unusable: {e}")))
            })
            .collect::<Result<Vec<_>, _>>()?;
        let intermediate_ders: Vec<CertificateDer<'_>> =
            intermediates.iter().map(|c| CertificateDer::from(c.der())).collect();
        let leaf_der = CertificateDer::from(self.der());
        let leaf = EndEntityCert::try_from(&leaf_der).map_err(|e| path(format!("the certificate is unusable: {e}")))?;
        let seconds = u64::try_from(unix_seconds).map_err(|_| path(format!("a time before 1970 ({unix_seconds})")))?;
        let time = UnixTime::since_unix_epoch(std::time::Duration::from_secs(seconds));
        // webpki applies the usage to every certificate of the path, and a CA without the extension fails a
        // `required` one; so the path is checked with "if present" (an intermediate that names usages must name
        // code signing) and the leaf's own extension is checked here.
        if usage == Usage::CodeSigning && self.code_signing != Some(true) {
            return Err(path(
                "the certificate path does not verify: the certificate is not for code signing (extended key usage)"
                    .to_owned(),
            ));
        }
        if usage == Usage::TimeStamping && !self.time_stamping {
            return Err(path(
                "the certificate path does not verify: the certificate is not for time stamping (extended key usage)"
                    .to_owned(),
            ));
        }
        let (eku, purpose) = match usage {
            Usage::CodeSigning | Usage::CodeSigningIfPresent => (CODE_SIGNING, "code signing"),
            Usage::TimeStamping => (TIME_STAMPING, "time stamping"),
        };
        let usage = KeyUsage::required_if_present(eku);
        leaf.verify_for_usage(
            webpki::ALL_VERIFICATION_ALGS,
            &anchors,
            &intermediate_ders,
            time,
            usage,
            None,
            None,
        )
        .map(|_| ())
        .map_err(|e| {
            let why = match e {
                webpki::Error::UnknownIssuer => "no trusted root issued it".to_owned(),
                webpki::Error::CertExpired { .. } | webpki::Error::CertNotValidYet { .. } => {
                    format!("a certificate of the path is not valid at {unix_seconds} (seconds since 1970)")
                }
                webpki::Error::RequiredEkuNotFoundContext(_) => {
                    format!("a certificate of the path is not for {purpose} (extended key usage)")
                }
                other => other.to_string(),
            };
            path(format!("the certificate path does not verify: {why}"))
        })
    }
}

/// The short name of a distinguished name's attribute type, as notation and OpenSSL write them.
pub(crate) fn short_name(oid: &str) -> Option<&'static str> {
    Some(match oid {
        "2.5.4.3" => "CN",
        "2.5.4.4" => "SN",
        "2.5.4.5" => "SERIALNUMBER",
        "2.5.4.6" => "C",
        "2.5.4.7" => "L",
        "2.5.4.8" => "ST",
        "2.5.4.9" => "STREET",
        "2.5.4.10" => "O",
        "2.5.4.11" => "OU",
        "2.5.4.12" => "TITLE",
        "2.5.4.17" => "POSTALCODE",
        "2.5.4.42" => "GIVENNAME",
        "1.2.840.113549.1.9.1" => "E",
        "0.9.2342.19200300.100.1.1" => "UID",
        "0.9.2342.19200300.100.1.25" => "DC",
        _ => return None,
    })
}

impl fmt::Debug for Certificate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Certificate")
            .field("subject", &self.subject)
            .field("emails", &self.emails)
            .field("uris", &self.uris)
            .field("not_before", &self.not_before)
            .field("not_after", &self.not_after)
            .field("is_ca", &self.is_ca)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use rcgen::{BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair, SanType};

    use super::*;

    struct Pki {
        root: Certificate,
        intermediate: Certificate,
        leaf: Certificate,
    }

    fn ca_params(name: &str) -> CertificateParams {
        let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
        params.distinguished_name.push(DnType::CommonName, name);
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params.not_before = rcgen::date_time_ymd(2020, 1, 1);
        params.not_after = rcgen::date_time_ymd(2040, 1, 1);
        params
    }

    /// A root, an intermediate and a leaf for code signing (or for `eku` instead), valid 2025-01-01 to 2026-01-01.
    fn pki(eku: Option<ExtendedKeyUsagePurpose>) -> Pki {
        let root_key = KeyPair::generate().unwrap();
        let root = ca_params("test root").self_signed(&root_key).unwrap();
        let root_issuer = Issuer::new(ca_params("test root"), &root_key);
        let intermediate_key = KeyPair::generate().unwrap();
        let intermediate = ca_params("test intermediate")
            .signed_by(&intermediate_key, &root_issuer)
            .unwrap();
        let intermediate_issuer = Issuer::new(ca_params("test intermediate"), &intermediate_key);
        let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
        params.subject_alt_names = vec![
            SanType::Rfc822Name("signer@example.com".try_into().unwrap()),
            SanType::URI(
                "https://github.com/example/repo/.github/workflows/release.yml@refs/heads/main"
                    .try_into()
                    .unwrap(),
            ),
        ];
        params.extended_key_usages = eku.into_iter().collect();
        params.not_before = rcgen::date_time_ymd(2025, 1, 1);
        params.not_after = rcgen::date_time_ymd(2026, 1, 1);
        let leaf = params
            .signed_by(&KeyPair::generate().unwrap(), &intermediate_issuer)
            .unwrap();
        Pki {
            root: Certificate::from_der(root.der()).unwrap(),
            intermediate: Certificate::from_der(intermediate.der()).unwrap(),
            leaf: Certificate::from_der(leaf.der()).unwrap(),
        }
    }

    const MID_2025: i64 = 1_750_000_000;

    #[test]
    fn a_leaf_reads_its_names_and_verifies_to_its_root_only_within_its_validity() {
        let pki = pki(Some(ExtendedKeyUsagePurpose::CodeSigning));
        assert_eq!(pki.leaf.emails().collect::<Vec<_>>(), ["signer@example.com"]);
        assert_eq!(
            pki.leaf.uris().collect::<Vec<_>>(),
            ["https://github.com/example/repo/.github/workflows/release.yml@refs/heads/main"]
        );
        assert!(!pki.leaf.is_ca());
        assert!(pki.intermediate.is_ca());
        assert!(pki.leaf.public_key().is_ok());
        let roots = [pki.root.clone()];
        let intermediates = [pki.intermediate.clone()];
        pki.leaf
            .verify_path(&intermediates, &roots, MID_2025, Usage::CodeSigning)
            .unwrap();

        let late = pki
            .leaf
            .verify_path(&intermediates, &roots, 1_800_000_000, Usage::CodeSigning);
        assert_eq!(late.unwrap_err().kind(), ErrorKind::CertificatePath);
        let no_intermediate = pki.leaf.verify_path(&[], &roots, MID_2025, Usage::CodeSigning);
        assert_eq!(no_intermediate.unwrap_err().kind(), ErrorKind::CertificatePath);
        let other = self::pki(Some(ExtendedKeyUsagePurpose::CodeSigning));
        let foreign = pki
            .leaf
            .verify_path(&intermediates, &[other.root], MID_2025, Usage::CodeSigning);
        // The other root has the same name, so the path ends in a signature that does not verify.
        assert_eq!(foreign.unwrap_err().kind(), ErrorKind::CertificatePath);
    }

    #[test]
    fn the_extended_key_usage_is_required_or_required_if_present() {
        let server = pki(Some(ExtendedKeyUsagePurpose::ServerAuth));
        let (roots, intermediates) = ([server.root.clone()], [server.intermediate.clone()]);
        for usage in [Usage::CodeSigning, Usage::CodeSigningIfPresent] {
            let refused = server.leaf.verify_path(&intermediates, &roots, MID_2025, usage);
            assert!(refused.unwrap_err().to_string().contains("code signing"), "{usage:?}");
        }
        let refused = server
            .leaf
            .verify_path(&intermediates, &roots, MID_2025, Usage::TimeStamping);
        assert!(refused.unwrap_err().to_string().contains("not for time stamping"));
        let none = pki(None);
        let (roots, intermediates) = ([none.root.clone()], [none.intermediate.clone()]);
        assert!(
            none.leaf
                .verify_path(&intermediates, &roots, MID_2025, Usage::CodeSigning)
                .is_err()
        );
        none.leaf
            .verify_path(&intermediates, &roots, MID_2025, Usage::CodeSigningIfPresent)
            .unwrap();
    }

    #[test]
    fn pem_bundles_read_every_block_and_refuse_what_is_not_a_certificate() {
        let pki = pki(Some(ExtendedKeyUsagePurpose::CodeSigning));
        let pem = |der: &[u8]| crate::encoding::pem_encode("CERTIFICATE", der);
        let bundle = format!("# a comment\n{}\n{}", pem(pki.leaf.der()), pem(pki.root.der()));
        let all = Certificate::all_from_pem(&bundle).unwrap();
        assert_eq!(all, [pki.leaf.clone(), pki.root.clone()]);
        assert_eq!(Certificate::from_pem(&pem(pki.leaf.der())).unwrap(), pki.leaf);
        assert_eq!(Certificate::from_pem(&bundle).unwrap_err().kind(), ErrorKind::Pem);

        let cases: &[(&str, ErrorKind)] = &[
            ("", ErrorKind::Pem),
            (
                "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n",
                ErrorKind::PemLabel,
            ),
            ("-----BEGIN CERTIFICATE-----\nAAAA\n", ErrorKind::Pem),
            (
                "-----BEGIN CERTIFICATE-----\n!!!!\n-----END CERTIFICATE-----\n",
                ErrorKind::Base64,
            ),
            (
                "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n",
                ErrorKind::Certificate,
            ),
        ];
        for (text, kind) in cases {
            assert_eq!(Certificate::all_from_pem(text).unwrap_err().kind(), *kind, "{text:?}");
        }
        let mut trailing = pki.leaf.der().to_vec();
        trailing.push(0);
        assert_eq!(
            Certificate::from_der(&trailing).unwrap_err().kind(),
            ErrorKind::Certificate
        );
        let debug = format!("{:?}", pki.leaf);
        assert!(
            debug.contains("signer@example.com") && !debug.contains("der"),
            "{debug}"
        );
    }
}
