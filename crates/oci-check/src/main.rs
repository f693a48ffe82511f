//! `oci-check`: which of the images you run have a newer digest behind their tag?
//!
//! One subcommand per job; each lives in its own module and returns an [`ExitCode`]:
//!
//! - `oci-check update [IMAGE[@DIGEST]...] [-f FILE]`: the main job ([`mod@update`]).
//! - `oci-check digest IMAGE...`, `oci-check manifest IMAGE`, `oci-check tags IMAGE` ([`mod@digest`],
//!   [`mod@manifest`], [`mod@tags`]).
//! - `oci-check ref [REF...]`: how Docker reads image references ([`mod@reference`]).
//!
//! The network subcommands share [`registry::RegistryArgs`]; failures are told to people by [`failure::Failure`],
//! one line each with what to try, through [`mod@messages`] (which also decides the exit code). Logs go through
//! `tracing` to stderr (`-v`, `-q`).
//!
//! Cargo features: `redis` (on by default), the `--cache redis://...` backend shared by a fleet.

use std::io;
use std::process::ExitCode;

use clap::{ArgAction, Parser, Subcommand};

mod cache;
mod completions;
mod digest;
mod failure;
mod manifest;
mod messages;
mod ratelimit;
mod reference;
mod registry;
mod send;
mod serve;
mod tags;
mod update;
mod verify;
mod versions;
mod watch;

/// Command-line tools for OCI and Docker registries.
#[derive(Debug, Parser)]
#[command(name = "oci-check", version, about, propagate_version = true)]
struct Cli {
    #[command(subcommand)]
    command: Command,
    /// Log more on stderr: -v for progress, -vv for every step.
    #[arg(short, long, action = ArgAction::Count, global = true, conflicts_with = "quiet")]
    verbose: u8,
    /// Print nothing on stderr but usage errors (no progress, no error lines); the exit code still tells.
    #[arg(short, long, global = true)]
    quiet: bool,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
enum Command {
    /// Tell, for each image, whether its tag now names a newer image than the digest in use.
    ///
    /// With a digest, the verdict is up_to_date or update_available; when the tag names a multi-arch index, only
    /// the image for --platform counts, so a rebuilt index whose image for your platform is unchanged is up to
    /// date. Without a digest, the status is no_digest and the tag's current digests are shown, to pin them.
    /// Failures are told on stderr, one line each; the other images are still checked.
    ///
    /// With --newer, a tag that did not move but has a newer version (of the same shape, confirmed on the
    /// registry) is newer_available ("newer version" in the table), and counts as an update for the exit code.
    ///
    /// Exit codes: 0 all up to date (or no digest given), 10 at least one update available (or newer version with
    /// --newer), 1 at least one check failed (failures win over updates), 2 usage error.
    ///
    /// Images come from arguments, -f FILE, and what runs here: --docker, --podman (--host, --all), --compose FILE,
    /// --inspect FILE and --kubectl-json FILE (`kubectl get pods,nodes -A -o json`); each container is judged by its
    /// RepoDigests or image ID, and local images are `local`.
    ///
    /// --json prints one object per image in input order (JSON Lines) with the keys image, container, source,
    /// reference, status (up_to_date, update_available, newer_available, no_digest, local, error), current_digest, latest_digest,
    /// platform_digest, media_type, index_changed, platform_changed, verified, matched_digest, note, rate_limit
    /// ({limit, remaining, window, source} or null), pulls (manifest GETs spent), cache_hits, error ({kind, message}
    /// or null), newer and same_as (with --newer), served_by (the mirror that answered, with --mirror),
    /// mirror_drift and upstream_digest (with --mirror-drift), signature, newer.signature and same_signer (with
    /// --verify-key; status untrusted with --require-signed).
    ///
    /// Manifests and configs are cached by digest ($XDG_CACHE_HOME/oci-check; --cache-dir, --no-cache, or Redis
    /// with --cache redis://...), so a second run spends only its HEADs. Manifest GETs count as pulls on Docker Hub:
    /// --max-pulls caps them and --reserve keeps some of what the registry says is left; a check whose GET is
    /// withheld finishes on its HEAD, marked unconfirmed (verified false, with a note). -v ends with a summary.
    #[command(after_help = "Exit codes: 0 all up to date, 10 an update is available, 1 a check failed, 2 usage error.")]
    Update(update::Args),
    /// Print the digest behind each image reference, like `crane digest`.
    ///
    /// Exits with 1 when any image could not be resolved; the others are still printed.
    Digest(digest::Args),
    /// Print an image's manifest, fetched and checked against its digest.
    ///
    /// Exits with 1 when it could not be fetched.
    Manifest(manifest::Args),
    /// List every tag of a repository, following the registry's pages.
    ///
    /// Exits with 1 when the tags could not be listed.
    Tags(tags::Args),
    /// Verify each image's signatures (cosign, Sigstore bundles keyed or keyless, notation) against what you trust,
    /// offline, before trusting an update to it.
    ///
    /// Signatures are found through the referrers API, the referrers tag (`sha256-<hex>`) and cosign's legacy
    /// `sha256-<hex>.sig` tag; a signature on a multi-arch index or on the platform's image counts; attestations are
    /// not signatures. Prints per image its digest and the signature's status: verified (with the signer: a key's
    /// `sha256:` id, a keyless identity, a notation certificate's subject), unsigned, untrusted (signed, but not by
    /// anything trusted) or invalid (a signature that cannot be right: for another digest, a broken signature or
    /// log entry).
    ///
    /// Exits with 0 when every image is verified, 1 otherwise, 2 on a usage error.
    Verify(verify::Args),
    /// Show a repository's version tags by shape, newest first: the tag in use, the newer version `update --newer`
    /// would pick (confirmed on the registry: an image for the platform, not older than the one in use), and why
    /// the other tags were skipped.
    ///
    /// Exits with 1 when the tags could not be listed.
    Versions(versions::Args),
    /// Show the pull rate limit each image's registry announces (limit, remaining, window and what it is counted
    /// against), learned with HEAD requests only: free on Docker Hub.
    ///
    /// Exits with 1 when any image could not be asked about.
    Ratelimit(ratelimit::Args),
    /// Show what the cache holds, prune it to its size, or clear it.
    Cache(cache::Args),
    /// Check again every --interval and tell notification targets, each event once.
    ///
    /// Takes update's sources and options, reads the sources again each round (a new container is checked in the
    /// next round), and keeps per workload what was found and what each target was told in --state, so a restart
    /// tells nothing twice. Events: update (the tag names a new image for the platform), newer (with --newer, a
    /// newer version: major, minor or patch), error (a check starts failing) and recovered. --min-age holds an
    /// update back until its image is that old. One line per round on stderr; SIGINT or SIGTERM stop it (exit 0)
    /// with the state saved. --once runs one round and exits with update's codes.
    #[command(
        after_help = "With --once, exit codes: 0 all up to date, 10 an update is available, 1 a check failed, 2 usage error."
    )]
    Watch(watch::Args),
    /// Send a test message to notification targets (`notify --test URL...`), and say per target what happened.
    ///
    /// Exits with 1 when any target could not be reached.
    Notify(watch::NotifyArgs),
    /// Parse image references exactly as Docker does and show their parts.
    ///
    /// Reads one reference per line from standard input when none are given. Each is read as
    /// Docker reads it (github.com/distribution/reference v0.6.0): `nginx` is
    /// `docker.io/library/nginx`, `localhost:5000/app` names a registry.
    /// Exits with 1 when any reference is invalid; the others are still shown.
    Ref(reference::Args),
    // `completions SHELL` and the hidden `man DIR`, generated from this definition.
    #[command(flatten)]
    Completions(completions::Command),
}

