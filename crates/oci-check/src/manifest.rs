//! `oci-check manifest`: a manifest as the registry serves it, verified against its digest.

use std::io::{self, Write};
use std::process::ExitCode;

use oci_registry::Platform;

use crate::failure::Failure;
use crate::registry::RegistryArgs;
use crate::{Output, exit};

/// The arguments of `oci-check manifest`.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// The image, `IMAGE[:TAG][@DIGEST]`.
    #[arg(value_name = "IMAGE")]
    image: String,
    /// Print the exact bytes the registry served (whose digest is the manifest's) instead of indented JSON.
    #[arg(long)]
    raw: bool,
    /// When the image is a multi-arch index, print the manifest of the image for this platform instead.
    #[arg(long, value_name = "OS/ARCH[/VARIANT]")]
    platform: Option<Platform>,
    #[command(flatten)]
    registry: RegistryArgs,
}

/// Fetches the manifest, checks its digest, and prints it.
pub(crate) fn run(args: &Args, output: Output) -> ExitCode {
    args.registry.with_session(&args.image, output, |session| {
        let image = session.reference.familiar();
        let fetched = session
            .runtime
            .block_on(
                session
                    .client
                    .fetch_manifest(&session.reference, args.platform.as_ref()),
            )
            .and_then(|manifest| manifest.parse().map(|_| manifest))
            .map_err(|err| Failure::from_client(&image, &err));
        let manifest = match fetched {
            Ok(manifest) => manifest,
            Err(failure) => {
                output.error(&failure);
                return ExitCode::from(exit::FAILED);
            }
        };
        let bytes = manifest.bytes();
        let text = match indent(bytes) {
            Some(mut text) if !args.raw => {
                text.push('\n');
                text.into_bytes()
            }
            None if !args.raw => {
                tracing::warn!("the manifest is nested too deeply to indent: printing the bytes as served");
                bytes.to_vec()
            }
            _ => bytes.to_vec(),
        };
        let mut stdout = io::stdout().lock();
        let _ = stdout.write_all(&text).and_then(|()| stdout.flush());
        ExitCode::SUCCESS
    })
}

/// Re-indents JSON by two spaces, keeping the keys in their order and every value as written; `None` when the
/// indented text would be more than [`INDENT_GROWTH`] times the input (deep nesting makes indentation quadratic).
pub(crate) fn indent(json: &[u8]) -> Option<String> {
    let text = String::from_utf8_lossy(json);
    let bound = text.len().saturating_mul(INDENT_GROWTH).saturating_add(4096);
    let mut out = String::with_capacity(text.len() * 2);
    let mut depth = 0usize;
    let mut in_string = false;
    let mut escaped = false;
    let mut chars = text.chars().peekable();
    let newline = |out: &mut String, depth: usize| {
        out.push('\n');
        out.extend(std::iter::repeat_n("  ", depth));
    };
    while let Some(c) = chars.next() {
        if out.len() > bound {
            return None;
        }
        if in_string {
            out.push(c);
            match (escaped, c) {
                (true, _) => escaped = false,
                (false, '\\') => escaped = true,
                (false, '"') => in_string = false,
                _ => {}
            }
            continue;
        }
        match c {
            '"' => {
                in_string = true;
                out.push(c);
            }
            '{' | '[' => {
                out.push(c);
                while chars.peek().is_some_and(|c| c.is_ascii_whitespace()) {
                    chars.next();
                }
                if matches!(chars.peek(), Some('}' | ']')) {
                    if let Some(close) = chars.next() {
                        out.push(close);
                    }
                } else {
                    depth += 1;
                    newline(&mut out, depth);
                }
            }
            '}' | ']' => {
                depth = depth.saturating_sub(1);
                newline(&mut out, depth);
                out.push(c);
            }
            ',' => {
                out.push(c);
                newline(&mut out, depth);
            }
            ':' => out.push_str(": "),
            c if c.is_ascii_whitespace() => {}
            c => out.push(c),
        }
    }
    Some(out)
}

/// How much larger than the manifest its indented form may grow.
const INDENT_GROWTH: usize = 8;

#[cfg(test)]
mod tests {
    use super::indent;

    fn check(input: &str, expected: &str) {
        assert_eq!(indent(input.as_bytes()).as_deref(), Some(expected), "{input}");
    }

    #[test]
    fn deep_nesting_is_not_indented() {
        // 4 MiB of `[` would indent to terabytes; the bound stops it early.
        let deep = "[".repeat(4 << 20);
        assert_eq!(indent(deep.as_bytes()), None);
        let shallow = format!("{}{}", "[".repeat(8), "]".repeat(8));
        assert!(indent(shallow.as_bytes()).is_some());
    }

    #[test]
    fn indents_keeping_order_and_values() {
        check("{}", "{}");
        check("[ ]", "[]");
        check(
            r#"{"b":1,"a":[1,2]}"#,
            "{\n  \"b\": 1,\n  \"a\": [\n    1,\n    2\n  ]\n}",
        );
        check(
            r#"{"s":"a, {b}: \"c\" \\"}"#,
            "{\n  \"s\": \"a, {b}: \\\"c\\\" \\\\\"\n}",
        );
        check("{\n\t\"x\" :  1.50e3 }", "{\n  \"x\": 1.50e3\n}");
        check(r#"{"m":{},"l":[]}"#, "{\n  \"m\": {},\n  \"l\": []\n}");
    }
}
