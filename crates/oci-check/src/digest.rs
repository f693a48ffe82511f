//! `oci-check digest`: the digest behind each reference, like `crane digest`.

use std::io::{self, Write};
use std::process::ExitCode;

use oci_registry::Platform;

use crate::Output;
use crate::failure::Failure;
use crate::registry::RegistryArgs;

/// The arguments of `oci-check digest`.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// Images, `IMAGE[:TAG][@DIGEST]`.
    #[arg(value_name = "IMAGE", required = true)]
    images: Vec<String>,
    /// Print the digest of the image for this platform when the reference names a multi-arch index.
    #[arg(long, value_name = "OS/ARCH[/VARIANT]")]
    platform: Option<Platform>,
    #[command(flatten)]
    registry: RegistryArgs,
}

/// Prints one digest per image, in order; a failure is told on stderr and the others are still resolved.
pub(crate) fn run(args: &Args, output: Output) -> ExitCode {
    args.registry.with_batch(&args.images, output, |batch| {
        batch.each(output, |runtime, client, _, reference| {
            let resolved = runtime
                .block_on(client.resolve_digest(&reference, args.platform.as_ref()))
                .map_err(|err| Failure::from_client(&reference.familiar(), &err))?;
            tracing::info!(digest = %resolved.digest(), media_type = resolved.media_type(), "resolved");
            let digest = resolved.platform_digest().unwrap_or(resolved.digest());
            Ok(writeln!(io::stdout(), "{digest}").is_ok())
        })
    })
}
