//! Minimal, validated addresses of repositories and manifests.
//!
//! These stand in for `oci-ref`'s types until the client is switched to them: they validate just enough that every
//! value is safe to put into a request path.

use std::fmt;

use oci_digest::Digest;

use crate::error::{Error, ErrorKind, truncate};

/// A repository in a registry: the registry host (with an optional port) and the repository name.
///
/// `docker.io` and `index.docker.io` are rewritten to Docker Hub's API host `registry-1.docker.io`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Repository {
    registry: String,
    name: String,
}

/// A manifest in a repository, named by tag or by digest.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ManifestLocation {
    repository: Repository,
    reference: ManifestReference,
}

/// How a [`ManifestLocation`] names its manifest.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum ManifestReference {
    /// A tag, which may move to another manifest at any time.
    Tag(String),
    /// A digest, which names exactly one manifest.
    Digest(Digest),
}

impl Repository {
    /// A repository `name` in the registry `registry` (`host` or `host:port`; IPv6 addresses in brackets).
    ///
    /// # Errors
    ///
    /// [`ErrorKind::InvalidInput`] when the host is not a valid authority or the name is not a repository name
    /// (lowercase components of `[a-z0-9]` separated by `.`, `_`, `__` or dashes, joined by `/`).
    pub fn new(registry: &str, name: &str) -> Result<Self, Error> {
        let registry = normalize_registry(registry)?;
        if !valid_name(name) {
            return Err(invalid("repository name", name));
        }
        Ok(Self {
            registry,
            name: name.to_owned(),
        })
    }

    /// The registry host the requests go to, after Docker Hub's rewrite.
    pub fn registry(&self) -> &str {
        &self.registry
    }

    /// The repository name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The manifest with tag `tag` in this repository.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::InvalidInput`] when `tag` is not a tag (`[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}`).
    pub fn tag(&self, tag: &str) -> Result<ManifestLocation, Error> {
        if !valid_tag(tag) {
            return Err(invalid("tag", tag));
        }
        Ok(ManifestLocation {
            repository: self.clone(),
            reference: ManifestReference::Tag(tag.to_owned()),
        })
    }

    /// The manifest with digest `digest` in this repository.
    pub fn digest(&self, digest: Digest) -> ManifestLocation {
        ManifestLocation {
            repository: self.clone(),
            reference: ManifestReference::Digest(digest),
        }
    }
}

impl ManifestLocation {
    /// The repository the manifest is in.
    pub fn repository(&self) -> &Repository {
        &self.repository
    }

    /// The tag or digest naming the manifest.
    pub fn reference(&self) -> &ManifestReference {
        &self.reference
    }

    /// The digest when the manifest is named by digest.
    pub fn digest(&self) -> Option<&Digest> {
        match &self.reference {
            ManifestReference::Digest(digest) => Some(digest),
            ManifestReference::Tag(_) => None,
        }
    }
}

impl TryFrom<&oci_ref::Reference> for Repository {
    type Error = Error;

    /// The repository of a parsed reference; `docker.io` becomes Docker Hub's API host.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::InvalidInput`] when the reference has no registry (`oci_ref::Reference::parse_raw` of a name
    /// without a domain) or names one that cannot be used in a request.
    fn try_from(reference: &oci_ref::Reference) -> Result<Self, Error> {
        if reference.registry().is_empty() {
            return Err(invalid("registry host", reference.registry()).with_detail(format!(
                "the reference `{}` names no registry",
                truncate(&reference.to_string())
            )));
        }
        Self::new(reference.registry(), reference.repository())
    }
}

impl TryFrom<&oci_ref::Reference> for ManifestLocation {
    type Error = Error;

    /// The manifest a parsed reference names: by digest when it has one (a digest pins the manifest, whatever the
    /// tag says), else by tag, else by the default tag `latest`.
    ///
    /// # Errors
    ///
    /// The errors of [`Repository`]'s conversion, and [`ErrorKind::InvalidInput`] for a tag the registry API does
    /// not accept.
    fn try_from(reference: &oci_ref::Reference) -> Result<Self, Error> {
        let repository = Repository::try_from(reference)?;
        match (reference.digest(), reference.tag()) {
            (Some(digest), _) => Ok(repository.digest(digest.clone())),
            (None, Some(tag)) => repository.tag(tag),
            (None, None) => repository.tag("latest"),
        }
    }
}

