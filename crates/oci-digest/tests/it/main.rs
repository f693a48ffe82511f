//! Integration tests of oci-digest: known vectors, streaming, property round-trips.

// Property round-trips of the text form; no string makes parsing panic.
mod props;
// Known answers from independent implementations (FIPS 180, Python's hashlib), whole and streamed.
mod vectors;
