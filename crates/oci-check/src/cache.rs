//! The cache and the pull budget: the options every network subcommand shares, the backend they open, and
//! `oci-check cache {info,prune,clear}`.

use std::ffi::OsString;
use std::io::{self, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use oci_registry::cache::Cache;
use oci_registry::cache::{FsCache, KINDS};
use oci_registry::{PullBudget, PullStats};

use crate::failure::Failure;
use crate::{Output, exit};

/// Cache and pull-budget options.
#[derive(Debug, Clone, clap::Args)]
#[command(next_help_heading = "Cache and pull budget")]
pub(crate) struct CacheArgs {
    /// Keep the cache in DIR (default: $XDG_CACHE_HOME/oci-check, else ~/.cache/oci-check).
    #[arg(long, value_name = "DIR", conflicts_with_all = ["no_cache", "cache"])]
    cache_dir: Option<PathBuf>,
    /// Share the cache and the pull budget through Redis: `redis://[:PASSWORD@]HOST:PORT/DB`.
    #[arg(long, value_name = "URL", conflicts_with = "no_cache")]
    cache: Option<String>,
    /// Use no cache: every manifest is fetched again.
    #[arg(long)]
    no_cache: bool,
    /// The most the cache directory holds, in bytes or with a K, M or G suffix (a manifest is a few KiB); the least
    /// recently used entries go first.
    #[arg(long, value_name = "SIZE", default_value = "256M", value_parser = parse_size)]
    cache_max_size: u64,
    /// How long a cached tag list is used (`--newer`, `versions`): seconds, or with an s, m, h or d suffix; 0 lists
    /// the tags every time.
    #[arg(long, value_name = "AGE", default_value = "5m", value_parser = parse_age)]
    tags_max_age: Duration,
    /// Send at most N manifest GETs (pulls, on Docker Hub) in this run; checks past it finish on their HEAD.
    #[arg(long, value_name = "N")]
    max_pulls: Option<u64>,
    /// Leave N of the pulls a registry says are remaining untouched, for your own pulls.
    #[arg(long, value_name = "N", default_value_t = 5)]
    reserve: u64,
}

/// `oci-check cache`.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    #[command(subcommand)]
    action: Action,
    /// The cache directory (default: $XDG_CACHE_HOME/oci-check, else ~/.cache/oci-check).
    #[arg(long, value_name = "DIR", global = true, conflicts_with = "cache")]
    cache_dir: Option<PathBuf>,
    /// A Redis cache instead: `redis://[:PASSWORD@]HOST:PORT/DB`.
    #[arg(long, value_name = "URL", global = true)]
    cache: Option<String>,
    /// The size to keep the directory under (for prune).
    #[arg(long, value_name = "SIZE", default_value = "256M", value_parser = parse_size, global = true)]
    cache_max_size: u64,
}

#[derive(Debug, clap::Subcommand)]
enum Action {
    /// Where the cache is, and what it holds per kind of entry.
    Info,
    /// Remove expired tag lists and leftovers of interrupted writes, and keep the directory under its size.
    Prune,
    /// Remove every entry.
    Clear,
}

impl CacheArgs {
    /// The pull budget asked for.
    pub(crate) fn budget(&self) -> PullBudget {
        let budget = PullBudget::new().reserve(self.reserve);
        match self.max_pulls {
            Some(cap) => budget.max_pulls(cap),
            None => budget,
        }
    }

    pub(crate) fn tags_max_age(&self) -> Duration {
        self.tags_max_age
    }

    /// The cache to use, opened on `runtime`; `None` with --no-cache, or with a warning when it cannot be opened
    /// (a cache is never a reason to fail), in which case a summary says the pull budget was not shared.
    ///
    /// # Errors
    ///
    /// A `--cache` URL that is no Redis URL: a usage error, since a fleet's typo would otherwise turn its shared
    /// budget off in silence.
    pub(crate) fn open(&self, runtime: &tokio::runtime::Runtime) -> Result<Option<Arc<dyn Cache>>, Failure> {
        if self.no_cache {
            return Ok(None);
        }
        if let Some(url) = self.cache.as_deref() {
            check_url(url)?;
        }
        let opened = open(
            self.cache.as_deref(),
            self.cache_dir.clone(),
            self.cache_max_size,
            runtime,
        );
        match opened {
            Ok(cache) => Ok(Some(cache)),
            Err(failure) => {
                if self.cache.is_some() {
                    NOT_SHARED.store(true, std::sync::atomic::Ordering::Relaxed);
                }
                tracing::warn!("{}; going on without a cache", crate::line(&failure.to_string()));
                Ok(None)
            }
        }
    }
}

