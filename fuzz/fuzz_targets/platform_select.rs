//! A platform specifier line then an index: both parse or give a typed error, and selection
//! either picks one of the index's own entries, never an attestation and always one the wanted
//! platform runs, or says no entry fits. The first few platforms of the index are wanted too,
//! since a host platform can come from an engine or a config, not only from a specifier.
#![no_main]

use libfuzzer_sys::fuzz_target;
use oci_manifest::{ImageIndex, Manifest, MatchOptions, Platform};

fuzz_target!(|data: &[u8]| {
    let (line, body) = match data.iter().position(|&b| b == b'\n') {
        Some(newline) => (&data[..newline], &data[newline + 1..]),
        None => (data, &[][..]),
    };
    let wanted = std::str::from_utf8(line).ok().and_then(|text| match text.parse::<Platform>() {
        Ok(platform) => Some(platform),
        Err(err) => {
            assert!(!err.to_string().is_empty());
            None
        }
    });
    let manifest = match Manifest::parse(body, None) {
        Ok(manifest) => manifest,
        Err(err) => {
            assert!(!err.to_string().is_empty());
            return;
        }
    };
    let Some(index) = manifest.as_index() else { return };
    let from_index = index.platforms().take(4).cloned();
    for wanted in wanted.into_iter().chain(from_index) {
        check(index, &wanted);
    }
});

fn check(index: &ImageIndex, wanted: &Platform) {
    let candidates = || {
        index
            .manifests()
            .iter()
            .filter(|entry| !entry.is_attestation())
            .filter_map(|entry| entry.platform())
    };
    let own = index.select_with(wanted, &MatchOptions::new());
    let cross = index.select_with(wanted, &MatchOptions::new().cross_architecture(true));
    for (result, cross_architecture) in [(&own, false), (&cross, true)] {
        match result {
            Ok(chosen) => {
                assert!(index.manifests().iter().any(|entry| std::ptr::eq(entry, *chosen)));
                assert!(!chosen.is_attestation());
                let platform = chosen.platform().expect("a chosen entry has a platform");
                if cross_architecture {
                    assert_eq!(platform.normalize().os(), wanted.normalize().os());
                } else {
                    assert!(wanted.runs(platform), "{wanted} does not run the chosen {platform}");
                }
            }
            Err(no_match) => {
                assert_eq!(no_match.wanted(), wanted);
                assert!(no_match.available().iter().eq(candidates()));
                if !cross_architecture {
                    assert!(!candidates().any(|platform| wanted.runs(platform)));
                }
            }
        }
    }
    // Crossing architectures only adds candidates, ranked after the wanted architecture's own.
    if let Ok(chosen) = own {
        assert!(std::ptr::eq(cross.expect("what matches without crossing matches with it"), chosen));
    }
}
