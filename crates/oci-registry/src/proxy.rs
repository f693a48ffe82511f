//! Proxies: which HTTP proxy a connection goes through, decided from data alone (no IO, and no environment read
//! here: the caller hands the variables in).
//!
//! The rules are those of Go's `golang.org/x/net/http/httpproxy` (what Docker, containerd and most registry tools
//! use), and curl's where the two agree:
//!
//! - A proxy URL is `http://[USER[:PASSWORD]@]HOST[:PORT]` (the port defaults to 80, as in Go; curl assumes 1080),
//!   with an optional trailing `/`. A URL without a scheme is read as `http://`. `https://` proxies (TLS to the proxy
//!   itself) and SOCKS proxies are refused with a [`ProxyError`] saying what is supported. The user and password may
//!   be percent-encoded; the password lives in an [`oci_auth::Secret`] and appears in no `Debug`, `Display` or error.
//! - HTTPS requests use the HTTPS proxy, else the one for all schemes; plain-HTTP requests the HTTP proxy, else the one
//!   for all schemes.
//! - Loopback addresses and `localhost` are never proxied, whatever the configuration says.
//! - [`NoProxy`] lists the hosts reached directly: `*` (every host), a name (`example.com`: itself and its
//!   subdomains), a name with a leading dot or `*.` (`.example.com`, `*.example.com`: its subdomains only), an IP
//!   address, a CIDR range (`10.0.0.0/8`, `fd00::/8`), each name or address with an optional `:PORT`; entries are
//!   separated by commas or white space (curl accepts both; Go trims white space around comma-separated entries)
//!   and compared case-insensitively.
//!   Names are compared as text: write an internationalized name in its `xn--` form (registry names are ASCII).
//! - [`ProxyConfig::from_env`] reads `https_proxy`, `http_proxy`, `all_proxy` and `no_proxy`, lower case first
//!   and then upper case, as curl does; the first one set to a non-empty value counts. When `REQUEST_METHOD` is
//!   set (a CGI program, where a request's `Proxy:` header becomes `HTTP_PROXY`), upper-case `HTTP_PROXY` is not read,
//!   the guard both Go and curl have against "httpoxy".

use std::ffi::OsStr;
use std::fmt;
use std::net::IpAddr;

use oci_auth::Secret;

/// The most bytes of a proxy's answer to `CONNECT` read before giving up on it: a status line and a few headers.
pub const MAX_CONNECT_REPLY: usize = 16 * 1024;

/// Which proxy each connection goes through: an HTTPS proxy, an HTTP proxy, one for all schemes, and the hosts
/// reached directly ([`NoProxy`]).
///
/// The default has no proxy: every connection is direct.
///
/// ```
/// use oci_registry::{NoProxy, ProxyConfig, ProxyUrl};
///
/// let proxy = ProxyUrl::parse("http://proxy.corp.example:3128")?;
/// let config = ProxyConfig::new()
///     .with_https(proxy.clone())
///     .with_http(proxy)
///     .with_no_proxy(NoProxy::parse(".corp.example, 10.0.0.0/8"));
/// assert!(config.proxy_for(true, "ghcr.io", 443).is_some());
/// assert!(config.proxy_for(true, "registry.corp.example", 443).is_none());
/// assert!(config.proxy_for(true, "10.1.2.3", 5000).is_none());
/// assert!(config.proxy_for(false, "127.0.0.1", 5000).is_none());
/// # Ok::<(), oci_registry::ProxyError>(())
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProxyConfig {
    https: Option<ProxyUrl>,
    http: Option<ProxyUrl>,
    all: Option<ProxyUrl>,
    no_proxy: NoProxy,
}

/// An HTTP proxy: `http://[USER[:PASSWORD]@]HOST[:PORT]`, valid by construction.
///
/// `Display` shows the password as `***`; [`ProxyUrl::expose_url`] gives the URL with it, for passing it on.
#[derive(Clone)]
pub struct ProxyUrl {
    /// Lower case; an IPv6 address without brackets.
    host: String,
    port: u16,
    username: Option<String>,
    password: Option<Secret>,
}

/// The hosts reached directly rather than through a proxy: the `NO_PROXY` list.
///
/// Entries that can match no host (an empty host, a bad port or range, a `*` inside a name, a name that is not
/// ASCII) are kept aside and listed by [`NoProxy::ignored`], so that a caller can warn about them; Go and curl skip
/// them silently.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NoProxy {
    everything: bool,
    rules: Vec<Rule>,
    ignored: Vec<(String, &'static str)>,
}

/// One entry of a [`NoProxy`] list.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Rule {
    /// An address, on any port or on one.
    Ip { ip: IpAddr, port: Option<u16> },
    /// A CIDR range, on any port.
    Cidr { network: IpAddr, prefix: u8 },
    /// A name with a leading dot: `suffix` matches its subdomains, and the name itself when `exact`.
    Domain {
        suffix: String,
        exact: bool,
        port: Option<u16>,
    },
}

/// A proxy URL or variable that cannot be used; `Display` quotes it with the password replaced by `***`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProxyError {
    kind: ProxyErrorKind,
    input: String,
    variable: Option<String>,
}

/// What is wrong with a proxy URL.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ProxyErrorKind {
    /// An `https://` proxy: TLS to the proxy itself is not supported (HTTPS to registries goes through an `http://`
    /// proxy in a `CONNECT` tunnel).
    HttpsProxy,
    /// A SOCKS proxy (`socks4://`, `socks5://`, `socks5h://`...): not supported.
    Socks,
    /// Another scheme than `http://`.
    UnsupportedScheme,
    /// No host.
    MissingHost,
    /// A host with characters no host name or address has.
    InvalidHost,
    /// A port that is not a number from 1 to 65535.
    InvalidPort,
    /// A user or password with a broken percent-encoding, or one that is not UTF-8 once decoded.
    InvalidUserinfo,
    /// A path, query or fragment after the host: a proxy URL has none.
    HasPath,
    /// The variable's value is not UTF-8.
    NotUnicode,
}

/// A proxy's answer to `CONNECT`, read from its head by [`read_connect_reply`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConnectReply {
    /// The status code: 200 opens the tunnel.
    pub status: u16,
    /// The reason phrase, as sent (escape it before printing).
    pub reason: String,
    /// The scheme of the first `Proxy-Authenticate` challenge (`Basic`, `Negotiate`...), as sent.
    pub challenge: Option<String>,
    /// How many bytes the head took: anything after it belongs to the tunnel.
    pub head_len: usize,
}

/// Why a proxy's answer to `CONNECT` could not be read.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ConnectReplyError {
    /// The head is longer than [`MAX_CONNECT_REPLY`] bytes.
    TooLarge,
    /// The status line is not `HTTP/1.x NNN reason`.
    BadStatusLine,
}

impl ProxyConfig {
    /// No proxy: every connection is direct.
    pub fn new() -> Self {
        Self::default()
    }

