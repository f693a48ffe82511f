//! Addresses of repositories and manifests: where a request goes.
//!
//! They come infallibly from an [`oci_ref::Reference`] (already valid: its grammar is the registry API's), or from
//! strings through [`Repository::new`] and [`Repository::tag`], which validate just enough that every value is safe to
//! put into a request path.

use std::fmt;

use oci_digest::Digest;

use crate::error::{Error, ErrorKind, cut};

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
        let registry = api_host(registry)?;
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

impl From<&oci_ref::Reference> for Repository {
    /// The repository of a parsed reference; `docker.io` becomes Docker Hub's API host. A reference without a
    /// registry (from [`oci_ref::Reference::parse_raw`]) means Docker Hub, as Docker reads it, with `library/` before
    /// a one-component name.
    fn from(reference: &oci_ref::Reference) -> Self {
        let (registry, name) = match reference.registry() {
            "" if !reference.repository().contains('/') => (
                oci_auth::DOCKER_HUB_API.to_owned(),
                format!("library/{}", reference.repository()),
            ),
            "" => (oci_auth::DOCKER_HUB_API.to_owned(), reference.repository().to_owned()),
            registry => (
                docker_hub_to_api(registry).to_owned(),
                reference.repository().to_owned(),
            ),
        };
        Self { registry, name }
    }
}

impl From<&oci_ref::Reference> for ManifestLocation {
    /// The manifest a parsed reference names: by digest when it has one (a digest pins the manifest, whatever the
    /// tag says), else by tag, else by the default tag `latest`.
    fn from(reference: &oci_ref::Reference) -> Self {
        let repository = Repository::from(reference);
        let reference = match (reference.digest(), reference.tag()) {
            (Some(digest), _) => ManifestReference::Digest(digest.clone()),
            (None, Some(tag)) => ManifestReference::Tag(tag.to_owned()),
            (None, None) => ManifestReference::Tag("latest".to_owned()),
        };
        Self { repository, reference }
    }
}

impl From<oci_ref::Reference> for ManifestLocation {
    /// As for `&Reference`.
    fn from(reference: oci_ref::Reference) -> Self {
        Self::from(&reference)
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

/// Validates a registry authority and gives the host requests go to: Docker Hub's names become its API host
/// (credentials files key Docker Hub differently: see `oci_auth::normalize_registry`).
pub(crate) fn api_host(registry: &str) -> Result<String, Error> {
    let valid = !registry.is_empty()
        && registry.len() <= 255
        && !registry.contains(['@', '/', '?', '#'])
        && registry.parse::<http::uri::Authority>().is_ok()
        && valid_port(registry);
    if !valid {
        return Err(invalid("registry host", registry));
    }
    Ok(docker_hub_to_api(registry).to_owned())
}

fn docker_hub_to_api(registry: &str) -> &str {
    if oci_auth::is_docker_hub(registry) {
        oci_auth::DOCKER_HUB_API
    } else {
        registry
    }
}

/// Whether a registry authority (`host[:port]`) names the loopback interface by its text, with the workspace's one
/// loopback rule ([`oci_auth::is_loopback_host`]). What the name resolves to is checked again when connecting.
pub(crate) fn is_loopback(authority: &str) -> bool {
    oci_auth::is_loopback_host(host_of(authority))
}

/// The host of an authority, without brackets or port.
pub(crate) fn host_of(authority: &str) -> &str {
    match authority.strip_prefix('[') {
        Some(rest) => rest.split(']').next().unwrap_or(rest),
        None => authority.rsplit_once(':').map_or(authority, |(host, _)| host),
    }
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
    Error::new(ErrorKind::InvalidInput).with_detail(format!("not a valid {what}: `{}`", cut(input)))
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
            assert_eq!(api_host(input).ok().as_deref(), expected, "{input}");
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
            assert_eq!(ManifestLocation::from(&reference).to_string(), expected, "{input}");
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
        let raw = oci_ref::Reference::parse_raw("nginx:1").unwrap();
        assert_eq!(
            ManifestLocation::from(&raw).to_string(),
            "registry-1.docker.io/library/nginx:1"
        );
        // Go's raw grammar takes the first component as the registry.
        let raw = oci_ref::Reference::parse_raw("user/app").unwrap();
        assert_eq!(ManifestLocation::from(&raw).to_string(), "user/app:latest");
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
