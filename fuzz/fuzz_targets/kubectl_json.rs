//! `kubectl get pods,nodes -A -o json` output: a workload list or a typed error, never a panic. Errors are short,
//! hold no control character, and name the file; every workload is `NAMESPACE/OWNER/CONTAINER` with repo digests
//! that carry a digest. The same document written again by serde_json (other whitespace, escapes and key order)
//! reads the same.
#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;
use oci_inventory::{ErrorKind, Source, parse_kubectl};

fuzz_target!(|data: &[u8]| {
    let file = Path::new("pods.json");
    let parsed = parse_kubectl(data, Some(file));
    match &parsed {
        Ok(workloads) => {
            for workload in workloads {
                assert!(workload.name().matches('/').count() >= 2, "{:?}", workload.name());
                assert_eq!(
                    workload.source(),
                    &Source::Kubernetes {
                        file: Some(file.into())
                    }
                );
                assert!(workload.repo_digests().iter().all(|r| r.digest().is_some()));
                assert!(workload.id().is_none());
            }
        }
        Err(err) => {
            let message = err.to_string();
            assert!(message.len() < 4096, "{message}");
            assert!(!message.chars().any(char::is_control), "{message:?}");
            assert_eq!(err.file(), Some(file));
            assert!(
                matches!(err.kind(), ErrorKind::InvalidJson | ErrorKind::InvalidField),
                "{:?}: {message}",
                err.kind()
            );
        }
    }
    // Duplicate keys are refused by the reader and kept (the last) by `Value`: compare only what was accepted.
    if let (Ok(workloads), Ok(value)) = (&parsed, serde_json::from_slice::<serde_json::Value>(data)) {
        let again = serde_json::to_vec(&value).expect("a JSON value serializes");
        let reread = parse_kubectl(&again, Some(file));
        assert_eq!(Some(workloads), reread.as_ref().ok(), "{reread:?}");
    }
});