    /// Reads `https_proxy`, `http_proxy`, `all_proxy` and `no_proxy` from `vars` (lower case first, then upper
    /// case; an empty value counts as unset), as the module documentation says. Other variables are ignored, so
    /// `std::env::vars_os()` can be handed in whole.
    ///
    /// # Errors
    ///
    /// A [`ProxyError`] naming the variable when a proxy URL cannot be used (a SOCKS or `https://` proxy, a bad
    /// host or port) or a value is not UTF-8. A `NO_PROXY` entry that can match nothing is no error: see
    /// [`NoProxy::ignored`].
    pub fn from_env<I, K, V>(vars: I) -> Result<Self, ProxyError>
    where
        I: IntoIterator<Item = (K, V)>,
        K: AsRef<OsStr>,
        V: AsRef<OsStr>,
    {
        const NAMES: [&str; 9] = [
            "https_proxy",
            "HTTPS_PROXY",
            "http_proxy",
            "HTTP_PROXY",
            "all_proxy",
            "ALL_PROXY",
            "no_proxy",
            "NO_PROXY",
            "REQUEST_METHOD",
        ];
        let mut found: [Option<Result<String, ()>>; 9] = Default::default();
        for (name, value) in vars {
            let Some(name) = name.as_ref().to_str() else {
                continue;
            };
            if let Some(i) = NAMES.iter().position(|known| *known == name) {
                let value = value.as_ref();
                if !value.is_empty() {
                    found[i] = Some(value.to_str().map(str::to_owned).ok_or(()));
                }
            }
        }
        let cgi = found[8].is_some();
        let pick = |lower: usize, upper: usize| -> Result<Option<(&'static str, String)>, ProxyError> {
            for i in [lower, upper] {
                match &found[i] {
                    Some(Ok(value)) => return Ok(Some((NAMES[i], value.clone()))),
                    Some(Err(())) => {
                        return Err(ProxyError::new(ProxyErrorKind::NotUnicode, "").in_variable(NAMES[i]));
                    }
                    None => {}
                }
            }
            Ok(None)
        };
        let url = |picked: Option<(&'static str, String)>| -> Result<Option<ProxyUrl>, ProxyError> {
            picked
                .map(|(name, value)| ProxyUrl::parse(&value).map_err(|err| err.in_variable(name)))
                .transpose()
        };
        let http = if cgi { pick(2, 2)? } else { pick(2, 3)? };
        Ok(Self {
            https: url(pick(0, 1)?)?,
            http: url(http)?,
            all: url(pick(4, 5)?)?,
            no_proxy: pick(6, 7)?.map(|(_, list)| NoProxy::parse(&list)).unwrap_or_default(),
        })
    }

    /// Uses `proxy` for HTTPS connections (in a `CONNECT` tunnel).
    #[must_use]
    pub fn with_https(mut self, proxy: ProxyUrl) -> Self {
        self.https = Some(proxy);
        self
    }

    /// Uses `proxy` for plain-HTTP requests (sent to it in absolute form).
    #[must_use]
    pub fn with_http(mut self, proxy: ProxyUrl) -> Self {
        self.http = Some(proxy);
        self
    }

    /// Uses `proxy` for either scheme when no proxy is set for it (`ALL_PROXY`).
    #[must_use]
    pub fn with_all(mut self, proxy: ProxyUrl) -> Self {
        self.all = Some(proxy);
        self
    }

    /// Reaches the hosts of `list` directly, replacing the list this configuration had.
    #[must_use]
    pub fn with_no_proxy(mut self, list: NoProxy) -> Self {
        self.no_proxy = list;
        self
    }

    /// The proxy for HTTPS connections, when set.
    pub fn https(&self) -> Option<&ProxyUrl> {
        self.https.as_ref()
    }

    /// The proxy for plain-HTTP requests, when set.
    pub fn http(&self) -> Option<&ProxyUrl> {
        self.http.as_ref()
    }

    /// The proxy for either scheme when none is set for it, when set.
    pub fn all(&self) -> Option<&ProxyUrl> {
        self.all.as_ref()
    }

    /// The hosts reached directly.
    pub fn no_proxy(&self) -> &NoProxy {
        &self.no_proxy
    }

    /// Whether no proxy is set at all.
    pub fn is_empty(&self) -> bool {
        self.https.is_none() && self.http.is_none() && self.all.is_none()
    }

    /// The proxy a connection to `host` (a name, an IP address, or an IPv6 address in brackets) on `port` goes
    /// through, over HTTPS or plain HTTP; `None` when it goes directly: no proxy for the scheme, a loopback host, or
    /// a host the [`NoProxy`] list names.
    pub fn proxy_for(&self, https: bool, host: &str, port: u16) -> Option<&ProxyUrl> {
        let proxy = if https { self.https.as_ref() } else { self.http.as_ref() }.or(self.all.as_ref())?;
        if is_loopback(host) || self.no_proxy.matches(host, port) {
            return None;
        }
        Some(proxy)
    }
}

/// `localhost` and loopback addresses, IPv4-mapped ones included, as Go's `useProxy` decides.
fn is_loopback(host: &str) -> bool {
    if oci_auth::is_loopback_host(host) {
        return true;
    }
    unbracket(host)
        .parse::<IpAddr>()
        .is_ok_and(|ip| ip.to_canonical().is_loopback())
}

fn unbracket(host: &str) -> &str {
    host.strip_prefix('[')
        .and_then(|inner| inner.strip_suffix(']'))
        .unwrap_or(host)
}

impl ProxyUrl {
    /// Reads `http://[USER[:PASSWORD]@]HOST[:PORT][/]` (a URL without a scheme is read as `http://`).
    ///
    /// # Errors
    ///
    /// A [`ProxyError`] for another scheme (with a word for `https://` and SOCKS proxies, which are not supported),
    /// a missing or malformed host, a port that is not 1 to 65535, a broken percent-encoding in the user or password,
    /// or a path after the host.
    pub fn parse(text: &str) -> Result<Self, ProxyError> {
        let fail = |kind| ProxyError::new(kind, text);
        let text = text.trim();
        let rest = match text.split_once("://") {
            Some((scheme, _)) if !is_scheme(scheme) => return Err(fail(ProxyErrorKind::UnsupportedScheme)),
            Some((scheme, rest)) => {
                let scheme = scheme.to_ascii_lowercase();
                match scheme.as_str() {
                    "http" => rest,
                    "https" => return Err(fail(ProxyErrorKind::HttpsProxy)),
                    "socks" | "socks4" | "socks4a" | "socks5" | "socks5h" => return Err(fail(ProxyErrorKind::Socks)),
                    _ => return Err(fail(ProxyErrorKind::UnsupportedScheme)),
                }
            }
            None => text,
        };
        let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
        let (authority, tail) = rest.split_at(end);
        if !tail.is_empty() && tail != "/" {
            return Err(fail(ProxyErrorKind::HasPath));
        }
        let (userinfo, hostport) = match authority.rfind('@') {
            Some(at) => (Some(&authority[..at]), &authority[at + 1..]),
            None => (None, authority),
        };
        let (username, password) = match userinfo {
            None => (None, None),
            Some(userinfo) => {
                let (user, password) = match userinfo.split_once(':') {
                    Some((user, password)) => (user, Some(password)),
                    None => (userinfo, None),
                };
                let decode = |part: &str| percent_decode(part).ok_or_else(|| fail(ProxyErrorKind::InvalidUserinfo));
                (
                    Some(decode(user)?),
                    password.map(|p| decode(p).map(Secret::new)).transpose()?,
                )
            }
        };
        let (host, port) = split_host_port(hostport).map_err(fail)?;
        Ok(Self {
            host,
            port: port.unwrap_or(80),
            username,
            password,
        })
    }

