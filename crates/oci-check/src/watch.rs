//! `oci-check watch`: check every `--interval`, remember what was found, and tell each notification target each
//! event once.
//!
//! The decisions live in the pure crates: `oci-watch` turns a round's `update --json` records into events told
//! once per target (with the `--min-age` cooldown), `oci-notify` parses target URLs and renders one message per
//! round per target. This module is the IO around them: it reads the sources and checks them as `update` does,
//! loads and saves the state, delivers the rendered messages, and sleeps until the next round or a signal. With
//! `--verify-key` each round judges the signatures of what the checks propose as `update` does, and the records
//! carry them (with `--require-signed`, an unverified proposal is `untrusted` and told as such, never as an update).

use std::collections::BTreeMap;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{ExitCode, Stdio};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use oci_notify::{KindSet, Notification, Rendered, Target};
use oci_registry::{Client, UpdateCheck};
use oci_watch::{DirStore, HostName, Interval, Observation, Policy, Round, State, Status, TargetId, Timestamp};
use tokio::io::AsyncWriteExt as _;

use crate::failure::Failure;
use crate::update::signatures::{self, Signed};
use crate::update::{self, CheckArgs, Entry, Gathered, Outcome, Signatures};
use crate::verify::TrustConfig;
use crate::{Output, exit};

/// The arguments of `oci-check watch`.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    #[command(flatten)]
    check: CheckArgs,
    /// How long from the start of one round to the start of the next: `30s`, `15m`, `6h`, `1d`, `1h30m`.
    #[arg(long, value_name = "DURATION", default_value = "6h", help_heading = "Watch")]
    interval: Interval,
    /// Run one round and exit with `update`'s exit codes (for cron and systemd timers); events are still told
    /// once, across runs.
    #[arg(long, help_heading = "Watch")]
    once: bool,
    /// Where the state is kept: a directory (default `$XDG_STATE_HOME/oci-check`, else
    /// `~/.local/state/oci-check`), one file per host name; or `redis://...`, the Redis a fleet shares for its
    /// cache, one document per host name.
    #[arg(long, value_name = "DIR|redis://URL", help_heading = "Watch")]
    state: Option<String>,
    /// The name this host watches and notifies under (default: the system's host name).
    #[arg(long, value_name = "NAME", help_heading = "Watch")]
    host_name: Option<HostName>,
    /// Tell a target (repeatable): `ntfy://`, `webhook+https://`, `discord://`, `slack://`, `gotify://`,
    /// `telegram://`, `matrix://`, `pushover://`, `mqtt://`, `smtp://`, `SERVICE+https://FULL-URL`,
    /// `script:///PATH`; `?on=KINDS` chooses its kinds. Passwords and tokens in it are never shown.
    #[arg(long = "notify", value_name = "URL", help_heading = "Watch")]
    notify: Vec<String>,
    /// The kinds of events told to targets without `?on=`: a comma list of update, newer, major, minor, patch,
    /// error, recovered, untrusted (an update `--require-signed` refused; it goes wherever updates go).
    #[arg(
        long = "notify-on",
        value_name = "KINDS",
        default_value = "update,newer,error",
        help_heading = "Watch"
    )]
    notify_on: KindSet,
    /// Hold an update or newer version back until its image is this old (its config's `created`): `pending`
    /// until then, and told once it has aged; an image whose date is unknown stays pending.
    #[arg(long = "min-age", value_name = "DURATION", help_heading = "Watch")]
    min_age: Option<Interval>,
    /// Serve a read-only page (`/`), the results as JSON (`/api/v1/results?status=&host=`), Prometheus metrics
    /// (`/metrics`) and `/healthz` from the last round, at `HOST:PORT` (an IP address) or `PORT` (loopback). With
    /// `--state redis://...` they show every host of the fleet.
    #[arg(long, value_name = "ADDR", help_heading = "Page and metrics")]
    listen: Option<String>,
    /// A file holding the token a request must carry (`Authorization: Bearer TOKEN`, or open `/?token=TOKEN` once
    /// for a cookie); needed to listen on an address other than loopback.
    #[arg(long, value_name = "FILE", help_heading = "Page and metrics")]
    listen_token: Option<PathBuf>,
    /// Listen on an address other than loopback without a token: anyone who reaches it sees your images.
    #[arg(long, help_heading = "Page and metrics")]
    listen_insecure: bool,
}

/// The arguments of `oci-check notify`.
#[derive(Debug, clap::Args)]
pub(crate) struct NotifyArgs {
    /// Send a test message to each target and say, per target, whether it arrived.
    #[arg(long, required = true)]
    test: bool,
    /// The targets, in `watch --notify` form.
    #[arg(value_name = "URL", required = true)]
    targets: Vec<String>,
    /// The name the message says it comes from (default: the system's host name).
    #[arg(long, value_name = "NAME")]
    host_name: Option<HostName>,
    #[command(flatten)]
    registry: crate::registry::RegistryArgs,
}