/// "entry" or "entries".
fn entries(count: u64) -> &'static str {
    if count == 1 { "entry" } else { "entries" }
}

/// Set when `--cache` named a Redis that could not be used: the run's pull budget was this host's alone.
static NOT_SHARED: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// A `--cache` URL that this build cannot use, as a usage error.
#[cfg(feature = "redis")]
fn check_url(url: &str) -> Result<(), Failure> {
    oci_registry::cache::RedisCache::check_url(url).map_err(|err| Failure::usage(format!("--cache: {err:#}")))
}

#[cfg(not(feature = "redis"))]
fn check_url(_url: &str) -> Result<(), Failure> {
    Err(Failure::usage(
        "--cache: this oci-check was built without Redis support: build it with `--features redis`",
    ))
}

/// What every key of oci-check's Redis cache starts with (the library takes the prefix from its caller).
#[cfg(feature = "redis")]
pub(crate) const KEY_PREFIX: &str = "oci-check:";

/// The product's cache directory (the library takes a directory and knows no product name):
/// `$XDG_CACHE_HOME/oci-check` when `XDG_CACHE_HOME` is an absolute path, else `$HOME/.cache/oci-check` when `HOME`
/// is one, else `None`.
fn default_dir() -> Option<PathBuf> {
    default_dir_from(std::env::var_os("XDG_CACHE_HOME"), std::env::var_os("HOME"))
}

/// [`default_dir`] given the values of `XDG_CACHE_HOME` and `HOME`.
fn default_dir_from(xdg_cache_home: Option<OsString>, home: Option<OsString>) -> Option<PathBuf> {
    let absolute = |path: OsString| Some(PathBuf::from(path)).filter(|path| path.is_absolute());
    let base = xdg_cache_home
        .and_then(absolute)
        .or_else(|| home.and_then(absolute).map(|home| home.join(".cache")))?;
    Some(base.join("oci-check"))
}

/// Opens the Redis cache at `url`, or the directory `dir` (else the default one).
fn open(
    url: Option<&str>,
    dir: Option<PathBuf>,
    max_size: u64,
    runtime: &tokio::runtime::Runtime,
) -> Result<Arc<dyn Cache>, Failure> {
    if let Some(url) = url {
        return open_redis(url, runtime);
    }
    let dir = dir.or_else(default_dir).ok_or_else(|| {
        Failure::new(
            "cache",
            "no cache directory: set XDG_CACHE_HOME or HOME, or pass --cache-dir",
        )
    })?;
    let cache = FsCache::open(&dir, max_size)
        .map_err(|err| Failure::new("cache", format!("the cache directory cannot be used: {err:#}")))?;
    Ok(Arc::new(cache))
}

#[cfg(feature = "redis")]
fn open_redis(url: &str, runtime: &tokio::runtime::Runtime) -> Result<Arc<dyn Cache>, Failure> {
    let cache = runtime
        .block_on(oci_registry::cache::RedisCache::connect(url, KEY_PREFIX))
        .map_err(|err| Failure::new("cache", format!("the Redis cache cannot be used: {err:#}")))?;
    Ok(Arc::new(cache))
}

#[cfg(not(feature = "redis"))]
fn open_redis(_url: &str, _runtime: &tokio::runtime::Runtime) -> Result<Arc<dyn Cache>, Failure> {
    Err(Failure::new(
        "cache",
        "this oci-check was built without Redis support: build it with `--features redis`",
    ))
}