    /// The proxy's host: a lower-case name, or an IP address (IPv6 without brackets).
    pub fn host(&self) -> &str {
        &self.host
    }

    /// The proxy's port (80 when the URL named none).
    pub fn port(&self) -> u16 {
        self.port
    }

    /// `HOST:PORT`, an IPv6 address in brackets: where to connect.
    pub fn authority(&self) -> String {
        join_host_port(&self.host, self.port)
    }

    /// The user the proxy URL names, when it names one.
    pub fn username(&self) -> Option<&str> {
        self.username.as_deref()
    }

    /// Whether the URL carries a password.
    pub fn has_password(&self) -> bool {
        self.password.is_some()
    }

    /// The URL with its password, user and password percent-encoded: what [`ProxyUrl::parse`] reads back into an
    /// equal value. Call this only to hand the URL on, never to print it.
    pub fn expose_url(&self) -> String {
        let mut out = String::from("http://");
        if let Some(user) = &self.username {
            out.push_str(&percent_encode(user));
            if let Some(password) = &self.password {
                out.push(':');
                out.push_str(&percent_encode(password.expose()));
            }
            out.push('@');
        }
        out.push_str(&self.authority());
        out
    }

    /// The `Proxy-Authorization` value, `Basic base64(USER:PASSWORD)`, when the URL names a user (Go and curl send
    /// it then, with an empty password when there is none).
    pub fn basic_authorization(&self) -> Option<Secret> {
        let user = self.username.as_ref()?;
        let password = self.password.as_ref().map_or("", Secret::expose);
        Some(Secret::new(oci_auth::internal::basic_header(user, password)))
    }
}

impl PartialEq for ProxyUrl {
    fn eq(&self, other: &Self) -> bool {
        self.host == other.host
            && self.port == other.port
            && self.username == other.username
            && self.password.as_ref().map(Secret::expose) == other.password.as_ref().map(Secret::expose)
    }
}

impl Eq for ProxyUrl {}

impl fmt::Display for ProxyUrl {
    /// `http://[USER[:***]@]HOST:PORT`: never the password.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("http://")?;
        if let Some(user) = &self.username {
            f.write_str(&crate::text::cut(&percent_encode(user)))?;
            if self.password.is_some() {
                f.write_str(":***")?;
            }
            f.write_str("@")?;
        }
        f.write_str(&self.authority())
    }
}

impl fmt::Debug for ProxyUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ProxyUrl")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("username", &self.username)
            .field("password", &self.password)
            .finish()
    }
}

impl std::str::FromStr for ProxyUrl {
    type Err = ProxyError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        Self::parse(text)
    }
}

/// `HOST[:PORT]` or `[IPV6][:PORT]` of a proxy URL: the host lower-cased and checked, the port 1 to 65535 (an
/// empty one, `host:`, is no port, as in Go's URLs).
fn split_host_port(hostport: &str) -> Result<(String, Option<u16>), ProxyErrorKind> {
    let (host, port) = if let Some(inner) = hostport.strip_prefix('[') {
        let (v6, after) = inner.split_once(']').ok_or(ProxyErrorKind::InvalidHost)?;
        let ip: std::net::Ipv6Addr = v6.parse().map_err(|_| ProxyErrorKind::InvalidHost)?;
        let port = match after {
            "" => None,
            _ => Some(after.strip_prefix(':').ok_or(ProxyErrorKind::InvalidHost)?),
        };
        (ip.to_string(), port)
    } else {
        let (host, port) = match hostport.split_once(':') {
            // An IPv6 address without brackets: its port cannot be told from its last group.
            Some((_, port)) if port.contains(':') => return Err(ProxyErrorKind::InvalidHost),
            Some((host, port)) => (host, Some(port)),
            None => (hostport, None),
        };
        if host.is_empty() {
            return Err(ProxyErrorKind::MissingHost);
        }
        let valid = |b: u8| b.is_ascii_alphanumeric() || b == b'-' || b == b'.' || b == b'_';
        if !host.bytes().all(valid) {
            return Err(ProxyErrorKind::InvalidHost);
        }
        (host.to_ascii_lowercase(), port)
    };
    let port = match port {
        None | Some("") => None,
        Some(digits) => Some(parse_port(digits).ok_or(ProxyErrorKind::InvalidPort)?),
    };
    Ok((host, port))
}

/// A port number 1 to 65535, in decimal digits only.
fn parse_port(digits: &str) -> Option<u16> {
    if digits.is_empty() || digits.len() > 5 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse::<u16>().ok().filter(|port| *port != 0)
}

fn join_host_port(host: &str, port: u16) -> String {
    if host.contains(':') {
        format!("[{host}]:{port}")
    } else {
        format!("{host}:{port}")
    }
}

impl NoProxy {
    /// Reads a `NO_PROXY` list (see the module documentation). Never fails: entries that can match no host are
    /// listed by [`NoProxy::ignored`].
    pub fn parse(list: &str) -> Self {
        let mut no_proxy = Self::default();
        // Go trims each comma-separated entry of Unicode white space; curl splits on blanks too. Splitting on both
        // reads every list either reads, and a vertical tab or a no-break space never glues two entries together.
        for entry in list.split(|c: char| c == ',' || c.is_whitespace()) {
            if entry.is_empty() {
                continue;
            }
            match Rule::parse(&entry.to_ascii_lowercase()) {
                Ok(None) => no_proxy.everything = true,
                Ok(Some(rule)) => no_proxy.rules.push(rule),
                Err(why) => no_proxy.ignored.push((entry.to_owned(), why)),
            }
        }
        no_proxy
    }

    /// Whether the list is `*`: every host is reached directly.
    pub fn is_everything(&self) -> bool {
        self.everything
    }

    /// Whether the list names no host at all.
    pub fn is_empty(&self) -> bool {
        !self.everything && self.rules.is_empty()
    }

    /// The entries that can match no host, each with why, in the order given.
    pub fn ignored(&self) -> impl Iterator<Item = (&str, &'static str)> {
        self.ignored.iter().map(|(entry, why)| (entry.as_str(), *why))
    }

    /// Whether `host` (a name, an IP address, or an IPv6 address in brackets) on `port` is to be reached directly.
    ///
    /// As in Go, a name entry matches names only, and an address or range entry addresses only (an IPv6 address's
    /// zone, `fe80::1%eth0`, is not part of it: it cannot make an address pass for a name).
    pub fn matches(&self, host: &str, port: u16) -> bool {
        if self.everything {
            return true;
        }
        let host = unbracket(host).to_ascii_lowercase();
        let address = if host.contains(':') {
            host.split('%').next().unwrap_or_default()
        } else {
            &host
        };
        let ip = address.parse::<IpAddr>().ok().map(|ip| ip.to_canonical());
        self.rules.iter().any(|rule| rule.matches(&host, ip, port))
    }
}

