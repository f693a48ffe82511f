//! `serde` support: a reference travels as its canonical string.

use std::fmt;

use serde::de::{self, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::Reference;

impl Serialize for Reference {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Reference {
    /// Normalizes, like [`Reference::parse_normalized`], so `"nginx"` is accepted.
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_str(ReferenceVisitor)
    }
}

struct ReferenceVisitor;

impl Visitor<'_> for ReferenceVisitor {
    type Value = Reference;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an image reference such as \"docker.io/library/nginx:latest\"")
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Reference, E> {
        Reference::parse_normalized(v).map_err(E::custom)
    }
}