/// What every round applies alike: the cooldown, the targets, and the keys signatures are verified with.
struct Rules {
    policy: Policy,
    targets: Vec<Told>,
    /// Empty without `--verify-key`: no signature is looked for.
    trust: TrustConfig,
}

/// A target with the id the state knows it by.
struct Told {
    target: Target,
    id: TargetId,
}

/// The limit on an answer's body read from a target (only a Matrix login's answer is used).
const ANSWER_LIMIT: u64 = 64 * 1024;

impl Args {
    /// Whether this is one round (`--once`), whose exit code tells what it found; a watcher stopped by a signal
    /// exits 0 whatever its rounds found.
    pub(crate) fn once(&self) -> bool {
        self.once
    }
}

/// Runs the watcher until a signal, or one round with `--once`.
pub(crate) fn run(args: &Args, output: Output) -> ExitCode {
    if args.check.file.as_ref().is_some_and(|path| path.as_os_str() == "-") {
        return exit::usage("watch reads its -f list again each round: give a file, not standard input");
    }
    if args.check.registry.password_stdin() && !args.once {
        return exit::usage("--password-stdin is read once: use a credentials file or helper to watch");
    }
    if args.check.kubectl_from_stdin() && !args.once {
        return exit::usage(
            "watch reads its --kubectl-json output again each round: give a file that is written again (or --once)",
        );
    }
    if args.check.inspect_from_stdin() && !args.once {
        return exit::usage(
            "watch reads its --inspect output again each round: give a file that is written again (or --once)",
        );
    }
    if let Some(conflict) = args.check.stdin_conflict() {
        return exit::usage(&conflict);
    }
    let targets = match parse_targets(&args.notify, args.notify_on) {
        Ok(targets) => targets,
        Err(message) => return exit::usage(&message),
    };
    // The keys are read once: a key file that goes away while watching must not stop the watcher.
    let trust = match args.check.trust() {
        Ok(trust) => trust,
        Err(message) => return exit::usage(&message),
    };
    let host = match args.host_name.clone().map_or_else(system_host_name, Ok) {
        Ok(host) => host,
        Err(message) => return exit::usage(&message),
    };
    let runtime = match crate::runtime() {
        Ok(runtime) => runtime,
        Err(code) => return code,
    };
    let store = match open_store(args.state.as_deref(), &runtime) {
        Ok(store) => store,
        Err(failure) => return exit::failure(&failure),
    };
    let mut signals = match runtime.block_on(async { Signals::new() }) {
        Ok(signals) => signals,
        Err(err) => {
            return exit::failure(&Failure::new("runtime", format!("could not listen for signals: {err}")));
        }
    };
    let (wake, mut woken) = tokio::sync::mpsc::unbounded_channel();
    for located in args.check.engines() {
        runtime.spawn(follow_events(located, args.check.registry.timeout(), wake.clone()));
    }
    drop(wake);
    let mut state = load_state(&store, &host, &runtime);
    // Two rounds missed, with room for a slow round.
    let stale_after = args.interval.as_secs().saturating_mul(2).saturating_add(10);
    let views = match listen(args, &runtime, snapshot(&store, &state, stale_after, &runtime), output) {
        Ok(views) => views,
        Err(failure) => return exit::failure(&failure),
    };
    let mut policy = Policy::new();
    if let Some(min_age) = args.min_age {
        policy = policy.with_min_age(min_age);
    }
    let rules = Rules { policy, targets, trust };
    let interval = Duration::from_secs(args.interval.as_secs());
    tracing::info!(
        "watching as {} every {}, state in {}, {} notification target{}",
        crate::line(host.as_str()),
        args.interval,
        crate::line(&store.location()),
        rules.targets.len(),
        if rules.targets.len() == 1 { "" } else { "s" }
    );
    loop {
        let started = Instant::now();
        // What the engines told before this round is covered by it.
        while woken.try_recv().is_ok() {}
        let Some(round) = round(args, &runtime, &mut signals, &mut state, &rules, output) else {
            output.note("stopping: the round was interrupted; the state is as the last round left it");
            return ExitCode::SUCCESS;
        };
        save_state(&store, &state, &runtime);
        if let Some(views) = &views {
            views.replace(snapshot(&store, &state, stale_after, &runtime));
        }
        if args.once {
            return round.code;
        }
        let next = interval.saturating_sub(started.elapsed());
        match runtime.block_on(signals.sleep(next, &mut woken)) {
            Wake::Signal => {
                output.note("stopping: the state is saved");
                return ExitCode::SUCCESS;
            }
            Wake::Container(name) => {
                // Containers come in groups (a compose project): one round for a burst.
                let settle = runtime.block_on(signals.sleep(EVENT_SETTLE, &mut woken));
                if matches!(settle, Wake::Signal) {
                    output.note("stopping: the state is saved");
                    return ExitCode::SUCCESS;
                }
                output.note(&format!(
                    "a container was created or started ({}): checking now",
                    crate::line(&name)
                ));
            }
            Wake::Time => {}
        }
    }
}

