//! `oci-check update`: is there a newer digest behind each image's tag than the one in use?

mod input;
mod report;
pub(crate) mod signatures;

use std::io::{self, IsTerminal, Read};
use std::path::PathBuf;
use std::process::ExitCode;

use oci_registry::{CheckOptions, Glob, Jump, Platform, Policy, UpdateCheck};

use crate::failure::Failure;
use crate::registry::RegistryArgs;
use crate::{Output, exit};
pub(crate) use input::Entry;
use report::Printer;
pub(crate) use report::{Signatures, json_line, record_value};

/// The arguments of `oci-check update`.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// Print one JSON object per image (JSON Lines), in input order.
    #[arg(long)]
    json: bool,
    #[command(flatten)]
    pub(crate) check: CheckArgs,
}

/// What to check and how: shared by `update` and `watch`.
#[derive(Debug, clap::Args)]
#[command(group(clap::ArgGroup::new("trust").multiple(true).args(["verify_keys", "trusted_root", "notation_roots"])))]
pub(crate) struct CheckArgs {
    /// Images to check, `IMAGE[:TAG][@DIGEST]`; the digest is the one in use.
    #[arg(value_name = "IMAGE[@DIGEST]")]
    images: Vec<String>,
    /// Read images from FILE (`-` for standard input): one `IMAGE[@DIGEST]` or `IMAGE DIGEST` per line; blank lines
    /// and `#` comments are skipped.
    #[arg(short = 'f', long = "file", value_name = "FILE")]
    pub(crate) file: Option<PathBuf>,
    /// The platform whose image matters when a tag names a multi-arch index, `os/arch[/variant]`.
    #[arg(long, value_name = "OS/ARCH[/VARIANT]", default_value_t = Platform::host())]
    pub(crate) platform: Platform,
    /// How many images to check at once (also the most requests in flight to one registry).
    #[arg(long, value_name = "N", default_value_t = 64, value_parser = clap::value_parser!(u16).range(1..))]
    concurrency: u16,
    #[command(flatten)]
    sources: SourceArgs,
    #[command(flatten)]
    pub(crate) versions: VersionArgs,
    #[command(flatten)]
    pub(crate) registry: RegistryArgs,
    /// Verify the signature of the image each update proposes (and with --newer, the newer version's) with this
    /// trusted public key, for every image or, as `GLOB=PEM`, for the images whose `REGISTRY/REPOSITORY` matches
    /// GLOB (repeatable; see `oci-check verify`; keyless and notation trust are the options below). `--json` gains
    /// `signature`, `newer.signature` and `same_signer` (whether the image in use had the same signer).
    #[arg(long = "verify-key", value_name = "[GLOB=]PEM", help_heading = "Signatures")]
    pub(crate) verify_keys: Vec<String>,
    #[command(flatten)]
    pub(crate) trust: crate::verify::TrustArgs,
    /// With --verify-key, --trusted-root or --notation-root: an update or newer version whose signature is not verified gets status
    /// `untrusted` (exit 1) instead of being proposed.
    #[arg(long, requires = "trust", help_heading = "Signatures")]
    pub(crate) require_signed: bool,
}

/// What runs here: containers of engines, services of compose files, inspect output, a cluster's pods.
#[derive(Debug, Clone, clap::Args)]
pub(crate) struct SourceArgs {
    /// Check the containers of the Docker engine (`--host`, else DOCKER_HOST, else the docker context: DOCKER_CONTEXT
    /// or `currentContext` in $DOCKER_CONFIG/config.json, else /var/run/docker.sock): running ones, or all with
    /// --all. Only GET requests reach the engine; Docker Hub is asked through the mirrors the engine reports.
    #[arg(long, help_heading = "What runs here")]
    docker: bool,
    /// Check the containers of Podman's Docker-compatible API (`--host`, else CONTAINER_HOST, else
    /// $XDG_RUNTIME_DIR/podman/podman.sock, else /run/podman/podman.sock).
    #[arg(long, help_heading = "What runs here")]
    podman: bool,
    /// The engine's address, `unix:///path/to.sock` or `tcp://HOST:PORT`.
    #[arg(long, value_name = "URL", help_heading = "What runs here")]
    host: Option<String>,
    /// With --docker or --podman: also created and stopped containers, as `docker ps -a`.
    #[arg(long, help_heading = "What runs here")]
    all: bool,
    /// Check the images of a compose file's services (repeatable: later files override earlier ones, as
    /// `docker compose -f a -f b`), with the files their `include:` names; variables from the environment and the
    /// `.env` beside the first file. A compose
    /// file chooses which registries are contacted and can put any environment variable into an image reference,
    /// which is sent to that registry: check only compose files you trust, or run with an environment that holds
    /// no secrets.
    #[arg(long = "compose", value_name = "FILE", help_heading = "What runs here")]
    compose: Vec<PathBuf>,
    /// Check the containers or images in `docker inspect` / `podman inspect` output (`-` for standard input).
    #[arg(long, value_name = "FILE|-", help_heading = "What runs here")]
    inspect: Option<PathBuf>,
    /// Check the containers of a Kubernetes cluster's pods in `kubectl get pods,nodes -A -o json` output (`-` for
    /// standard input): one row per owner's container (a Deployment's replicas are one), for its node's platform.
    #[arg(long = "kubectl-json", value_name = "FILE|-", help_heading = "What runs here")]
    kubectl_json: Option<PathBuf>,
}

