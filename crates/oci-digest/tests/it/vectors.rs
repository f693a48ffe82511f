//! Known answers, computed by independent implementations (FIPS 180 examples and Python's hashlib).

use oci_digest::{Algorithm, Digest, Digester, Verifier};

/// `(algorithm, input, expected digest)`.
const VECTORS: &[(Algorithm, &[u8], &str)] = &[
    (
        Algorithm::Sha256,
        b"",
        "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    ),
    (
        Algorithm::Sha256,
        b"abc",
        "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
    ),
    (
        Algorithm::Sha384,
        b"",
        "sha384:38b060a751ac96384cd9327eb1b1e36a21fdb71114be07434c0cc7bf63f6e1da274edebfe76f65fbd51ad2f14898b95b",
    ),
    (
        Algorithm::Sha384,
        b"abc",
        "sha384:cb00753f45a35e8bb5a03d699ac65007272c32ab0eded1631a8b605a43ff5bed8086072ba1e7cc2358baeca134c825a7",
    ),
    (
        Algorithm::Sha512,
        b"",
        "sha512:cf83e1357eefb8bdf1542850d66d8007d620e4050b5715dc83f4a921d36ce9ce47d0d13c5d85f2b0ff8318d2877eec2f63b931bd47417a81a538327af927da3e",
    ),
    (
        Algorithm::Sha512,
        b"abc",
        "sha512:ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f",
    ),
];

/// A deterministic multi-megabyte input (4 MiB + 13 bytes) and its digests from Python's hashlib.
fn big_input() -> Vec<u8> {
    (0..4 * 1024 * 1024 + 13usize)
        .map(|i| ((i * 7 + (i >> 11)) & 0xff) as u8)
        .collect()
}

const BIG: &[(Algorithm, &str)] = &[
    (
        Algorithm::Sha256,
        "sha256:4ce6aa44e4a214c85fecd05b69064268ce819c7fd678d8187fcf615d60a98232",
    ),
    (
        Algorithm::Sha384,
        "sha384:d9c115dc7b7d9e15faf3cd1605a2c385354f026ca14d0a1211527e488be3e3d67329d98bbe5c804643d1a463b9a9f174",
    ),
    (
        Algorithm::Sha512,
        "sha512:b015db301003739a2ddc34c5c422859c31752d308be0db46ed436fd11def537464cc142c73eea979c70f776dcd93de3eb088dee80eee5389b1f647fa2de02602",
    ),
];

/// Feeds `data` in pieces of uneven, growing sizes (1, 2, 4, ... then wrapping), including empty ones.
fn feed_unevenly(data: &[u8], mut update: impl FnMut(&[u8])) {
    let mut rest = data;
    let mut size = 0usize;
    while !rest.is_empty() {
        let take = size.min(rest.len());
        let (piece, tail) = rest.split_at(take);
        update(piece);
        rest = tail;
        size = if size > 300_000 { 0 } else { size * 2 + 1 };
    }
}

#[test]
fn one_shot_and_incremental() {
    for &(algorithm, input, expected) in VECTORS {
        let expected: Digest = expected.parse().expect("vector is valid");
        assert_eq!(Digest::compute(algorithm, input), expected);
        let mut digester = Digester::new(algorithm);
        input.iter().for_each(|b| digester.update(std::slice::from_ref(b)));
        assert_eq!(digester.len(), input.len() as u64);
        assert_eq!(digester.finish(), expected);
    }
}

#[test]
fn million_a() {
    let mut digester = Digester::sha256();
    feed_unevenly(&vec![b'a'; 1_000_000], |piece| digester.update(piece));
    assert_eq!(
        digester.finish().as_str(),
        "sha256:cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0"
    );
}

#[test]
fn multi_megabyte_in_uneven_pieces() {
    let data = big_input();
    for &(algorithm, expected) in BIG {
        let mut digester = Digester::new(algorithm);
        feed_unevenly(&data, |piece| digester.update(piece));
        assert_eq!(digester.finish().as_str(), expected);
        assert_eq!(Digest::compute(algorithm, &data).as_str(), expected);

        let mut verifier = Verifier::new(expected.parse().expect("valid"));
        feed_unevenly(&data, |piece| verifier.update(piece));
        assert_eq!(verifier.finish().expect("matches").as_str(), expected);
    }
}

#[test]
fn verifier_reports_expected_and_actual() {
    let data = big_input();
    let expected: Digest = BIG[0].1.parse().expect("valid");
    let mut verifier = Verifier::new(expected.clone());
    feed_unevenly(&data[..data.len() - 1], |piece| verifier.update(piece));
    let mismatch = verifier.finish().expect_err("one byte short");
    assert_eq!(mismatch.expected(), &expected);
    assert_eq!(mismatch.actual(), &Digest::sha256(&data[..data.len() - 1]));
    assert!(mismatch.to_string().contains(expected.as_str()));
}

#[test]
fn io_copy_feeds_a_digester() {
    let mut digester = Digester::sha256();
    std::io::copy(&mut &b"abc"[..], &mut digester).expect("in-memory copy");
    assert_eq!(digester.finish(), Digest::sha256(b"abc"));
}