/// Starts the server of `--listen`, if asked: `None` when not.
fn listen(
    args: &Args,
    runtime: &tokio::runtime::Runtime,
    first: oci_dashboard::Snapshot,
    output: Output,
) -> Result<Option<std::sync::Arc<crate::serve::Views>>, Failure> {
    let Some(text) = &args.listen else {
        if args.listen_token.is_some() || args.listen_insecure {
            return Err(Failure::usage(
                "--listen-token and --listen-insecure go with --listen ADDR",
            ));
        }
        return Ok(None);
    };
    let address = crate::serve::parse_listen(text).map_err(Failure::usage)?;
    let token = match &args.listen_token {
        Some(path) => {
            let text = std::fs::read_to_string(path).map_err(|err| {
                Failure::usage(format!(
                    "--listen-token: cannot read `{}`: {err}",
                    crate::line(&path.display().to_string())
                ))
            })?;
            let token = text.trim().to_owned();
            if token.len() < 16 || !token.bytes().all(|b| b.is_ascii_graphic() && b != b';' && b != b',') {
                return Err(Failure::usage(
                    "--listen-token: the file must hold one token of at least 16 printable characters (no `;` or `,`)",
                ));
            }
            Some(token)
        }
        None => None,
    };
    if !address.ip().is_loopback() && token.is_none() && !args.listen_insecure {
        return Err(Failure::usage(format!(
            "--listen {address} is reachable from other machines: give --listen-token FILE, or --listen-insecure if \
             anyone who reaches it may see your images"
        )));
    }
    let listener = runtime
        .block_on(tokio::net::TcpListener::bind(address))
        .map_err(|err| Failure::new("listen", format!("cannot listen on {address}: {err}")))?;
    let bound = listener.local_addr().unwrap_or(address);
    let views = crate::serve::Views::new(first, token);
    runtime.spawn(crate::serve::serve(listener, std::sync::Arc::clone(&views)));
    output.note(&format!(
        "serving the page, the results and the metrics at http://{bound}/"
    ));
    Ok(Some(views))
}

/// What the page shows now: every host of a Redis state (the fleet), else this host.
fn snapshot(
    store: &StateStore,
    state: &State,
    stale_after: u64,
    runtime: &tokio::runtime::Runtime,
) -> oci_dashboard::Snapshot {
    let mut states = vec![state.clone()];
    #[cfg(feature = "redis")]
    if let StateStore::Redis(cache) = store {
        let others = runtime.block_on(async {
            let names = cache.document_names("watch/", 10_000).await?;
            let mut found = Vec::new();
            for name in names {
                if name == document_name(state.host()) {
                    continue;
                }
                if let Some(bytes) = cache.get_document(&name).await? {
                    // Another host's state that cannot be read is left off the page, not a reason to stop.
                    if let Ok(other) = State::from_json(&bytes) {
                        found.push(other);
                    }
                }
            }
            Ok::<_, oci_registry::cache::CacheError>(found)
        });
        match others {
            Ok(others) => states.extend(others),
            Err(err) => tracing::warn!(
                "the other hosts' states could not be read: {}",
                crate::line(&format!("{err:#}"))
            ),
        }
    }
    let _ = (store, runtime);
    oci_dashboard::Snapshot::new(states, now(), stale_after)
}

/// `oci-check notify --test`: one test message per target, and a line per target saying what happened.
pub(crate) fn run_notify(args: &NotifyArgs, output: Output) -> ExitCode {
    debug_assert!(args.test, "clap requires --test");
    let targets = match parse_targets(&args.targets, KindSet::DEFAULT) {
        Ok(targets) => targets,
        Err(message) => return exit::usage(&message),
    };
    let host = match args.host_name.clone().map_or_else(system_host_name, Ok) {
        Ok(host) => host,
        Err(message) => return exit::usage(&message),
    };
    let runtime = match crate::runtime() {
        Ok(runtime) => runtime,
        Err(code) => return code,
    };
    let client = match args.registry.prepare(std::iter::empty(), None, output, &runtime) {
        Ok(client) => client,
        Err(failure) => return exit::failure(&failure),
    };
    let timeout = args.registry.timeout();
    let mut failed = false;
    for told in &targets {
        let rendered = told.target.test_notification(host.as_str());
        match runtime.block_on(deliver(&client, &told.target, &rendered, host.as_str(), timeout)) {
            Ok(()) => println_out(&format!("{}: sent", told.target)),
            Err(reason) => {
                failed = true;
                println_out(&format!("{}: failed: {reason}", told.target));
            }
        }
    }
    if failed {
        ExitCode::from(exit::FAILED)
    } else {
        ExitCode::SUCCESS
    }
}

/// Writes one line on stdout (a closed stdout is not worth a panic).
fn println_out(line: &str) {
    let _ = writeln!(std::io::stdout(), "{}", crate::line(line));
}

/// Parses every target URL; an error names the URL with its secrets hidden.
fn parse_targets(urls: &[String], default_on: KindSet) -> Result<Vec<Told>, String> {
    let mut targets: Vec<Told> = Vec::new();
    for url in urls {
        let target = Target::parse_with_default(url, default_on).map_err(|err| format!("--notify: {err}"))?;
        let id = target_id(&target);
        if targets.iter().any(|told| told.id == id) {
            return Err(format!("--notify names {target} twice"));
        }
        targets.push(Told { target, id });
    }
    Ok(targets)
}

