//! `oci-check manifest`: a manifest as the registry serves it, verified against its digest.

use std::io::{self, Write};
use std::process::ExitCode;

use oci_manifest::Platform;

use crate::registry::{RegistryArgs, Session};
use crate::resolve;
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
    let Session {
        reference,
        client,
        runtime,
    } = match args.registry.session(&args.image, output) {
        Ok(session) => session,
        Err(code) => return code,
    };
    let image = reference.familiar();
    let fetched = runtime.block_on(async {
        let location = resolve::location(&reference)?;
        let fetched = resolve::fetch(&client, &image, &location).await?;
        match &args.platform {
            Some(platform) if fetched.parsed.as_index().is_some() => {
                let child = resolve::select(&image, &fetched.parsed, platform)?;
                resolve::fetch(&client, &image, &location.repository().digest(child)).await
            }
            _ => Ok(fetched),
        }
    });
    let fetched = match fetched {
        Ok(fetched) => fetched,
        Err(failure) => {
            output.error(&failure);
            return ExitCode::from(exit::FAILED);
        }
    };
    let bytes = fetched.raw.bytes();
    let text = if args.raw {
        bytes.to_vec()
    } else {
        let mut text = indent(bytes).into_bytes();
        text.push(b'\n');
        text
    };
    let mut stdout = io::stdout().lock();
    let _ = stdout.write_all(&text).and_then(|()| stdout.flush());
    ExitCode::SUCCESS
}

/// Re-indents JSON by two spaces, keeping the keys in their order and every value as written.
pub(crate) fn indent(json: &[u8]) -> String {
    let text = String::from_utf8_lossy(json);
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
    out
}

#[cfg(test)]
mod tests {
    use super::indent;

    fn check(input: &str, expected: &str) {
        assert_eq!(indent(input.as_bytes()), expected, "{input}");
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