impl Rule {
    /// One lower-case entry: `Ok(None)` for `*`, else its rule or why it can match nothing.
    fn parse(entry: &str) -> Result<Option<Self>, &'static str> {
        if entry == "*" {
            return Ok(None);
        }
        if let Some((address, prefix)) = entry.split_once('/') {
            let network = unbracket(address)
                .parse::<IpAddr>()
                .map_err(|_| "a range is ADDRESS/BITS")?;
            let max = if network.is_ipv4() { 32 } else { 128 };
            let prefix = prefix
                .parse::<u8>()
                .ok()
                .filter(|bits| *bits <= max && prefix.bytes().all(|b| b.is_ascii_digit()))
                .ok_or("a range's prefix length is 0 to 32 (IPv4) or 128 (IPv6)")?;
            return Ok(Some(Self::Cidr {
                network: mask(network.to_canonical(), prefix),
                prefix,
            }));
        }
        if let Ok(ip) = entry.parse::<IpAddr>() {
            return Ok(Some(Self::Ip {
                ip: ip.to_canonical(),
                port: None,
            }));
        }
        let (host, port) = if let Some(inner) = entry.strip_prefix('[') {
            let (v6, after) = inner
                .split_once(']')
                .ok_or("an IPv6 address in brackets lacks its `]`")?;
            let port = after
                .strip_prefix(':')
                .ok_or("an address in brackets takes only `:PORT` after it")?;
            (v6, Some(port))
        } else {
            match entry.split_once(':') {
                Some((host, port)) if !port.contains(':') => (host, Some(port)),
                Some(_) => return Err("not an address, and a name has no more than one `:`"),
                None => (entry, None),
            }
        };
        let port = port
            .map(|digits| parse_port(digits).ok_or("the port is not a number from 1 to 65535"))
            .transpose()?;
        if host.is_empty() {
            return Err("no host before the port");
        }
        if let Ok(ip) = host.parse::<IpAddr>() {
            return Ok(Some(Self::Ip {
                ip: ip.to_canonical(),
                port,
            }));
        }
        let name = host.strip_prefix('*').unwrap_or(host);
        if name.contains('*') || (host.starts_with('*') && !name.starts_with('.')) {
            return Err("only `*` alone or a leading `*.` is a wildcard");
        }
        if !name.is_ascii() {
            return Err("names are compared as ASCII: write this one in its xn-- form");
        }
        if name == "." {
            return Err("no name after the dot");
        }
        let (suffix, exact) = match name.strip_prefix('.') {
            Some(_) => (name.to_owned(), false),
            None => (format!(".{name}"), true),
        };
        Ok(Some(Self::Domain { suffix, exact, port }))
    }

    fn matches(&self, host: &str, ip: Option<IpAddr>, port: u16) -> bool {
        match self {
            Self::Ip {
                ip: want,
                port: want_port,
            } => ip == Some(*want) && want_port.is_none_or(|p| p == port),
            Self::Cidr { network, prefix } => {
                ip.is_some_and(|ip| ip.is_ipv4() == network.is_ipv4() && mask(ip, *prefix) == *network)
            }
            Self::Domain {
                suffix,
                exact,
                port: want_port,
            } => {
                let hit = ip.is_none() && (host.ends_with(suffix.as_str()) || (*exact && host == &suffix[1..]));
                hit && want_port.is_none_or(|p| p == port)
            }
        }
    }
}

/// `ip` with all but its first `prefix` bits cleared.
fn mask(ip: IpAddr, prefix: u8) -> IpAddr {
    match ip {
        IpAddr::V4(v4) => {
            let bits = u32::from(v4);
            let kept = u32::MAX.checked_shl(32 - u32::from(prefix.min(32))).unwrap_or(0);
            IpAddr::V4((bits & kept).into())
        }
        IpAddr::V6(v6) => {
            let bits = u128::from(v6);
            let kept = u128::MAX.checked_shl(128 - u32::from(prefix.min(128))).unwrap_or(0);
            IpAddr::V6((bits & kept).into())
        }
    }
}

impl ProxyError {
    fn new(kind: ProxyErrorKind, input: &str) -> Self {
        Self {
            kind,
            input: redact(input),
            variable: None,
        }
    }

    fn in_variable(mut self, name: &str) -> Self {
        self.variable = Some(name.to_owned());
        self
    }

    /// What is wrong.
    pub fn kind(&self) -> ProxyErrorKind {
        self.kind
    }

    /// The environment variable the URL came from, when it came from one.
    pub fn variable(&self) -> Option<&str> {
        self.variable.as_deref()
    }
}

impl fmt::Display for ProxyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.kind == ProxyErrorKind::NotUnicode {
            return write!(
                f,
                "{} is not UTF-8 text",
                self.variable.as_deref().unwrap_or("the proxy variable")
            );
        }
        write!(f, "invalid proxy URL `{}`", crate::text::cut(&self.input))?;
        if let Some(variable) = &self.variable {
            write!(f, " in {variable}")?;
        }
        f.write_str(match self.kind {
            ProxyErrorKind::HttpsProxy => {
                ": https:// proxies (TLS to the proxy) are not supported; use http://HOST:PORT (HTTPS to registries \
                 still goes through it, in a CONNECT tunnel)"
            }
            ProxyErrorKind::Socks => ": SOCKS proxies are not supported; use an HTTP proxy, http://HOST:PORT",
            ProxyErrorKind::UnsupportedScheme => ": only http:// proxies are supported",
            ProxyErrorKind::MissingHost => ": no host; write http://HOST:PORT",
            ProxyErrorKind::InvalidHost => {
                ": the host is not a name or an IP address (an IPv6 address goes in brackets, http://[::1]:3128)"
            }
            ProxyErrorKind::InvalidPort => ": the port is not a number from 1 to 65535",
            ProxyErrorKind::InvalidUserinfo => {
                ": the user or password has a broken percent-encoding (write `%` as %25, `@` as %40, `:` as %3A)"
            }
            ProxyErrorKind::HasPath => ": a proxy URL has no path; write http://HOST:PORT",
            ProxyErrorKind::NotUnicode => "",
        })
    }
}

impl std::error::Error for ProxyError {}

/// `text` with the password of its user info replaced by `***`, for quoting a URL that did not parse. Whatever
/// stands before the last `@` of the authority counts as user info, so that no malformed URL shows its password.
fn redact(text: &str) -> String {
    let start = match text.split_once("://") {
        Some((scheme, _)) if is_scheme(scheme) => scheme.len() + 3,
        _ => 0,
    };
    let end = text[start..].find(['/', '?', '#']).map_or(text.len(), |at| start + at);
    match text[start..end].rfind('@') {
        Some(at) => {
            let userinfo = &text[start..start + at];
            let user = userinfo.split_once(':').map_or(userinfo, |(user, _)| user);
            let hidden = if userinfo.contains(':') { ":***" } else { "" };
            format!("{}{user}{hidden}{}", &text[..start], &text[start + at..])
        }
        None => text.to_owned(),
    }
}

