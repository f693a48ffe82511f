//! Integration tests of oci-digest: known vectors, streaming, property round-trips.

mod props;
mod vectors;
