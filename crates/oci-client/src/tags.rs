//! Tag listing across every page, following `Link` as an opaque, same-origin cursor.

use std::collections::HashSet;

use http::{Method, StatusCode, Uri};

use crate::client::{Client, expect_status};
use crate::error::{Error, ErrorKind, quote};
use crate::link::{NextPage, next_page};
use crate::location::Repository;
use crate::transport::{Call, read_body};

/// The page size asked for (registries may send fewer, or ignore it).
const PAGE_SIZE: u32 = 1000;

/// The largest page read.
const PAGE_LIMIT: u64 = 16 * 1024 * 1024;

/// The most pages followed, against a registry whose cursor never ends.
const MAX_PAGES: usize = 10_000;

impl Client {
    /// Every tag of `repository`, in the registry's order, from `GET /v2/NAME/tags/list?n=1000` and the pages its
    /// `Link: <...>; rel="next"` headers point to.
    ///
    /// A next link is followed as it is (never rebuilt from `last`), and only on the registry's own origin: a
    /// cross-origin link, or one back to the same page, ends the listing, so a registry cannot send the client (and
    /// its credentials) elsewhere.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::NotFound`] for an unknown repository, [`ErrorKind::Protocol`] for a body that is not the tag
    /// list or a malformed `Link`, [`ErrorKind::TooLarge`] for a page over 16 MiB, and the errors of
    /// [`Client::ping`].
    pub async fn tags(&self, repository: &Repository) -> Result<Vec<String>, Error> {
        #[derive(serde::Deserialize)]
        struct Page {
            #[serde(default)]
            tags: Option<Vec<String>>,
        }
        let base = self.transport().base_url(repository.registry())?;
        let mut path = format!("/v2/{}/tags/list?n={PAGE_SIZE}", repository.name());
        let mut seen = HashSet::new();
        let mut tags = Vec::new();
        loop {
            let call = Call::new(
                repository.registry(),
                Some(repository.name()),
                Method::GET,
                path.clone(),
            );
            let deadline = self.deadline();
            let response = self.send(&call, deadline).await?;
            let response = expect_status(&call, response, deadline, &[StatusCode::OK]).await?;
            let uri: Uri = format!("{base}{path}")
                .parse()
                .map_err(|err| call.error(ErrorKind::InvalidInput).with_source(err))?;
            let next = next_page(&uri, response.headers()).map_err(|err| {
                call.error(ErrorKind::Protocol)
                    .with_source(err)
                    .with_detail("bad Link header")
            })?;
            let body = read_body(call.at, response, PAGE_LIMIT, deadline).await?;
            let page: Page = serde_json::from_slice(&body).map_err(|err| {
                call.error(ErrorKind::Protocol)
                    .with_source(err)
                    .with_detail("the tag list is not the JSON the API promises")
            })?;
            tags.extend(page.tags.unwrap_or_default());
            seen.insert(path);
            let NextPage::Next(next) = next else {
                return Ok(tags);
            };
            path = next.path_and_query().map_or("/", |p| p.as_str()).to_owned();
            if seen.contains(&path) || seen.len() >= MAX_PAGES {
                return Err(call
                    .error(ErrorKind::Protocol)
                    .with_detail(format!("the tag list's pages loop at `{}`", quote(&path))));
            }
        }
    }
}