impl TryFrom<oci_ref::Reference> for ManifestLocation {
    type Error = Error;

    /// As for `&Reference`.
    fn try_from(reference: oci_ref::Reference) -> Result<Self, Error> {
        Self::try_from(&reference)
    }
}

impl fmt::Display for Repository {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.registry, self.name)
    }
}

impl fmt::Display for ManifestLocation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}{}", self.repository, self.reference)
    }
}

impl fmt::Display for ManifestReference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Tag(tag) => write!(f, ":{tag}"),
            Self::Digest(digest) => write!(f, "@{digest}"),
        }
    }
}

impl ManifestReference {
    /// The path segment used in `/v2/NAME/manifests/SEGMENT`.
    pub(crate) fn path_segment(&self) -> &str {
        match self {
            Self::Tag(tag) => tag,
            Self::Digest(digest) => digest.as_str(),
        }
    }
}

/// Validates a registry authority and applies Docker Hub's host rewrite.
pub(crate) fn normalize_registry(registry: &str) -> Result<String, Error> {
    let valid = !registry.is_empty()
        && registry.len() <= 255
        && !registry.contains(['@', '/', '?', '#'])
        && registry.parse::<http::uri::Authority>().is_ok()
        && valid_port(registry);
    if !valid {
        return Err(invalid("registry host", registry));
    }
    Ok(match registry {
        "docker.io" | "index.docker.io" => "registry-1.docker.io".to_owned(),
        other => other.to_owned(),
    })
}

