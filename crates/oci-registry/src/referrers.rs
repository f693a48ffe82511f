//! The manifests that refer to another (OCI distribution spec 1.1: signatures, SBOMs, attestations whose
//! `subject` is that manifest): the referrers API, else the referrers tag schema, learned once per registry.
//!
//! - **The API**: `GET /v2/<name>/referrers/<digest>[?artifactType=...]` answers an image index of descriptors,
//!   paged by `Link` like the tag list. A registry that filtered by the artifact type says so in
//!   `OCI-Filters-Applied`; otherwise the descriptors are filtered here.
//! - **The tag schema**, for registries without the API (Docker Hub, GHCR, distribution 2.x): the index is kept
//!   under the tag `<algorithm>-<hex>` of the subject's digest. Its digest comes from a `HEAD` (free on Docker Hub)
//!   and the index by digest through the cache and the pull budget, so a repeat lookup spends no pull.
//!
//! A registry answers the API with 404, 400, 405 or 501 when it does not implement it (the spec's 404, and what
//! proxies and older registries send); that is remembered for the client's life, so each registry is asked once.

use http::{HeaderValue, Method, StatusCode, Uri, header};
use oci_digest::Digest;
use oci_manifest::{Descriptor, Manifest, media_type};
use tokio::time::Instant;

use crate::client::Core;
use crate::error::{Error, ErrorKind, cut};
use crate::fetch::{Fetch, Fetched};
use crate::link::{NextPage, next_page};
use crate::location::Repository;
use crate::transport::{Call, header_str, read_body};

/// The most pages of referrers followed, against a registry whose cursor never ends.
const MAX_PAGES: usize = 100;

/// The most referrers kept for one subject, across pages.
const MAX_REFERRERS: usize = 10_000;

/// How the referrers of a manifest were found.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FoundVia {
    /// The referrers API (`GET /v2/<name>/referrers/<digest>`).
    Referrers,
    /// The referrers tag schema (the index under the tag `sha256-<hex>`).
    ReferrersTag,
}

impl FoundVia {
    /// `referrers` or `referrers-tag`, as JSON output names them.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Referrers => "referrers",
            Self::ReferrersTag => "referrers-tag",
        }
    }
}

/// The answer to [`Client::referrers`](crate::Client::referrers).
#[derive(Debug, Clone)]
pub struct Referrers {
    descriptors: Vec<Descriptor>,
    found_via: FoundVia,
    requests: u32,
    pulls: u32,
    cache_hits: u32,
}

impl Referrers {
    /// The referring manifests, of the artifact type asked for when one was, in the registry's order.
    pub fn descriptors(&self) -> &[Descriptor] {
        &self.descriptors
    }

    /// Whether they came from the API or from the tag schema.
    pub fn found_via(&self) -> FoundVia {
        self.found_via
    }

    /// Requests sent for them (the API's pages, or the tag's `HEAD` and the index's `GET`).
    pub fn requests(&self) -> u32 {
        self.requests
    }

    /// Manifest `GET`s spent (pulls, on Docker Hub): the tag schema's index, when the cache did not have it.
    pub fn pulls(&self) -> u32 {
        self.pulls
    }

    /// Indexes read from the cache.
    pub fn cache_hits(&self) -> u32 {
        self.cache_hits
    }
}

/// The tag under which the referrers tag schema keeps the index of `digest`'s referrers: `sha256-<hex>`.
pub fn referrers_tag(digest: &Digest) -> String {
    format!("{}-{}", digest.algorithm(), digest.encoded())
}

pub(crate) async fn referrers(
    core: &Core,
    repository: &Repository,
    subject: &Digest,
    artifact_type: Option<&str>,
) -> Result<Referrers, Error> {
    let deadline = core.deadline();
    if core.referrers_api(repository.registry()) != Some(false) {
        match api(core, repository, subject, artifact_type, deadline).await? {
            Some(found) => {
                core.learn_referrers_api(repository.registry(), true);
                return Ok(found);
            }
            None => core.learn_referrers_api(repository.registry(), false),
        }
    }
    tag_schema(core, repository, subject, artifact_type, deadline).await
}

