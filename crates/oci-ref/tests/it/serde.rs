//! The `serde` feature: a reference travels as its canonical string.

use oci_ref::Reference;

#[test]
fn serializes_as_the_canonical_string() {
    let r: Reference = "nginx:1.25".parse().expect("valid");
    assert_eq!(
        serde_json::to_string(&r).expect("serialize"),
        r#""docker.io/library/nginx:1.25""#
    );
    let back: Reference = serde_json::from_str(r#""docker.io/library/nginx:1.25""#).expect("deserialize");
    assert_eq!(back, r);
}

#[test]
fn deserializing_normalizes_and_refuses_bad_input() {
    let r: Reference = serde_json::from_str(r#""localhost:5000/app""#).expect("deserialize");
    assert_eq!(r.registry(), "localhost:5000");
    let short: Reference = serde_json::from_str(r#""nginx""#).expect("deserialize");
    assert_eq!(short.to_string(), "docker.io/library/nginx");
    let err = serde_json::from_str::<Reference>(r#""Nginx""#).expect_err("upper case");
    assert!(err.to_string().contains("must be lowercase"), "{err}");
    assert!(serde_json::from_str::<Reference>("42").is_err());
}
