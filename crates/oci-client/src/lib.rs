//! The registry client: hyper, hyper-util and rustls (ring provider) on tokio, with pooled connections, auth driven by challenges, retries, rate limits, and update checks.
//!
//! This crate is being built; see `docs/architecture.md` for the part it plays.

#![forbid(unsafe_code)]
#![deny(missing_docs)]
