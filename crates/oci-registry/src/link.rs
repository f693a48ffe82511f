//! `Link` headers (RFC 8288) and the next page of a paginated list.
//!
//! Registries paginate tag lists and the catalog with `Link: </v2/NAME/tags/list?last=X&n=N>; rel="next"`. The
//! target is an opaque cursor: it is resolved against the URL of the request that returned it (RFC 3986 section 5)
//! and followed as it is, never rebuilt from `last`. It is followed only on the request's own origin (scheme, host
//! and port), so that a registry cannot send the client, and its credentials, somewhere else. The URI arithmetic
//! (resolution, origins) is `uri.rs`'s, shared with the blob redirects.

use std::fmt;

use http::{HeaderMap, Uri};
use oci_auth::internal::write_quoted_string;

use crate::uri::{Reference, resolve, same_origin};

/// The longest header value quoted in an error message.
const QUOTE_LIMIT: usize = 120;

/// One link of a `Link` header: a target URI-reference and its parameters.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Link {
    target: String,
    /// Parameter names in lowercase, with their value (unquoted) when they have one, in header order.
    params: Vec<(String, Option<String>)>,
}

/// What [`next_page`] found.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NextPage {
    /// No `rel="next"` link: this was the last page.
    End,
    /// The next page's URL, on the same origin as the request.
    Next(Uri),
    /// A `rel="next"` link that must not be followed, with the target it resolved to and why.
    Ignored {
        /// The resolved target, as text (it may not even be an HTTP URL).
        target: String,
        /// Why it is not followed.
        reason: IgnoredReason,
    },
}

/// Why a next link is not followed.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum IgnoredReason {
    /// The link points to another scheme, host or port, or carries user information.
    CrossOrigin,
    /// The link points back to the page it came from, which would loop forever.
    SamePage,
}

/// A `Link` header that could not be read, or a target that is not a usable URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinkError {
    kind: LinkErrorKind,
    detail: &'static str,
    input: String,
}

/// What kind of failure a [`LinkError`] is.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LinkErrorKind {
    /// The header value does not follow the `Link` grammar of RFC 8288.
    Syntax,
    /// The link's target, resolved against the request URL, is not a valid URL.
    InvalidTarget,
    /// The request URL to resolve against has no scheme or host.
    RelativeBase,
}

impl Link {
    /// Parses one `Link` header value, which may hold several comma-separated links.
    ///
    /// Parameter names are case-insensitive and returned in lowercase; values may be tokens or quoted strings.
    ///
    /// # Errors
    ///
    /// [`LinkErrorKind::Syntax`] when the value does not follow the grammar.
    ///
    /// ```
    /// use oci_registry::internal::Link;
    ///
    /// let links = Link::parse_header(r#"</v2/_catalog?last=b&n=2>; rel="next", <https://x.example/>; rel=help"#)?;
    /// assert_eq!(links.len(), 2);
    /// assert_eq!(links[0].target(), "/v2/_catalog?last=b&n=2");
    /// assert!(links[0].has_rel("next"));
    /// # Ok::<(), oci_registry::internal::LinkError>(())
    /// ```
    pub fn parse_header(value: &str) -> Result<Vec<Self>, LinkError> {
        Parser { input: value, pos: 0 }.links()
    }

    /// The target URI-reference as sent, between `<` and `>`; relative references are not resolved here.
    pub fn target(&self) -> &str {
        &self.target
    }

    /// The relation types of the first `rel` parameter (space-separated; later `rel` parameters are ignored, as RFC
    /// 8288 says).
    pub fn rels(&self) -> impl Iterator<Item = &str> {
        self.param("rel")
            .into_iter()
            .flat_map(|rel| rel.split([' ', '\t']).filter(|r| !r.is_empty()))
    }

    /// Whether one of the relation types is `rel`, compared case-insensitively.
    pub fn has_rel(&self, rel: &str) -> bool {
        self.rels().any(|r| r.eq_ignore_ascii_case(rel))
    }

    /// The value of the first parameter called `name` (case-insensitive), `Some("")` for a parameter without value.
    pub fn param(&self, name: &str) -> Option<&str> {
        self.params
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, value)| value.as_deref().unwrap_or(""))
    }
}

/// `<target>; name="value"; flag`, every value quoted: parses back to the same link.
impl fmt::Display for Link {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "<{}>", self.target)?;
        for (name, value) in &self.params {
            write!(f, "; {name}")?;
            if let Some(value) = value {
                f.write_str("=")?;
                write_quoted_string(f, value)?;
            }
        }
        Ok(())
    }
}

