//! `oci-check`: which of the images you run have a newer digest behind their tag?
//!
//! The command line is being built; see `docs/architecture.md`.

use std::process::ExitCode;

fn main() -> ExitCode {
    #[allow(clippy::print_stderr, reason = "the CLI's one message until its subcommands land")]
    {
        eprintln!("oci-check: no subcommands yet; this command line is being built");
    }
    ExitCode::from(2)
}
