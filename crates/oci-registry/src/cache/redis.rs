//! [`RedisCache`]: the cache, and the shared pull budget, in a Redis server that a fleet of hosts shares.
//!
//! One multiplexed connection per cache, shared by its clones, opened again after it broke. Every operation is
//! bounded by a timeout, connecting included, so a Redis that went away or hangs costs an error after at most that
//! long, never a stalled check. Entries are plain strings under `oci-check:v1:` + [`CacheKey::name`]; expiry is
//! Redis's own (`SET ... PX`), so there is nothing to prune. The budget is one counter per rate-limit source,
//! changed by two Lua scripts (`EVAL`) so that every host's read-and-decrement is atomic.

use std::fmt;
use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use ::redis::aio::MultiplexedConnection;
use ::redis::{AsyncConnectionConfig, Client, Cmd, ConnectionAddr, ConnectionInfo, FromRedisValue, IntoConnectionInfo};
use oci_digest::Digest;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::sync::Mutex;

use super::resp::ReplyBound;
use super::{
    Cache, CacheError, CacheFuture, CacheInfo, CacheKey, CacheResult, KINDS, MAX_ENTRY, Removed, SharedBudget,
};
use crate::text;

/// A [`Cache`] and [`SharedBudget`] in a Redis server: `redis://[[USER]:PASSWORD@]HOST[:PORT][/DB]`, or a unix
/// socket, `redis+unix:///PATH[?db=N&user=USER&pass=PASSWORD]`. No TLS (`rediss://`): use it on a network you
/// trust, or through a unix socket.
///
/// Clones share one multiplexed connection, opened again when it broke (the next operation reconnects). Every
/// operation, reconnecting included, gives up after [`timeout`](Self::timeout) (2 s,
/// [`DEFAULT_TIMEOUT`](Self::DEFAULT_TIMEOUT); [`with_timeout`](Self::with_timeout) to change it) with an error,
/// and a timed-out connection is replaced.
///
/// Keys, all under the caller's prefix and `v1:` (here `oci-check:`, as the CLI uses), so that a Redis server can be
/// shared with other applications:
/// - `oci-check:v1:manifest/sha256/HEX`, `oci-check:v1:blob/sha256/HEX` and `oci-check:v1:tags/HEX` (the
///   [`CacheKey::name`]s): the entries, as plain strings; a tag list with its time to live as Redis's own expiry,
///   in milliseconds. Content-addressed entries never expire: bound the server's memory with a `maxmemory`
///   policy such as `allkeys-lru`.
/// - `oci-check:v1:budget:HEX` (the SHA-256 of the rate-limit source, which comes from a registry's header): the
///   shared pull budget's counters, expiring with the registry's window. [`Cache::info`] and [`Cache::clear`]
///   leave them out: they are the registry's word on a window, not cached content.
///
/// Its `Debug` output and [`location`](Cache::location) show the URL with `***` for the password.
///
/// ```no_run
/// use std::time::Duration;
/// use oci_registry::cache::{Cache, CacheKey};
/// use oci_registry::Digest;
/// use oci_registry::cache::RedisCache;
///
/// # async fn run() -> Result<(), oci_registry::cache::CacheError> {
/// let cache = RedisCache::connect("redis://:s3cret@cache.internal:6379/2", "my-tool:")
///     .await?
///     .with_timeout(Duration::from_millis(500));
/// assert_eq!(cache.location(), "redis://:***@cache.internal:6379/2");
/// let key = CacheKey::Blob(Digest::sha256(b"{}"));
/// cache.put(&key, b"{}", None).await?;
/// assert_eq!(cache.get(&key).await?.as_deref(), Some(&b"{}"[..]));
/// # Ok(())
/// # }
/// ```
#[derive(Clone)]
pub struct RedisCache {
    shared: Arc<Shared>,
    timeout: Duration,
}

/// What every clone shares.
struct Shared {
    client: Client,
    location: String,
    /// The caller's prefix and [`VERSION`]: `oci-check:v1:` for oci-check.
    prefix: String,
    /// The connection, `None` before the first operation and after one failed in a way that may have broken it.
    connection: Mutex<Option<MultiplexedConnection>>,
}