/// The next page of a paginated list, from the `Link` headers of the response to a request for `base`.
///
/// Every `Link` header is read, and the first link with the relation `next` is resolved against `base` (a relative
/// path, a query-only `?last=...`, a scheme-relative or an absolute URL; dot segments removed). It is returned as
/// [`NextPage::Next`] only when it has the same scheme, host and port as `base` and differs from it; otherwise it is
/// [`NextPage::Ignored`] with the reason. The target's query is kept exactly as sent.
///
/// ```
/// use http::{HeaderMap, Uri};
/// use oci_registry::internal::{NextPage, next_page};
///
/// let base: Uri = "https://registry.example/v2/_catalog?n=2".parse().unwrap();
/// let mut headers = HeaderMap::new();
/// headers.insert("link", r#"</v2/_catalog?last=b&n=2>; rel="next""#.parse().unwrap());
/// let next = next_page(&base, &headers)?;
/// assert_eq!(next, NextPage::Next("https://registry.example/v2/_catalog?last=b&n=2".parse().unwrap()));
/// # Ok::<(), oci_registry::internal::LinkError>(())
/// ```
///
/// # Errors
///
/// [`LinkErrorKind::Syntax`] for a malformed `Link` header (or one that is not visible ASCII),
/// [`LinkErrorKind::InvalidTarget`] when a same-origin target is not a valid URL, and
/// [`LinkErrorKind::RelativeBase`] when `base` has no scheme or host.
pub fn next_page(base: &Uri, headers: &HeaderMap) -> Result<NextPage, LinkError> {
    let (Some(scheme), Some(authority)) = (base.scheme_str(), base.authority()) else {
        return Err(LinkError::new(
            LinkErrorKind::RelativeBase,
            "no scheme or host",
            &base.to_string(),
        ));
    };
    let mut next = None;
    for value in headers.get_all(http::header::LINK) {
        let value = value.to_str().map_err(|_| {
            LinkError::new(
                LinkErrorKind::Syntax,
                "not visible ASCII",
                &String::from_utf8_lossy(value.as_bytes()),
            )
        })?;
        let links = Link::parse_header(value)?;
        if next.is_none() {
            next = links.into_iter().find(|link| link.has_rel("next"));
        }
    }
    let Some(link) = next else {
        return Ok(NextPage::End);
    };
    let base_parts = Reference {
        scheme: Some(scheme),
        authority: Some(authority.as_str()),
        path: base.path(),
        query: base.query(),
        fragment: None,
    };
    let target = resolve(&base_parts, &Reference::split(link.target()));
    let reference = Reference::split(&target);
    let cross = |target: String| NextPage::Ignored {
        target,
        reason: IgnoredReason::CrossOrigin,
    };
    let Some(target_authority) = reference.authority else {
        return Ok(cross(target));
    };
    if target_authority.contains('@') || !reference.scheme.is_some_and(|s| s.eq_ignore_ascii_case(scheme)) {
        return Ok(cross(target));
    }
    let uri: Uri = match target.parse() {
        Ok(uri) => uri,
        Err(_) if !target_authority.eq_ignore_ascii_case(authority.as_str()) => return Ok(cross(target)),
        Err(_) => return Err(LinkError::new(LinkErrorKind::InvalidTarget, "not a valid URL", &target)),
    };
    if !same_origin(base, &uri) {
        return Ok(cross(target));
    }
    if uri.path() == base.path() && uri.query() == base.query() {
        return Ok(NextPage::Ignored {
            target,
            reason: IgnoredReason::SamePage,
        });
    }
    Ok(NextPage::Next(uri))
}

impl NextPage {
    /// The URL to fetch next, only for [`NextPage::Next`].
    pub fn uri(&self) -> Option<&Uri> {
        match self {
            Self::Next(uri) => Some(uri),
            _ => None,
        }
    }
}

impl LinkError {
    fn new(kind: LinkErrorKind, detail: &'static str, input: &str) -> Self {
        let mut end = input.len().min(QUOTE_LIMIT);
        while !input.is_char_boundary(end) {
            end -= 1;
        }
        let mut quoted = input[..end].to_owned();
        if end < input.len() {
            quoted.push_str("...");
        }
        Self {
            kind,
            detail,
            input: quoted,
        }
    }

