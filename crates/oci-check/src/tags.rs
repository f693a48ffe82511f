//! `oci-check tags`: every tag of a repository, across all the registry's pages.

use std::io::{self, Write};
use std::process::ExitCode;

use oci_client::Repository;

use crate::failure::Failure;
use crate::registry::{RegistryArgs, Session};
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
    let Session {
        reference,
        client,
        runtime,
    } = match args.registry.session(&args.image, output) {
        Ok(session) => session,
        Err(code) => return code,
    };
    let name = reference.familiar_name().to_owned();
    let repository = Repository::from(&reference);
    let mut stdout = io::stdout().lock();
    let mut closed = false;
    let listed = runtime.block_on(client.tags_each(&repository, |page| {
        for tag in page {
            if !closed && writeln!(stdout, "{}", oci_client::text::escape(&tag, TAG_LIMIT)).is_err() {
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
}

/// The longest tag printed as it is: tags are at most 128 characters, so longer text is a registry's garbage.
const TAG_LIMIT: usize = 256;