/// The API, page by page; `None` when the registry does not implement it.
async fn api(
    core: &Core,
    repository: &Repository,
    subject: &Digest,
    artifact_type: Option<&str>,
    deadline: Instant,
) -> Result<Option<Referrers>, Error> {
    let base = core.transport().base_url(repository.registry())?;
    let mut path = format!("/v2/{}/referrers/{subject}", repository.name());
    if let Some(artifact_type) = artifact_type {
        path = format!("{path}?artifactType={}", query_escape(artifact_type));
    }
    let mut descriptors = Vec::new();
    let mut requests = 0;
    let mut seen = std::collections::HashSet::new();
    loop {
        let mut call = Call::new(
            repository.registry(),
            Some(repository.name()),
            Method::GET,
            path.clone(),
        );
        call.headers
            .push((header::ACCEPT, HeaderValue::from_static(media_type::OCI_IMAGE_INDEX)));
        let response = core.send(&call, deadline).await?;
        requests += 1;
        let status = response.status();
        if requests == 1
            && matches!(
                status,
                StatusCode::NOT_FOUND
                    | StatusCode::BAD_REQUEST
                    | StatusCode::METHOD_NOT_ALLOWED
                    | StatusCode::NOT_IMPLEMENTED
            )
        {
            return Ok(None);
        }
        let response = crate::wire::expect_status(&call, response, deadline, &[StatusCode::OK]).await?;
        let filtered = header_str(response.headers(), "oci-filters-applied")
            .is_some_and(|applied| applied.split(',').any(|filter| filter.trim() == "artifactType"));
        let uri: Uri = format!("{base}{path}")
            .parse()
            .map_err(|err| call.error(ErrorKind::InvalidInput).with_source(err))?;
        let next = next_page(&uri, response.headers()).map_err(|err| {
            call.error(ErrorKind::Protocol)
                .with_source(err)
                .with_detail("bad Link header")
        })?;
        let limit = core.config().manifest_size_limit;
        let body = read_body(call.at, response, limit, deadline).await?;
        let page = index_entries(&body).map_err(|detail| call.error(ErrorKind::Protocol).with_detail(detail))?;
        descriptors.extend(
            page.into_iter()
                .filter(|descriptor| filtered || wanted(descriptor, artifact_type)),
        );
        if descriptors.len() > MAX_REFERRERS {
            return Err(call
                .error(ErrorKind::TooLarge)
                .with_detail(format!("over {MAX_REFERRERS} referrers of {subject}")));
        }
        seen.insert(path);
        let NextPage::Next(next) = next else {
            return Ok(Some(Referrers {
                descriptors,
                found_via: FoundVia::Referrers,
                requests,
                pulls: 0,
                cache_hits: 0,
            }));
        };
        path = next.path_and_query().map_or("/", |p| p.as_str()).to_owned();
        if seen.contains(&path) || seen.len() >= MAX_PAGES {
            return Err(call
                .error(ErrorKind::Protocol)
                .with_detail(format!("the referrers' pages loop at `{}`", cut(&path))));
        }
    }
}

/// The index under the tag `sha256-<hex>`: its digest by `HEAD`, the index by digest through the cache.
async fn tag_schema(
    core: &Core,
    repository: &Repository,
    subject: &Digest,
    artifact_type: Option<&str>,
    deadline: Instant,
) -> Result<Referrers, Error> {
    let mut fetch = Fetch::new(core, repository.clone(), deadline);
    let tag = repository.tag(&referrers_tag(subject))?;
    let none = |fetch: &Fetch<'_>| {
        let tally = fetch.tally();
        Referrers {
            descriptors: Vec::new(),
            found_via: FoundVia::ReferrersTag,
            requests: tally.requests(),
            pulls: tally.pulls,
            cache_hits: tally.cache_hits,
        }
    };
    let head = match fetch.head(&tag).await? {
        Fetched::Got(head) => head,
        Fetched::Missing(_) => return Ok(none(&fetch)),
        Fetched::Withheld(_, err) => return Err(err),
    };
    let read = match fetch.manifest(&repository.digest(head.digest().clone())).await? {
        Fetched::Got(read) => read,
        Fetched::Missing(_) => return Ok(none(&fetch)),
        Fetched::Withheld(_, err) => return Err(err),
    };
    let Some(index) = read.parsed.as_index() else {
        return Err(Error::new(ErrorKind::Protocol)
            .with_registry(repository.registry())
            .with_repository(Some(repository.name()))
            .with_detail(format!(
                "the referrers tag `{}` names a {}, not an index",
                referrers_tag(subject),
                read.parsed.media_type()
            )));
    };
    let descriptors = index
        .manifests()
        .iter()
        .filter(|descriptor| wanted(descriptor, artifact_type))
        .take(MAX_REFERRERS)
        .cloned()
        .collect();
    let tally = fetch.tally();
    Ok(Referrers {
        descriptors,
        found_via: FoundVia::ReferrersTag,
        requests: tally.requests(),
        pulls: tally.pulls,
        cache_hits: tally.cache_hits,
    })
}

fn wanted(descriptor: &Descriptor, artifact_type: Option<&str>) -> bool {
    artifact_type.is_none_or(|wanted| descriptor.artifact_type() == Some(wanted))
}

/// The descriptors of an image index answered by the API.
fn index_entries(body: &[u8]) -> Result<Vec<Descriptor>, String> {
    let manifest = Manifest::parse(body, Some(media_type::OCI_IMAGE_INDEX))
        .map_err(|err| format!("the referrers answer is not an image index: {err}"))?;
    let index = manifest
        .as_index()
        .ok_or("the referrers answer is not an image index")?;
    Ok(index.manifests().to_vec())
}

/// `text` for a query parameter: unreserved characters as they are, the rest percent-encoded (media types hold
/// `/`, `+` and `.`).
fn query_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || b"-._~".contains(&byte) {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_tag_schema_names_the_digest_with_a_dash() {
        let digest = Digest::sha256(b"subject");
        assert_eq!(referrers_tag(&digest), format!("sha256-{}", digest.encoded()));
    }

    #[test]
    fn artifact_types_are_escaped_for_the_query() {
        assert_eq!(
            query_escape("application/vnd.dev.cosign.artifact.sig.v1+json"),
            "application%2Fvnd.dev.cosign.artifact.sig.v1%2Bjson"
        );
    }

    #[test]
    fn answers_that_are_no_index_are_refused() {
        assert!(index_entries(b"{}").is_err());
        assert!(index_entries(b"not json").is_err());
        let index = br#"{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[]}"#;
        assert_eq!(index_entries(index).unwrap(), Vec::new());
    }
}