/// Runs `oci-check cache ACTION`.
pub(crate) fn run(args: &Args, output: Output) -> ExitCode {
    let runtime = match crate::runtime() {
        Ok(runtime) => runtime,
        Err(code) => return code,
    };
    if let Some(url) = args.cache.as_deref() {
        if let Err(failure) = check_url(url) {
            return exit::failure(&failure);
        }
    }
    // Looking is no reason to create: a directory that does not exist yet holds nothing.
    if args.cache.is_none() {
        if let Some(dir) = args.cache_dir.clone().or_else(default_dir) {
            if std::fs::symlink_metadata(&dir).is_err_and(|err| err.kind() == io::ErrorKind::NotFound) {
                let _ = writeln!(
                    io::stdout(),
                    "cache: {} (not created yet: it holds nothing)",
                    crate::line(&dir.display().to_string())
                );
                return ExitCode::SUCCESS;
            }
        }
    }
    let cache = match open(
        args.cache.as_deref(),
        args.cache_dir.clone(),
        args.cache_max_size,
        &runtime,
    ) {
        Ok(cache) => cache,
        Err(failure) => return exit::failure(&failure),
    };
    let location = crate::line(&cache.location()).into_owned();
    let mut stdout = io::stdout().lock();
    let result = match args.action {
        Action::Info => runtime.block_on(cache.info()).map(|info| {
            let _ = writeln!(stdout, "cache: {location}");
            let mut total = (0, 0);
            for kind in KINDS {
                let (count, bytes) = info.entries.get(kind).copied().unwrap_or_default();
                total = (total.0 + count, total.1 + bytes);
                let _ = writeln!(stdout, "{kind:<10} {count:>8} {} {:>12}", entries(count), size(bytes));
            }
            let _ = writeln!(
                stdout,
                "{:<10} {:>8} {} {:>12}",
                "total",
                total.0,
                entries(total.0),
                size(total.1)
            );
            if let Some(max) = info.max_size {
                let _ = writeln!(stdout, "max size: {}", size(max));
            }
        }),
        Action::Prune => runtime.block_on(cache.prune()).map(|removed| {
            let _ = writeln!(
                stdout,
                "pruned {location}: removed {} {} ({})",
                removed.entries,
                entries(removed.entries),
                size(removed.bytes)
            );
        }),
        Action::Clear => runtime.block_on(cache.clear()).map(|removed| {
            let _ = writeln!(
                stdout,
                "cleared {location}: removed {} {} ({})",
                removed.entries,
                entries(removed.entries),
                size(removed.bytes)
            );
        }),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            output.error(&Failure::new("cache", format!("{err:#}")));
            ExitCode::from(exit::FAILED)
        }
    }
}

/// The `-v` summary line of a run.
pub(crate) fn summary(stats: &PullStats) -> String {
    let mut line = format!(
        "{} HEADs, {} GETs (pulls), {} cache hits",
        stats.heads(),
        stats.gets(),
        stats.cache_hits()
    );
    if stats.withheld() > 0 {
        line.push_str(&format!(", {} GETs withheld", stats.withheld()));
    }
    if NOT_SHARED.load(std::sync::atomic::Ordering::Relaxed) {
        line.push_str("; the pull budget was not shared: the Redis cache could not be used");
    }
    for source in stats.sources() {
        let number = |n: Option<u64>| n.map_or_else(|| "?".to_owned(), |n| n.to_string());
        if source.limit().is_none() && source.remaining().is_none() && source.refused().is_none() {
            continue;
        }
        line.push_str(&format!(
            "; {}: {} of {} pulls left",
            oci_registry::text::cut(source.source()),
            number(source.remaining()),
            number(source.limit())
        ));
        if let Some(window) = source.window() {
            line.push_str(&format!(" per {}s", window.as_secs()));
        }
        if let Some(reason) = source.refused() {
            line.push_str(&format!(" (no more pulls: {})", oci_registry::text::cut(reason)));
        }
    }
    line
}

/// `1.5 MiB`.
fn size(bytes: u64) -> String {
    const UNITS: [&str; 4] = ["B", "KiB", "MiB", "GiB"];
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit + 1 < UNITS.len() {
        value /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{bytes} B")
    } else {
        format!("{value:.1} {}", UNITS[unit])
    }
}

