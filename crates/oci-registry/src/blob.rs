//! Blob downloads as a verified stream, following redirects without leaking the registry's `Authorization`.

use std::collections::HashSet;
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use http::header;
use http::{Method, Response, StatusCode, Uri};
use http_body_util::BodyExt;
use hyper::body::Incoming;
use oci_digest::{Digest, Verifier};
use tokio::time::{Instant, timeout_at};

use crate::client::Core;
use crate::error::{Error, ErrorKind, cut};
use crate::location::Repository;
use crate::transport::{Call, Outgoing, deadline_after, header_str, is_redirect};
use crate::uri::{resolve_against, same_origin};
use crate::wire::expect_status;

/// The most redirects followed for one blob.
pub const MAX_REDIRECTS: usize = 5;

/// The slowest a blob body may arrive once its size is known: the deadline for the whole body is the request
/// timeout plus the size at this rate, so a server trickling bytes cannot keep a download alive forever.
pub const MIN_BLOB_RATE: u64 = 64 * 1024;

/// A blob's body as it arrives, from [`Client::blob`](crate::Client::blob): read it with [`Blob::chunk`] (or [`Blob::bytes`]).
///
/// Every chunk is hashed as it passes; the end of the body is reported only when the bytes match the digest asked
/// for, so a caller that reads to the end has verified content (a caller that stops early has not).
#[derive(Debug)]
pub struct Blob {
    digest: Digest,
    size: Option<u64>,
    body: Incoming,
    verifier: Option<Verifier>,
    /// When the whole body must have arrived.
    deadline: Instant,
    registry: String,
    repository: String,
}

/// Starts downloading the blob `digest` of `repository` (`GET /v2/NAME/blobs/DIGEST`), following at most
/// [`MAX_REDIRECTS`] redirects. The registry's `Authorization` goes only to the registry's own origin (scheme,
/// host and port): a redirect to storage elsewhere is followed without it, and never from HTTPS to plain HTTP
/// unless the target may use plain HTTP (loopback or marked insecure).
///
/// # Errors
///
/// [`ErrorKind::NotFound`] for an unknown blob, [`ErrorKind::TooManyRedirects`] past the limit or for a loop,
/// [`ErrorKind::Protocol`] for a redirect without a usable `Location`, [`ErrorKind::InsecureTransport`] for a
/// redirect to plain HTTP, and the errors of [`Client::ping`].
pub(crate) async fn blob(core: &Core, repository: &Repository, digest: &Digest) -> Result<Blob, Error> {
    let registry = repository.registry();
    let path = format!("/v2/{}/blobs/{digest}", repository.name());
    let call = Call::new(registry, Some(repository.name()), Method::GET, path.clone());
    let origin: Uri = format!("{}{path}", core.transport().base_url(registry)?)
        .parse()
        .map_err(|err| call.error(ErrorKind::InvalidInput).with_source(err))?;
    let deadline = core.deadline();
    let mut response = core.send(&call, deadline).await?;
    let mut current = origin.clone();
    let mut visited = HashSet::from([current.to_string()]);
    let mut redirects = 0;
    while is_redirect(response.status()) {
        redirects += 1;
        let location = header_str(response.headers(), header::LOCATION.as_str())
            .ok_or_else(|| {
                call.error(ErrorKind::Protocol)
                    .with_detail("a redirect without Location")
            })?
            .to_owned();
        drop(response);
        let target_text = resolve_against(&current, &location);
        if redirects > MAX_REDIRECTS || !visited.insert(target_text.clone()) {
            return Err(call.error(ErrorKind::TooManyRedirects).with_detail(format!(
                "gave up after {redirects} redirects, at `{}`",
                cut(&target_text)
            )));
        }
        let target: Uri = target_text.parse().map_err(|err| {
            call.error(ErrorKind::Protocol)
                .with_source(err)
                .with_detail(format!("bad redirect target `{}`", cut(&target_text)))
        })?;
        let authority = target.authority().map(|a| a.as_str().to_owned()).unwrap_or_default();
        match target.scheme_str() {
            Some("https") => {}
            Some("http") if core.transport().plain_http_allowed(&authority) || current.scheme_str() == Some("http") => {
            }
            _ => {
                return Err(call
                    .error(ErrorKind::InsecureTransport)
                    .with_detail(format!("redirect to `{}` refused", cut(&target_text))));
            }
        }
        if same_origin(&origin, &target) {
            let path = target.path_and_query().map_or("/", |p| p.as_str()).to_owned();
            let next = Call::new(registry, Some(repository.name()), Method::GET, path);
            response = core.send(&next, deadline).await?;
        } else {
            // Another origin: no Authorization, whatever the registry wanted.
            let outgoing = Outgoing {
                method: Method::GET,
                uri: target.clone(),
                headers: &[],
                body: Bytes::new(),
                authorization: None,
            };
            response = core.transport().request(call.at, outgoing, deadline).await?;
        }
        current = target;
    }
    let response = expect_status(&call, response, deadline, &[StatusCode::OK]).await?;
    Ok(Blob::new(core, repository, digest, response))
}