/// The format's part of every key, after the caller's prefix: an incompatible later format would use `v2:`.
const VERSION: &str = "v1:";

/// How many keys one `SCAN` step asks for.
const SCAN_COUNT: u64 = 1000;

/// The longest expiry given to Redis, in milliseconds (about 31 years): longer ones would overflow its clock.
const MAX_EXPIRY_MS: u64 = 1_000_000_000_000;

/// The largest counter value written: Lua numbers print integers exactly only below 10^14.
const MAX_COUNT: u64 = 1_000_000_000_000;

/// A bounded `GET`: nil for a missing key; an entry longer than `ARGV[1]` bytes is deleted and nil returned.
///
/// `KEYS[1]`: the entry; `ARGV[1]`: the largest length read.
const GET_BOUNDED: &str = r"
if redis.call('STRLEN', KEYS[1]) > tonumber(ARGV[1]) then
  redis.call('DEL', KEYS[1])
  return false
end
return redis.call('GET', KEYS[1])
";

/// `announce`: the counter becomes the smaller of itself and `remaining`, keeping its expiry (`DECRBY` does); a
/// missing counter, or one that is not a count this client writes (digits only, at most 13 of them), is replaced
/// with `remaining` and the window as its expiry: the registry's word repairs a corrupt or forged counter.
///
/// `KEYS[1]`: the counter; `ARGV[1]`: the pulls remaining; `ARGV[2]`: the window in milliseconds.
const ANNOUNCE: &str = r"
local raw = redis.call('GET', KEYS[1])
if raw == false or #raw > 13 or not string.match(raw, '^%d+$') then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
else
  local remaining = tonumber(ARGV[1])
  local current = tonumber(raw)
  if remaining < current then
    redis.call('DECRBY', KEYS[1], current - remaining)
  end
end
return 0
";

/// `take`: -1 when there is no counter, 1 after decrementing a counter above the reserve, 0 when the counter is at
/// or below it, and 0 too for a counter that is not a count this client writes (`6.0`, `inf`, `abc`, a negative or
/// huge number): a corrupt or forged counter fails closed, it never turns the shared budget off.
///
/// `KEYS[1]`: the counter; `ARGV[1]`: the reserve.
const TAKE: &str = r"
local raw = redis.call('GET', KEYS[1])
if raw == false then
  return -1
end
if #raw > 13 or not string.match(raw, '^%d+$') then
  return 0
end
if tonumber(raw) > tonumber(ARGV[1]) then
  redis.call('DECR', KEYS[1])
  return 1
end
return 0
";

/// What a URL may look like, for messages.
const URL_FORMS: &str = "redis://[[USER]:PASSWORD@]HOST[:PORT][/DB] or redis+unix:///PATH[?db=N]";

impl RedisCache {
    /// How long an operation may take unless [`with_timeout`](Self::with_timeout) says otherwise: 2 s.
    pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(2);

    /// How long a new budget counter lives when the registry announced no window: 6 h.
    pub const DEFAULT_BUDGET_WINDOW: Duration = Duration::from_secs(6 * 60 * 60);

    /// Connects to the Redis server at `url` and checks that it answers (`PING`, after `AUTH` when the URL has a
    /// password), within [`DEFAULT_TIMEOUT`](Self::DEFAULT_TIMEOUT). Every key starts with `prefix` (the caller's
    /// name, `oci-check:` for the CLI), then `v1:`, so a server can be shared with other applications.
    ///
    /// # Errors
    ///
    /// When `url` is not a Redis URL this build can use (the message says what is wrong, never quoting the
    /// password): another scheme, `rediss://` (no TLS here), no host, a database that is not a number, a user
    /// name without a password. When the server cannot be reached, refuses the password, or does not answer in
    /// time.
    pub async fn connect(url: &str, prefix: &str) -> CacheResult<Self> {
        let (client, location) = open(url)?;
        let cache = Self {
            shared: Arc::new(Shared {
                client,
                location,
                prefix: format!("{prefix}{VERSION}"),
                connection: Mutex::new(None),
            }),
            timeout: Self::DEFAULT_TIMEOUT,
        };
        cache.query::<()>("PING", &::redis::cmd("PING")).await?;
        Ok(cache)
    }

