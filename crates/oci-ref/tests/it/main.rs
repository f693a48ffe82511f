//! Integration tests of oci-ref: grammar cases, error messages, property round-trips and the
//! vectors produced by the Go reference implementation.

mod baseline;
mod cases;
mod messages;
mod props;
#[cfg(feature = "serde")]
mod serde;