/// The id the state knows a target by: its service and a hash of its URL as shown (secrets hidden), so the
/// state holds no secret and a changed password is the same target.
fn target_id(target: &Target) -> TargetId {
    let shown = target.to_string();
    let hash = oci_registry::Digest::sha256(shown.as_bytes());
    let id = format!("{}-{}", target.service().as_str(), &hash.encoded()[..16]);
    id.parse().unwrap_or_else(|_| {
        // A service name is a short lower-case word, so the id always parses; this is the same id without it.
        format!("t-{}", &hash.encoded()[..16])
            .parse()
            .expect("hex digits make a target id")
    })
}

/// The system's host name: the kernel's, else `$HOSTNAME`.
fn system_host_name() -> Result<HostName, String> {
    let name = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .map(|name| name.trim().to_owned())
        .filter(|name| !name.is_empty())
        .or_else(|| std::env::var("HOSTNAME").ok())
        .unwrap_or_else(|| "localhost".to_owned());
    name.parse()
        .map_err(|err| format!("the host name cannot name a state ({err}): give --host-name NAME"))
}

/// Where the state is kept.
enum StateStore {
    Dir(DirStore),
    #[cfg(feature = "redis")]
    Redis(oci_registry::cache::RedisCache),
}

impl StateStore {
    /// Where, for messages (a Redis URL's password as `***`).
    fn location(&self) -> String {
        match self {
            Self::Dir(store) => store.dir().display().to_string(),
            #[cfg(feature = "redis")]
            Self::Redis(cache) => {
                use oci_registry::cache::Cache as _;
                cache.location()
            }
        }
    }
}

/// The name of a host's state document in Redis.
#[cfg(feature = "redis")]
fn document_name(host: &HostName) -> String {
    format!("watch/{}", host.as_str())
}

/// The state store: `--state DIR` or `redis://...`, else the XDG state directory.
fn open_store(state: Option<&str>, runtime: &tokio::runtime::Runtime) -> Result<StateStore, Failure> {
    let dir = match state {
        Some(url) if url.contains("://") => return open_redis_store(url, runtime),
        Some(dir) => PathBuf::from(dir),
        None => default_state_dir()
            .ok_or_else(|| Failure::usage("no state directory: set XDG_STATE_HOME or HOME, or pass --state DIR"))?,
    };
    DirStore::open(&dir).map(StateStore::Dir).map_err(|err| {
        Failure::new(
            "state",
            format!(
                "the state directory `{}` cannot be used: {err}",
                crate::line(&dir.display().to_string())
            ),
        )
    })
}

/// A state in the Redis a fleet shares for its cache: one document per host name, beside the cache's entries.
#[cfg(feature = "redis")]
fn open_redis_store(url: &str, runtime: &tokio::runtime::Runtime) -> Result<StateStore, Failure> {
    use oci_registry::cache::RedisCache;
    RedisCache::check_url(url).map_err(|err| Failure::usage(format!("--state: {err:#}")))?;
    let cache = runtime
        .block_on(RedisCache::connect(url, crate::cache::KEY_PREFIX))
        .map_err(|err| Failure::new("state", format!("the Redis state cannot be used: {err:#}")))?;
    Ok(StateStore::Redis(cache))
}

#[cfg(not(feature = "redis"))]
fn open_redis_store(url: &str, _runtime: &tokio::runtime::Runtime) -> Result<StateStore, Failure> {
    Err(Failure::usage(format!(
        "--state `{}`: this oci-check was built without Redis support: build it with `--features redis`",
        crate::line(&redact_url(url))
    )))
}

/// A URL with anything between `://` and `@` hidden.
#[cfg(not(feature = "redis"))]
fn redact_url(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => format!("{}***{}", &url[..scheme + 3], &url[at..]),
        _ => url.to_owned(),
    }
}

/// `$XDG_STATE_HOME/oci-check`, else `~/.local/state/oci-check`.
fn default_state_dir() -> Option<PathBuf> {
    let absolute = |value: std::ffi::OsString| Some(PathBuf::from(value)).filter(|path| path.is_absolute());
    std::env::var_os("XDG_STATE_HOME")
        .and_then(absolute)
        .or_else(|| {
            std::env::var_os("HOME")
                .and_then(absolute)
                .map(|home| home.join(".local/state"))
        })
        .map(|dir| dir.join("oci-check"))
}

/// The host's state, or a fresh one (with one warning) when it cannot be read.
fn load_state(store: &StateStore, host: &HostName, runtime: &tokio::runtime::Runtime) -> State {
    let loaded = match store {
        StateStore::Dir(store) => store.load_blocking(host).map_err(|err| err.to_string()),
        #[cfg(feature = "redis")]
        StateStore::Redis(cache) => match runtime.block_on(cache.get_document(&document_name(host))) {
            Ok(Some(bytes)) => State::from_json(&bytes).map(Some).map_err(|err| err.to_string()),
            Ok(None) => Ok(None),
            Err(err) => Err(format!("{err:#}")),
        },
    };
    let _ = runtime;
    match loaded {
        Ok(Some(state)) => state,
        Ok(None) => State::new(host.clone()),
        Err(err) => {
            tracing::warn!(
                "the watch state cannot be read ({}); starting afresh: current events are told once more",
                crate::line(&err)
            );
            State::new(host.clone())
        }
    }
}