    /// Checks that `url` is a Redis URL this build can use, without connecting: the errors of
    /// [`connect`](Self::connect) about the URL itself, so a caller can tell a typo (a usage error) from a server
    /// that cannot be reached.
    ///
    /// # Errors
    ///
    /// As [`connect`](Self::connect), for the URL.
    pub fn check_url(url: &str) -> CacheResult<()> {
        open(url).map(drop)
    }

    /// This cache with every later operation bounded by `timeout` instead (the connection stays shared with the
    /// other clones). A zero timeout fails every operation.
    #[must_use]
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// How long one operation may take.
    pub fn timeout(&self) -> Duration {
        self.timeout
    }

    /// Runs `cmd` on the shared connection, within the timeout.
    async fn query<T: FromRedisValue>(&self, what: &str, cmd: &Cmd) -> CacheResult<T> {
        self.bounded(what, async {
            let mut connection = self.connection().await?;
            cmd.query_async(&mut connection).await
        })
        .await
    }

    /// Runs `pipeline` on the shared connection, within the timeout.
    async fn query_pipeline<T: FromRedisValue>(&self, what: &str, pipeline: &::redis::Pipeline) -> CacheResult<T> {
        self.bounded(what, async {
            let mut connection = self.connection().await?;
            pipeline.query_async(&mut connection).await
        })
        .await
    }

    /// `operation` within the timeout; a failure that may have broken the connection (or a timeout, after which
    /// an answer may still arrive) drops it, so that the next operation connects afresh.
    async fn bounded<T>(
        &self,
        what: &str,
        operation: impl Future<Output = Result<T, ::redis::RedisError>>,
    ) -> CacheResult<T> {
        match tokio::time::timeout(self.timeout, operation).await {
            Ok(Ok(value)) => Ok(value),
            Ok(Err(err)) => {
                if err.is_io_error() || err.is_connection_dropped() || err.is_unrecoverable_error() || err.is_timeout()
                {
                    self.forget_connection();
                }
                Err(
                    CacheError::new(format!("Redis {}: {what} failed", self.shared.location))
                        .with_source(RedisFailure::new(&err)),
                )
            }
            Err(_elapsed) => {
                self.forget_connection();
                Err(CacheError::new(format!(
                    "Redis {}: {what} got no answer within {} ms",
                    self.shared.location,
                    self.timeout.as_millis()
                )))
            }
        }
    }

    /// The shared connection, connecting when there is none.
    async fn connection(&self) -> Result<MultiplexedConnection, ::redis::RedisError> {
        let mut slot = self.shared.connection.lock().await;
        if let Some(connection) = slot.as_ref() {
            return Ok(connection.clone());
        }
        tracing::debug!(redis = %self.shared.location, "connecting to Redis");
        // The operation's timeout bounds connecting too; redis-rs's own timeouts (1 s to connect, 500 ms for an
        // answer, by default) would cut a longer one short, and word the same failure differently.
        let config = AsyncConnectionConfig::new()
            .set_connection_timeout(None)
            .set_response_timeout(None);
        // The stream is opened here rather than by redis-rs so that every byte the server sends passes a
        // `ReplyBound` first: redis-rs reads a reply whole, however large the server says it is.
        let info = self.shared.client.get_connection_info();
        // Each driver reads and writes its stream; it ends when every handle of the connection is dropped.
        let connection = match info.addr() {
            ConnectionAddr::Tcp(host, port) => {
                let stream = tokio::net::TcpStream::connect((host.as_str(), *port)).await?;
                stream.set_nodelay(true)?;
                let (connection, driver) =
                    MultiplexedConnection::new_with_config(info.redis_settings(), Bounded::new(stream), config).await?;
                tokio::spawn(driver);
                connection
            }
            #[cfg(unix)]
            ConnectionAddr::Unix(path) => {
                let stream = tokio::net::UnixStream::connect(path).await?;
                let (connection, driver) =
                    MultiplexedConnection::new_with_config(info.redis_settings(), Bounded::new(stream), config).await?;
                tokio::spawn(driver);
                connection
            }
            // `open` accepts no other address (no TLS in this build).
            other => {
                return Err(::redis::RedisError::from((
                    ::redis::ErrorKind::InvalidClientConfig,
                    "unsupported address",
                    text::cut(&other.to_string()).into_owned(),
                )));
            }
        };
        *slot = Some(connection.clone());
        Ok(connection)
    }

