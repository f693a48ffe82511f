//! Registry authentication without network IO: `WWW-Authenticate` challenges, scopes, credentials (docker `config.json`, podman `auth.json`, credential helpers), token requests and responses, and a token cache.
//!
//! This crate is being built; see `docs/architecture.md` for the part it plays.

#![forbid(unsafe_code)]
#![deny(missing_docs)]