/// What the sources gave: workloads, failures, and the Docker engine's registry mirrors.
struct SourcesRead {
    workloads: Vec<oci_inventory::Workload>,
    failures: Vec<Failure>,
    mirrors: Vec<String>,
}

/// The workloads of the sources asked for, sorted by source then name; a source that cannot be read is a
/// failure, and the others are still read. Each engine is read within `timeout` in all (`--timeout`). With
/// `--docker`, the engine's Docker Hub mirrors (`GET /info`) come too: an answer without them is a warning, as the
/// workloads were read.
fn workloads(sources: &SourceArgs, runtime: &tokio::runtime::Runtime, timeout: std::time::Duration) -> SourcesRead {
    use oci_inventory::{Engine, EngineAddress, EngineKind, EngineOptions, Environment, Variables};
    let mut read: Vec<(String, Result<Vec<oci_inventory::Workload>, String>)> = Vec::new();
    if !sources.compose.is_empty() {
        let loaded = oci_inventory::load_compose(&sources.compose, Variables::capture());
        read.push(("the compose files".to_owned(), loaded.map_err(|err| err.to_string())));
    }
    if let Some(path) = &sources.inspect {
        // The library bounds what it reads (a file, a pipe or standard input) and parses as it goes.
        let file = (path.as_os_str() != "-").then_some(path.as_path());
        let parsed = oci_inventory::read_inspect(file).map_err(|err| err.to_string());
        read.push(("the inspect output".to_owned(), parsed));
    }
    if let Some(path) = &sources.kubectl_json {
        // The same bounds as inspect output; the parser is pure, no API server is asked.
        let file = (path.as_os_str() != "-").then_some(path.as_path());
        let parsed = oci_inventory::read_kubectl(file).map_err(|err| err.to_string());
        read.push(("the kubectl output".to_owned(), parsed));
    }
    let mut mirrors = Vec::new();
    for (asked, kind, name) in [
        (sources.docker, EngineKind::Docker, "the Docker engine"),
        (sources.podman, EngineKind::Podman, "the Podman engine"),
    ] {
        if asked {
            // Outside the runtime: a docker context is found by reading files.
            let located = EngineAddress::locate(kind, sources.host.as_deref(), &Environment::capture());
            let listed = runtime.block_on(async {
                let located = located?;
                let options = EngineOptions::new()
                    .total_timeout(timeout)
                    .request_timeout(timeout)
                    .connect_timeout(timeout.min(std::time::Duration::from_secs(5)));
                let mut engine = Engine::connect(located, options).await?;
                let workloads = engine.workloads(sources.all).await?;
                // Podman's mirrors are registries.conf's, read as such; only dockerd keeps its own.
                if kind == EngineKind::Docker && *engine.source() == oci_inventory::Source::Docker {
                    match engine.registry_mirrors().await {
                        Ok(found) => mirrors.extend(found),
                        Err(err) => tracing::warn!("{name}'s registry mirrors are not used: {err}"),
                    }
                }
                Ok::<_, oci_inventory::Error>(workloads)
            });
            if matches!(&listed, Ok(workloads) if workloads.is_empty()) && !sources.all {
                tracing::warn!("{name} runs no containers: add --all to check created and stopped ones");
            }
            read.push((name.to_owned(), listed.map_err(|err| err.to_string())));
        }
    }
    let mut found = Vec::new();
    let mut failures = Vec::new();
    for (what, result) in read {
        match result {
            Ok(workloads) => found.extend(workloads),
            Err(err) => failures.push(Failure::new("source", format!("could not read {what}: {err}"))),
        }
    }
    found.sort_by(|a, b| (a.source().to_string(), a.name()).cmp(&(b.source().to_string(), b.name())));
    SourcesRead {
        workloads: found,
        failures,
        mirrors,
    }
}