/// `1048576`, `512K`, `256M`, `2G` (binary units).
fn parse_size(text: &str) -> Result<u64, String> {
    let text = text.trim();
    let (number, unit) = match text.char_indices().find(|(_, c)| !c.is_ascii_digit()) {
        Some((at, _)) => text.split_at(at),
        None => (text, ""),
    };
    let shift = match unit.to_ascii_uppercase().trim_end_matches("IB").trim_end_matches('B') {
        "" => 0,
        "K" => 10,
        "M" => 20,
        "G" => 30,
        "T" => 40,
        _ => {
            return Err(format!(
                "`{}` is not a size: write bytes, or a number with K, M or G",
                cut(text)
            ));
        }
    };
    let number: u64 = number
        .parse()
        .map_err(|_| format!("`{}` is not a size: write bytes, or a number with K, M or G", cut(text)))?;
    number
        .checked_mul(1 << shift)
        .ok_or_else(|| format!("`{}` is too large", cut(text)))
}

/// `300`, `90s`, `5m`, `1h`, `7d`: at most a year.
fn parse_age(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let bad = || {
        format!(
            "`{}` is not a duration: write seconds, or a number with s, m, h or d",
            cut(text)
        )
    };
    let (number, scale) = match text.as_bytes().last() {
        Some(b's') => (&text[..text.len() - 1], 1),
        Some(b'm') => (&text[..text.len() - 1], 60),
        Some(b'h') => (&text[..text.len() - 1], 3600),
        Some(b'd') => (&text[..text.len() - 1], 86400),
        _ => (text, 1),
    };
    if number.is_empty() || !number.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad());
    }
    let seconds = number
        .parse::<u64>()
        .ok()
        .and_then(|n| n.checked_mul(scale))
        .filter(|&s| s <= 366 * 86400)
        .ok_or_else(|| format!("`{}` is longer than a year", cut(text)))?;
    Ok(Duration::from_secs(seconds))
}

fn cut(text: &str) -> std::borrow::Cow<'_, str> {
    oci_registry::text::cut(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_and_ages_parse_and_refuse_what_they_should() {
        assert_eq!(parse_size("1048576"), Ok(1 << 20));
        assert_eq!(parse_size("512K"), Ok(512 << 10));
        assert_eq!(parse_size("256M"), Ok(256 << 20));
        assert_eq!(parse_size("2GiB"), Ok(2 << 30));
        assert!(parse_size("").is_err());
        assert!(parse_size("12X").is_err());
        assert!(parse_size("-1").is_err());
        assert!(parse_size("99999999999999T").unwrap_err().contains("too large"));
        assert_eq!(parse_age("300"), Ok(Duration::from_secs(300)));
        assert_eq!(parse_age("5m"), Ok(Duration::from_secs(300)));
        assert_eq!(parse_age("0"), Ok(Duration::ZERO));
        assert_eq!(parse_age("2d"), Ok(Duration::from_secs(172_800)));
        assert!(parse_age("m").is_err());
        assert!(parse_age("5 m").is_err());
        assert!(parse_age("400d").unwrap_err().contains("longer than a year"));
        assert!(parse_age("99999999999999999999h").is_err());
        assert_eq!(size(512), "512 B");
        assert_eq!(size(1536), "1.5 KiB");
    }

    #[test]
    fn the_default_directory_follows_xdg() {
        let dir = |xdg: Option<&str>, home: Option<&str>| default_dir_from(xdg.map(Into::into), home.map(Into::into));
        assert_eq!(
            dir(Some("/x/cache"), Some("/home/a")),
            Some(PathBuf::from("/x/cache/oci-check"))
        );
        assert_eq!(
            dir(Some("relative"), Some("/home/a")),
            Some(PathBuf::from("/home/a/.cache/oci-check"))
        );
        assert_eq!(
            dir(Some(""), Some("/home/a")),
            Some(PathBuf::from("/home/a/.cache/oci-check"))
        );
        assert_eq!(
            dir(None, Some("/home/a")),
            Some(PathBuf::from("/home/a/.cache/oci-check"))
        );
        assert_eq!(dir(None, Some("")), None);
        assert_eq!(dir(None, None), None);
    }
}
