use oci_sign::{ErrorKind, KeyAlgorithm, PublicKey};

use crate::{base64_decode, data, text};

fn check(file: &str, expected: Result<KeyAlgorithm, ErrorKind>) {
    let parsed = PublicKey::from_pem(&text(&format!("keys/{file}")));
    assert_eq!(
        parsed.as_ref().map(PublicKey::algorithm).map_err(|e| e.kind()),
        expected,
        "{file}"
    );
    if let Ok(key) = parsed {
        // The id is SHA-256 of the DER, and the PEM it writes reads back to the same key.
        assert_eq!(key.id().digest(), &oci_digest::Digest::sha256(key.spki_der()));
        assert_eq!(key.to_string().parse::<PublicKey>().as_ref(), Ok(&key));
        assert_eq!(PublicKey::from_spki_der(key.spki_der()).as_ref(), Ok(&key));
    }
}

#[test]
fn keys_openssl_makes() {
    check("p256.pub", Ok(KeyAlgorithm::EcdsaP256));
    check("p384.pub", Ok(KeyAlgorithm::EcdsaP384));
    check("rsa2048.pub", Ok(KeyAlgorithm::Rsa { bits: 2048 }));
    check("rsa4096.pub", Ok(KeyAlgorithm::Rsa { bits: 4096 }));
    check("ed25519.pub", Ok(KeyAlgorithm::Ed25519));
    check("p521.pub", Err(ErrorKind::UnsupportedKey));
    check("k256.pub", Err(ErrorKind::UnsupportedKey));
    check("x25519.pub", Err(ErrorKind::UnsupportedKey));
    check("ed448.pub", Err(ErrorKind::UnsupportedKey));
    check("rsa1024.pub", Err(ErrorKind::InvalidKey));
    check("p256-compressed.pub", Err(ErrorKind::InvalidKey));
    check("rsa2048-pkcs1.pub", Err(ErrorKind::PemLabel));
}

#[test]
fn messages_quote_what_was_refused() {
    let err = PublicKey::from_pem(&text("keys/p521.pub")).unwrap_err();
    assert_eq!(
        err.to_string(),
        r#"unsupported elliptic curve "1.3.132.0.35"; supported: P-256, P-384"#
    );
    let err = PublicKey::from_pem(&text("keys/ed448.pub")).unwrap_err();
    assert_eq!(
        err.to_string(),
        r#"unsupported key algorithm "1.3.101.113"; supported: ECDSA P-256 and P-384, RSA, Ed25519"#
    );
    let err = PublicKey::from_pem(&text("keys/rsa1024.pub")).unwrap_err();
    assert_eq!(
        err.to_string(),
        "an RSA modulus of 1024 bits; supported: 2048 to 8192 bits"
    );
    let err = PublicKey::from_pem("-----BEGIN EC PRIVATE KEY-----\nAA==\n-----END EC PRIVATE KEY-----").unwrap_err();
    assert_eq!(
        err.to_string(),
        r#"the PEM block is "EC PRIVATE KEY", not a PUBLIC KEY; give the public key (cosign.pub), never the private one"#
    );
}

/// Every line of `signatures.txt`: the signature verifies with its key over the message, not over another message,
/// not with a bit flipped, and not with any other key.
#[test]
fn signatures_openssl_made_verify_with_their_key_only() {
    let message = data("cosign-2.5/tag-payload.json");
    let lines = text("keys/signatures.txt");
    let keys: Vec<(String, PublicKey)> = ["p256.pub", "p384.pub", "rsa2048.pub", "rsa4096.pub", "ed25519.pub"]
        .iter()
        .map(|file| (file.to_string(), text(&format!("keys/{file}")).parse().unwrap()))
        .collect();
    let mut checked = 0;
    for line in lines.lines() {
        let [file, how, signature] = line.split(' ').collect::<Vec<_>>()[..] else {
            panic!("{line}");
        };
        let signature = base64_decode(signature);
        for (name, key) in &keys {
            assert_eq!(
                key.verify(&message, &signature),
                name == file,
                "{file} {how} with {name}"
            );
        }
        let (_, key) = keys.iter().find(|(name, _)| name == file).unwrap();
        assert!(!key.verify(b"another message", &signature), "{file} {how}");
        for bit in [0, signature.len() * 4, signature.len() * 8 - 1] {
            let mut flipped = signature.clone();
            flipped[bit / 8] ^= 1 << (bit % 8);
            assert!(!key.verify(&message, &flipped), "{file} {how} bit {bit}");
        }
        checked += 1;
    }
    assert_eq!(checked, 7);
}
