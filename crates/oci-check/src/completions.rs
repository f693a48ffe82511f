//! `oci-check completions SHELL` and the hidden `oci-check man DIR`: shell completion scripts and man pages.
//!
//! Both are generated from [`crate::Cli`], clap's one definition of the command line, so they cannot disagree with
//! `--help`. `cargo xtask dist` runs the release binary with both to fill `target/dist/`; `man` is hidden because
//! its users are packagers, who get its output from there.

use std::io::{self, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::CommandFactory;
use clap_complete::Shell;

use crate::Output;
use crate::failure::Failure;

/// The subcommands of this module, flattened into the CLI's own list.
#[derive(Debug, clap::Subcommand)]
pub(crate) enum Command {
    /// Print a completion script for SHELL on stdout.
    ///
    /// For example: bash, `oci-check completions bash > ~/.local/share/bash-completion/completions/oci-check`;
    /// zsh, `oci-check completions zsh > ~/.zfunc/_oci-check` with ~/.zfunc in $fpath; fish,
    /// `oci-check completions fish > ~/.config/fish/completions/oci-check.fish`.
    Completions(CompletionsArgs),
    /// Write the man pages, oci-check.1 and one per subcommand (oci-check-update.1, ...), into DIR.
    #[command(hide = true)]
    Man(ManArgs),
}

/// The arguments of `oci-check completions`.
#[derive(Debug, clap::Args)]
pub(crate) struct CompletionsArgs {
    /// The shell to complete in.
    #[arg(value_enum)]
    shell: Shell,
}

/// The arguments of `oci-check man`.
#[derive(Debug, clap::Args)]
pub(crate) struct ManArgs {
    /// The directory to write the pages into; created when missing.
    #[arg(value_name = "DIR")]
    dir: PathBuf,
}

/// Runs `completions` or `man`.
pub(crate) fn run(command: &Command, _output: Output) -> ExitCode {
    match command {
        Command::Completions(args) => completions(args.shell),
        Command::Man(args) => man(&args.dir),
    }
}

/// The name the scripts complete: the installed binary's, whatever this one was called as.
const BIN: &str = "oci-check";

fn completions(shell: Shell) -> ExitCode {
    let mut script = Vec::new();
    clap_complete::generate(shell, &mut crate::Cli::command(), BIN, &mut script);
    // A closed stdout (`| head`) is no failure of the script; anything else is told.
    match io::stdout().lock().write_all(&script) {
        Err(err) if err.kind() != io::ErrorKind::BrokenPipe => crate::exit::failure(&Failure::new(
            "output",
            format!("could not write the completion script: {err}"),
        )),
        _ => ExitCode::SUCCESS,
    }
}

fn man(dir: &std::path::Path) -> ExitCode {
    let written = std::fs::create_dir_all(dir).and_then(|()| clap_mangen::generate_to(crate::Cli::command(), dir));
    match written {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => crate::exit::failure(&Failure::new(
            "output",
            format!("could not write the man pages into {}: {err}", dir.display()),
        )),
    }
}
