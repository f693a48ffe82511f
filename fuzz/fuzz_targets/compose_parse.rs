//! Any text gives compose workloads or a typed error with the file and line, never a panic or a hang: compose files
//! (YAML, anchors, merge keys, `extends`, `!reset`), substitution, `.env` files, and the paths `include` names.
//! Input: the compose file, then optionally `\0` and a `.env` file, then `\0` and an override file.
#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;
use oci_inventory::internal::compose::compose_includes;
use oci_inventory::{ComposeFile, Error, Variables, parse_compose};

fn check(err: &Error) {
    let message = err.to_string();
    assert!(message.len() < 4096, "{message}");
    assert!(!message.chars().any(|c| c.is_control()), "{message:?}");
    assert!(err.file().is_some(), "{message}");
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let mut parts = text.splitn(3, '\0');
    let compose = parts.next().unwrap_or_default();
    let dotenv = parts.next();
    let overrides = parts.next();
    let mut vars = Variables::from_pairs([("TAG", "1.25"), ("EMPTY", ""), ("REGISTRY", "ghcr.io")]);
    if let Some(dotenv) = dotenv {
        match vars.clone().with_dotenv(dotenv, Path::new(".env")) {
            Ok(with) => vars = with,
            Err(err) => check(&err),
        }
    }
    let mut files = vec![ComposeFile { path: Path::new("compose.yaml"), text: compose }];
    if let Some(overrides) = overrides {
        files.push(ComposeFile { path: Path::new("override.yaml"), text: overrides });
    }
    match compose_includes(&files[0], &vars) {
        Ok(includes) => {
            for include in includes {
                assert!(!include.paths.is_empty());
            }
        }
        Err(err) => check(&err),
    }
    match parse_compose(&files, &vars) {
        Ok(workloads) => {
            for workload in workloads {
                let _ = workload.image().to_string();
                let _ = workload.platform().map(ToString::to_string);
            }
        }
        Err(err) => {
            check(&err);
            assert!(err.line().is_some(), "{err}");
        }
    }
});
