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
    let tags = runtime
        .block_on(client.tags(&repository))
        .map_err(|err| Failure::from_client(&name, &err));
    match tags {
        Ok(tags) => {
            let mut stdout = io::stdout().lock();
            for tag in tags {
                if writeln!(stdout, "{}", oci_client::text::escape(&tag, 256)).is_err() {
                    break;
                }
            }
            let _ = stdout.flush();
            ExitCode::SUCCESS
        }
        Err(failure) => {
            output.error(&failure);
            ExitCode::from(exit::FAILED)
        }
    }
}
