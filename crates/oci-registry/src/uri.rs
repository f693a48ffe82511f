//! URI references (RFC 3986): resolving a target against the URL of the request that returned it, and comparing
//! origins. Shared by the two places a registry names a URL to follow: a blob's redirect `Location` (`blob.rs`) and
//! the next page of a tag list (`link.rs`), both followed with credentials only on the request's own origin.

use http::Uri;

/// Resolves a URI reference (a `Location` header) against an absolute `base` (RFC 3986 section 5).
pub fn resolve_against(base: &Uri, reference: &str) -> String {
    let base_text = base.to_string();
    resolve(&Reference::split(&base_text), &Reference::split(reference))
}

/// Whether two absolute URIs share scheme, host and port (the default port of the scheme when none is written).
pub fn same_origin(a: &Uri, b: &Uri) -> bool {
    let port = |uri: &Uri| {
        uri.port_u16().or(match uri.scheme_str() {
            Some(s) if s.eq_ignore_ascii_case("https") => Some(443),
            Some(s) if s.eq_ignore_ascii_case("http") => Some(80),
            _ => None,
        })
    };
    let lower = |s: Option<&str>| s.map(str::to_ascii_lowercase);
    lower(a.scheme_str()) == lower(b.scheme_str()) && lower(a.host()) == lower(b.host()) && port(a) == port(b)
}

/// The five components of a URI reference (RFC 3986 appendix B).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Reference<'a> {
    pub(crate) scheme: Option<&'a str>,
    pub(crate) authority: Option<&'a str>,
    pub(crate) path: &'a str,
    pub(crate) query: Option<&'a str>,
    pub(crate) fragment: Option<&'a str>,
}

impl<'a> Reference<'a> {
    /// `^(([^:/?#]+):)?(//([^/?#]*))?([^?#]*)(\?([^#]*))?(#(.*))?`
    pub(crate) fn split(text: &'a str) -> Self {
        let (text, fragment) = match text.split_once('#') {
            Some((rest, fragment)) => (rest, Some(fragment)),
            None => (text, None),
        };
        let (text, query) = match text.split_once('?') {
            Some((rest, query)) => (rest, Some(query)),
            None => (text, None),
        };
        let (scheme, text) = match text.find([':', '/']) {
            Some(i) if i > 0 && text.as_bytes()[i] == b':' => (Some(&text[..i]), &text[i + 1..]),
            _ => (None, text),
        };
        let (authority, path) = match text.strip_prefix("//") {
            Some(rest) => {
                let end = rest.find('/').unwrap_or(rest.len());
                (Some(&rest[..end]), &rest[end..])
            }
            None => (None, text),
        };
        Self {
            scheme,
            authority,
            path,
            query,
            fragment,
        }
    }
}

/// RFC 3986 section 5.2.2 (strict), returning the target without its fragment.
pub(crate) fn resolve(base: &Reference<'_>, reference: &Reference<'_>) -> String {
    // The RFC's first two branches (a scheme; an authority without one) differ only in where the scheme comes from.
    let scheme = reference.scheme.or(base.scheme);
    let (authority, path, query);
    if reference.scheme.is_some() || reference.authority.is_some() {
        authority = reference.authority;
        path = remove_dot_segments(reference.path);
        query = reference.query;
    } else {
        authority = base.authority;
        if reference.path.is_empty() {
            path = base.path.to_owned();
            query = reference.query.or(base.query);
        } else {
            path = if reference.path.starts_with('/') {
                remove_dot_segments(reference.path)
            } else {
                remove_dot_segments(&merge(base, reference.path))
            };
            query = reference.query;
        }
    }
    let mut out = String::new();
    if let Some(scheme) = scheme {
        out.push_str(scheme);
        out.push(':');
    }
    if let Some(authority) = authority {
        out.push_str("//");
        out.push_str(authority);
    }
    out.push_str(&path);
    if let Some(query) = query {
        out.push('?');
        out.push_str(query);
    }
    out
}

/// RFC 3986 section 5.2.3.
fn merge(base: &Reference<'_>, path: &str) -> String {
    if base.authority.is_some() && base.path.is_empty() {
        return format!("/{path}");
    }
    match base.path.rfind('/') {
        Some(i) => format!("{}{path}", &base.path[..=i]),
        None => path.to_owned(),
    }
}

/// RFC 3986 section 5.2.4.
fn remove_dot_segments(path: &str) -> String {
    let mut input = path;
    let mut output = String::with_capacity(path.len());
    while !input.is_empty() {
        if let Some(rest) = input.strip_prefix("../") {
            input = rest;
        } else if let Some(rest) = input.strip_prefix("./") {
            input = rest;
        } else if input.starts_with("/./") {
            input = &input[2..];
        } else if input == "/." {
            input = "/";
        } else if input.starts_with("/../") || input == "/.." {
            input = if input == "/.." { "/" } else { &input[3..] };
            match output.rfind('/') {
                Some(i) => output.truncate(i),
                None => output.clear(),
            }
        } else if input == "." || input == ".." {
            input = "";
        } else {
            let start = usize::from(input.starts_with('/'));
            let end = input[start..].find('/').map_or(input.len(), |i| i + start);
            output.push_str(&input[..end]);
            input = &input[end..];
        }
    }
    output
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dot_segments() {
        for (input, expected) in [
            ("/a/b/c/./../../g", "/a/g"),
            ("mid/content=5/../6", "mid/6"),
            ("/..", "/"),
            ("/.", "/"),
            ("../a", "a"),
            ("/a/..", "/"),
            ("/a/b/..", "/a/"),
            (".", ""),
            ("", ""),
        ] {
            assert_eq!(remove_dot_segments(input), expected, "{input:?}");
        }
    }

    /// RFC 3986 section 5.4's examples.
    #[test]
    fn rfc3986_resolution_examples() {
        let base = Reference::split("http://a/b/c/d;p?q");
        for (reference, expected) in [
            ("g:h", "g:h"),
            ("g", "http://a/b/c/g"),
            ("./g", "http://a/b/c/g"),
            ("g/", "http://a/b/c/g/"),
            ("/g", "http://a/g"),
            ("//g", "http://g"),
            ("?y", "http://a/b/c/d;p?y"),
            ("g?y", "http://a/b/c/g?y"),
            ("#s", "http://a/b/c/d;p?q"),
            ("g;x?y#s", "http://a/b/c/g;x?y"),
            ("", "http://a/b/c/d;p?q"),
            (".", "http://a/b/c/"),
            ("./", "http://a/b/c/"),
            ("..", "http://a/b/"),
            ("../", "http://a/b/"),
            ("../g", "http://a/b/g"),
            ("../..", "http://a/"),
            ("../../g", "http://a/g"),
            ("../../../g", "http://a/g"),
            ("/./g", "http://a/g"),
            ("/../g", "http://a/g"),
            ("g.", "http://a/b/c/g."),
            ("..g", "http://a/b/c/..g"),
            ("./../g", "http://a/b/g"),
            ("g/./h", "http://a/b/c/g/h"),
            ("g/../h", "http://a/b/c/h"),
            ("g?y/./x", "http://a/b/c/g?y/./x"),
            ("http:g", "http:g"),
        ] {
            assert_eq!(resolve(&base, &Reference::split(reference)), expected, "{reference:?}");
        }
    }
}
