//! Cache directory layouts another user or a crash may leave: directories, files, symbolic links (to a directory
//! and a file outside the cache) and FIFOs at the places the cache uses. Whatever the layout, opening the cache
//! and every operation on it (get, put, remove, info, prune, clear) end without a panic or a hang, and nothing
//! outside the cache directory is written, read into an entry or removed.
#![no_main]

use std::fs;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use libfuzzer_sys::fuzz_target;
use oci_registry::cache::{Cache, CacheKey, FsCache};
use oci_digest::Digest;

/// The places of a layout, under the cache directory.
const PLACES: [&str; 12] = [
    "v1",
    "v1/tmp",
    "v1/manifest",
    "v1/manifest/sha256",
    "v1/manifest/sha256/HEX",
    "v1/blob",
    "v1/blob/sha256",
    "v1/blob/sha256/HEX",
    "v1/tags",
    "v1/tags/HEX",
    "v1/tmp/1-2-3.tmp",
    "v1/other",
];

fn unique(prefix: &str) -> PathBuf {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    std::env::temp_dir().join(format!(
        "{prefix}-{}-{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    ))
}

/// What the files outside the cache hold, path by path.
fn snapshot(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut files = Vec::new();
    for entry in fs::read_dir(dir).into_iter().flatten().flatten() {
        if let Ok(bytes) = fs::read(entry.path()) {
            files.push((entry.path(), bytes));
        }
    }
    files.sort();
    files
}

fuzz_target!(|data: &[u8]| {
    let hex = "a".repeat(64);
    let root = unique("oci-fuzz-cache");
    let outside = unique("oci-fuzz-outside");
    fs::create_dir_all(&root).unwrap();
    fs::create_dir_all(&outside).unwrap();
    fs::write(outside.join(&hex), b"outside").unwrap();
    fs::write(outside.join("precious"), b"outside").unwrap();
    for pair in data.chunks(2).take(16) {
        let [what, place] = pair else { continue };
        let path = root.join(PLACES[usize::from(*place) % PLACES.len()].replace("HEX", &hex));
        if let Some(parent) = path.parent() {
            let _ = fs::create_dir_all(parent);
        }
        let _ = match what % 4 {
            0 => fs::create_dir(&path),
            1 => fs::write(&path, b"oci-cache 1 -\n{}"),
            2 => std::os::unix::fs::symlink(&outside, &path),
            _ => std::os::unix::fs::symlink(outside.join(&hex), &path),
        };
    }
    // What is outside once the layout is made (making it may write through its own links).
    let before = snapshot(&outside);
    let runtime = tokio::runtime::Builder::new_current_thread().build().unwrap();
    if let Ok(cache) = FsCache::open(&root, 4096) {
        let digest = Digest::parse(&format!("sha256:{hex}")).unwrap();
        let keys = [CacheKey::Manifest(digest.clone()), CacheKey::Blob(digest)];
        runtime.block_on(async {
            for key in &keys {
                if let Ok(Some(value)) = cache.get(key).await {
                    assert_ne!(value, b"outside", "an entry was read through a link");
                }
                let _ = cache.put(key, &[7; 3000], None).await;
                let _ = cache.remove(key).await;
            }
            let _ = cache.info().await;
            let _ = cache.prune().await;
            let _ = cache.clear().await;
        });
    }
    assert_eq!(snapshot(&outside), before, "a file outside the cache changed");
    let _ = fs::remove_dir_all(&root);
    let _ = fs::remove_dir_all(&outside);
});
