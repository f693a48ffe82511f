//! Incremental hashing ([`Digester`]) and verification ([`Verifier`]).

use std::fmt;
use std::io;

use crate::{Algorithm, Digest, Mismatch};

/// Hashes data fed in pieces and produces its [`Digest`].
///
/// It also implements [`io::Write`], so `io::copy` can feed it.
#[derive(Clone)]
pub struct Digester {
    algorithm: Algorithm,
    context: ring::digest::Context,
    len: u64,
}

/// Checks that data fed in pieces has an expected digest.
#[derive(Clone, Debug)]
pub struct Verifier {
    expected: Digest,
    digester: Digester,
}

impl Digester {
    /// A digester for `algorithm`.
    pub fn new(algorithm: Algorithm) -> Self {
        Self {
            algorithm,
            context: ring::digest::Context::new(algorithm.ring()),
            len: 0,
        }
    }

    /// A SHA-256 digester.
    pub fn sha256() -> Self {
        Self::new(Algorithm::Sha256)
    }

    /// The algorithm in use.
    pub fn algorithm(&self) -> Algorithm {
        self.algorithm
    }

    /// How many bytes have been fed so far.
    pub fn len(&self) -> u64 {
        self.len
    }

    /// Whether nothing has been fed yet.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Feeds the next piece of data.
    pub fn update(&mut self, data: &[u8]) {
        self.context.update(data);
        self.len += data.len() as u64;
    }

    /// The digest of everything fed.
    pub fn finish(self) -> Digest {
        Digest::from_output(self.algorithm, self.context.finish().as_ref())
    }
}

impl fmt::Debug for Digester {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Digester")
            .field("algorithm", &self.algorithm)
            .field("len", &self.len)
            .finish()
    }
}

impl io::Write for Digester {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.update(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl Verifier {
    /// A verifier expecting `expected`; it hashes with the expected digest's algorithm.
    pub fn new(expected: Digest) -> Self {
        let digester = Digester::new(expected.algorithm());
        Self { expected, digester }
    }

    /// The digest the data should have.
    pub fn expected(&self) -> &Digest {
        &self.expected
    }

    /// How many bytes have been fed so far.
    pub fn len(&self) -> u64 {
        self.digester.len()
    }

    /// Whether nothing has been fed yet.
    pub fn is_empty(&self) -> bool {
        self.digester.is_empty()
    }

    /// Feeds the next piece of data.
    pub fn update(&mut self, data: &[u8]) {
        self.digester.update(data);
    }

    /// Checks the data fed against the expected digest, returning the digest when they agree
    /// and both digests when they do not.
    pub fn finish(self) -> Result<Digest, Mismatch> {
        let actual = self.digester.finish();
        if actual == self.expected {
            Ok(actual)
        } else {
            Err(Mismatch::new(self.expected, actual))
        }
    }
}

impl io::Write for Verifier {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.update(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}
