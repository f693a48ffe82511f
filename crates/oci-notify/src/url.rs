//! A small URL splitter for target URLs, percent coding, and the redaction of raw input.
//!
//! Target URLs are not web addresses: `discord://TOKEN@ID` has a token where a user goes and an id
//! where a host goes. So this splits only what every form shares (scheme, user info, host, port,
//! path, query) and leaves the meaning to each service.

use crate::error::{Error, ErrorKind};

/// The parts of a target URL, each still percent-encoded except the query's.
pub(crate) struct Parts<'a> {
    pub(crate) scheme: String,
    /// The user info's user part, raw.
    pub(crate) user: Option<&'a str>,
    /// The user info's password part, raw.
    pub(crate) password: Option<&'a str>,
    /// The host, raw (IPv6 literals keep their brackets).
    pub(crate) host: &'a str,
    pub(crate) port: Option<u16>,
    /// The path, raw, with its leading `/` (or empty).
    pub(crate) path: &'a str,
    /// The query, raw (without `?`).
    pub(crate) query: Option<&'a str>,
}

/// Query keys whose values are never secret, so that errors and `Display` may show them.
const PLAIN_KEYS: &[&str] = &[
    "on",
    "scheme",
    "title",
    "tags",
    "priority",
    "retain",
    "discovery",
    "tls",
    "encryption",
    "usestarttls",
    "from",
    "fromaddress",
    "to",
    "toaddresses",
    "subject",
    "chats",
    "rooms",
    "room",
    "devices",
    "disabletls",
    "botname",
    "username",
];

/// `input` with everything that may be secret replaced by `***`: the user info, the path of the
/// services whose path is a token (and of every `SERVICE+https` URL), and every query value
/// whose key is not one of ours known to be plain. Used to quote input in errors, where the
/// input may not have parsed.
pub(crate) fn redact(input: &str) -> String {
    let Some((scheme, rest)) = input.split_once("://") else {
        // Not a URL, so no part is known to be plain: show only what comes before a `:`, `@` or
        // `/` (a scheme-like word), cut short.
        let end = input.find([':', '@', '/', '?']).unwrap_or(input.len());
        let shown: String = input[..end].chars().take(40).collect();
        return if shown.len() == input.len() {
            shown
        } else {
            format!("{shown}...")
        };
    };
    let lower = scheme.to_ascii_lowercase();
    // The user info ends at the last `@` before the query, even past a `/`: a password with an
    // unescaped `/` must not show (the parser refuses such a URL, and its error quotes this).
    let query_at = rest.find('?').unwrap_or(rest.len());
    let mut out = format!("{scheme}://");
    let after_userinfo = match rest[..query_at].rfind('@') {
        Some(at) => {
            out.push_str("***@");
            &rest[at + 1..]
        }
        None => rest,
    };
    let end = after_userinfo.find(['/', '?', '#']).unwrap_or(after_userinfo.len());
    let (authority, tail) = after_userinfo.split_at(end);
    match authority.rsplit_once(':') {
        // `user:pass?...` without an `@` before the query: what follows `:` is no port, and may
        // be a password's start.
        Some((host, port)) if !port.bytes().all(|b| b.is_ascii_digit()) && !authority.ends_with(']') => {
            push_authority_host(&mut out, &lower, host);
            out.push_str(":***");
        }
        _ => push_authority_host(&mut out, &lower, authority),
    }
    let (path, query) = match tail.split_once('?') {
        Some((path, query)) => (path, Some(query)),
        None => (tail, None),
    };
    if secret_path(&lower) && !path.is_empty() && path != "/" {
        out.push_str("/***");
    } else {
        out.push_str(path);
    }
    if let Some(query) = query {
        out.push('?');
        out.push_str(&redact_query(query));
    }
    out
}

/// The host part of an authority: hidden for services whose host is a token (slack's first
/// token, pushover's user key).
fn push_authority_host(out: &mut String, scheme: &str, host: &str) {
    if matches!(scheme, "slack" | "pushover") && !host.is_empty() {
        out.push_str("***");
    } else {
        out.push_str(host);
    }
}

/// Whether the path of this scheme's URLs may hold a secret.
pub(crate) fn secret_path(scheme: &str) -> bool {
    matches!(scheme, "slack" | "gotify" | "pushover") || scheme.contains('+')
}

/// A query with the values of keys not known to be plain replaced by `***`.
pub(crate) fn redact_query(query: &str) -> String {
    let pairs: Vec<String> = query
        .split('&')
        .map(|pair| match pair.split_once('=') {
            Some((key, value)) if is_plain_key(key) => format!("{key}={value}"),
            Some((key, _)) => format!("{key}=***"),
            // A pair without `=` is no option of ours, and may be the rest of a password.
            None if pair.is_empty() => String::new(),
            None => "***".to_owned(),
        })
        .collect();
    pairs.join("&")
}