/// RFC 3986's `scheme`: a letter, then letters, digits, `+`, `-` or `.`.
fn is_scheme(text: &str) -> bool {
    let mut bytes = text.bytes();
    bytes.next().is_some_and(|first| first.is_ascii_alphabetic())
        && bytes.all(|b| b.is_ascii_alphanumeric() || b"+-.".contains(&b))
}

/// Reads a proxy's answer to `CONNECT` from the bytes received so far: `Ok(None)` while its head is incomplete.
///
/// Lines may end in CRLF or a bare LF. Only the status line must be well-formed; headers are looked at for the
/// first `Proxy-Authenticate` scheme and otherwise skipped.
///
/// # Errors
///
/// [`ConnectReplyError::TooLarge`] when no complete head fits in [`MAX_CONNECT_REPLY`] bytes,
/// [`ConnectReplyError::BadStatusLine`] when the first line is not `HTTP/1.x NNN reason`.
pub fn read_connect_reply(received: &[u8]) -> Result<Option<ConnectReply>, ConnectReplyError> {
    let window = &received[..received.len().min(MAX_CONNECT_REPLY)];
    let Some(head_len) = head_end(window) else {
        return if received.len() >= MAX_CONNECT_REPLY {
            Err(ConnectReplyError::TooLarge)
        } else {
            // A status line can be judged before the head is complete: fail early on an answer that is no HTTP.
            match window.iter().position(|b| *b == b'\n') {
                Some(end) => status_line(&window[..end]).map(|_| None),
                None => Ok(None),
            }
        };
    };
    let head = &window[..head_len];
    let mut lines = head
        .split(|b| *b == b'\n')
        .map(|line| line.strip_suffix(b"\r").unwrap_or(line));
    let (status, reason) = status_line(lines.next().unwrap_or_default())?;
    let challenge = lines.find_map(|line| {
        let text = String::from_utf8_lossy(line);
        let (name, value) = text.split_once(':')?;
        name.trim()
            .eq_ignore_ascii_case("proxy-authenticate")
            .then(|| value.split_whitespace().next().unwrap_or_default().to_owned())
    });
    Ok(Some(ConnectReply {
        status,
        reason,
        challenge,
        head_len,
    }))
}

/// Where the head ends (after its empty line), when it does.
fn head_end(bytes: &[u8]) -> Option<usize> {
    let mut line_start = 0;
    for (i, b) in bytes.iter().enumerate() {
        if *b == b'\n' {
            let line = &bytes[line_start..i];
            if line.is_empty() || line == b"\r" {
                return (line_start > 0).then_some(i + 1);
            }
            line_start = i + 1;
        }
    }
    None
}

fn status_line(line: &[u8]) -> Result<(u16, String), ConnectReplyError> {
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    let rest = line.strip_prefix(b"HTTP/1.").ok_or(ConnectReplyError::BadStatusLine)?;
    let (minor, rest) = rest.split_first().ok_or(ConnectReplyError::BadStatusLine)?;
    let rest = rest.strip_prefix(b" ").ok_or(ConnectReplyError::BadStatusLine)?;
    if !minor.is_ascii_digit() || rest.len() < 3 || !rest[..3].iter().all(u8::is_ascii_digit) {
        return Err(ConnectReplyError::BadStatusLine);
    }
    let status = rest[..3].iter().fold(0u16, |n, digit| n * 10 + u16::from(digit - b'0'));
    let reason = match &rest[3..] {
        [] => String::new(),
        [b' ', reason @ ..] => String::from_utf8_lossy(reason).into_owned(),
        _ => return Err(ConnectReplyError::BadStatusLine),
    };
    Ok((status, reason))
}

impl fmt::Display for ConnectReplyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::TooLarge => "the proxy's answer to CONNECT is larger than 16 KiB",
            Self::BadStatusLine => "the proxy's answer to CONNECT is not HTTP/1.x",
        })
    }
}

impl std::error::Error for ConnectReplyError {}

/// The `CONNECT` request for `target` (`HOST:PORT`), with `Proxy-Authorization` when the proxy URL names a user.
pub(crate) fn connect_request(target: &str, proxy: &ProxyUrl, user_agent: &str) -> Vec<u8> {
    let mut request = format!("CONNECT {target} HTTP/1.1\r\nHost: {target}\r\n");
    // The user agent was checked as a header value by the transport's first request; a control character here
    // would split the head, so it is left out rather than sent.
    if !user_agent.bytes().any(|b| b.is_ascii_control()) {
        request.push_str(&format!("User-Agent: {user_agent}\r\n"));
    }
    if let Some(authorization) = proxy.basic_authorization() {
        request.push_str(&format!("Proxy-Authorization: {}\r\n", authorization.expose()));
    }
    request.push_str("\r\n");
    request.into_bytes()
}