impl Blob {
    fn new(core: &Core, repository: &Repository, digest: &Digest, response: Response<Incoming>) -> Self {
        let size: Option<u64> =
            header_str(response.headers(), header::CONTENT_LENGTH.as_str()).and_then(|l| l.parse().ok());
        let transfer = Duration::from_secs(size.unwrap_or(0) / MIN_BLOB_RATE);
        Self {
            digest: digest.clone(),
            size,
            body: response.into_body(),
            verifier: Some(Verifier::new(digest.clone())),
            deadline: deadline_after(core.config().request_timeout().saturating_add(transfer)),
            registry: repository.registry().to_owned(),
            repository: repository.name().to_owned(),
        }
    }

    /// The digest asked for, which the body is verified against.
    pub fn digest(&self) -> &Digest {
        &self.digest
    }

    /// The size announced by `Content-Length`, when there was one.
    pub fn size(&self) -> Option<u64> {
        self.size
    }

    fn error(&self, kind: ErrorKind) -> Error {
        Error::new(kind)
            .with_registry(&self.registry)
            .with_repository(Some(&self.repository))
    }

    /// The next chunk of the body; `Ok(None)` at the end, once the whole body matched the digest.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::DigestMismatch`] at the end when the bytes do not match, [`ErrorKind::Timeout`] when the body
    /// has not arrived by its deadline (the request timeout plus the announced size at [`MIN_BLOB_RATE`]),
    /// [`ErrorKind::Http`] when the connection breaks.
    pub async fn chunk(&mut self) -> Result<Option<Bytes>, Error> {
        loop {
            let Some(verifier) = self.verifier.as_mut() else {
                return Ok(None);
            };
            let frame = match timeout_at(self.deadline, self.body.frame()).await {
                Err(_) => {
                    self.verifier = None;
                    return Err(self
                        .error(ErrorKind::Timeout)
                        .with_detail("the blob did not arrive in time"));
                }
                Ok(None) => {
                    let Some(verifier) = self.verifier.take() else {
                        return Ok(None);
                    };
                    return match verifier.finish() {
                        Ok(_) => Ok(None),
                        Err(mismatch) => Err(self.error(ErrorKind::DigestMismatch).with_source(mismatch)),
                    };
                }
                Ok(Some(Err(err))) => {
                    self.verifier = None;
                    return Err(self.error(ErrorKind::Http).with_source(err));
                }
                Ok(Some(Ok(frame))) => frame,
            };
            if let Ok(data) = frame.into_data() {
                if !data.is_empty() {
                    verifier.update(&data);
                    return Ok(Some(data));
                }
            }
        }
    }

    /// The whole body, at most `limit` bytes, verified.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::TooLarge`] past `limit`, and the errors of [`Blob::chunk`].
    pub async fn bytes(mut self, limit: u64) -> Result<Bytes, Error> {
        if self.size.is_some_and(|size| size > limit) {
            return Err(self
                .error(ErrorKind::TooLarge)
                .with_detail(format!("the limit is {limit} bytes")));
        }
        let mut out = BytesMut::new();
        while let Some(chunk) = self.chunk().await? {
            if out.len() as u64 + chunk.len() as u64 > limit {
                return Err(self
                    .error(ErrorKind::TooLarge)
                    .with_detail(format!("the limit is {limit} bytes")));
            }
            out.extend_from_slice(&chunk);
        }
        Ok(out.freeze())
    }
}
