//! Tag listing across every page, following `Link` as an opaque, same-origin cursor.

use std::collections::HashSet;

use http::{Method, StatusCode, Uri};

use tokio::time::Instant;

use crate::client::Core;
use crate::error::{Error, ErrorKind, cut};
use crate::link::{NextPage, next_page};
use crate::location::Repository;
use crate::transport::{Call, read_body};
use crate::wire::expect_status;

/// The page size asked for (registries may send fewer, or ignore it).
const PAGE_SIZE: u32 = 1000;

/// The largest page read.
const PAGE_LIMIT: u64 = 4 * 1024 * 1024;

/// The most tags listed for one repository, across all pages: past it, the listing fails with
/// [`ErrorKind::TooLarge`] instead of growing without bound.
pub const MAX_TAGS: usize = 100_000;

/// The most pages followed, against a registry whose cursor never ends.
const MAX_PAGES: usize = 10_000;

/// Lists the tags of `repository` page by page (see [`Client::tags`](crate::Client::tags)), giving each page to
/// `each_page`. With `deadline`, the whole listing ends by it; without, each page has the request timeout.
pub(crate) async fn tags_each<F>(
    core: &Core,
    repository: &Repository,
    deadline: Option<Instant>,
    mut each_page: F,
) -> Result<(), Error>
where
    F: FnMut(Vec<String>),
{
    let mut listed = 0;
    let base = core.transport().base_url(repository.registry())?;
    let mut path = format!("/v2/{}/tags/list?n={PAGE_SIZE}", repository.name());
    let mut seen = HashSet::new();
    loop {
        let call = Call::new(
            repository.registry(),
            Some(repository.name()),
            Method::GET,
            path.clone(),
        );
        let deadline = deadline.unwrap_or_else(|| core.deadline());
        let response = core.send(&call, deadline).await?;
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
        let page = parse_page(&body, MAX_TAGS - listed).map_err(|err| {
            let kind = if err.to_string().starts_with(TOO_MANY) {
                ErrorKind::TooLarge
            } else {
                ErrorKind::Protocol
            };
            call.error(kind).with_source(err).with_detail(format!(
                "the tag list is not the JSON the API promises, or has over {MAX_TAGS} tags"
            ))
        })?;
        listed += page.len();
        each_page(page);
        seen.insert(path);
        let NextPage::Next(next) = next else {
            return Ok(());
        };
        path = next.path_and_query().map_or("/", |p| p.as_str()).to_owned();
        if seen.contains(&path) || seen.len() >= MAX_PAGES {
            return Err(call
                .error(ErrorKind::Protocol)
                .with_detail(format!("the tag list's pages loop at `{}`", cut(&path))));
        }
    }
}

const TOO_MANY: &str = "too many tags";

/// The tags of one page, `{"name": ..., "tags": [...]}` (`tags` may be null or missing), at most `budget` of them:
/// the array is read one tag at a time and refused at the first tag over the budget.
fn parse_page(body: &[u8], budget: usize) -> Result<Vec<String>, serde_json::Error> {
    use serde::de::{self, Deserializer, MapAccess, SeqAccess, Visitor};
    use std::fmt;

    struct Tags(usize);
    struct Page(usize);

    impl<'de> de::DeserializeSeed<'de> for Tags {
        type Value = Option<Vec<String>>;
        fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
            deserializer.deserialize_option(self)
        }
    }

    impl<'de> Visitor<'de> for Tags {
        type Value = Option<Vec<String>>;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("an array of tags or null")
        }
        fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_some<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
            deserializer.deserialize_seq(self)
        }
        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
            let mut tags = Vec::new();
            while let Some(tag) = seq.next_element::<String>()? {
                if tags.len() == self.0 {
                    return Err(de::Error::custom(TOO_MANY));
                }
                tags.push(tag);
            }
            Ok(Some(tags))
        }
    }

    impl<'de> Visitor<'de> for Page {
        type Value = Vec<String>;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a tag list object")
        }
        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
            let mut tags = None;
            while let Some(key) = map.next_key::<String>()? {
                if key == "tags" {
                    tags = map.next_value_seed(Tags(self.0))?;
                } else {
                    map.next_value::<de::IgnoredAny>()?;
                }
            }
            Ok(tags.unwrap_or_default())
        }
    }

    let mut deserializer = serde_json::Deserializer::from_slice(body);
    let page = deserializer.deserialize_map(Page(budget))?;
    deserializer.end()?;
    Ok(page)
}

#[cfg(test)]
mod tests {
    use super::parse_page;

    #[test]
    fn pages_are_read_within_the_budget() {
        assert_eq!(parse_page(br#"{"name":"a","tags":["1","2"]}"#, 10).unwrap(), ["1", "2"]);
        assert!(parse_page(br#"{"name":"a","tags":null}"#, 10).unwrap().is_empty());
        assert!(parse_page(br#"{"name":"a"}"#, 10).unwrap().is_empty());
        assert!(
            parse_page(br#"{"tags":["1","2","3"]}"#, 2)
                .unwrap_err()
                .to_string()
                .starts_with(super::TOO_MANY)
        );
        for bad in [&br#"{"tags":[1]}"#[..], b"[]", b"{", br#"{"tags":["a"]} x"#] {
            assert!(parse_page(bad, 10).is_err(), "{}", String::from_utf8_lossy(bad));
        }
    }
}
