//! Compose resolution on files built to reach it: anchors, merge keys (single and lists), aliases nested in
//! sequences, `extends` chains and loops within the file, and an override file with `!reset`. Whatever the bytes
//! build, the answer is workloads or a typed error with the file and line, never a panic, a stack overflow or a
//! hang; and every `extends` of a service that resolves gets an image or a build from its chain.
//! Input: pairs of bytes, each an instruction (see `build`).
#![no_main]

use std::fmt::Write as _;
use std::path::Path;

use libfuzzer_sys::fuzz_target;
use oci_inventory::{ComposeFile, Variables, parse_compose};

/// The compose file and the override the instructions make.
fn build(data: &[u8]) -> (String, String) {
    let mut anchors = 0usize;
    let mut head = String::new();
    let mut services = String::from("services:\n");
    let mut count = 0usize;
    let mut overrides = String::from("services:\n");
    for pair in data.chunks(2) {
        let (op, arg) = (pair[0], usize::from(*pair.get(1).unwrap_or(&0)));
        let pick = |n: usize| if n == 0 { 0 } else { arg % n };
        match op % 8 {
            // An anchored mapping, merging an earlier one.
            0 => {
                let merge = if anchors > 0 { format!(", <<: *a{}", pick(anchors)) } else { String::new() };
                writeln!(head, "x-a{anchors}: &a{anchors} {{image: \"nginx:${{TAG:-{arg}}}\"{merge}}}").unwrap();
                anchors += 1;
            }
            // An anchored mapping merging a list of earlier ones.
            1 if anchors > 1 => {
                let (a, b) = (pick(anchors), (arg / 7) % anchors);
                writeln!(head, "x-a{anchors}: &a{anchors} {{<<: [*a{a}, *a{b}], platform: linux/arm64}}").unwrap();
                anchors += 1;
            }
            // An anchored sequence wrapping an earlier anchor in `arg % 40` levels.
            2 if anchors > 0 => {
                let depth = arg % 40;
                let inner = format!("{}*a{}{}", "[".repeat(depth), pick(anchors), "]".repeat(depth));
                writeln!(head, "x-a{anchors}: &a{anchors} {inner}").unwrap();
                anchors += 1;
            }
            // A service extending another (earlier, later, itself or missing).
            3 => {
                writeln!(services, "  s{count}:\n    extends: s{}", pick(count + 2)).unwrap();
                count += 1;
            }
            // A service merging an anchor.
            4 if anchors > 0 => {
                writeln!(services, "  s{count}:\n    <<: *a{}", pick(anchors)).unwrap();
                count += 1;
            }
            // A service that is an alias of an anchor.
            5 if anchors > 0 => {
                writeln!(services, "  s{count}: *a{}", pick(anchors)).unwrap();
                count += 1;
            }
            // A service with its own image or build, and maybe an extends.
            6 => {
                let key = if arg % 2 == 0 { "image: redis:7" } else { "build: ." };
                let extends = if arg % 3 == 0 { format!("\n    extends: s{}", pick(count + 1)) } else { String::new() };
                writeln!(services, "  s{count}:\n    {key}{extends}").unwrap();
                count += 1;
            }
            // The override resets a service, or its image, or gives it an extends.
            _ => {
                let target = pick(count + 1);
                match arg % 3 {
                    0 => writeln!(overrides, "  s{target}: !reset null").unwrap(),
                    1 => writeln!(overrides, "  s{target}:\n    image: !reset null").unwrap(),
                    _ => writeln!(overrides, "  s{target}:\n    extends: s{}", (arg / 3) % (count + 1)).unwrap(),
                }
            }
        }
    }
    (head + &services, overrides)
}

fuzz_target!(|data: &[u8]| {
    if data.len() > 4096 {
        return;
    }
    let (compose, overrides) = build(data);
    let files = [
        ComposeFile { path: Path::new("compose.yaml"), text: &compose },
        ComposeFile { path: Path::new("override.yaml"), text: &overrides },
    ];
    let vars = Variables::from_pairs([("TAG", "1.25")]);
    match parse_compose(&files, &vars) {
        Ok(workloads) => {
            for workload in workloads {
                let _ = workload.image().to_string();
                let _ = workload.platform().map(ToString::to_string);
            }
        }
        Err(err) => {
            let message = err.to_string();
            assert!(message.len() < 4096, "{message}");
            assert!(!message.chars().any(|c| c.is_control()), "{message:?}");
            assert!(err.file().is_some() && err.line().is_some(), "{message}");
        }
    }
});