    /// Drops the shared connection. When another operation holds the lock it is connecting, and the slot is empty
    /// already (or about to hold a fresh connection).
    fn forget_connection(&self) {
        if let Ok(mut slot) = self.shared.connection.try_lock() {
            *slot = None;
        }
    }

    /// A named document kept beside the cache under the same prefix (`oci-check:v1:doc/NAME`), with no expiry:
    /// a watcher's state, which a fleet keeps in the Redis it already shares. Read within [`MAX_ENTRY`] bytes like
    /// an entry (a longer one is removed), with the same timeout and reply bounds. `info`, `prune` and `clear`
    /// leave documents alone: they are not cached content.
    ///
    /// # Errors
    ///
    /// As every operation: the server cannot be reached, refuses, or does not answer in time.
    pub async fn get_document(&self, name: &str) -> CacheResult<Option<Vec<u8>>> {
        let mut eval = ::redis::cmd("EVAL");
        eval.arg(GET_BOUNDED)
            .arg(1)
            .arg(format!("{}doc/{name}", self.shared.prefix))
            .arg(MAX_ENTRY);
        self.query("GET", &eval).await
    }

    /// Writes the document `name` whole (`SET`, atomic on the server), replacing what was there.
    ///
    /// # Errors
    ///
    /// [`get_document`](Self::get_document)'s, and a document over [`MAX_ENTRY`] bytes.
    pub async fn put_document(&self, name: &str, bytes: &[u8]) -> CacheResult<()> {
        if bytes.len() as u64 > MAX_ENTRY {
            return Err(CacheError::new(format!(
                "Redis {}: a document of {} bytes is over the {MAX_ENTRY}-byte limit",
                self.shared.location,
                bytes.len()
            )));
        }
        let mut set = ::redis::cmd("SET");
        set.arg(format!("{}doc/{name}", self.shared.prefix)).arg(bytes);
        self.query("SET", &set).await
    }

    /// The names of the documents whose names start with `start` (`watch/` for every host's watch state), at
    /// most `limit` of them.
    ///
    /// # Errors
    ///
    /// As every operation.
    pub async fn document_names(&self, start: &str, limit: usize) -> CacheResult<Vec<String>> {
        let documents = format!("{}doc/", self.shared.prefix);
        let mut names = Vec::new();
        let mut cursor = 0u64;
        loop {
            let mut scan = ::redis::cmd("SCAN");
            scan.arg(cursor)
                .arg("MATCH")
                .arg(format!("{documents}{}*", glob_escape(start)))
                .arg("COUNT")
                .arg(SCAN_COUNT);
            let (next, keys): (u64, Vec<Vec<u8>>) = self.query("SCAN", &scan).await?;
            for key in keys {
                if let Some(name) = key.strip_prefix(documents.as_bytes()) {
                    if let Ok(name) = String::from_utf8(name.to_vec()) {
                        if names.len() < limit && !names.contains(&name) {
                            names.push(name);
                        }
                    }
                }
            }
            if next == 0 || names.len() >= limit {
                break;
            }
            cursor = next;
        }
        names.sort();
        Ok(names)
    }