/// Whether a registry authority names the loopback interface, where plain HTTP is allowed as Docker allows it.
pub(crate) fn is_loopback(registry: &str) -> bool {
    let host = match registry.strip_prefix('[') {
        Some(rest) => rest.split(']').next().unwrap_or(rest),
        None => registry.rsplit_once(':').map_or(registry, |(host, _)| host),
    };
    host.eq_ignore_ascii_case("localhost") || host.parse::<std::net::IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

/// A port after the host, if any, is a number that fits in 16 bits.
fn valid_port(authority: &str) -> bool {
    let after_host = match authority.rfind(']') {
        Some(end) => &authority[end + 1..],
        None => authority.rfind(':').map_or("", |colon| &authority[colon..]),
    };
    match after_host.strip_prefix(':') {
        Some(port) => !port.is_empty() && port.bytes().all(|b| b.is_ascii_digit()) && port.parse::<u16>().is_ok(),
        None => after_host.is_empty(),
    }
}

fn valid_name(name: &str) -> bool {
    name.len() <= 255 && !name.is_empty() && name.split('/').all(valid_component)
}

fn valid_component(component: &str) -> bool {
    let bytes = component.as_bytes();
    let alnum = |b: &u8| b.is_ascii_lowercase() || b.is_ascii_digit();
    let (Some(first), Some(last)) = (bytes.first(), bytes.last()) else {
        return false;
    };
    if !alnum(first) || !alnum(last) {
        return false;
    }
    // Separators between alphanumeric runs: one `.`, one `_`, `__`, or any number of `-`.
    component
        .split(|c: char| c.is_ascii_lowercase() || c.is_ascii_digit())
        .all(|sep| sep.is_empty() || sep == "." || sep == "_" || sep == "__" || sep.bytes().all(|b| b == b'-'))
        && bytes.iter().all(|b| alnum(b) || matches!(b, b'.' | b'_' | b'-'))
}

fn valid_tag(tag: &str) -> bool {
    let bytes = tag.as_bytes();
    let word = |b: &u8| b.is_ascii_alphanumeric() || *b == b'_';
    matches!(bytes.first(), Some(first) if word(first))
        && bytes.len() <= 128
        && bytes.iter().all(|b| word(b) || matches!(b, b'.' | b'-'))
}

fn invalid(what: &str, input: &str) -> Error {
    Error::new(ErrorKind::InvalidInput).with_detail(format!("not a valid {what}: `{}`", truncate(input)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check_name(name: &str, ok: bool) {
        assert_eq!(Repository::new("r.example", name).is_ok(), ok, "{name}");
    }

    #[test]
    fn repository_names() {
        check_name("library/alpine", true);
        check_name("a", true);
        check_name("a/b/c", true);
        check_name("a.b_c__d---e", true);
        check_name("", false);
        check_name("A", false);
        check_name("a//b", false);
        check_name("/a", false);
        check_name("a/", false);
        check_name("a..b", false);
        check_name("a___b", false);
        check_name("a._b", false);
        check_name("-a", false);
        check_name("a?b", false);
        check_name("a/../b", false);
        check_name(&"a".repeat(256), false);
    }

    #[test]
    fn tags() {
        let repo = Repository::new("r.example", "a").unwrap();
        for ok in ["latest", "v1.2.3", "_x", "A-b.c", &"t".repeat(128)] {
            assert!(repo.tag(ok).is_ok(), "{ok}");
        }
        for bad in ["", ".x", "-x", "a/b", "a:b", "a?b", &"t".repeat(129)] {
            assert_eq!(repo.tag(bad).unwrap_err().kind(), ErrorKind::InvalidInput, "{bad}");
        }
    }

    #[test]
    fn registries() {
        let check = |input: &str, expected: Option<&str>| {
            assert_eq!(normalize_registry(input).ok().as_deref(), expected, "{input}");
        };
        check("docker.io", Some("registry-1.docker.io"));
        check("index.docker.io", Some("registry-1.docker.io"));
        check("ghcr.io", Some("ghcr.io"));
        check("127.0.0.1:5000", Some("127.0.0.1:5000"));
        check("[::1]:5000", Some("[::1]:5000"));
        check("", None);
        check("user@host", None);
        check("host/path", None);
        check("host:port", None);
        check("host:", None);
        check("host:70000", None);
        check("[::1]x", None);
    }

    #[test]
    fn loopback() {
        for yes in [
            "localhost",
            "localhost:5000",
            "127.0.0.1",
            "127.1.2.3:80",
            "[::1]:5000",
            "LOCALHOST",
        ] {
            assert!(is_loopback(yes), "{yes}");
        }
        for no in [
            "example.com",
            "10.0.0.1:5000",
            "[2001:db8::1]:443",
            "localhost.example.com",
        ] {
            assert!(!is_loopback(no), "{no}");
        }
    }

    #[test]
    fn from_references() {
        let check = |input: &str, expected: &str| {
            let reference = oci_ref::Reference::parse_normalized(input).unwrap();
            assert_eq!(
                ManifestLocation::try_from(&reference).unwrap().to_string(),
                expected,
                "{input}"
            );
        };
        let digest = Digest::sha256(b"x");
        check("alpine", "registry-1.docker.io/library/alpine:latest");
        check("docker.io/user/app:1.2", "registry-1.docker.io/user/app:1.2");
        check("index.docker.io/user/app:1.2", "registry-1.docker.io/user/app:1.2");
        check("ghcr.io/o/r:v1", "ghcr.io/o/r:v1");
        check("127.0.0.1:5000/a/b", "127.0.0.1:5000/a/b:latest");
        check(&format!("ghcr.io/o/r:v1@{digest}"), &format!("ghcr.io/o/r@{digest}"));
        check(
            &format!("localhost:5000/r@{digest}"),
            &format!("localhost:5000/r@{digest}"),
        );
        let raw = oci_ref::Reference::parse_raw("nginx").unwrap();
        assert_eq!(
            ManifestLocation::try_from(&raw).unwrap_err().kind(),
            ErrorKind::InvalidInput
        );
    }

    #[test]
    fn display() {
        let repo = Repository::new("docker.io", "library/alpine").unwrap();
        assert_eq!(
            repo.tag("3").unwrap().to_string(),
            "registry-1.docker.io/library/alpine:3"
        );
        let digest = Digest::sha256(b"x");
        assert_eq!(
            repo.digest(digest.clone()).to_string(),
            format!("registry-1.docker.io/library/alpine@{digest}")
        );
    }
}