    /// What kind of failure this is.
    pub fn kind(&self) -> LinkErrorKind {
        self.kind
    }
}

impl fmt::Display for LinkError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let what = match self.kind {
            LinkErrorKind::Syntax => "malformed Link header",
            LinkErrorKind::InvalidTarget => "invalid Link target",
            LinkErrorKind::RelativeBase => "relative request URL",
        };
        write!(f, "{what}: {}: `{}`", self.detail, self.input)
    }
}

impl std::error::Error for LinkError {}

/// A recursive-descent reader of the RFC 8288 grammar.
struct Parser<'a> {
    input: &'a str,
    pos: usize,
}

impl<'a> Parser<'a> {
    fn links(mut self) -> Result<Vec<Link>, LinkError> {
        let mut links = Vec::new();
        loop {
            // `#link-value`: empty list elements are allowed.
            self.skip(|b| b == b',' || is_ows(b));
            if self.pos == self.input.len() {
                return Ok(links);
            }
            links.push(self.link()?);
            self.skip(is_ows);
            match self.peek() {
                None => return Ok(links),
                Some(b',') => {}
                Some(_) => return Err(self.error("expected `,` or `;` after a link")),
            }
        }
    }

    fn link(&mut self) -> Result<Link, LinkError> {
        if self.peek() != Some(b'<') {
            return Err(self.error("expected `<`"));
        }
        self.pos += 1;
        let start = self.pos;
        self.skip(|b| b != b'>' && b.is_ascii_graphic() && b != b'<');
        if self.peek() != Some(b'>') {
            return Err(self.error("expected `>` after the target"));
        }
        let target = self.input[start..self.pos].to_owned();
        self.pos += 1;
        let mut params = Vec::new();
        loop {
            let save = self.pos;
            self.skip(is_ows);
            if self.peek() != Some(b';') {
                self.pos = save;
                return Ok(Link { target, params });
            }
            self.pos += 1;
            self.skip(is_ows);
            let name = self.token().ok_or_else(|| self.error("expected a parameter name"))?;
            let name = name.to_ascii_lowercase();
            let save = self.pos;
            self.skip(is_ows);
            let value = if self.peek() == Some(b'=') {
                self.pos += 1;
                self.skip(is_ows);
                Some(if self.peek() == Some(b'"') {
                    self.quoted()?
                } else {
                    self.token()
                        .ok_or_else(|| self.error("expected a token or a quoted string"))?
                        .to_owned()
                })
            } else {
                self.pos = save;
                None
            };
            params.push((name, value));
        }
    }

    fn token(&mut self) -> Option<&'a str> {
        let (input, start) = (self.input, self.pos);
        self.skip(is_tchar);
        (self.pos > start).then(|| &input[start..self.pos])
    }

    fn quoted(&mut self) -> Result<String, LinkError> {
        self.pos += 1;
        let mut value = String::new();
        let mut chars = self.input[self.pos..].char_indices();
        while let Some((i, c)) = chars.next() {
            match c {
                '"' => {
                    self.pos += i + 1;
                    return Ok(value);
                }
                '\\' => match chars.next() {
                    Some((_, escaped)) if escaped == '\t' || !escaped.is_control() => value.push(escaped),
                    _ => break,
                },
                c if c == '\t' || !c.is_control() => value.push(c),
                _ => break,
            }
        }
        Err(self.error("unterminated quoted string"))
    }

    fn peek(&self) -> Option<u8> {
        self.input.as_bytes().get(self.pos).copied()
    }

    fn skip(&mut self, keep: impl Fn(u8) -> bool) {
        while self.peek().is_some_and(&keep) {
            self.pos += 1;
        }
    }

    fn error(&self, detail: &'static str) -> LinkError {
        LinkError::new(LinkErrorKind::Syntax, detail, self.input)
    }
}

fn is_ows(b: u8) -> bool {
    b == b' ' || b == b'\t'
}