    /// One `SCAN` step over the prefix from `cursor`: the entry keys it gave with their kinds' indexes in
    /// [`KINDS`] (other keys under the prefix, the budget's counters among them, are left out), or `None` once
    /// the scan is complete (`cursor` is then `None`). Start with `Some(0)`.
    async fn scan_step(&self, cursor: &mut Option<u64>) -> CacheResult<Option<Vec<(Vec<u8>, usize)>>> {
        let Some(from) = *cursor else {
            return Ok(None);
        };
        let mut scan = ::redis::cmd("SCAN");
        scan.arg(from)
            .arg("MATCH")
            .arg(format!("{}*", self.shared.prefix))
            .arg("COUNT")
            .arg(SCAN_COUNT);
        let (next, keys): (u64, Vec<Vec<u8>>) = self.query("SCAN", &scan).await?;
        *cursor = (next != 0).then_some(next);
        Ok(Some(
            keys.into_iter()
                .filter_map(|key| kind_of(&self.shared.prefix, &key).map(|kind| (key, kind)))
                .collect(),
        ))
    }
}

/// `text` with the characters a `SCAN MATCH` pattern gives meaning to escaped.
fn glob_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(c, '*' | '?' | '[' | ']' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// The Redis key of an entry.
fn entry_key(prefix: &str, key: &CacheKey) -> String {
    format!("{prefix}{}", key.name())
}

/// The Redis key of `source`'s budget counter: `source` comes from a registry's header, so it is hashed rather
/// than trusted to be a short, printable key.
fn budget_key(prefix: &str, source: &str) -> String {
    format!("{prefix}budget:{}", Digest::sha256(source.as_bytes()).encoded())
}

/// The index in [`KINDS`] of the entry under the Redis key `key`, when it is an entry's key.
fn kind_of(prefix: &str, key: &[u8]) -> Option<usize> {
    let name = key.strip_prefix(prefix.as_bytes())?;
    KINDS.iter().position(|kind| {
        name.strip_prefix(kind.as_bytes())
            .is_some_and(|rest| rest.first() == Some(&b'/'))
    })
}

/// `duration` in whole milliseconds for `PX`, rounded down so an entry never outlives its time to live, and kept
/// within what Redis accepts (at least 1).
fn expiry_ms(duration: Duration) -> u64 {
    u64::try_from(duration.as_millis())
        .unwrap_or(MAX_EXPIRY_MS)
        .clamp(1, MAX_EXPIRY_MS)
}

/// Parses `url` into a client (which does not connect yet) and the URL to show.
fn open(url: &str) -> CacheResult<(Client, String)> {
    let Some((scheme, _)) = url.split_once("://") else {
        return Err(invalid_url(&format!("not a URL; expected {URL_FORMS}")));
    };
    match scheme.to_ascii_lowercase().as_str() {
        "redis" | "valkey" | "redis+unix" | "valkey+unix" | "unix" => {}
        "rediss" | "valkeys" => {
            return Err(invalid_url(
                "TLS (rediss://) is not supported by this build; use redis:// on a network you trust, or a unix socket",
            ));
        }
        _ => return Err(invalid_url(&format!("not a Redis URL; expected {URL_FORMS}"))),
    }
    let info = url
        .into_connection_info()
        .map_err(|err| invalid_url(&format!("{} (expected {URL_FORMS})", url_reason(&err))))?;
    let settings = info.redis_settings();
    if settings.username().is_some() && settings.password().is_none() {
        return Err(invalid_url(
            "it has a user name but no password (redis://:PASSWORD@HOST for a password alone)",
        ));
    }
    let location = location(&info);
    let client = Client::open(info).map_err(|err| invalid_url(&url_reason(&err)))?;
    Ok((client, location))
}

/// What redis-rs found wrong with a URL, from its message (`Invalid database number - InvalidClientConfig`), which
/// names the part that is wrong, never the URL or the password.
fn url_reason(err: &::redis::RedisError) -> String {
    let RedisFailure(message) = RedisFailure::new(err);
    let reason = message.strip_suffix(" - InvalidClientConfig").unwrap_or(&message);
    if reason == "Redis URL did not parse" {
        return "it does not parse as a URL".to_owned();
    }
    let mut chars = reason.chars();
    chars
        .next()
        .map(|first| first.to_lowercase().chain(chars).collect())
        .unwrap_or_default()
}

fn invalid_url(reason: &str) -> CacheError {
    CacheError::new(format!("invalid Redis URL: {reason}"))
}

/// The URL of `info` to show: the password as `***`, the rest escaped.
fn location(info: &ConnectionInfo) -> String {
    let settings = info.redis_settings();
    let user = settings.username().map(|user| text::cut(user).into_owned());
    let db = settings.db();
    match info.addr() {
        ConnectionAddr::Unix(path) => {
            let mut query = Vec::new();
            if db != 0 {
                query.push(format!("db={db}"));
            }
            if let Some(user) = user {
                query.push(format!("user={user}"));
            }
            if settings.password().is_some() {
                query.push("pass=***".to_owned());
            }
            let query = if query.is_empty() {
                String::new()
            } else {
                format!("?{}", query.join("&"))
            };
            format!("redis+unix://{}{query}", text::cut(&path.to_string_lossy()))
        }
        ConnectionAddr::Tcp(host, port) | ConnectionAddr::TcpTls { host, port, .. } => {
            let credentials = match (user, settings.password()) {
                (Some(user), Some(_)) => format!("{user}:***@"),
                (None, Some(_)) => ":***@".to_owned(),
                (_, None) => String::new(),
            };
            let host = if host.contains(':') {
                format!("[{host}]")
            } else {
                text::cut(host).into_owned()
            };
            format!("redis://{credentials}{host}:{port}/{db}")
        }
        // ConnectionAddr is non-exhaustive; its Display is the address alone.
        other => format!("redis://{}", text::cut(&other.to_string())),
    }
}

/// A stream to the Redis server whose incoming bytes pass a [`ReplyBound`]: the first reply that breaks a bound is a
/// read error (`InvalidData`, saying which bound) before its bytes arrive, which fails the operation and drops the
/// connection.
struct Bounded<S> {
    inner: S,
    bound: ReplyBound,
}

impl<S> Bounded<S> {
    fn new(inner: S) -> Self {
        Self {
            inner,
            bound: ReplyBound::new(),
        }
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for Bounded<S> {
    fn poll_read(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let before = buf.filled().len();
        match Pin::new(&mut this.inner).poll_read(cx, buf) {
            Poll::Ready(Ok(())) => Poll::Ready(
                this.bound
                    .feed(&buf.filled()[before..])
                    .map_err(|err| io::Error::new(io::ErrorKind::InvalidData, err)),
            ),
            other => other,
        }
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for Bounded<S> {
    fn poll_write(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().inner).poll_write(cx, buf)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_shutdown(cx)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().inner).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }
}

/// A Redis client error, as text escaped for messages (a server's error replies are foreign text).
#[derive(Debug)]
struct RedisFailure(String);

impl RedisFailure {
    fn new(err: &::redis::RedisError) -> Self {
        Self(text::escape(&err.to_string(), text::QUOTE_LIMIT * 4).into_owned())
    }
}

impl fmt::Display for RedisFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for RedisFailure {}

impl fmt::Debug for RedisCache {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RedisCache")
            .field("location", &self.shared.location)
            .field("timeout", &self.timeout)
            .finish_non_exhaustive()
    }
}

impl Cache for RedisCache {
    /// `GET` within [`MAX_ENTRY`] bytes (a script: `STRLEN` first), an entry past it removed as corrupt.
    fn get<'a>(&'a self, key: &'a CacheKey) -> CacheFuture<'a, Option<Vec<u8>>> {
        Box::pin(async move {
            let mut eval = ::redis::cmd("EVAL");
            eval.arg(GET_BOUNDED)
                .arg(1)
                .arg(entry_key(&self.shared.prefix, key))
                .arg(MAX_ENTRY);
            self.query("GET", &eval).await
        })
    }

    /// `SET KEY VALUE [PX MS]`: the time to live rounded down to milliseconds (at least 1), so the entry never
    /// outlives it. A zero time to live removes the entry instead.
    fn put<'a>(&'a self, key: &'a CacheKey, value: &'a [u8], ttl: Option<Duration>) -> CacheFuture<'a, ()> {
        Box::pin(async move {
            if ttl.is_some_and(|ttl| ttl.is_zero()) {
                return self.remove(key).await;
            }
            let mut set = ::redis::cmd("SET");
            set.arg(entry_key(&self.shared.prefix, key)).arg(value);
            if let Some(ttl) = ttl {
                set.arg("PX").arg(expiry_ms(ttl));
            }
            self.query("SET", &set).await
        })
    }

    fn remove<'a>(&'a self, key: &'a CacheKey) -> CacheFuture<'a, ()> {
        Box::pin(async move {
            let mut del = ::redis::cmd("DEL");
            del.arg(entry_key(&self.shared.prefix, key));
            self.query("DEL", &del).await
        })
    }

    /// `SCAN` over the prefix and `STRLEN` of each entry: a snapshot, in which an entry expiring meanwhile may
    /// count with 0 bytes. `max_size` is `None`: the server's `maxmemory` is its own business.
    fn info(&self) -> CacheFuture<'_, CacheInfo> {
        Box::pin(async move {
            let mut counts = [(0u64, 0u64); KINDS.len()];
            let mut cursor = Some(0);
            while let Some(entries) = self.scan_step(&mut cursor).await? {
                if entries.is_empty() {
                    continue;
                }
                let mut pipeline = ::redis::pipe();
                for (key, _) in &entries {
                    pipeline.cmd("STRLEN").arg(key);
                }
                let sizes: Vec<u64> = self.query_pipeline("STRLEN", &pipeline).await?;
                for ((_, kind), size) in entries.iter().zip(sizes) {
                    counts[*kind].0 += 1;
                    counts[*kind].1 += size;
                }
            }
            Ok(CacheInfo {
                location: self.shared.location.clone(),
                entries: KINDS
                    .iter()
                    .zip(counts)
                    .map(|(kind, count)| ((*kind).to_owned(), count))
                    .collect(),
                max_size: None,
            })
        })
    }

    /// Nothing to do: Redis expires entries itself, and evicts under its `maxmemory` policy.
    fn prune(&self) -> CacheFuture<'_, Removed> {
        Box::pin(async { Ok(Removed::default()) })
    }

    /// `SCAN` over the prefix, and for each step `STRLEN` and `DEL` of its entries in one transaction. The budget's
    /// counters stay.
    fn clear(&self) -> CacheFuture<'_, Removed> {
        Box::pin(async move {
            let mut removed = Removed::default();
            let mut cursor = Some(0);
            while let Some(entries) = self.scan_step(&mut cursor).await? {
                if entries.is_empty() {
                    continue;
                }
                let mut pipeline = ::redis::pipe();
                pipeline.atomic();
                for (key, _) in &entries {
                    pipeline.cmd("STRLEN").arg(key);
                }
                pipeline
                    .cmd("DEL")
                    .arg(entries.iter().map(|(key, _)| key.as_slice()).collect::<Vec<_>>());
                let mut answers: Vec<u64> = self.query_pipeline("DEL", &pipeline).await?;
                removed.entries += answers.pop().unwrap_or(0);
                removed.bytes += answers.iter().sum::<u64>();
            }
            Ok(removed)
        })
    }

    fn location(&self) -> String {
        self.shared.location.clone()
    }

    fn shared_budget(&self) -> Option<&dyn SharedBudget> {
        Some(self)
    }
}