/// `%XX` sequences decoded; `None` for a broken one or bytes that are not UTF-8.
fn percent_decode(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = bytes.get(i + 1..i + 3)?;
            let hex = std::str::from_utf8(hex).ok()?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

/// Every byte but the unreserved ones (`A-Z a-z 0-9 - . _ ~`) as `%XX`.
fn percent_encode(text: &str) -> String {
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

    /// Go's `UseProxyTests` (golang.org/x/net/http/httpproxy), each host on port 80 against Go's `noProxy` list:
    /// `true` means the request goes through the proxy.
    const GO_NO_PROXY: &str = "foobar.com, .barbaz.net, *.wildcard.io, 192.168.1.1, 192.168.1.2:81, 192.168.1.3:80, \
                               10.0.0.0/30, 2001:db8::52:0:1, [2001:db8::52:0:2]:443, [2001:db8::52:0:3]:80, \
                               2002:db8:a::45/64";
    const GO_USE_PROXY: &[(&str, bool)] = &[
        // Never proxy localhost.
        ("localhost", false),
        ("127.0.0.1", false),
        ("127.0.0.2", false),
        ("[::1]", false),
        ("[::2]", true),
        ("192.168.1.1", false),
        ("192.168.1.2", true),
        ("192.168.1.3", false),
        ("192.168.1.4", true),
        ("10.0.0.2", false),
        ("[2001:db8::52:0:1]", false),
        ("[2001:db8::52:0:2]", true),
        ("[2001:db8::52:0:3]", false),
        ("[2002:db8:a::123]", false),
        ("[fe80::424b:c8be:1643:a1b6]", true),
        ("barbaz.net", true),
        ("www.barbaz.net", false),
        ("foobar.com", false),
        ("www.foobar.com", false),
        ("foofoobar.com", true),
        ("baz.com", true),
        ("localhost.net", true),
        ("local.localhost", true),
        ("barbarbaz.net", true),
        ("wildcard.io", true),
        ("nested.wildcard.io", false),
        ("awildcard.io", true),
    ];

    fn proxy() -> ProxyUrl {
        ProxyUrl::parse("http://proxy.example:3128").unwrap()
    }

    fn with_no_proxy(list: &str) -> ProxyConfig {
        ProxyConfig::new()
            .with_http(proxy())
            .with_https(proxy())
            .with_no_proxy(NoProxy::parse(list))
    }

    #[test]
    fn go_use_proxy_table() {
        let config = with_no_proxy(GO_NO_PROXY);
        assert!(config.no_proxy().ignored().next().is_none());
        for (host, proxied) in GO_USE_PROXY {
            assert_eq!(config.proxy_for(false, host, 80).is_some(), *proxied, "{host}");
            assert_eq!(
                config.proxy_for(true, host, 80).is_some(),
                *proxied,
                "{host} over HTTPS"
            );
        }
        // Go's TestAllNoProxy: `*` sends every host directly.
        let all = with_no_proxy("*");
        for (host, _) in GO_USE_PROXY {
            assert!(all.proxy_for(false, host, 80).is_none(), "{host}");
        }
        // Go's TestInvalidNoProxy: an entry without a host matches nothing (and is reported here).
        let invalid = with_no_proxy(":1");
        assert!(invalid.proxy_for(false, "example.com", 80).is_some());
        assert_eq!(
            invalid.no_proxy().ignored().collect::<Vec<_>>(),
            [(":1", "no host before the port")]
        );
    }

    /// Go's `proxyForURLTests` that concern `NO_PROXY` and the choice of proxy per scheme: (no_proxy, request
    /// scheme is HTTPS, host, port, proxied).
    #[test]
    fn go_proxy_for_url_table() {
        for (list, https, host, port, proxied) in [
            ("", false, "example.com", 80, true),
            ("example.com", false, "example.com", 80, false),
            (".example.com", false, "example.com", 80, true),
            ("ample.com", false, "example.com", 80, true),
            ("example.com", false, "foo.example.com", 80, false),
            (".foo.com", false, "example.com", 80, true),
            ("xn--fsq092h.com", false, "www.xn--fsq092h.com", 80, false),
            ("example.com", false, "[1000::%25.example.com]", 123, true),
        ] {
            let config = with_no_proxy(list);
            assert_eq!(
                config.proxy_for(https, host, port).is_some(),
                proxied,
                "{list:?} {host}"
            );
        }
        // The HTTPS proxy for HTTPS, the HTTP proxy for HTTP, and no fallback from one to the other.
        let http_only = ProxyConfig::new().with_http(ProxyUrl::parse("http.proxy.tld").unwrap());
        assert_eq!(
            http_only.proxy_for(false, "insecure.tld", 80).map(ProxyUrl::host),
            Some("http.proxy.tld")
        );
        assert!(http_only.proxy_for(true, "secure.tld", 443).is_none());
        let both = http_only.with_https(ProxyUrl::parse("secure.proxy.tld").unwrap());
        assert_eq!(
            both.proxy_for(true, "secure.tld", 443).map(ProxyUrl::host),
            Some("secure.proxy.tld")
        );
        assert_eq!(
            both.proxy_for(false, "insecure.tld", 80).map(ProxyUrl::host),
            Some("http.proxy.tld")
        );
        // ALL_PROXY (curl's) covers a scheme without a proxy of its own.
        let all = ProxyConfig::new()
            .with_all(ProxyUrl::parse("all.proxy.tld").unwrap())
            .with_https(ProxyUrl::parse("secure.proxy.tld").unwrap());
        assert_eq!(
            all.proxy_for(false, "insecure.tld", 80).map(ProxyUrl::host),
            Some("all.proxy.tld")
        );
        assert_eq!(
            all.proxy_for(true, "secure.tld", 443).map(ProxyUrl::host),
            Some("secure.proxy.tld")
        );
        assert!(ProxyConfig::new().proxy_for(true, "example.com", 443).is_none());
    }

    #[test]
    fn no_proxy_forms() {
        // (list, host, port, reached directly)
        for (list, host, port, direct) in [
            // Commas or white space, any case, ports.
            ("a.example b.example", "b.example", 443, true),
            ("a.example,\tB.Example", "x.b.example", 443, true),
            // Found by fuzzing: white space beyond ASCII's (a vertical tab) separates entries too.
            ("H\u{b}\u{b}", "h", 443, true),
            ("a.example\u{a0}b.example", "b.example", 443, true),
            ("REGISTRY.example:5000", "registry.example", 5000, true),
            ("registry.example:5000", "registry.example", 443, false),
            ("*.corp.example:443", "r.corp.example", 443, true),
            ("*.corp.example", "corp.example", 443, false),
            (".corp.example", "r.corp.example", 443, true),
            // CIDR ranges, host bits set or not, IPv4-mapped addresses as their IPv4.
            ("10.0.0.0/8", "10.200.3.4", 5000, true),
            ("10.1.2.3/8", "10.200.3.4", 5000, true),
            ("10.0.0.0/8", "11.0.0.1", 5000, false),
            ("10.0.0.0/8", "[::ffff:10.0.0.1]", 5000, true),
            ("fd00::/8", "[fd12:3456::1]", 443, true),
            ("fd00::/8", "fe12::1", 443, false),
            ("0.0.0.0/0", "203.0.113.9", 443, true),
            ("[fd00::]/8", "[fd00::1]", 443, true),
            ("192.0.2.7", "192.0.2.7", 443, true),
            ("[2001:db8::1]:443", "[2001:db8::1]", 443, true),
            ("2001:db8::1", "2001:db8::1", 8443, true),
            // A name entry never matches an address, nor an IPv6 address with a zone that looks like a name.
            ("2.7", "192.0.2.7", 443, false),
            ("example.com", "[fe80::1%25.example.com]", 443, false),
            ("fe80::1", "[fe80::1%25eth0]", 443, true),
            ("", "example.com", 443, false),
            (",, ,", "example.com", 443, false),
        ] {
            let config = with_no_proxy(list);
            assert_eq!(
                config.proxy_for(true, host, port).is_none(),
                direct,
                "{list:?} {host}:{port}"
            );
        }
    }

    #[test]
    fn entries_that_match_nothing_are_set_aside() {
        let list = NoProxy::parse(
            "ok.example, :80, host:0, host:99999, host:x, 10.0.0.0/33, a/b, *example.com, \
             a*.example, münchen.example, ., [::1, [::1]x, a:b:c",
        );
        let ignored: Vec<&str> = list.ignored().map(|(entry, _)| entry).collect();
        assert_eq!(
            ignored,
            [
                ":80",
                "host:0",
                "host:99999",
                "host:x",
                "10.0.0.0/33",
                "a/b",
                "*example.com",
                "a*.example",
                "münchen.example",
                ".",
                "[::1",
                "[::1]x",
                "a:b:c"
            ]
        );
        assert!(list.matches("ok.example", 443));
        assert!(!list.is_empty() && !list.is_everything());
        assert!(NoProxy::parse("").is_empty());
        assert!(NoProxy::parse("a, *").is_everything());
    }

    #[test]
    fn loopback_is_never_proxied() {
        let config = ProxyConfig::new().with_all(proxy());
        for host in [
            "localhost",
            "LOCALHOST",
            "localhost.",
            "127.0.0.1",
            "127.9.9.9",
            "[::1]",
            "::1",
            "[::ffff:127.0.0.1]",
        ] {
            assert!(config.proxy_for(true, host, 443).is_none(), "{host}");
            assert!(config.proxy_for(false, host, 80).is_none(), "{host}");
        }
        for host in ["local.localhost", "localhost.example", "128.0.0.1", "[::2]"] {
            assert!(config.proxy_for(true, host, 443).is_some(), "{host}");
        }
    }

    #[test]
    fn proxy_urls() {
        // (input, host, port, user, password)
        for (input, host, port, user, password) in [
            ("http://proxy.example:3128", "proxy.example", 3128, None, None),
            ("HTTP://Proxy.Example:3128/", "proxy.example", 3128, None, None),
            ("proxy.example:3128", "proxy.example", 3128, None, None),
            ("proxy.example", "proxy.example", 80, None, None),
            ("localhost", "localhost", 80, None, None),
            ("127.0.0.1:8080", "127.0.0.1", 8080, None, None),
            ("http://[::1]:3128", "::1", 3128, None, None),
            ("http://[2001:DB8::1]", "2001:db8::1", 80, None, None),
            ("http://proxy.example:", "proxy.example", 80, None, None),
            ("  http://proxy.example:3128  ", "proxy.example", 3128, None, None),
            (
                "http://alice:s3cret@proxy.example:3128",
                "proxy.example",
                3128,
                Some("alice"),
                Some("s3cret"),
            ),
            ("http://alice@proxy.example", "proxy.example", 80, Some("alice"), None),
            (
                "http://alice:@proxy.example",
                "proxy.example",
                80,
                Some("alice"),
                Some(""),
            ),
            (
                "http://a%40b:p%3Aw%2Fd%25@proxy.example",
                "proxy.example",
                80,
                Some("a@b"),
                Some("p:w/d%"),
            ),
            (
                "http://a:p@ss@proxy.example",
                "proxy.example",
                80,
                Some("a"),
                Some("p@ss"),
            ),
            (
                "http://dom%5Cuser:x@proxy.example",
                "proxy.example",
                80,
                Some("dom\\user"),
                Some("x"),
            ),
        ] {
            let url = ProxyUrl::parse(input).unwrap_or_else(|err| panic!("{input}: {err}"));
            assert_eq!(url.host(), host, "{input}");
            assert_eq!(url.port(), port, "{input}");
            assert_eq!(url.username(), user, "{input}");
            assert_eq!(url.password.as_ref().map(Secret::expose), password, "{input}");
            assert_eq!(ProxyUrl::parse(&url.expose_url()).unwrap(), url, "{input}");
        }
    }

    #[test]
    fn bad_proxy_urls_say_what_is_supported() {
        for (input, kind) in [
            ("https://proxy.example:443", ProxyErrorKind::HttpsProxy),
            ("socks5://proxy.example:1080", ProxyErrorKind::Socks),
            ("SOCKS5H://proxy.example", ProxyErrorKind::Socks),
            ("socks4://proxy.example", ProxyErrorKind::Socks),
            ("ftp://proxy.example", ProxyErrorKind::UnsupportedScheme),
            ("", ProxyErrorKind::MissingHost),
            ("http://", ProxyErrorKind::MissingHost),
            ("http://:3128", ProxyErrorKind::MissingHost),
            ("http://alice:pw@", ProxyErrorKind::MissingHost),
            ("http://proxy example", ProxyErrorKind::InvalidHost),
            ("http://[::1", ProxyErrorKind::InvalidHost),
            ("http://[::1]x", ProxyErrorKind::InvalidHost),
            ("http://[nothex]:1", ProxyErrorKind::InvalidHost),
            ("http://::1:3128", ProxyErrorKind::InvalidHost),
            ("http://proxy.example:0", ProxyErrorKind::InvalidPort),
            ("http://proxy.example:65536", ProxyErrorKind::InvalidPort),
            ("http://proxy.example:+80", ProxyErrorKind::InvalidPort),
            ("http://proxy.example:80a", ProxyErrorKind::InvalidPort),
            ("http://a:%zz@proxy.example", ProxyErrorKind::InvalidUserinfo),
            ("http://a:%ff@proxy.example", ProxyErrorKind::InvalidUserinfo),
            ("http://a:%4@proxy.example", ProxyErrorKind::InvalidUserinfo),
            ("http://proxy.example:3128/path", ProxyErrorKind::HasPath),
            ("http://proxy.example?x", ProxyErrorKind::HasPath),
        ] {
            let err = ProxyUrl::parse(input).unwrap_err();
            assert_eq!(err.kind(), kind, "{input}");
        }
        let socks = ProxyUrl::parse("socks5://proxy.example:1080").unwrap_err().to_string();
        assert!(
            socks.contains("SOCKS proxies are not supported") && socks.contains("http://"),
            "{socks}"
        );
        let https = ProxyUrl::parse("https://proxy.example").unwrap_err().to_string();
        assert!(
            https.contains("https:// proxies") && https.contains("CONNECT tunnel"),
            "{https}"
        );
    }

    #[test]
    fn passwords_appear_nowhere_but_the_exposed_url_and_header() {
        let url = ProxyUrl::parse("http://alice:s3cret@proxy.example:3128").unwrap();
        assert_eq!(url.to_string(), "http://alice:***@proxy.example:3128");
        assert!(!format!("{url:?}").contains("s3cret"), "{url:?}");
        let config = ProxyConfig::new().with_https(url.clone());
        assert!(!format!("{config:?}").contains("s3cret"));
        assert_eq!(url.expose_url(), "http://alice:s3cret@proxy.example:3128");
        // RFC 7617's example.
        let rfc = ProxyUrl::parse("http://Aladdin:open%20sesame@proxy.example").unwrap();
        assert_eq!(
            rfc.basic_authorization().unwrap().expose(),
            "Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ=="
        );
        assert_eq!(
            ProxyUrl::parse("http://alice@p")
                .unwrap()
                .basic_authorization()
                .unwrap()
                .expose(),
            "Basic YWxpY2U6"
        );
        assert!(proxy().basic_authorization().is_none());
        // Errors quote the input with the password hidden, wherever the URL broke.
        for input in [
            "socks5://alice:s3cret@proxy.example",
            "http://alice:s3cret@proxy.example:99999",
            "alice:s3cret@proxy.example/path",
            "http://alice:s3cret@pro xy",
            "alice:s3cret@host://x",
        ] {
            let err = ProxyUrl::parse(input).unwrap_err();
            let shown = format!("{err} {err:?}");
            assert!(!shown.contains("s3cret") && shown.contains("alice:***@"), "{shown}");
        }
    }

    #[test]
    fn environment_lower_case_first() {
        let env = |vars: &[(&str, &str)]| ProxyConfig::from_env(vars.iter().copied());
        let config = env(&[
            ("HTTPS_PROXY", "http://upper:3128"),
            ("https_proxy", "http://lower:3128"),
            ("HTTP_PROXY", "http://upper-http:3128"),
            ("ALL_PROXY", "all:1"),
            ("NO_PROXY", "upper.example"),
            ("no_proxy", "lower.example"),
            ("PATH", "/usr/bin"),
        ])
        .unwrap();
        assert_eq!(config.https().map(ProxyUrl::host), Some("lower"));
        assert_eq!(config.http().map(ProxyUrl::host), Some("upper-http"));
        assert_eq!(config.all().map(ProxyUrl::authority).as_deref(), Some("all:1"));
        assert!(config.no_proxy().matches("lower.example", 443));
        assert!(!config.no_proxy().matches("upper.example", 443));
        // An empty value is unset: the other case counts.
        let config = env(&[("https_proxy", ""), ("HTTPS_PROXY", "http://upper:3128")]).unwrap();
        assert_eq!(config.https().map(ProxyUrl::host), Some("upper"));
        assert!(env(&[]).unwrap().is_empty());
        // httpoxy: in a CGI program, HTTP_PROXY may come from a request's `Proxy:` header.
        let cgi = env(&[("REQUEST_METHOD", "GET"), ("HTTP_PROXY", "http://evil:80")]).unwrap();
        assert!(cgi.http().is_none());
        let cgi = env(&[("REQUEST_METHOD", "GET"), ("http_proxy", "http://mine:80")]).unwrap();
        assert_eq!(cgi.http().map(ProxyUrl::host), Some("mine"));
        // A bad value names its variable.
        let err = env(&[("ALL_PROXY", "socks5://alice:pw@tor:9050")]).unwrap_err();
        assert_eq!(err.variable(), Some("ALL_PROXY"));
        assert_eq!(err.kind(), ProxyErrorKind::Socks);
        assert!(
            err.to_string().contains("in ALL_PROXY") && !err.to_string().contains("pw@"),
            "{err}"
        );
    }

    #[cfg(unix)]
    #[test]
    fn environment_values_that_are_not_utf8() {
        use std::os::unix::ffi::OsStrExt;
        let bad = OsStr::from_bytes(b"http://\xff:1");
        let err = ProxyConfig::from_env([(OsStr::new("https_proxy"), bad)]).unwrap_err();
        assert_eq!(err.kind(), ProxyErrorKind::NotUnicode);
        assert_eq!(err.to_string(), "https_proxy is not UTF-8 text");
        // Another variable that is not UTF-8 is none of this module's business.
        assert!(ProxyConfig::from_env([(OsStr::new("OTHER"), bad)]).is_ok());
    }

    #[test]
    fn connect_replies() {
        let ok = read_connect_reply(b"HTTP/1.1 200 Connection established\r\n\r\n")
            .unwrap()
            .unwrap();
        assert_eq!(
            (ok.status, ok.reason.as_str(), ok.head_len),
            (200, "Connection established", 39)
        );
        let auth = b"HTTP/1.1 407 Proxy Authentication Required\r\nServer: squid\r\nProxy-Authenticate: Basic \
                     realm=\"x\"\r\nContent-Length: 3\r\n\r\nabc";
        let reply = read_connect_reply(auth).unwrap().unwrap();
        assert_eq!(reply.status, 407);
        assert_eq!(reply.challenge.as_deref(), Some("Basic"));
        assert_eq!(reply.head_len, auth.len() - 3);
        let bare = read_connect_reply(b"HTTP/1.0 200\n\n").unwrap().unwrap();
        assert_eq!((bare.status, bare.reason.as_str(), bare.head_len), (200, "", 14));
        // Incomplete heads wait for more; what is no HTTP fails as soon as its first line is in.
        for partial in [
            &b""[..],
            b"HTTP/1.1 200 OK",
            b"HTTP/1.1 200 OK\r\n",
            b"HTTP/1.1 200 OK\r\nVia: x\r\n",
        ] {
            assert_eq!(read_connect_reply(partial), Ok(None), "{partial:?}");
        }
        for bad in [
            &b"SSH-2.0-OpenSSH\r\n"[..],
            b"HTTP/2 200 OK\r\n\r\n",
            b"HTTP/1.1 20 OK\r\n\r\n",
            b"HTTP/1.1 2000 OK\r\n\r\n",
            b"\r\n\r\n",
            b"\n",
        ] {
            assert_eq!(
                read_connect_reply(bad),
                Err(ConnectReplyError::BadStatusLine),
                "{bad:?}"
            );
        }
        let mut huge = b"HTTP/1.1 200 OK\r\n".to_vec();
        huge.resize(MAX_CONNECT_REPLY, b'a');
        assert_eq!(read_connect_reply(&huge), Err(ConnectReplyError::TooLarge));
    }

    #[test]
    fn connect_requests_carry_proxy_credentials_only_when_given() {
        let with = ProxyUrl::parse("http://alice:s3cret@proxy.example:3128").unwrap();
        let request = String::from_utf8(connect_request("registry.test:443", &with, "oci-registry/1")).unwrap();
        assert_eq!(
            request,
            format!(
                "CONNECT registry.test:443 HTTP/1.1\r\nHost: registry.test:443\r\nUser-Agent: oci-registry/1\r\n\
                 Proxy-Authorization: Basic {}\r\n\r\n",
                "YWxpY2U6czNjcmV0"
            )
        );
        let without = String::from_utf8(connect_request("[::1]:5000", &proxy(), "a\r\nX: y")).unwrap();
        assert_eq!(without, "CONNECT [::1]:5000 HTTP/1.1\r\nHost: [::1]:5000\r\n\r\n");
    }

    mod props {
        use proptest::prelude::*;

        use super::super::*;

        fn host() -> impl Strategy<Value = String> {
            prop_oneof![
                "[a-z0-9]([a-z0-9-]{0,10}[a-z0-9])?(\\.[a-z0-9]{1,8}){0,3}",
                any::<std::net::Ipv4Addr>().prop_map(|ip| ip.to_string()),
                any::<std::net::Ipv6Addr>().prop_map(|ip| ip.to_string()),
            ]
        }

        proptest! {
            #[test]
            fn exposed_urls_read_back(
                host in host(),
                port in 1u16..,
                user in proptest::option::of(".{0,12}"),
                password in proptest::option::of(".{0,12}"),
            ) {
                let url = ProxyUrl {
                    host,
                    port,
                    password: user.as_ref().and(password.map(Secret::new)),
                    username: user,
                };
                let exposed = url.expose_url();
                let back = ProxyUrl::parse(&exposed).unwrap();
                prop_assert_eq!(&back, &url);
                // The display is the exposed form with the password hidden, and hides it.
                let shown = url.to_string();
                prop_assert!(shown.starts_with("http://") && shown.ends_with(&url.authority()));
                if let Some(password) = url.password.as_ref().filter(|p| p.expose().len() > 3) {
                    prop_assert!(!shown.contains(&percent_encode(password.expose())));
                }
            }

            #[test]
            fn any_text_parses_or_fails_cleanly(text in ".{0,40}") {
                if let Ok(url) = ProxyUrl::parse(&text) {
                    prop_assert_eq!(ProxyUrl::parse(&url.expose_url()).unwrap(), url);
                }
                let list = NoProxy::parse(&text);
                let _ = list.matches(&text, 443);
            }

            #[test]
            fn a_host_listed_is_reached_directly(host in host(), port in 1u16..) {
                let list = NoProxy::parse(&host);
                let bracketed = if host.contains(':') { format!("[{host}]") } else { host.clone() };
                prop_assert!(list.matches(&bracketed, port));
                let with_port = NoProxy::parse(&join_host_port(&host, port));
                prop_assert!(with_port.matches(&bracketed, port));
                prop_assert!(!with_port.matches(&bracketed, port.wrapping_add(1).max(1)) || port == u16::MAX);
            }
        }
    }
}
