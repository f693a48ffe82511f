//! [`Registry`]: where requests go, and the security rules about what may be sent where.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use crate::credentials::Credential;
use crate::encoding::base64_encode;
use crate::error::{Error, ErrorKind};

/// A registry endpoint: its host (with port, if any), whether it is reached over HTTPS, and whether the caller
/// marked it insecure.
///
/// Credentials go over plain HTTP only to loopback, or to the registry's own host (on any port) when the caller
/// marked it insecure. Marking a registry insecure opens clear text to that host only: never to a realm on
/// another host, which the registry names and could point anywhere.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Registry {
    host: Box<str>,
    https: bool,
    insecure: bool,
}

/// A token realm that passed [`Registry::check_realm`].
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Realm {
    url: Box<str>,
    https: bool,
    host: Box<str>,
}

/// The parts of an absolute `http`/`https` URL this crate needs.
pub(crate) struct ParsedUrl<'a> {
    pub(crate) https: bool,
    /// The host, without IPv6 brackets.
    pub(crate) host: &'a str,
}

impl Registry {
    /// A registry reached over HTTPS at `host` (`ghcr.io`, `localhost:5000`).
    pub fn https(host: &str) -> Self {
        Self {
            host: host.into(),
            https: true,
            insecure: false,
        }
    }

    /// A registry reached over plain HTTP at `host`.
    pub fn http(host: &str) -> Self {
        Self {
            host: host.into(),
            https: false,
            insecure: false,
        }
    }

    /// Marks the registry insecure (or not): credentials may then be sent over plain HTTP to its host (on any
    /// port, so to a realm there too) even when it is not on loopback. A realm on another host still needs
    /// HTTPS or loopback.
    #[must_use]
    pub fn with_insecure(mut self, insecure: bool) -> Self {
        self.insecure = insecure;
        self
    }

    /// The host, with its port if it has one.
    pub fn host(&self) -> &str {
        &self.host
    }

    /// Whether the registry is reached over HTTPS.
    pub fn is_https(&self) -> bool {
        self.https
    }

    /// Whether the caller marked the registry insecure.
    pub fn is_insecure(&self) -> bool {
        self.insecure
    }

    /// Whether credentials may go to `host` (without port) over a connection with or without TLS: always over
    /// HTTPS; over plain HTTP only to loopback ([`is_loopback_host`]), or to this registry's own host when it
    /// is marked insecure (compared without port, ignoring ASCII case and a trailing dot).
    pub fn may_send_credentials(&self, https: bool, host: &str) -> bool {
        https || is_loopback_host(host) || (self.insecure && same_host(host, host_of_authority(&self.host)))
    }

    /// Whether credentials (a password, or a token worth protecting) may be sent to the registry itself: it is
    /// HTTPS, on loopback, or marked insecure.
    pub fn allows_credentials(&self) -> bool {
        self.may_send_credentials(self.https, host_of_authority(&self.host))
    }

    /// The `Authorization` value to answer a `Basic` challenge of this registry.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::InsecureTransport`] when the registry is plain HTTP, not loopback and not marked insecure
    /// (the rule of [`may_send_credentials`](Self::may_send_credentials)).
    /// A credential that is not [`Credential::Basic`] gives `Ok(None)`: Basic needs a password.
    pub fn basic_authorization(&self, credential: &Credential) -> Result<Option<String>, Error> {
        if !self.allows_credentials() {
            return Err(Error::new(ErrorKind::InsecureTransport, &self.host));
        }
        Ok(match credential {
            Credential::Basic { username, password } => Some(basic_header(username, password.expose())),
            _ => None,
        })
    }

    /// Checks a Bearer realm before any request goes to it.
    ///
    /// # Errors
    ///
    /// - [`ErrorKind::InvalidUrl`] when the realm is not an absolute `http` or `https` URL (user info and
    ///   fragments are refused too).
    /// - [`ErrorKind::ForbiddenRealmAddress`] when its host is link-local (169.254.0.0/16, fe80::/10, which
    ///   holds cloud metadata services), unspecified (0.0.0.0, ::), a known metadata name, or a numeric host in
    ///   a form other than dotted-quad (`2852039166`, `0xa9fea9fe`), which resolvers read as an address.
    /// - [`ErrorKind::InsecureRealm`] when the realm is plain HTTP, the registry HTTPS, and the realm not on
    ///   loopback.
    pub fn check_realm(&self, realm: &str) -> Result<Realm, Error> {
        let url = parse_url(realm)?;
        if is_forbidden_host(url.host) {
            return Err(Error::new(ErrorKind::ForbiddenRealmAddress, realm));
        }
        if self.https && !url.https && !is_loopback_host(url.host) {
            return Err(Error::new(ErrorKind::InsecureRealm, realm));
        }
        Ok(Realm {
            url: realm.into(),
            https: url.https,
            host: url.host.into(),
        })
    }
}

impl Realm {
    /// The realm URL, as the challenge gave it.
    pub fn as_str(&self) -> &str {
        &self.url
    }

    /// Whether the realm is HTTPS.
    pub fn is_https(&self) -> bool {
        self.https
    }

    /// The realm's host, without port or IPv6 brackets.
    pub fn host(&self) -> &str {
        &self.host
    }
}