/// Writes the state; a failure is a warning (the next round tries again).
fn save_state(store: &StateStore, state: &State, runtime: &tokio::runtime::Runtime) {
    let saved = match store {
        StateStore::Dir(store) => store.save_blocking(state).map_err(|err| err.to_string()),
        #[cfg(feature = "redis")]
        StateStore::Redis(cache) => runtime
            .block_on(cache.put_document(&document_name(state.host()), &state.to_json()))
            .map_err(|err| format!("{err:#}")),
    };
    let _ = runtime;
    if let Err(err) = saved {
        tracing::warn!(
            "the watch state could not be written ({}); events may be told again after a restart",
            crate::line(&err)
        );
    }
}

/// What a round ended with.
struct RoundEnd {
    /// `update`'s exit code for what this round found.
    code: ExitCode,
}

/// One round: gather, check, decide, tell. `None` when a signal came during the checks.
fn round(
    args: &Args,
    runtime: &tokio::runtime::Runtime,
    signals: &mut Signals,
    state: &mut State,
    rules: &Rules,
    output: Output,
) -> Option<RoundEnd> {
    let Rules { policy, targets, trust } = rules;
    let started_at = now();
    let started = Instant::now();
    let host = state.host().clone();
    let gathered = args.check.gather(runtime);
    let Gathered {
        entries,
        failures,
        engine_mirrors,
    } = gathered;
    for failure in &failures {
        output.error(failure);
    }
    let (client, outcomes) = match args.check.client(&entries, &engine_mirrors, output, runtime) {
        Ok(client) => {
            let outcomes = check(&client, &args.check, &entries, runtime, signals)?;
            (Some(client), outcomes)
        }
        Err(failure) => {
            output.error(&failure);
            let outcomes = entries.iter().map(|_| Err(failure.clone())).collect();
            (None, outcomes)
        }
    };
    let signed = judge(
        client.as_ref(),
        &outcomes,
        trust,
        args.check.require_signed,
        runtime,
        signals,
    )?;
    let platform = args.check.platform.to_string();
    let mut observations = Vec::with_capacity(entries.len());
    let mut pulls_left: BTreeMap<String, u64> = BTreeMap::new();
    for (index, (entry, outcome)) in entries.iter().zip(&outcomes).enumerate() {
        let record = update::record_value(entry, outcome, Signatures::at(&signed, index));
        if let Some(limit) = record.get("rate_limit") {
            if let (Some(source), Some(remaining)) = (
                limit.get("source").and_then(serde_json::Value::as_str),
                limit.get("remaining").and_then(serde_json::Value::as_u64),
            ) {
                let left = pulls_left.entry(source.to_owned()).or_insert(remaining);
                *left = (*left).min(remaining);
            }
        }
        let key = oci_watch::WorkloadKey::new(
            host.as_str(),
            entry.source.as_deref().unwrap_or("args"),
            entry.container.as_deref().unwrap_or(&entry.image),
            &entry.image,
            &platform_of(entry, &platform),
        );
        let mut seen = Observation::from_record(key, record);
        if policy.min_age().is_some() && seen.status == Status::UpdateAvailable {
            seen.latest_created = created_of(state, &seen, client.as_ref(), outcome, runtime);
        }
        observations.push(seen);
    }
    let (heads, pulls, hits) = client.as_ref().map_or((0, 0, 0), |client| {
        let stats = client.pull_stats();
        (stats.heads(), stats.gets(), stats.cache_hits())
    });
    let round = Round {
        started: started_at,
        duration: started.elapsed(),
        pulls_left,
        requests: [("HEAD".to_owned(), heads), ("GET".to_owned(), pulls)].into(),
        pulls,
    };
    let decided = state.round(&round, observations, policy);
    let mut told = 0;
    for target in targets {
        let events: Vec<&oci_watch::Event> = decided
            .to_tell(&target.id)
            .into_iter()
            .filter(|event| target.target.on().matches(notify_kind(event)))
            .collect();
        if events.is_empty() {
            continue;
        }
        let notification = Notification {
            host: host.as_str().to_owned(),
            events: events.iter().map(|event| notify_event(event)).collect(),
        };
        let Some(rendered) = target.target.render(&notification) else {
            continue;
        };
        let sender = match &client {
            Some(client) => Ok(client.clone()),
            None => args.check.registry.prepare(std::iter::empty(), None, output, runtime),
        };
        let delivered = match sender {
            Ok(client) => runtime.block_on(deliver(
                &client,
                &target.target,
                &rendered,
                host.as_str(),
                args.check.registry.timeout(),
            )),
            Err(failure) => Err(failure.to_string()),
        };
        match delivered {
            Ok(()) => {
                let keys: Vec<oci_watch::EventKey> = events.iter().map(|event| event.key().clone()).collect();
                told += state.delivered(&target.id, &keys);
            }
            Err(reason) => tracing::warn!(
                "{}: not delivered, tried again next round: {}",
                target.target,
                crate::line(&reason)
            ),
        }
    }
    let summary = state.last_round().map(|summary| {
        Status::ALL
            .iter()
            .filter_map(|status| summary.counts.get(status).map(|count| format!("{count} {status}")))
            .collect::<Vec<_>>()
            .join(", ")
    });
    output.note(&format!(
        "round: {} workload{} ({}), {} event{} told, {heads} HEAD, {pulls} pull{}, {hits} cache hit{}, {} ms",
        entries.len(),
        if entries.len() == 1 { "" } else { "s" },
        summary.unwrap_or_default(),
        told,
        if told == 1 { "" } else { "s" },
        if pulls == 1 { "" } else { "s" },
        if hits == 1 { "" } else { "s" },
        started.elapsed().as_millis()
    ));
    Some(RoundEnd {
        code: update::exit_code(!failures.is_empty(), &outcomes, &signed),
    })
}