/// RFC 9110 `tchar`.
fn is_tchar(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

#[cfg(test)]
mod tests {
    use http::HeaderValue;

    use super::*;

    /// Parses one header value and compares the links' display forms, joined by ` , `, or the error's display.
    fn check_parse(input: &str, expected: &str) {
        let got = match Link::parse_header(input) {
            Ok(links) => {
                for link in &links {
                    let again = Link::parse_header(&link.to_string()).unwrap();
                    assert_eq!(
                        again.as_slice(),
                        std::slice::from_ref(link),
                        "{input:?} does not round-trip"
                    );
                }
                links.iter().map(ToString::to_string).collect::<Vec<_>>().join(" , ")
            }
            Err(err) => format!("error: {err}"),
        };
        assert_eq!(got, expected, "{input:?}");
    }

    #[test]
    fn parses_links() {
        check_parse(
            r#"</v2/_catalog?last=b&n=2>; rel="next""#,
            r#"</v2/_catalog?last=b&n=2>; rel="next""#,
        );
        check_parse("</a>;rel=next", r#"</a>; rel="next""#);
        check_parse("</a> ; REL = next", r#"</a>; rel="next""#);
        check_parse(
            "</a>; rel=\"prev next\"; title=\"a \\\"b\\\"\"",
            r#"</a>; rel="prev next"; title="a \"b\"""#,
        );
        check_parse(
            "</a>; rel=next, <https://h/b>; rel=prev",
            r#"</a>; rel="next" , <https://h/b>; rel="prev""#,
        );
        check_parse(" , </a>; rel=next ,, ", r#"</a>; rel="next""#);
        check_parse("</a>; crossorigin; rel=next", r#"</a>; crossorigin; rel="next""#);
        check_parse("<>; rel=next", r#"<>; rel="next""#);
        check_parse("", "");
        check_parse("</a>", "</a>");
    }

    #[test]
    fn refuses_malformed_links() {
        check_parse(
            "/a; rel=next",
            "error: malformed Link header: expected `<`: `/a; rel=next`",
        );
        check_parse(
            "</a; rel=next",
            "error: malformed Link header: expected `>` after the target: `</a; rel=next`",
        );
        check_parse(
            "</a b>; rel=next",
            "error: malformed Link header: expected `>` after the target: `</a b>; rel=next`",
        );
        check_parse(
            "</a>; rel=\"next",
            "error: malformed Link header: unterminated quoted string: `</a>; rel=\"next`",
        );
        check_parse(
            "</a>; =next",
            "error: malformed Link header: expected a parameter name: `</a>; =next`",
        );
        check_parse(
            "</a>; rel=",
            "error: malformed Link header: expected a token or a quoted string: `</a>; rel=`",
        );
        check_parse(
            "</a> rel=next",
            "error: malformed Link header: expected `,` or `;` after a link: `</a> rel=next`",
        );
        check_parse(
            "</a>; rel=next </b>",
            "error: malformed Link header: expected `,` or `;` after a link: `</a>; rel=next </b>`",
        );
        let long = format!("<{}", "x".repeat(300));
        let err = Link::parse_header(&long).unwrap_err();
        assert_eq!(err.kind(), LinkErrorKind::Syntax);
        assert!(
            err.to_string().ends_with("...`") && err.to_string().len() < 200,
            "{err}"
        );
    }

    #[test]
    fn rels_and_params() {
        let links = Link::parse_header(r#"</a>; Rel="Prev  NEXT"; rel=last; Title=x; flag"#).unwrap();
        assert_eq!(links[0].rels().collect::<Vec<_>>(), ["Prev", "NEXT"]);
        assert!(links[0].has_rel("next") && links[0].has_rel("prev") && !links[0].has_rel("last"));
        assert_eq!(links[0].param("TITLE"), Some("x"));
        assert_eq!(links[0].param("flag"), Some(""));
        assert_eq!(links[0].param("anchor"), None);
    }

    /// `expected`: `end`, `next URL`, `cross TARGET`, `same TARGET` or `error KIND`.
    fn check_next(base: &str, links: &[&str], expected: &str) {
        let base: Uri = base.parse().unwrap();
        let mut headers = HeaderMap::new();
        for link in links {
            headers.append(http::header::LINK, HeaderValue::from_str(link).unwrap());
        }
        let got = match next_page(&base, &headers) {
            Ok(NextPage::End) => "end".to_owned(),
            Ok(NextPage::Next(uri)) => format!("next {uri}"),
            Ok(NextPage::Ignored {
                target,
                reason: IgnoredReason::CrossOrigin,
            }) => format!("cross {target}"),
            Ok(NextPage::Ignored {
                target,
                reason: IgnoredReason::SamePage,
            }) => format!("same {target}"),
            Err(err) => format!("error {:?}", err.kind()),
        };
        assert_eq!(got, expected, "{base} {links:?}");
    }

    const TAGS: &str = "https://registry.example/v2/library/alpine/tags/list?n=100";

    #[test]
    fn next_pages_of_real_registries() {
        // distribution's catalog, relative.
        check_next(
            "http://127.0.0.1:5000/v2/_catalog?n=2",
            &[r#"</v2/_catalog?last=b&n=2>; rel="next""#],
            "next http://127.0.0.1:5000/v2/_catalog?last=b&n=2",
        );
        // distribution's tags, relative with an encoded cursor kept as it is.
        check_next(
            TAGS,
            &[r#"</v2/library/alpine/tags/list?last=3.19%2B1&n=100>; rel="next""#],
            "next https://registry.example/v2/library/alpine/tags/list?last=3.19%2B1&n=100",
        );
        // GHCR: absolute, same host.
        check_next(
            "https://ghcr.io/v2/owner/image/tags/list?n=1000",
            &[r#"<https://ghcr.io/v2/owner/image/tags/list?last=v1.2&n=1000>; rel="next""#],
            "next https://ghcr.io/v2/owner/image/tags/list?last=v1.2&n=1000",
        );
        // Quay: absolute, with the default port spelled out.
        check_next(
            "https://quay.io/v2/org/repo/tags/list?n=50",
            &[r#"<https://quay.io:443/v2/org/repo/tags/list?n=50&next_page=gAAAAABk>; rel="next""#],
            "next https://quay.io:443/v2/org/repo/tags/list?n=50&next_page=gAAAAABk",
        );
        // Harbor: relative, with several parameters and upper-case names.
        check_next(
            "https://harbor.example/v2/proj/app/tags/list?n=10",
            &[r#"</v2/proj/app/tags/list?last=1.0&n=10>; REL="next"; type="application/json""#],
            "next https://harbor.example/v2/proj/app/tags/list?last=1.0&n=10",
        );
        // Docker Hub, relative.
        check_next(
            "https://registry-1.docker.io/v2/library/nginx/tags/list?n=100",
            &[r#"</v2/library/nginx/tags/list?last=1.25&n=100>; rel="next""#],
            "next https://registry-1.docker.io/v2/library/nginx/tags/list?last=1.25&n=100",
        );
    }

    #[test]
    fn relative_forms() {
        check_next(
            TAGS,
            &["<?last=x&n=100>; rel=next"],
            "next https://registry.example/v2/library/alpine/tags/list?last=x&n=100",
        );
        check_next(
            TAGS,
            &["<list?last=x>; rel=next"],
            "next https://registry.example/v2/library/alpine/tags/list?last=x",
        );
        check_next(
            TAGS,
            &["<../../nginx/tags/list?last=x>; rel=next"],
            "next https://registry.example/v2/library/nginx/tags/list?last=x",
        );
        check_next(
            TAGS,
            &["<./list?last=x>; rel=next"],
            "next https://registry.example/v2/library/alpine/tags/list?last=x",
        );
        check_next(
            TAGS,
            &["</v2/a/./b/../c?last=x>; rel=next"],
            "next https://registry.example/v2/a/c?last=x",
        );
        check_next(
            TAGS,
            &["<../../../../../../x?last=1>; rel=next"],
            "next https://registry.example/x?last=1",
        );
        check_next(
            TAGS,
            &["<//registry.example/v2/x?last=1>; rel=next"],
            "next https://registry.example/v2/x?last=1",
        );
        check_next(
            TAGS,
            &["</v2/x?last=1#frag>; rel=next"],
            "next https://registry.example/v2/x?last=1",
        );
        check_next(
            TAGS,
            &["<HTTPS://REGISTRY.example/v2/x?last=1>; rel=next"],
            "next https://REGISTRY.example/v2/x?last=1",
        );
    }

    #[test]
    fn cross_origin_and_loops_are_not_followed() {
        check_next(
            TAGS,
            &["<https://evil.example/v2/x?last=1>; rel=next"],
            "cross https://evil.example/v2/x?last=1",
        );
        check_next(
            TAGS,
            &["<//evil.example/v2/x>; rel=next"],
            "cross https://evil.example/v2/x",
        );
        check_next(
            TAGS,
            &["<http://registry.example/v2/x?last=1>; rel=next"],
            "cross http://registry.example/v2/x?last=1",
        );
        check_next(
            TAGS,
            &["<https://registry.example:8443/v2/x>; rel=next"],
            "cross https://registry.example:8443/v2/x",
        );
        check_next(
            TAGS,
            &["<https://user:pw@registry.example/v2/x>; rel=next"],
            "cross https://user:pw@registry.example/v2/x",
        );
        check_next(
            TAGS,
            &["<mailto:someone@example.com>; rel=next"],
            "cross mailto:someone@example.com",
        );
        check_next(
            TAGS,
            // Not even a valid URL: still only ignored, since it is not ours to fetch.
            &[r#"<https://evil.example/x?"y>; rel=next"#],
            r#"cross https://evil.example/x?"y"#,
        );
        check_next(
            TAGS,
            &["<>; rel=next"],
            "same https://registry.example/v2/library/alpine/tags/list?n=100",
        );
        check_next(
            TAGS,
            &["<?n=100>; rel=next"],
            "same https://registry.example/v2/library/alpine/tags/list?n=100",
        );
    }

    #[test]
    fn which_link_is_next() {
        check_next(TAGS, &[], "end");
        check_next(TAGS, &["</v2/x?last=1>; rel=prev"], "end");
        check_next(
            TAGS,
            &["</v2/p>; rel=prev, </v2/n>; rel=next"],
            "next https://registry.example/v2/n",
        );
        check_next(
            TAGS,
            &["</v2/p>; rel=prev", "</v2/n>; rel=\"last NEXT\""],
            "next https://registry.example/v2/n",
        );
        check_next(
            TAGS,
            &["</v2/a>; rel=next", "</v2/b>; rel=next"],
            "next https://registry.example/v2/a",
        );
        check_next(TAGS, &["</v2/a>; rel=nextpage"], "end");
        // The first next link decides, even when a later one would be followable.
        check_next(
            TAGS,
            &["<https://evil.example/>; rel=next, </v2/b>; rel=next"],
            "cross https://evil.example/",
        );
    }

    #[test]
    fn errors() {
        check_next(TAGS, &["/v2/x; rel=next"], "error Syntax");
        check_next(TAGS, &["</v2/ok>; rel=prev", "garbage"], "error Syntax");
        check_next(TAGS, &[r#"</v2/x?a="b>; rel=next"#], "error InvalidTarget");
        let base: Uri = "/v2/_catalog".parse().unwrap();
        let err = next_page(&base, &HeaderMap::new()).unwrap_err();
        assert_eq!(err.kind(), LinkErrorKind::RelativeBase);
        let mut headers = HeaderMap::new();
        headers.insert(
            http::header::LINK,
            HeaderValue::from_bytes(b"</v2/\xe9>; rel=next").unwrap(),
        );
        let err = next_page(&TAGS.parse().unwrap(), &headers).unwrap_err();
        assert_eq!(err.kind(), LinkErrorKind::Syntax);
        assert_eq!(
            err.to_string(),
            "malformed Link header: not visible ASCII: `</v2/\u{fffd}>; rel=next`"
        );
    }

    /// Randomized round-trip: seeded links parse back from their display form.
    #[test]
    fn generated_links_round_trip() {
        use crate::retry::Jitter;
        let mut rng = Jitter::from_seed(0x4c69_6e6b);
        let mut pick = |n: usize| usize::try_from(rng.next_u64() % n as u64).unwrap();
        let target_chars: Vec<char> = ('!'..='~').filter(|c| *c != '<' && *c != '>').collect();
        let name_chars: Vec<char> = "abcxyz019!#$%&'*+-.^_`|~".chars().collect();
        let value_chars: Vec<char> = ('!'..='~').chain([' ', '\t', 'é', '"', '\\']).collect();
        for _ in 0..2000 {
            let target: String = (0..pick(30)).map(|_| target_chars[pick(target_chars.len())]).collect();
            let params = (0..pick(4))
                .map(|_| {
                    let name: String = (0..1 + pick(6)).map(|_| name_chars[pick(name_chars.len())]).collect();
                    let value = (pick(3) > 0).then(|| {
                        (0..pick(12))
                            .map(|_| value_chars[pick(value_chars.len())])
                            .collect::<String>()
                    });
                    (name, value)
                })
                .collect();
            let link = Link { target, params };
            let shown = link.to_string();
            assert_eq!(Link::parse_header(&shown).unwrap(), [link], "{shown}");
            let two = format!("{shown}, {shown}");
            assert_eq!(Link::parse_header(&two).unwrap().len(), 2, "{two}");
        }
    }
}