pub(crate) use messages::{Output, exit, line};

/// The runtime the network subcommands run on: one thread, since the work is waiting on registries.
pub(crate) fn runtime() -> Result<tokio::runtime::Runtime, ExitCode> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|err| exit::failure(&failure::Failure::new("runtime", format!("could not start: {err}"))))
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let level = match (cli.quiet, cli.verbose) {
        (true, _) => tracing::Level::ERROR,
        (false, 0) => tracing::Level::WARN,
        (false, 1) => tracing::Level::INFO,
        (false, 2) => tracing::Level::DEBUG,
        (false, _) => tracing::Level::TRACE,
    };
    tracing_subscriber::fmt()
        .with_max_level(level)
        .with_writer(io::stderr)
        .with_target(cli.verbose > 1)
        .without_time()
        .init();
    let output = Output::new(cli.quiet);
    let code = match cli.command {
        Command::Update(args) => update::run(&args, output),
        Command::Digest(args) => digest::run(&args, output),
        Command::Manifest(args) => manifest::run(&args, output),
        Command::Tags(args) => tags::run(&args, output),
        Command::Verify(args) => verify::run(&args, output),
        Command::Versions(args) => versions::run(&args, output),
        Command::Ratelimit(args) => ratelimit::run(&args, output),
        Command::Cache(args) => cache::run(&args, output),
        Command::Ref(args) => reference::run(&args, output),
        Command::Watch(args) => {
            let code = watch::run(&args, output);
            if !args.once() {
                // Stopped by a signal: 0, whatever failures its rounds told (a usage error returned 2 already).
                return code;
            }
            code
        }
        Command::Notify(args) => watch::run_notify(&args, output),
        Command::Completions(command) => completions::run(&command, output),
    };
    messages::exit_code(code)
}