/// Which newer versions count, for `update --newer` and `versions`.
#[derive(Debug, Clone, clap::Args)]
pub(crate) struct VersionArgs {
    /// Also look for a newer version tag of the tag in use (of the same shape: `1.27.3-alpine` moves to
    /// `1.28.0-alpine`), at most a CAP jump away (`build`, `patch`, `minor` or `major`, the default), confirmed on the
    /// registry: an image for the platform, not older than the one in use. A newer version counts as an update.
    #[arg(long, value_name = "CAP", num_args = 0..=1, default_missing_value = "major", help_heading = "Versions")]
    pub(crate) newer: Option<Jump>,
    /// Only propose tags matching GLOB (`*`, `?`, `[...]`; repeatable).
    #[arg(long, value_name = "GLOB", help_heading = "Versions")]
    include: Vec<Glob>,
    /// Never propose tags matching GLOB (repeatable).
    #[arg(long, value_name = "GLOB", help_heading = "Versions")]
    exclude: Vec<Glob>,
}

impl VersionArgs {
    /// The policy these options give, with `cap` as the largest jump.
    pub(crate) fn policy(&self, cap: Jump) -> Policy {
        let mut policy = Policy::new().with_max_jump(cap);
        for glob in &self.include {
            policy = policy.with_include(glob.clone());
        }
        for glob in &self.exclude {
            policy = policy.with_exclude(glob.clone());
        }
        policy
    }
}

/// The outcome for one entry.
pub(crate) type Outcome = Result<UpdateCheck, Failure>;

/// The images of one run: arguments, the `-f` list and what the sources found, with what could not be read.
pub(crate) struct Gathered {
    pub(crate) entries: Vec<Entry>,
    pub(crate) failures: Vec<Failure>,
    /// The Docker engine's Docker Hub mirrors (`--docker`), for the client.
    pub(crate) engine_mirrors: Vec<String>,
}

impl CheckArgs {
    /// What the signature options trust (`--verify-key`, `--trusted-root`, `--notation-root`); `Err` is a usage
    /// message. Empty: no
    /// signature is looked for.
    pub(crate) fn trust(&self) -> Result<crate::verify::TrustConfig, String> {
        crate::verify::TrustConfig::from_args(&self.verify_keys, &self.trust)
    }

    /// Whether a run found nothing to check where nothing was asked for: no images, no source (an empty engine
    /// or compose file is an answer), and nothing that failed to be read.
    pub(crate) fn found_nothing(&self, gathered: &Gathered) -> bool {
        let asked_sources = self.sources.docker
            || self.sources.podman
            || !self.sources.compose.is_empty()
            || self.sources.inspect.is_some()
            || self.sources.kubectl_json.is_some();
        gathered.entries.is_empty() && gathered.failures.is_empty() && !asked_sources
    }

    /// Why these options cannot run: two of them want standard input (`-f -`, `--inspect -`, `--kubectl-json -`,
    /// `--password-stdin`), and the second would read nothing.
    pub(crate) fn stdin_conflict(&self) -> Option<String> {
        let dash = |path: &Option<PathBuf>| path.as_ref().is_some_and(|path| path.as_os_str() == "-");
        let readers: Vec<&str> = [
            (dash(&self.file), "-f -"),
            (dash(&self.sources.inspect), "--inspect -"),
            (dash(&self.sources.kubectl_json), "--kubectl-json -"),
            (self.registry.password_stdin(), "--password-stdin"),
        ]
        .into_iter()
        .filter_map(|(reads, name)| reads.then_some(name))
        .collect();
        let [first, second, ..] = readers.as_slice() else {
            return None;
        };
        let fix = if *second == "--password-stdin" {
            "put the images in a file"
        } else {
            "give all but one of them a file"
        };
        Some(format!("{first} and {second} both want standard input: {fix}"))
    }

