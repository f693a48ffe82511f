//! Integration tests against the real CNCF registry (`docker-registry`), started by each test on a free loopback
//! port with its own storage and configuration.

#![allow(
    clippy::unwrap_used,
    reason = "helpers outside #[test] functions panic on setup failures, as tests do"
)]

mod auth;
mod basic;
mod bearer;
mod check;
mod config;
mod fault;
mod faults;
mod hostile;
mod open;
mod resilience;
mod tls;