/// Whether `ip` is an address no token request may go to: link-local (including cloud metadata services),
/// unspecified, or the AWS IPv6 metadata address; IPv4-mapped IPv6 addresses are judged by their IPv4 part.
///
/// A client that resolves realm host names should check the resolved addresses with this too, since a name can
/// resolve anywhere.
pub fn is_forbidden_ip(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => v4.is_link_local() || v4.is_unspecified(),
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return is_forbidden_ip(IpAddr::V4(v4));
            }
            let aws_metadata = Ipv6Addr::new(0xfd00, 0x0ec2, 0, 0, 0, 0, 0, 0x0254);
            v6.is_unspecified() || (v6.segments()[0] & 0xffc0) == 0xfe80 || v6 == aws_metadata
        }
    }
}

/// Whether `host` (without port) is loopback: the name `localhost` (any case, with or without a trailing dot),
/// an IPv4 literal in 127.0.0.0/8, or `::1` (bare or in brackets).
///
/// No other name counts, not even one under `.localhost`: it is not resolved here, and a resolver may send it
/// anywhere. IPv4-mapped forms (`::ffff:127.0.0.1`) and shorthand such as `127.1` do not count either.
pub fn is_loopback_host(host: &str) -> bool {
    if host.eq_ignore_ascii_case("localhost") || host.eq_ignore_ascii_case("localhost.") {
        return true;
    }
    if let Some(inner) = host.strip_prefix('[') {
        return inner
            .strip_suffix(']')
            .and_then(|v6| v6.parse::<Ipv6Addr>().ok())
            .is_some_and(|v6| v6.is_loopback());
    }
    match host.parse::<IpAddr>() {
        Ok(ip) => ip.is_loopback(),
        Err(_) => false,
    }
}

/// The `Authorization` (or `Proxy-Authorization`) value for HTTP Basic (RFC 7617):
/// `Basic base64(USERNAME:PASSWORD)`.
pub fn basic_header(username: &str, password: &str) -> String {
    format!("Basic {}", base64_encode(format!("{username}:{password}").as_bytes()))
}

fn is_forbidden_host(host: &str) -> bool {
    if let Ok(ip) = host.parse::<IpAddr>() {
        return is_forbidden_ip(ip);
    }
    let lower = host.to_ascii_lowercase();
    let lower = lower.trim_end_matches('.');
    if lower == "metadata.google.internal" {
        return true;
    }
    // All-numeric names that are not dotted quads are addresses in disguise to C resolvers.
    let numeric_label = |l: &str| {
        !l.is_empty()
            && (l.bytes().all(|b| b.is_ascii_digit())
                || l.strip_prefix("0x")
                    .is_some_and(|h| h.bytes().all(|b| b.is_ascii_hexdigit())))
    };
    lower.split('.').all(numeric_label) && lower.parse::<Ipv4Addr>().is_err()
}

/// Whether two hosts (without port, brackets optional) are the same, ignoring ASCII case and a trailing dot.
/// Textual on purpose: another spelling of the same address is refused, never a different host accepted.
fn same_host(a: &str, b: &str) -> bool {
    let norm = |h: &str| {
        let h = h.strip_prefix('[').and_then(|h| h.strip_suffix(']')).unwrap_or(h);
        h.strip_suffix('.').unwrap_or(h).to_owned()
    };
    let (a, b) = (norm(a), norm(b));
    !a.is_empty() && a.eq_ignore_ascii_case(&b)
}

/// The host of `host[:port]` or `[v6]:port`, without brackets.
fn host_of_authority(authority: &str) -> &str {
    if let Some(rest) = authority.strip_prefix('[') {
        return rest.split(']').next().unwrap_or(rest);
    }
    authority.split(':').next().unwrap_or(authority)
}

/// Parses an absolute `http`/`https` URL enough to judge where it goes.
pub(crate) fn parse_url(text: &str) -> Result<ParsedUrl<'_>, Error> {
    let bad = |why: &'static str| Error::new(ErrorKind::InvalidUrl, text).with_detail(why);
    if text.bytes().any(|b| b <= b' ' || b == 0x7f) {
        return Err(bad("URLs cannot have spaces or control characters"));
    }
    let (scheme, rest) = text.split_once("://").ok_or_else(|| bad("expected an absolute URL"))?;
    let https = if scheme.eq_ignore_ascii_case("https") {
        true
    } else if scheme.eq_ignore_ascii_case("http") {
        false
    } else {
        return Err(bad("the scheme must be http or https"));
    };
    if text.contains('#') {
        return Err(bad("a realm cannot have a fragment"));
    }
    let end = rest.find(['/', '?']).unwrap_or(rest.len());
    let authority = &rest[..end];
    if authority.contains('@') {
        return Err(bad("user info in a URL is not allowed"));
    }
    let (host, port) = if let Some(v6) = authority.strip_prefix('[') {
        let (host, after) = v6.split_once(']').ok_or_else(|| bad("unclosed `[` in the host"))?;
        host.parse::<Ipv6Addr>().map_err(|_| bad("invalid IPv6 address"))?;
        let port = match after {
            "" => None,
            _ => Some(after.strip_prefix(':').ok_or_else(|| bad("expected `:` after `]`"))?),
        };
        (host, port)
    } else {
        match authority.split_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (authority, None),
        }
    };
    if let Some(port) = port {
        if !port.is_empty() && (!port.bytes().all(|b| b.is_ascii_digit()) || port.parse::<u16>().is_err()) {
            return Err(bad("invalid port"));
        }
    }
    let host_ok = !host.is_empty()
        && (authority.starts_with('[')
            || host
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_')));
    if !host_ok {
        return Err(bad("invalid host"));
    }
    Ok(ParsedUrl { https, host })
}
