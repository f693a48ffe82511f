//! Test support specific to oci-client's tests; the registry, token server, proxies and images are in
//! `oci-testkit`.

pub(crate) mod faulty;