/// Whether a (raw) query key is one of ours whose value is not secret.
pub(crate) fn is_plain_key(key: &str) -> bool {
    PLAIN_KEYS.contains(&key.to_ascii_lowercase().as_str())
}

/// Splits a target URL into its parts. Errors quote the input redacted.
pub(crate) fn split(input: &str) -> Result<Parts<'_>, Error> {
    let fail = |kind, detail: Option<String>| Error::new(kind, redact(input), detail);
    if input.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(fail(
            ErrorKind::Syntax,
            Some("a URL has no spaces or control characters; write them as %20 and the like".into()),
        ));
    }
    let Some((scheme, rest)) = input.split_once("://") else {
        return Err(fail(ErrorKind::Syntax, None));
    };
    if scheme.is_empty()
        || !scheme.starts_with(|c: char| c.is_ascii_alphabetic())
        || !scheme
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
    {
        return Err(fail(ErrorKind::Syntax, Some("the scheme is not a URL scheme".into())));
    }
    if rest.contains('#') {
        return Err(fail(
            ErrorKind::Syntax,
            Some("a target URL has no `#fragment`; write `#` as %23".into()),
        ));
    }
    let end = rest.find(['/', '?']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(end);
    let (userinfo, hostport) = match authority.rsplit_once('@') {
        Some((userinfo, hostport)) => (Some(userinfo), hostport),
        None => (None, authority),
    };
    let (user, password) = match userinfo {
        None => (None, None),
        Some(info) => match info.split_once(':') {
            Some((user, password)) => (Some(user), Some(password)),
            None => (Some(info), None),
        },
    };
    let (host, port) = split_host_port(hostport).map_err(|kind| fail(kind, None))?;
    let (path, query) = match tail.split_once('?') {
        Some((path, query)) => (path, Some(query)),
        None => (tail, None),
    };
    Ok(Parts {
        scheme: scheme.to_ascii_lowercase(),
        user,
        password,
        host,
        port,
        path,
        query,
    })
}

fn split_host_port(hostport: &str) -> Result<(&str, Option<u16>), ErrorKind> {
    let (host, port) = if let Some(inner) = hostport.strip_prefix('[') {
        let Some(close) = inner.find(']') else {
            return Err(ErrorKind::InvalidHost);
        };
        let after = &inner[close + 1..];
        let port = match after {
            "" => None,
            _ => Some(after.strip_prefix(':').ok_or(ErrorKind::InvalidHost)?),
        };
        (&hostport[..close + 2], port)
    } else {
        match hostport.rsplit_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (hostport, None),
        }
    };
    let port = match port {
        None => None,
        // Digits only: `parse` would take a sign.
        Some(port) if !port.is_empty() && port.bytes().all(|b| b.is_ascii_digit()) => match port.parse::<u16>() {
            Ok(port) if port > 0 => Some(port),
            _ => return Err(ErrorKind::InvalidPort),
        },
        Some(_) => return Err(ErrorKind::InvalidPort),
    };
    Ok((host, port))
}

/// Whether `host` is a host name, an IPv4 address or a bracketed IPv6 literal.
pub(crate) fn valid_host(host: &str) -> bool {
    if let Some(inner) = host.strip_prefix('[').and_then(|h| h.strip_suffix(']')) {
        return inner.parse::<std::net::Ipv6Addr>().is_ok();
    }
    !host.is_empty()
        && host.len() <= 253
        && host.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && label
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_'))
                && !label.starts_with('-')
                && !label.ends_with('-')
        })
}

/// Percent-decodes `text`; `plus` turns `+` into a space (query values, as Go's `url.Query`
/// and so shoutrrr read them). `Err(())` for a bad escape or bytes that are not UTF-8.
pub(crate) fn decode(text: &str, plus: bool) -> Result<String, ()> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut at = 0;
    while at < bytes.len() {
        match bytes[at] {
            b'%' => {
                let hex = bytes.get(at + 1..at + 3).ok_or(())?;
                let hex = std::str::from_utf8(hex).map_err(|_| ())?;
                if !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
                    return Err(());
                }
                out.push(u8::from_str_radix(hex, 16).map_err(|_| ())?);
                at += 3;
            }
            b'+' if plus => {
                out.push(b' ');
                at += 1;
            }
            byte => {
                out.push(byte);
                at += 1;
            }
        }
    }
    String::from_utf8(out).map_err(|_| ())
}

/// Percent-encodes everything but unreserved characters: for path segments and form values.
pub(crate) fn encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}