/// The platform a workload's check was for: its request's, else `--platform`.
fn platform_of(entry: &Entry, default: &str) -> String {
    entry
        .parsed
        .as_ref()
        .map_or_else(|_| default.to_owned(), |request| request.platform().to_string())
}

/// Checks every entry as `update` does; `None` when a signal came first.
fn check(
    client: &Client,
    args: &CheckArgs,
    entries: &[Entry],
    runtime: &tokio::runtime::Runtime,
    signals: &mut Signals,
) -> Option<Vec<Outcome>> {
    let mut outcomes: Vec<Option<Outcome>> = entries
        .iter()
        .map(|entry| entry.parsed.as_ref().err().map(|failure| Err(failure.clone())))
        .collect();
    let (requests, positions): (Vec<oci_registry::UpdateRequest>, Vec<usize>) = entries
        .iter()
        .enumerate()
        .filter_map(|(index, entry)| Some((entry.parsed.as_ref().ok()?.clone(), index)))
        .unzip();
    let options = args.options();
    let finished = runtime.block_on(async {
        let checks = client.check_each(&requests, &options, |done, result| {
            let image = requests[done].reference().familiar();
            outcomes[positions[done]] = Some(result.map_err(|err| Failure::from_client(&image, &err)));
        });
        tokio::select! {
            () = checks => true,
            () = signals.next() => false,
        }
    });
    finished.then(|| {
        outcomes
            .into_iter()
            .map(|outcome| outcome.unwrap_or_else(|| Err(Failure::new("internal", "the check stopped unexpectedly"))))
            .collect()
    })
}

/// The signatures of what each check proposes, judged as `update --verify-key` judges them (by digest, through
/// the client's cache): empty without `--verify-key`, one per outcome with it; `None` when a signal came first.
fn judge(
    client: Option<&Client>,
    outcomes: &[Outcome],
    trust: &TrustConfig,
    required: bool,
    runtime: &tokio::runtime::Runtime,
    signals: &mut Signals,
) -> Option<Vec<Option<Signed>>> {
    if trust.is_empty() {
        return Some(Vec::new());
    }
    // No client: every check failed already, and proposes nothing.
    let Some(client) = client else {
        return Some(vec![None; outcomes.len()]);
    };
    runtime.block_on(async {
        tokio::select! {
            signed = signatures::judge(client, outcomes, trust, required) => Some(signed),
            () = signals.next() => None,
        }
    })
}

/// The latest image's `created`, for the cooldown of an update: from the last round when the digest is the
/// same, else read from the registry (the image's manifest and config, by digest).
fn created_of(
    state: &State,
    seen: &Observation,
    client: Option<&Client>,
    outcome: &Outcome,
    runtime: &tokio::runtime::Runtime,
) -> Option<String> {
    if let Some(last) = state.workload(&seen.key).map(oci_watch::WorkloadState::last) {
        if last.latest_digest == seen.latest_digest && last.latest_created.is_some() {
            return last.latest_created.clone();
        }
    }
    let (client, check) = (client?, outcome.as_ref().ok()?);
    runtime.block_on(read_created(client, check))
}

/// Reads the `created` of the image a check found behind the tag, for its platform.
async fn read_created(client: &Client, check: &UpdateCheck) -> Option<String> {
    let reference = check.reference();
    let repository = oci_registry::Repository::new(reference.registry(), reference.repository()).ok()?;
    let digest = check.platform_digest().unwrap_or(check.latest_digest()).clone();
    let manifest = client.manifest(&repository.digest(digest)).await.ok()?;
    let parsed = oci_manifest::Manifest::parse(manifest.bytes(), manifest.media_type()).ok()?;
    let oci_manifest::ManifestBody::Image(image) = parsed.body() else {
        return None;
    };
    let blob = client.blob(&repository, image.config().digest()).await.ok()?;
    let bytes = blob
        .bytes(oci_manifest::ParseOptions::DEFAULT_MAX_SIZE as u64)
        .await
        .ok()?;
    let config = oci_manifest::ImageConfig::parse(&bytes).ok()?;
    config.created().map(str::to_owned)
}

