//! One request to the registry and its answer read, with no cache and no budget: the layer under
//! [`cached`](crate::cached) and over [`Auth`](crate::auth::Auth). Nothing here calls back up.

use bytes::Bytes;
use http::header::{self, HeaderMap, HeaderValue};
use http::{Method, Response, StatusCode, Uri};
use hyper::body::Incoming;
use oci_digest::{Digest, Digester, Verifier};
use tokio::time::Instant;

use crate::auth::status_error;
use crate::client::{Core, MANIFEST_ACCEPT, ManifestHead, Ping, RawManifest};
use crate::error::{Error, ErrorKind, cut};
use crate::location::{ManifestLocation, Repository, api_host};
use crate::ratelimit::RateLimit;
use crate::transport::{Call, header_str, read_body};

/// `GET /v2/` on `registry`.
pub(crate) async fn ping(core: &Core, registry: &str) -> Result<Ping, Error> {
    let registry = api_host(registry)?;
    let call = Call::new(&registry, None, Method::GET, "/v2/".to_owned());
    let deadline = core.deadline();
    let response = core.send(&call, deadline).await?;
    let response = expect_status(&call, response, deadline, &[StatusCode::OK]).await?;
    let api_version = header_str(response.headers(), "docker-distribution-api-version").map(str::to_owned);
    Ok(Ping {
        http_version: response.version(),
        api_version,
    })
}

/// What a manifest `HEAD` said.
pub(crate) enum HeadAnswer {
    /// The digest and headers.
    Digest(ManifestHead),
    /// No `Docker-Content-Digest`: the caller fetches the manifest to learn it. The rate limit the answer announced.
    NoDigest(Option<RateLimit>),
}

/// A manifest `HEAD`: from the registry's mirrors first, when it has some, then from the registry itself.
pub(crate) async fn manifest_head(
    core: &Core,
    location: &ManifestLocation,
    deadline: Instant,
) -> Result<HeadAnswer, Error> {
    let (answer, mirror) = from_candidates(core, location, Method::HEAD, deadline, |call, until| async move {
        head_once(core, location, &call, until).await
    })
    .await?;
    Ok(match answer {
        HeadAnswer::Digest(mut head) => {
            head.served_by = mirror.map(str::to_owned);
            HeadAnswer::Digest(head)
        }
        answer @ HeadAnswer::NoDigest(_) => answer,
    })
}

async fn head_once(
    core: &Core,
    location: &ManifestLocation,
    call: &Call<'_>,
    deadline: Instant,
) -> Result<HeadAnswer, Error> {
    let response = core.send(call, deadline).await?;
    let response = expect_status(call, response, deadline, &[StatusCode::OK]).await?;
    let headers = response.headers();
    let rate_limit = RateLimit::from_headers(headers);
    let Some(digest) = content_digest(call, headers)? else {
        return Ok(HeadAnswer::NoDigest(rate_limit));
    };
    if let Some(expected) = location.digest() {
        if *expected != digest {
            return Err(call
                .error(ErrorKind::DigestMismatch)
                .with_detail(format!("asked for `{expected}`, the registry answered `{digest}`")));
        }
    }
    let size = header_str(headers, header::CONTENT_LENGTH.as_str()).and_then(|len| len.parse().ok());
    Ok(HeadAnswer::Digest(ManifestHead {
        digest,
        media_type: content_type(headers),
        size,
        http_version: response.version(),
        rate_limit,
        served_by: None,
    }))
}

