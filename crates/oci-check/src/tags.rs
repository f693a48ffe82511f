//! `oci-check tags`: every tag of a repository, across all the registry's pages.

use std::io::{self, Write};
use std::process::ExitCode;

use oci_registry::Repository;

use crate::failure::Failure;
use crate::registry::RegistryArgs;
use crate::{Output, exit};

/// The arguments of `oci-check tags`.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// The repository, `IMAGE` (a tag or digest in it is ignored).
    #[arg(value_name = "IMAGE")]
    image: String,
    #[command(flatten)]
    registry: RegistryArgs,
}

/// Prints every tag, one per line, in the registry's order.
pub(crate) fn run(args: &Args, output: Output) -> ExitCode {
    args.registry.with_session(&args.image, output, |session| {
        let name = session.reference.familiar_name().to_owned();
        let repository = Repository::from(&session.reference);
        let mut stdout = io::stdout().lock();
        let mut closed = false;
        let listed = session.runtime.block_on(session.client.tags_each(&repository, |page| {
            for tag in page {
                if !closed && writeln!(stdout, "{}", oci_registry::text::escape(&tag, TAG_LIMIT)).is_err() {
                    closed = true;
                }
            }
            let _ = stdout.flush();
        }));
        match listed {
            Ok(()) => ExitCode::SUCCESS,
            Err(err) => {
                output.error(&Failure::from_client(&name, &err));
                ExitCode::from(exit::FAILED)
            }
        }
    })
}

/// The longest tag printed as it is: tags are at most 128 characters, so longer text is a registry's garbage.
const TAG_LIMIT: usize = 256;