/// The notification kind of a watcher's event.
fn notify_kind(event: &oci_watch::Event) -> oci_notify::EventKind {
    match event.kind() {
        oci_watch::EventKind::Update => oci_notify::EventKind::Update,
        oci_watch::EventKind::Newer => oci_notify::EventKind::Newer {
            jump: match event.jump() {
                Some(oci_watch::Jump::Major) | None => oci_notify::Jump::Major,
                Some(oci_watch::Jump::Minor) => oci_notify::Jump::Minor,
                Some(oci_watch::Jump::Patch) => oci_notify::Jump::Patch,
                Some(_) => oci_notify::Jump::Build,
            },
        },
        oci_watch::EventKind::Error => oci_notify::EventKind::Error,
        oci_watch::EventKind::Untrusted => oci_notify::EventKind::Untrusted,
        _ => oci_notify::EventKind::Recovered,
    }
}

/// A watcher's event as the notification tells it.
fn notify_event(event: &oci_watch::Event) -> oci_notify::Event {
    let workload = event.workload();
    let text = |name: &str| {
        event
            .record()
            .get(name)
            .and_then(serde_json::Value::as_str)
            .map(str::to_owned)
    };
    let note = match event.kind() {
        oci_watch::EventKind::Error => event.error().map(|error| error.message.clone()),
        oci_watch::EventKind::Recovered => Some("the check works again".to_owned()),
        oci_watch::EventKind::Untrusted => Some(refusal(event.record())),
        _ => text("note"),
    };
    oci_notify::Event {
        kind: notify_kind(event),
        workload: format!("{}/{}", workload.source(), workload.name()),
        image: workload.image().to_owned(),
        current: text("current_digest"),
        latest: match event.kind() {
            oci_watch::EventKind::Update | oci_watch::EventKind::Untrusted => event.digest().map(str::to_owned),
            _ => None,
        },
        tag: event.tag().map(str::to_owned),
        note,
        record: event.record().clone(),
    }
}

/// Why `--require-signed` refused a workload's proposals, from its record's signatures: `not proposed
/// (--require-signed): update signature unsigned`.
fn refusal(record: &serde_json::Value) -> String {
    fn status(signature: Option<&serde_json::Value>) -> Option<&str> {
        signature?.get("status")?.as_str()
    }
    let judged: Vec<String> = [
        ("update", status(record.get("signature"))),
        (
            "newer version",
            status(record.get("newer").and_then(|newer| newer.get("signature"))),
        ),
    ]
    .into_iter()
    .filter_map(|(what, status)| Some(format!("{what} signature {}", status?)))
    .collect();
    if judged.is_empty() {
        "not proposed (--require-signed): the signature is not verified".to_owned()
    } else {
        format!("not proposed (--require-signed): {}", judged.join(", "))
    }
}

/// Delivers one rendered message to `target`; the error is a reason to show (no secret: URLs are never in it).
async fn deliver(
    client: &Client,
    target: &Target,
    rendered: &Rendered,
    host: &str,
    timeout: Duration,
) -> Result<(), String> {
    match rendered {
        Rendered::Http { login, requests } => {
            let mut token = None;
            if let Some(login) = login {
                let body = send_http(client, login).await?;
                token = Some(oci_notify::matrix_access_token(&body).map_err(|err| err.to_string())?);
            }
            for request in requests {
                let mut request = request.clone();
                if let Some(token) = &token {
                    request.set_bearer(token);
                }
                send_http(client, &request).await?;
            }
            Ok(())
        }
        Rendered::Script { path, stdin } => run_script(path, stdin, timeout).await,
        Rendered::Mqtt { publishes } => {
            let server = target.server().ok_or("an MQTT target names no broker")?;
            let delivery = crate::send::Delivery::new(timeout, &[]).map_err(|err| err.to_string())?;
            crate::send::mqtt::publish(server, publishes, &crate::send::mqtt::client_id(host), &delivery)
                .await
                .map_err(|err| err.to_string())
        }
        Rendered::Smtp(mail) => {
            let server = target.server().ok_or("a mail target names no server")?;
            let delivery = crate::send::Delivery::new(timeout, &[]).map_err(|err| err.to_string())?;
            crate::send::smtp::send_mail(server, mail, host, &delivery)
                .await
                .map_err(|err| err.to_string())
        }
        _ => Err("a kind of target this build cannot send to".to_owned()),
    }
}

