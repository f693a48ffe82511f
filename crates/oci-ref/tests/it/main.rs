//! Integration tests of oci-ref: grammar cases, error messages, property round-trips and the
//! vectors produced by the Go reference implementation.

// The Go reference implementation's vectors (`cargo xtask baseline`); regenerate, do not edit.
mod baseline;
// One-line cases per grammar and normalization rule: most new cases go here.
mod cases;
// Error messages: the quoted input, the offending part, what was expected.
mod messages;
// Property round-trips through the canonical and familiar strings; no panics.
mod props;
// The `serde` feature.
#[cfg(feature = "serde")]
mod serde;
