//! The test kit's fixtures against the real registry (and a real Redis): what each one promises its users.

#![allow(
    clippy::unwrap_used,
    reason = "helpers outside #[test] functions panic on setup failures, as tests do"
)]

// `FaultServer`: scripts and handlers, the faults it plays on the wire, the requests it records.
mod fault;
// `Ntfy`: the real ntfy server keeps what was published and, with a user, refuses everyone else.
mod ntfy;
// `Proxy`: connection and request-head counts, delays.
mod proxy;
// `RateLimitProxy`: Docker Hub's rate-limit headers, pulls spent by manifest GETs, its own 429, the counters.
mod ratelimit;
// `RedisServer`: answers, wants its password, stops, hangs and restarts.
mod redis;
// `Sigstore`: its keyless bundles verify with the real cosign, for their identity only.
mod sigstore;
// `Registry` in each auth mode and with TLS, `TokenServer`, `Images`, and what dropping a registry cleans up.
mod registry;