/// Sends one HTTP request; a status that is not a success is an error naming it.
async fn send_http(client: &Client, request: &oci_notify::HttpRequest) -> Result<Bytes, String> {
    let method = http::Method::from_bytes(request.method().as_bytes()).map_err(|err| err.to_string())?;
    let (status, body) = client
        .send(
            method,
            request.url(),
            request.headers(),
            Bytes::copy_from_slice(request.body()),
            ANSWER_LIMIT,
        )
        .await
        .map_err(|err| format!("{err:#}"))?;
    if status.is_success() {
        Ok(body)
    } else {
        let answer = String::from_utf8_lossy(&body);
        Err(format!(
            "{} answered {status}{}",
            request.redacted_url(),
            if answer.trim().is_empty() {
                String::new()
            } else {
                format!(": {}", oci_registry::text::cut(answer.trim()))
            }
        ))
    }
}

/// Runs a `script://` target: the program alone (no shell, no arguments), the notification on its standard
/// input, its output discarded; it must exit 0 within `timeout`.
async fn run_script(path: &Path, stdin: &[u8], timeout: Duration) -> Result<(), String> {
    let shown = crate::line(&path.display().to_string()).into_owned();
    let mut child = tokio::process::Command::new(path)
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .map_err(|err| format!("could not run {shown}: {err}"))?;
    let run = async {
        if let Some(mut input) = child.stdin.take() {
            // A script that does not read its input is its own business; what counts is how it exits.
            let _ = input.write_all(stdin).await;
        }
        child.wait().await
    };
    match tokio::time::timeout(timeout, run).await {
        Ok(Ok(status)) if status.success() => Ok(()),
        Ok(Ok(status)) => Err(format!("{shown} exited with {status}")),
        Ok(Err(err)) => Err(format!("{shown} could not be waited for: {err}")),
        Err(_) => Err(format!("{shown} did not finish within {} s", timeout.as_secs())),
    }
}

/// The time now, as the state counts it.
fn now() -> Timestamp {
    let seconds = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |elapsed| i64::try_from(elapsed.as_secs()).unwrap_or(i64::MAX));
    Timestamp::from_unix(seconds).unwrap_or_else(|| Timestamp::from_unix(0).expect("the epoch is a time"))
}

/// SIGINT and SIGTERM, listened for from the start so that neither kills the process during a state write.
struct Signals {
    interrupt: tokio::signal::unix::Signal,
    terminate: tokio::signal::unix::Signal,
}

impl Signals {
    fn new() -> std::io::Result<Self> {
        use tokio::signal::unix::{SignalKind, signal};
        Ok(Self {
            interrupt: signal(SignalKind::interrupt())?,
            terminate: signal(SignalKind::terminate())?,
        })
    }

    /// The next signal.
    async fn next(&mut self) {
        tokio::select! {
            _ = self.interrupt.recv() => {}
            _ = self.terminate.recv() => {}
        }
    }

    /// Sleeps for `duration`, or until a signal or an engine's news comes.
    async fn sleep(&mut self, duration: Duration, woken: &mut tokio::sync::mpsc::UnboundedReceiver<String>) -> Wake {
        tokio::select! {
            () = tokio::time::sleep(duration) => Wake::Time,
            () = self.next() => Wake::Signal,
            Some(name) = woken.recv() => Wake::Container(name),
        }
    }
}

/// Why a watcher's sleep ended.
enum Wake {
    /// The interval is over.
    Time,
    /// SIGINT or SIGTERM.
    Signal,
    /// An engine created or started this container.
    Container(String),
}

/// How long a round waits after an engine's event for the rest of a burst.
const EVENT_SETTLE: Duration = Duration::from_secs(1);

/// How long to wait before opening an engine's events stream again after it broke.
const EVENT_RETRY: Duration = Duration::from_secs(10);

/// Follows an engine's events for as long as the watcher runs, sending the name of each container created or
/// started; a stream that breaks (the engine restarted) is opened again after [`EVENT_RETRY`], with one warning
/// until it works again.
async fn follow_events(
    located: oci_inventory::Located,
    timeout: Duration,
    wake: tokio::sync::mpsc::UnboundedSender<String>,
) {
    use oci_inventory::{Engine, EngineOptions};
    let mut warned = false;
    loop {
        let options = EngineOptions::new()
            .request_timeout(timeout)
            .connect_timeout(timeout.min(Duration::from_secs(5)));
        let opened = match Engine::connect(located.clone(), options).await {
            Ok(mut engine) => engine.container_events().await,
            Err(err) => Err(err),
        };
        match opened {
            Ok(mut events) => {
                warned = false;
                loop {
                    match events.next().await {
                        Ok(Some(event)) => {
                            let name = event.name.unwrap_or(event.id);
                            if wake.send(name).is_err() {
                                return;
                            }
                        }
                        Ok(None) => break,
                        Err(err) => {
                            tracing::warn!(
                                "{}: the events stream broke: {}",
                                located.address(),
                                crate::line(&err.to_string())
                            );
                            warned = true;
                            break;
                        }
                    }
                }
            }
            Err(err) if !warned => {
                tracing::warn!(
                    "{}: no events stream, new containers wait for the next round: {}",
                    located.address(),
                    crate::line(&err.to_string())
                );
                warned = true;
            }
            Err(_) => {}
        }
        if wake.is_closed() {
            return;
        }
        tokio::time::sleep(EVENT_RETRY).await;
    }
}