/// Asks each [candidate](candidates) in turn with `once` until one answers: the answer and the mirror that gave it
/// (`None` for the registry itself). When none answers, the error of the last one asked.
async fn from_candidates<'a, T, F>(
    core: &'a Core,
    location: &'a ManifestLocation,
    method: Method,
    deadline: Instant,
    mut once: impl FnMut(Call<'a>, Instant) -> F,
) -> Result<(T, Option<&'a str>), Error>
where
    F: Future<Output = Result<T, Error>>,
{
    let candidates = candidates(core, location);
    let mut last = None;
    for (index, mirror) in candidates.iter().enumerate() {
        let (call, until) = candidate_call(
            core,
            location,
            method.clone(),
            *mirror,
            index + 1 == candidates.len(),
            deadline,
        );
        match once(call, until).await {
            Ok(answer) => return Ok((answer, *mirror)),
            Err(err) => {
                if let Some(mirror) = mirror {
                    tracing::debug!(mirror, error = %err, "the mirror did not answer the manifest {method}; trying the next");
                }
                last = Some(err);
            }
        }
    }
    Err(last.unwrap_or_else(|| location_error(location, ErrorKind::Connect).with_detail("no mirror was asked")))
}

/// Who is asked for a manifest, in order: each mirror of the registry (`Some(host)`), then the registry itself
/// (`None`) unless the client is configured mirror-only.
fn candidates<'a>(core: &'a Core, location: &ManifestLocation) -> Vec<Option<&'a str>> {
    let config = core.config();
    let mirrors = config.mirrors_of(location.repository().registry());
    let mut candidates: Vec<Option<&str>> = mirrors.iter().map(|mirror| Some(mirror.as_str())).collect();
    if mirrors.is_empty() || !config.mirror_only {
        candidates.push(None);
    }
    candidates
}

/// The call for one candidate, and its deadline: a mirror that is not the last candidate gets at most half the
/// time left, so that a hanging mirror leaves time for the next.
fn candidate_call<'a>(
    core: &Core,
    location: &'a ManifestLocation,
    method: Method,
    mirror: Option<&'a str>,
    last: bool,
    deadline: Instant,
) -> (Call<'a>, Instant) {
    let mut call = manifest_call(location, method);
    let Some(mirror) = mirror else {
        return (call, deadline);
    };
    let upstream = location.repository().registry();
    let ns = if oci_auth::is_docker_hub(upstream) {
        "docker.io"
    } else {
        upstream
    };
    call.at = crate::transport::Context::new(mirror, Some(location.repository().name()));
    call.path = format!("{}?ns={ns}", call.path);
    let until = if last {
        deadline
    } else {
        let now = Instant::now();
        now + deadline.saturating_duration_since(now) / 2
    };
    let _ = core;
    (call, until)
}

/// A manifest `HEAD` of the registry itself, past its mirrors: its digest, or `None` when it sent no
/// `Docker-Content-Digest` (learning it would take a `GET`, a pull, which a drift check does not spend).
pub(crate) async fn upstream_head(
    core: &Core,
    location: &ManifestLocation,
    deadline: Instant,
) -> Result<Option<ManifestHead>, Error> {
    let (call, until) = candidate_call(core, location, Method::HEAD, None, true, deadline);
    Ok(match head_once(core, location, &call, until).await? {
        HeadAnswer::Digest(head) => Some(head),
        HeadAnswer::NoDigest(_) => None,
    })
}

fn location_error(location: &ManifestLocation, kind: ErrorKind) -> Error {
    Error::new(kind)
        .with_registry(location.repository().registry())
        .with_repository(Some(location.repository().name()))
}

/// The manifest `GET` itself, under no budget and past no cache: its bytes within the size limit, verified against
/// the digest asked for or announced.
pub(crate) async fn manifest_get(
    core: &Core,
    location: &ManifestLocation,
    deadline: Instant,
) -> Result<RawManifest, Error> {
    let (mut manifest, mirror) = from_candidates(core, location, Method::GET, deadline, |call, until| async move {
        get_once(core, location, &call, until).await
    })
    .await?;
    manifest.served_by = mirror.map(str::to_owned);
    Ok(manifest)
}