    /// Whether kubectl output is read from standard input, which a watcher can read only once.
    /// Whether `--inspect -` reads standard input, which a watcher's second round would find at its end.
    pub(crate) fn inspect_from_stdin(&self) -> bool {
        self.sources
            .inspect
            .as_ref()
            .is_some_and(|path| path.as_os_str() == "-")
    }

    pub(crate) fn kubectl_from_stdin(&self) -> bool {
        self.sources
            .kubectl_json
            .as_ref()
            .is_some_and(|path| path.as_os_str() == "-")
    }

    /// Reads every image to check, now: the sources are read again on each call (a watcher's rounds).
    pub(crate) fn gather(&self, runtime: &tokio::runtime::Runtime) -> Gathered {
        let mut entries: Vec<Entry> = self
            .images
            .iter()
            .map(|image| input::parse_entry(image, &self.platform))
            .collect();
        let mut failures = Vec::new();
        if let Some(path) = &self.file {
            let text = if path.as_os_str() == "-" {
                let mut text = String::new();
                io::stdin().read_to_string(&mut text).map(|_| text)
            } else {
                std::fs::read_to_string(path)
            };
            // An input that cannot be read is a failure like a compose file or an engine that cannot be: told, the
            // other inputs still checked, exit 1.
            match text {
                Ok(text) => entries.extend(input::parse_lines(&text, &self.platform)),
                Err(err) => failures.push(Failure::new(
                    "source",
                    format!(
                        "could not read the list `{}`: {err}",
                        crate::line(&path.display().to_string())
                    ),
                )),
            }
        }
        let SourcesRead {
            workloads: found,
            failures: source_failures,
            mirrors: engine_mirrors,
        } = workloads(&self.sources, runtime, self.registry.timeout());
        failures.extend(source_failures);
        entries.extend(
            found
                .iter()
                .map(|workload| input::from_workload(workload, &self.platform)),
        );
        // A registry registries.conf blocks is never asked: its images are failures of their own.
        match self.registry.blocked() {
            Ok(blocked) if !blocked.is_empty() => {
                for entry in &mut entries {
                    let registry = entry
                        .parsed
                        .as_ref()
                        .ok()
                        .map(|request| request.reference().registry().to_owned());
                    if let Some(registry) = registry.filter(|registry| blocked.contains(registry)) {
                        entry.parsed = Err(Failure::new(
                            "blocked",
                            format!("registries.conf blocks {}: it is not asked", crate::line(&registry)),
                        ));
                    }
                }
            }
            Ok(_) => {}
            Err(failure) => failures.push(failure),
        }
        Gathered {
            entries,
            failures,
            engine_mirrors,
        }
    }

    /// A client for the registries of `entries`: those named in arguments and -f lists are the user's; those found
    /// in compose files, engines, inspect and kubectl output keep the address check, and so do `engine_mirrors`.
    pub(crate) fn client(
        &self,
        entries: &[Entry],
        engine_mirrors: &[String],
        output: Output,
        runtime: &tokio::runtime::Runtime,
    ) -> Result<oci_registry::Client, Failure> {
        let references = |from_source: bool| {
            entries
                .iter()
                .filter(move |entry| entry.source.is_some() == from_source)
                .filter_map(|entry| entry.parsed.as_ref().ok())
                .map(oci_registry::UpdateRequest::reference)
        };
        self.registry.prepare_found(
            references(false),
            references(true),
            engine_mirrors,
            Some(usize::from(self.concurrency)),
            output,
            runtime,
        )
    }

    /// The engines asked for (`--docker`, `--podman`), located as the round reads them, and the timeout of one
    /// request: for a watcher's events streams.
    pub(crate) fn engines(&self) -> Vec<oci_inventory::Located> {
        use oci_inventory::{EngineAddress, EngineKind, Environment};
        [
            (self.sources.docker, EngineKind::Docker),
            (self.sources.podman, EngineKind::Podman),
        ]
        .into_iter()
        .filter(|(asked, _)| *asked)
        .filter_map(|(_, kind)| EngineAddress::locate(kind, self.sources.host.as_deref(), &Environment::capture()).ok())
        .collect()
    }

