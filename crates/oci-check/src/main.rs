//! `oci-check`: which of the images you run have a newer digest behind their tag?
//!
//! One subcommand per job; each lives in its own module and returns an [`ExitCode`]:
//! 0 when everything was fine, 1 when some input was bad (the others are still handled),
//! 2 for a usage error (from clap) or when the command could not run at all.
//!
//! - `oci-check ref [REF...]`: how Docker reads image references ([`mod@reference`]).

use std::process::ExitCode;

use clap::{Parser, Subcommand};

mod reference;

/// Command-line tools for OCI and Docker registries.
#[derive(Debug, Parser)]
#[command(name = "oci-check", version, about, propagate_version = true)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
enum Command {
    /// Parse image references exactly as Docker does and show their parts.
    ///
    /// Reads one reference per line from standard input when none are given. Each is read as
    /// Docker reads it (github.com/distribution/reference v0.6.0): `nginx` is
    /// `docker.io/library/nginx`, `localhost:5000/app` names a registry.
    /// Exits with 1 when any reference is invalid; the others are still shown.
    Ref(reference::Args),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Ref(args) => reference::run(&args),
    }
}