async fn get_once(
    core: &Core,
    location: &ManifestLocation,
    call: &Call<'_>,
    deadline: Instant,
) -> Result<RawManifest, Error> {
    let response = core.send(call, deadline).await?;
    let response = expect_status(call, response, deadline, &[StatusCode::OK]).await?;
    let http_version = response.version();
    let announced = content_digest(call, response.headers())?;
    let media_type = content_type(response.headers());
    let rate_limit = RateLimit::from_headers(response.headers());
    let limit = core.config().manifest_size_limit;
    let bytes = read_body(call.at, response, limit, deadline).await?;
    let digest = match location.digest().or(announced.as_ref()) {
        Some(expected) => {
            let mut verifier = Verifier::new(expected.clone());
            verifier.update(&bytes);
            verifier
                .finish()
                .map_err(|mismatch| call.error(ErrorKind::DigestMismatch).with_source(mismatch))?
        }
        None => {
            let mut digester = Digester::sha256();
            digester.update(&bytes);
            digester.finish()
        }
    };
    if let (Some(requested), Some(announced)) = (location.digest(), &announced) {
        if requested != announced {
            return Err(call
                .error(ErrorKind::DigestMismatch)
                .with_detail(format!("asked for `{requested}`, the registry announced `{announced}`")));
        }
    }
    Ok(RawManifest {
        digest,
        media_type,
        bytes,
        http_version,
        rate_limit,
        cached: false,
        served_by: None,
    })
}

/// Uploads `data` as a blob of `repository` (`POST` then `PUT ?digest=`).
pub(crate) async fn push_blob(core: &Core, repository: &Repository, data: Bytes) -> Result<Digest, Error> {
    let digest = Digest::sha256(&data);
    let path = format!("/v2/{}/blobs/uploads/", repository.name());
    let start = Call::new(repository.registry(), Some(repository.name()), Method::POST, path).push();
    let deadline = core.deadline();
    let response = core.send(&start, deadline).await?;
    let response = expect_status(&start, response, deadline, &[StatusCode::ACCEPTED]).await?;
    let location = header_str(response.headers(), header::LOCATION.as_str()).ok_or_else(|| {
        start
            .error(ErrorKind::Protocol)
            .with_detail("upload answered without a Location")
    })?;
    let upload = same_origin_path(core, &start, location)?;
    let separator = if upload.contains('?') { '&' } else { '?' };
    let path = format!("{upload}{separator}digest={digest}");
    let mut put = Call::new(repository.registry(), Some(repository.name()), Method::PUT, path).push();
    put.headers.push((
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/octet-stream"),
    ));
    put.body = data;
    let response = core.send(&put, deadline).await?;
    expect_status(&put, response, deadline, &[StatusCode::CREATED]).await?;
    Ok(digest)
}

/// Uploads a manifest's exact bytes to `location` with its media type.
pub(crate) async fn push_manifest(
    core: &Core,
    location: &ManifestLocation,
    media_type: &str,
    bytes: Bytes,
) -> Result<Digest, Error> {
    let digest = Digest::sha256(&bytes);
    let mut call = manifest_call(location, Method::PUT).push();
    call.headers.clear();
    let content_type = HeaderValue::from_str(media_type).map_err(|_| {
        Error::new(ErrorKind::InvalidInput).with_detail(format!("not a media type: `{}`", cut(media_type)))
    })?;
    call.headers.push((header::CONTENT_TYPE, content_type));
    call.body = bytes;
    let deadline = core.deadline();
    let response = core.send(&call, deadline).await?;
    let response = expect_status(&call, response, deadline, &[StatusCode::CREATED]).await?;
    if let Some(announced) = content_digest(&call, response.headers())? {
        if announced != digest {
            return Err(call
                .error(ErrorKind::DigestMismatch)
                .with_detail(format!("pushed `{digest}`, the registry stored `{announced}`")));
        }
    }
    Ok(digest)
}