impl SharedBudget for RedisCache {
    /// Runs the announce script (see the module's source): the window, or
    /// [`DEFAULT_BUDGET_WINDOW`](Self::DEFAULT_BUDGET_WINDOW) when the registry gave none, becomes a new counter's
    /// expiry, rounded down to milliseconds (at least 1). Counts are capped at 10^12.
    fn announce<'a>(&'a self, source: &'a str, remaining: u64, window: Option<Duration>) -> CacheFuture<'a, ()> {
        Box::pin(async move {
            let mut eval = ::redis::cmd("EVAL");
            eval.arg(ANNOUNCE)
                .arg(1)
                .arg(budget_key(&self.shared.prefix, source))
                .arg(remaining.min(MAX_COUNT))
                .arg(expiry_ms(window.unwrap_or(Self::DEFAULT_BUDGET_WINDOW)));
            self.query::<()>("EVAL (budget announce)", &eval).await
        })
    }

    fn take<'a>(&'a self, source: &'a str, reserve: u64) -> CacheFuture<'a, Option<bool>> {
        Box::pin(async move {
            let mut eval = ::redis::cmd("EVAL");
            eval.arg(TAKE)
                .arg(1)
                .arg(budget_key(&self.shared.prefix, source))
                .arg(reserve.min(MAX_COUNT));
            let taken: i64 = self.query("EVAL (budget take)", &eval).await?;
            Ok(match taken {
                1 => Some(true),
                0 => Some(false),
                _ => None,
            })
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const P: &str = "oci-check:v1:";

    fn location_of(url: &str) -> String {
        open(url).map(|(_, location)| location).unwrap()
    }

    fn error_of(url: &str) -> String {
        open(url).map(|(_, location)| location).unwrap_err().to_string()
    }

    #[test]
    fn locations_hide_the_password() {
        assert_eq!(location_of("redis://127.0.0.1:6379/0"), "redis://127.0.0.1:6379/0");
        assert_eq!(location_of("redis://cache.internal"), "redis://cache.internal:6379/0");
        assert_eq!(
            location_of("redis://:hunter2@cache.internal:7000/3"),
            "redis://:***@cache.internal:7000/3"
        );
        assert_eq!(
            location_of("redis://fleet:hunter2@[::1]:7000"),
            "redis://fleet:***@[::1]:7000/0"
        );
        assert_eq!(
            location_of("redis+unix:///run/redis/redis.sock?db=2&pass=hunter2"),
            "redis+unix:///run/redis/redis.sock?db=2&pass=***"
        );
        assert_eq!(location_of("unix:///run/redis.sock"), "redis+unix:///run/redis.sock");
    }

    #[test]
    fn bad_urls_say_what_is_wrong_without_the_password() {
        for (url, expected) in [
            ("cache.internal:6379", "not a URL"),
            ("http://:hunter2@cache.internal/", "not a Redis URL"),
            ("rediss://:hunter2@cache.internal/", "TLS (rediss://) is not supported"),
            (
                "redis://:hunter2@cache.internal/zero",
                "invalid database number (expected redis://",
            ),
            (
                "redis://:hunter2@cache.internal:99999/0",
                "it does not parse as a URL (expected redis://",
            ),
            ("redis://:hunter2@/0", "not parse"),
            ("redis://hunter2@cache.internal/0", "a user name but no password"),
        ] {
            let message = error_of(url);
            assert!(message.starts_with("invalid Redis URL: "), "{url}: {message}");
            assert!(message.contains(expected), "{url}: {message}");
            assert!(!message.contains("hunter2"), "{url}: {message}");
        }
    }

    #[test]
    fn entry_keys_are_prefixed_names_and_kinds_are_read_back() {
        let digest = Digest::sha256(b"x");
        let keys = [
            CacheKey::Manifest(digest.clone()),
            CacheKey::Blob(digest),
            CacheKey::Tags {
                registry: "ghcr.io".into(),
                repository: "a/b".into(),
            },
        ];
        for (index, key) in keys.iter().enumerate() {
            let redis_key = entry_key(P, key);
            assert_eq!(redis_key, format!("oci-check:v1:{}", key.name()));
            assert_eq!(kind_of(P, redis_key.as_bytes()), Some(index));
        }
        assert_eq!(kind_of(P, budget_key(P, "10.0.0.1").as_bytes()), None);
        assert_eq!(kind_of(P, b"oci-check:v1:manifests/x"), None);
        assert_eq!(kind_of(P, b"other:manifest/sha256/00"), None);
        assert_eq!(
            budget_key(P, "10.0.0.1"),
            format!("oci-check:v1:budget:{}", Digest::sha256(b"10.0.0.1").encoded())
        );
    }

    #[test]
    fn expiries_round_down_to_milliseconds_within_what_redis_accepts() {
        assert_eq!(expiry_ms(Duration::from_millis(1500)), 1500);
        assert_eq!(expiry_ms(Duration::from_micros(2999)), 2);
        assert_eq!(expiry_ms(Duration::from_micros(10)), 1);
        assert_eq!(expiry_ms(Duration::MAX), MAX_EXPIRY_MS);
    }
}
