//! parse(display(x)) == x for every type with a text form, and no panic on any input.

use oci_digest::{Algorithm, Digest};
use oci_sign::{Payload, PublicKey, ReferrersTag, SignatureTag};
use proptest::prelude::*;

fn digest() -> impl Strategy<Value = Digest> {
    (prop::sample::select(Algorithm::ALL.to_vec()), any::<Vec<u8>>())
        .prop_map(|(algorithm, data)| Digest::compute(algorithm, &data))
}

/// An Ed25519 SubjectPublicKeyInfo around any 32 bytes (the point is not checked until a signature is verified).
fn ed25519_spki(key: &[u8; 32]) -> Vec<u8> {
    [
        &[0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00][..],
        key,
    ]
    .concat()
}

/// A trusted identity's text: distinct attribute types, each with a value of any printable characters (RFC 4514's
/// specials, spaces at either end and non-ASCII included).
fn identity_text() -> impl Strategy<Value = String> {
    let names = prop::sample::subsequence(vec!["C", "ST", "L", "O", "OU", "CN", "E", "DC"], 1..=8).prop_shuffle();
    names
        .prop_flat_map(|names| {
            let values = prop::collection::vec("[ -~éß\\\\,+=\"#;<>]{1,12}", names.len());
            (Just(names), values)
        })
        .prop_map(|(names, values)| {
            let escape = |value: &str| {
                let last = value.chars().count() - 1;
                value
                    .chars()
                    .enumerate()
                    .map(|(at, c)| {
                        let special =
                            "\\,+=\";<>".contains(c) || (at == 0 && (c == '#' || c == ' ')) || (at == last && c == ' ');
                        if special { format!("\\{c}") } else { c.to_string() }
                    })
                    .collect::<String>()
            };
            names
                .iter()
                .zip(&values)
                .map(|(name, value)| format!("{name}={}", escape(value)))
                .collect::<Vec<_>>()
                .join(", ")
        })
}

proptest! {
    #[test]
    fn trusted_identities_round_trip(text in identity_text()) {
        use oci_sign::notation::TrustedIdentity;
        let identity: TrustedIdentity = text.parse().unwrap();
        let shown = identity.to_string();
        prop_assert_eq!(&shown, &format!("x509.subject: {text}"));
        prop_assert_eq!(shown.parse::<TrustedIdentity>().unwrap(), identity);
    }

    #[test]
    fn trusted_identities_never_panic(text in "\\PC{0,40}") {
        let _ = text.parse::<oci_sign::notation::TrustedIdentity>();
    }

    #[test]
    fn signature_tags_round_trip(digest in digest()) {
        let tag = SignatureTag::new(&digest);
        let text = tag.to_string();
        prop_assert_eq!(text.parse::<SignatureTag>().ok(), Some(tag.clone()));
        prop_assert_eq!(tag.digest(), &digest);
        prop_assert_eq!(text, format!("{}.sig", digest.as_str().replace(':', "-")));
    }

    #[test]
    fn referrers_tags_round_trip(digest in digest()) {
        let tag = ReferrersTag::new(&digest);
        let text = tag.to_string();
        prop_assert_eq!(text.parse::<ReferrersTag>().ok(), Some(tag.clone()));
        prop_assert!(tag.matches(&digest));
        prop_assert!(text.len() <= 128, "a registry takes tags of at most 128 characters");
    }

    #[test]
    fn public_keys_round_trip_through_pem(key in any::<[u8; 32]>()) {
        let parsed = PublicKey::from_spki_der(&ed25519_spki(&key)).unwrap();
        let pem = parsed.to_string();
        prop_assert_eq!(pem.parse::<PublicKey>().ok(), Some(parsed.clone()));
        prop_assert_eq!(pem.replace('\n', "\r\n").parse::<PublicKey>().ok(), Some(parsed));
    }

    #[test]
    fn no_input_panics(bytes in any::<Vec<u8>>(), text in ".{0,300}") {
        let _ = PublicKey::from_spki_der(&bytes);
        let _ = PublicKey::from_pem(&text);
        let _ = PublicKey::from_pem(&format!("-----BEGIN PUBLIC KEY-----\n{text}\n-----END PUBLIC KEY-----\n"));
        let _ = Payload::parse(&bytes);
        let _ = text.parse::<SignatureTag>();
        let _ = text.parse::<ReferrersTag>();
    }
}

/// Every truncation and every one-byte change of real keys is refused or read as a key, never a panic; a changed
/// key is never equal to the original.
#[test]
fn every_truncation_and_byte_change_of_real_keys() {
    for file in ["p256.pub", "p384.pub", "rsa2048.pub", "ed25519.pub"] {
        let key: PublicKey = crate::text(&format!("keys/{file}")).parse().unwrap();
        let der = key.spki_der();
        for len in 0..der.len() {
            assert!(PublicKey::from_spki_der(&der[..len]).is_err(), "{file} cut at {len}");
        }
        for at in 0..der.len() {
            for flip in [0x01, 0x80, 0xff] {
                let mut changed = der.to_vec();
                changed[at] ^= flip;
                if let Ok(other) = PublicKey::from_spki_der(&changed) {
                    assert_ne!(other, key);
                    assert_ne!(other.id(), key.id());
                }
            }
        }
    }
}