/// The path of an upload `location` on the registry of `call`, refused when it points to another host.
fn same_origin_path(core: &Core, call: &Call<'_>, location: &str) -> Result<String, Error> {
    if location.starts_with('/') {
        return Ok(location.to_owned());
    }
    let uri: Uri = location.parse().map_err(|err| {
        call.error(ErrorKind::Protocol)
            .with_source(err)
            .with_detail("bad Location")
    })?;
    let base: Uri = core
        .transport()
        .base_url(call.at.registry)?
        .parse()
        .map_err(|err| call.error(ErrorKind::InvalidInput).with_source(err))?;
    if uri.authority() != base.authority() {
        return Err(call
            .error(ErrorKind::Protocol)
            .with_detail(format!("upload location on another host: `{}`", cut(location))));
    }
    Ok(uri.path_and_query().map_or("/", |p| p.as_str()).to_owned())
}

pub(crate) async fn expect_status(
    call: &Call<'_>,
    response: Response<Incoming>,
    deadline: Instant,
    expected: &[StatusCode],
) -> Result<Response<Incoming>, Error> {
    if expected.contains(&response.status()) {
        return Ok(response);
    }
    Err(status_error(call.at, response, deadline).await)
}

fn manifest_call(location: &ManifestLocation, method: Method) -> Call<'_> {
    let repository = location.repository();
    let path = format!(
        "/v2/{}/manifests/{}",
        repository.name(),
        location.reference().path_segment()
    );
    let mut call = Call::new(repository.registry(), Some(repository.name()), method, path);
    call.headers
        .push((header::ACCEPT, HeaderValue::from_static(MANIFEST_ACCEPT)));
    call
}

fn content_type(headers: &HeaderMap) -> Option<String> {
    header_str(headers, header::CONTENT_TYPE.as_str()).map(str::to_owned)
}

/// The `Docker-Content-Digest` header, when present.
fn content_digest(call: &Call<'_>, headers: &HeaderMap) -> Result<Option<Digest>, Error> {
    match header_str(headers, "docker-content-digest") {
        None => Ok(None),
        Some(value) => Digest::parse(value.trim()).map(Some).map_err(|err| {
            call.error(ErrorKind::Protocol)
                .with_source(err)
                .with_detail("bad Docker-Content-Digest")
        }),
    }
}

/// [`Client::send`](crate::Client::send): one request to any `http(s)` URL, its errors naming the host only.
pub(crate) async fn send_any(
    core: &Core,
    method: Method,
    url: &str,
    headers: &[(String, String)],
    body: Bytes,
    limit: u64,
) -> Result<(StatusCode, Bytes), Error> {
    let invalid = |detail: &str| Error::new(ErrorKind::InvalidInput).with_detail(detail.to_owned());
    let uri: Uri = url
        .parse()
        .map_err(|_| invalid("not a URL (the URL is not shown: it may hold a secret)"))?;
    if !matches!(uri.scheme_str(), Some("http" | "https")) {
        return Err(invalid("only http:// and https:// URLs can be sent to"));
    }
    let Some(host) = uri.host().map(str::to_owned) else {
        return Err(invalid("the URL has no host"));
    };
    let mut sent = Vec::with_capacity(headers.len());
    for (name, value) in headers {
        let name = header::HeaderName::from_bytes(name.as_bytes())
            .map_err(|_| invalid("a header name that HTTP does not allow"))?;
        let mut value = HeaderValue::from_str(value).map_err(|_| invalid("a header value that HTTP does not allow"))?;
        if name == header::AUTHORIZATION || name == header::PROXY_AUTHORIZATION {
            value.set_sensitive(true);
        }
        sent.push((name, value));
    }
    let at = crate::transport::Context::new(&host, None);
    let deadline = crate::transport::deadline_after(core.config().request_timeout);
    let request = crate::transport::Outgoing {
        method,
        uri,
        headers: &sent,
        body,
        authorization: None,
    };
    let response = core.transport().request(at, request, deadline).await?;
    let status = response.status();
    let body = read_body(at, response, limit, deadline).await?;
    Ok((status, body))
}
