//! Inputs the fuzz targets found trouble with, in tests/data/fuzzed/, replayed with the target's
//! own checks. A file is named after its target: `platform_select-<what it found>`.

use std::fs;

use oci_manifest::{ImageIndex, Manifest, MatchOptions, Platform};

use crate::data;

#[test]
fn fuzzed_inputs_replay() {
    let mut replayed = 0;
    for entry in fs::read_dir(data("fuzzed")).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let input = fs::read(&path).unwrap();
        match name.split_once('-').map(|(target, _)| target) {
            Some("platform_select") => platform_select(&name, &input),
            _ => panic!("{name}: not named after a fuzz target"),
        }
        replayed += 1;
    }
    assert!(replayed > 0);
}

/// fuzz/fuzz_targets/platform_select.rs: a platform line, then an index.
fn platform_select(name: &str, input: &[u8]) {
    let newline = input.iter().position(|&b| b == b'\n').unwrap_or(input.len());
    let (line, body) = input.split_at(newline);
    let body = body.get(1..).unwrap_or_default();
    let wanted = std::str::from_utf8(line)
        .ok()
        .and_then(|line| line.parse::<Platform>().ok());
    let Ok(manifest) = Manifest::parse(body, None) else {
        return;
    };
    let Some(index) = manifest.as_index() else { return };
    let wanted: Vec<Platform> = wanted.into_iter().chain(index.platforms().take(4).cloned()).collect();
    assert!(!wanted.is_empty(), "{name}: nothing to select for");
    for wanted in &wanted {
        check_selection(name, index, wanted);
    }
}

fn check_selection(name: &str, index: &ImageIndex, wanted: &Platform) {
    for cross in [false, true] {
        let Ok(chosen) = index.select_with(wanted, &MatchOptions::new().cross_architecture(cross)) else {
            continue;
        };
        assert!(
            index.manifests().iter().any(|entry| std::ptr::eq(entry, chosen)),
            "{name}: {wanted}"
        );
        assert!(!chosen.is_attestation(), "{name}: {wanted}");
        if !cross {
            assert!(wanted.runs(chosen.platform().unwrap()), "{name}: {wanted}");
        }
    }
}