    /// The check options: the concurrency, and the version search with --newer.
    pub(crate) fn options(&self) -> CheckOptions {
        let mut options = CheckOptions::new().concurrency(usize::from(self.concurrency));
        if let Some(cap) = self.versions.newer {
            options = options.newer(self.versions.policy(cap));
        }
        options
    }
}

/// The usage error for a run that names no images at all.
pub(crate) const NOTHING_TO_CHECK: &str = "no images to check: give IMAGE[@DIGEST] arguments, -f FILE, --docker, --podman, --compose FILE, --inspect FILE or \
     --kubectl-json FILE";

/// Checks every image and prints the answers; the exit code says whether anything needs doing.
pub(crate) fn run(args: &Args, output: Output) -> ExitCode {
    let json = args.json;
    let args = &args.check;
    if let Some(conflict) = args.stdin_conflict() {
        return exit::usage(&conflict);
    }
    let runtime = match crate::runtime() {
        Ok(runtime) => runtime,
        Err(code) => return code,
    };
    let gathered = args.gather(&runtime);
    if args.found_nothing(&gathered) {
        return exit::usage(NOTHING_TO_CHECK);
    }
    let Gathered {
        entries,
        failures: source_failures,
        engine_mirrors,
    } = gathered;
    let client = match args.client(&entries, &engine_mirrors, output, &runtime) {
        Ok(client) => client,
        Err(failure) => return exit::failure(&failure),
    };
    let progress = (!json && !output.quiet && entries.len() > 3 && io::stderr().is_terminal())
        .then(|| indicatif::ProgressBar::new(entries.len() as u64));
    let trust = match args.trust() {
        Ok(trust) => trust,
        Err(message) => return exit::usage(&message),
    };
    let mut printer = Printer::new(json, args.versions.newer.is_some(), !trust.is_empty(), output, progress);
    for failure in &source_failures {
        printer.failure(failure);
    }
    let mut outcomes: Vec<Option<Outcome>> = entries
        .iter()
        .map(|entry| entry.parsed.as_ref().err().map(|failure| Err(failure.clone())))
        .collect();
    for index in 0..entries.len() {
        if outcomes[index].is_some() {
            printer.ready(&entries, &outcomes, index);
        }
    }
    // The library checks each distinct request once, and with --newer chains the version search after it.
    let (requests, positions): (Vec<oci_registry::UpdateRequest>, Vec<usize>) = entries
        .iter()
        .enumerate()
        .filter_map(|(index, entry)| Some((entry.parsed.as_ref().ok()?.clone(), index)))
        .unzip();
    runtime.block_on(client.check_each(&requests, &args.options(), |done, result| {
        let index = positions[done];
        let image = requests[done].reference().familiar();
        if let Ok(check) = &result {
            report::tell_newer(&image, check, &mut printer);
        }
        outcomes[index] = Some(result.map_err(|err| Failure::from_client(&image, &err)));
        printer.ready(&entries, &outcomes, index);
    }));
    let outcomes: Vec<Outcome> = outcomes
        .into_iter()
        .map(|outcome| outcome.unwrap_or_else(|| Err(Failure::new("internal", "the check stopped unexpectedly"))))
        .collect();
    let signed = if trust.is_empty() {
        Vec::new()
    } else {
        runtime.block_on(signatures::judge(&client, &outcomes, &trust, args.require_signed))
    };
    printer.finish(&entries, &outcomes, &signed);
    tracing::info!("summary: {}", crate::cache::summary(&client.pull_stats()));
    exit_code(!source_failures.is_empty(), &outcomes, &signed)
}

/// `update`'s exit code: failures, and proposals `--require-signed` refuses (`signed` is empty without
/// `--verify-key`), win over updates.
pub(crate) fn exit_code(source_failed: bool, outcomes: &[Outcome], signed: &[Option<signatures::Signed>]) -> ExitCode {
    let failed = source_failed
        || outcomes
            .iter()
            .any(|outcome| outcome.as_ref().is_err_and(|failure| !failure.is_local()))
        || signed.iter().flatten().any(signatures::Signed::untrusted);
    let updates = outcomes
        .iter()
        .any(|outcome| outcome.as_ref().is_ok_and(UpdateCheck::needs_action));
    match (failed, updates) {
        (true, _) => ExitCode::from(exit::FAILED),
        (false, true) => ExitCode::from(exit::UPDATES),
        (false, false) => ExitCode::SUCCESS,
    }
}
