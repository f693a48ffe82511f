//! `cargo xtask image [--push REGISTRY/REPO:TAG] [--insecure]`: the container image of `oci-check`, built without
//! a Docker daemon.
//!
//! One layer, a tar file written here: the release binary at `/usr/local/bin/oci-check`, the shared libraries and
//! the loader that `ldd` says it needs (copied from this machine, at the paths `ldd` names; none for a static
//! binary), the CA bundle for `--ca-cert` users (the client's own roots are webpki-roots, compiled in), `/etc/passwd`
//! and `/etc/group` with the user `oci-check` (65532), and `/state` and `/cache` owned by that user. The tar is
//! reproducible: entries sorted, every mtime the commit's time, owners root but for the user's two directories.
//!
//! Around it: the image config (user, entrypoint, environment, `org.opencontainers.image.*` labels), an image
//! manifest and an image index for linux/amd64, written as an OCI image layout in `target/dist/image/` (`index.json`
//! names the index as `oci-check:TAG`) and, with `--push`, uploaded with the workspace's own registry client.
//!
//! Compiled only with xtask's `image` feature: this module is the one that needs the registry client, tokio and
//! serde_json, and `cargo xtask image` turns the feature on itself, so every other command stays quick to build.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use bytes::Bytes;
use oci_registry::{Client, Digest, ManifestLocation, Reference, RegistryOptions, Scheme};
use serde_json::{Value, json};

use crate::{Result, dist, output, read, root};

/// The image's non-root user and group: distroless's `nonroot` number, under the tool's name.
pub(crate) const UID: u32 = 65532;
/// The user's name in `/etc/passwd` and `/etc/group`.
const USER: &str = "oci-check";
/// Where the binary goes, the image's entrypoint.
pub(crate) const BINARY_PATH: &str = "usr/local/bin/oci-check";
/// The CA bundle of the build machine, copied to the same path in the image.
const CA_BUNDLE: &str = "/etc/ssl/certs/ca-certificates.crt";

/// Media types of what is written and pushed.
pub(crate) const LAYER_TAR: &str = "application/vnd.oci.image.layer.v1.tar";
pub(crate) const CONFIG: &str = "application/vnd.oci.image.config.v1+json";
pub(crate) const MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
pub(crate) const INDEX: &str = "application/vnd.oci.image.index.v1+json";

/// What the image is made of, besides the fixed files.
pub(crate) struct Spec {
    /// The executable, at [`BINARY_PATH`].
    pub(crate) binary: Vec<u8>,
    /// Files copied in as they are, executable (shared libraries, the loader): path in the image (absolute), bytes.
    pub(crate) libraries: Vec<(String, Vec<u8>)>,
    /// The CA bundle's bytes, when there is one.
    pub(crate) ca_bundle: Option<Vec<u8>>,
    /// The label values.
    pub(crate) labels: Labels,
}

/// The values of the `org.opencontainers.image.*` labels that change from build to build, and the time.
pub(crate) struct Labels {
    /// The binary's version (`oci-check --version`).
    pub(crate) version: String,
    /// The repository's URL.
    pub(crate) source: String,
    /// The SPDX expression of the license.
    pub(crate) licenses: String,
    /// The commit the binary was built from.
    pub(crate) revision: String,
    /// The commit's time, in seconds since the epoch: every mtime in the layer.
    pub(crate) epoch: u64,
    /// The same time in RFC 3339 (UTC): the config's `created` and the label.
    pub(crate) created: String,
}

/// One blob: its bytes and their digest.
#[derive(Clone)]
pub(crate) struct Blob {
    pub(crate) digest: Digest,
    pub(crate) bytes: Bytes,
}

impl Blob {
    fn new(bytes: Vec<u8>) -> Self {
        Self {
            digest: Digest::sha256(&bytes),
            bytes: Bytes::from(bytes),
        }
    }

    fn descriptor(&self, media_type: &str) -> Value {
        json!({ "mediaType": media_type, "digest": self.digest.as_str(), "size": self.bytes.len() })
    }
}

/// The image's four blobs, the index naming the manifest for linux/amd64.
pub(crate) struct Image {
    pub(crate) layer: Blob,
    pub(crate) config: Blob,
    pub(crate) manifest: Blob,
    pub(crate) index: Blob,
}

/// `--push` and `--insecure`.
#[derive(Debug, Default, PartialEq, Eq)]
struct Options {
    push: Option<String>,
    insecure: bool,
}

pub(crate) fn command(args: &[String]) -> Result {
    let options = parse_args(args)?;
    // Checked before a build of minutes.
    let target = options.push.as_deref().map(push_target).transpose()?;
    let root = root();
    let binary_path = dist::release_binary(&root)?;
    let spec = spec_of(&root, &binary_path)?;
    let image = Image::build(&spec)?;
    let tag = match &target {
        Some(reference) => reference.tag().unwrap_or("latest").to_owned(),
        None => "latest".to_owned(),
    };
    let dir = dist::target_dir(&root).join("dist").join("image");
    image.write_layout(&dir, &tag)?;
    let libs: Vec<&str> = spec.libraries.iter().map(|(path, _)| path.as_str()).collect();
    eprintln!(
        "xtask: wrote the image {} to {} (OCI layout, tag {tag}): binary {} bytes, layer {} bytes, {}",
        image.index.digest,
        dir.display(),
        spec.binary.len(),
        image.layer.bytes.len(),
        if libs.is_empty() {
            "static binary, no shared library".to_owned()
        } else {
            format!("with {}", libs.join(", "))
        }
    );
    if let Some(target) = target {
        let client = client(&target, options.insecure)?;
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
        let digest = runtime.block_on(image.push(&client, &target))?;
        eprintln!("xtask: pushed {target} ({digest})");
        println!("{target}@{digest}");
    }
    Ok(())
}

/// What the image of the binary at `binary_path` holds: the binary, the shared libraries `ldd` says it needs, this
/// machine's CA bundle and the labels.
fn spec_of(root: &Path, binary_path: &Path) -> Result<Spec> {
    let binary = fs::read(binary_path).map_err(|err| format!("reading {}: {err}", binary_path.display()))?;
    let libraries = shared_libraries(binary_path)?
        .into_iter()
        .map(|path| {
            let bytes = fs::read(&path).map_err(|err| format!("reading {}: {err}", path.display()))?;
            Ok((path.display().to_string(), bytes))
        })
        .collect::<Result<Vec<_>>>()?;
    let ca_bundle = match fs::read(CA_BUNDLE) {
        Ok(bytes) => Some(bytes),
        Err(err) => {
            eprintln!("xtask: warning: no CA bundle in the image ({CA_BUNDLE}: {err}); install ca-certificates");
            None
        }
    };
    Ok(Spec {
        labels: labels(root, binary_path)?,
        binary,
        libraries,
        ca_bundle,
    })
}

fn parse_args(args: &[String]) -> Result<Options> {
    let mut options = Options::default();
    let mut args = args.iter();
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--push" => {
                let target = args.next().ok_or("--push needs REGISTRY/REPO:TAG")?;
                options.push = Some(target.clone());
            }
            "--insecure" => options.insecure = true,
            other => {
                return Err(format!(
                    "`cargo xtask image` takes [--push REGISTRY/REPO:TAG] [--insecure], not `{other}`"
                )
                .into());
            }
        }
    }
    if options.insecure && options.push.is_none() {
        return Err("--insecure is for --push: it lets the push use plain HTTP".into());
    }
    Ok(options)
}

/// The reference to push to: a registry, a repository and a tag, no digest (the registry computes that).
pub(crate) fn push_target(text: &str) -> Result<Reference> {
    let reference: Reference = text
        .parse()
        .map_err(|err| format!("--push {text}: not an image reference ({err})"))?;
    if reference.digest().is_some() || reference.tag().is_none() {
        return Err(format!("--push {text}: name a tag (REGISTRY/REPO:TAG), without a digest").into());
    }
    Ok(reference)
}

/// A client for pushing to `target`'s registry, with the user's credentials (docker or podman config, helpers).
fn client(target: &Reference, insecure: bool) -> Result<Client> {
    let env = oci_auth::Environment::capture();
    let (store, errors) = oci_auth::CredentialStore::from_environment_lenient(&env);
    for err in errors {
        eprintln!("xtask: warning: {err}");
    }
    let mut builder = Client::builder().credential_store(store);
    if insecure {
        let location = ManifestLocation::from(target);
        builder = builder.registry(
            location.repository().registry(),
            RegistryOptions::new().scheme(Scheme::Http).insecure(),
        );
    }
    Ok(builder.build()?)
}

impl Image {
    /// The blobs for `spec`.
    pub(crate) fn build(spec: &Spec) -> Result<Self> {
        let layer = Blob::new(layer(spec)?);
        let labels = &spec.labels;
        let label_map = json!({
            "org.opencontainers.image.title": "oci-check",
            "org.opencontainers.image.description": "Tells which of the container images you run have a newer digest behind their tag",
            "org.opencontainers.image.version": labels.version,
            "org.opencontainers.image.source": labels.source,
            "org.opencontainers.image.licenses": labels.licenses,
            "org.opencontainers.image.created": labels.created,
            "org.opencontainers.image.revision": labels.revision,
        });
        let config = json!({
            "created": labels.created,
            "architecture": "amd64",
            "os": "linux",
            "config": {
                "User": format!("{UID}:{UID}"),
                "Entrypoint": [format!("/{BINARY_PATH}")],
                "Cmd": ["--help"],
                "Env": [
                    "PATH=/usr/local/bin:/usr/bin:/bin",
                    "XDG_CACHE_HOME=/cache",
                    "XDG_STATE_HOME=/state",
                ],
                "WorkingDir": "/state",
                "Labels": label_map,
            },
            // The layer is uncompressed: its diff ID is its digest.
            "rootfs": { "type": "layers", "diff_ids": [layer.digest.as_str()] },
            "history": [{ "created": labels.created, "created_by": "cargo xtask image" }],
        });
        let config = Blob::new(serde_json::to_vec(&config)?);
        let manifest = json!({
            "schemaVersion": 2,
            "mediaType": MANIFEST,
            "config": config.descriptor(CONFIG),
            "layers": [layer.descriptor(LAYER_TAR)],
            "annotations": label_map,
        });
        let manifest = Blob::new(serde_json::to_vec(&manifest)?);
        let mut platform = manifest.descriptor(MANIFEST);
        platform["platform"] = json!({ "architecture": "amd64", "os": "linux" });
        let index = json!({
            "schemaVersion": 2,
            "mediaType": INDEX,
            "manifests": [platform],
            "annotations": label_map,
        });
        let index = Blob::new(serde_json::to_vec(&index)?);
        Ok(Self {
            layer,
            config,
            manifest,
            index,
        })
    }

    /// Writes an OCI image layout into `dir` (emptied first) whose `index.json` names the index as `tag`.
    pub(crate) fn write_layout(&self, dir: &Path, tag: &str) -> Result {
        if dir.exists() {
            fs::remove_dir_all(dir).map_err(|err| format!("emptying {}: {err}", dir.display()))?;
        }
        let blobs = dir.join("blobs").join("sha256");
        fs::create_dir_all(&blobs)?;
        for blob in [&self.layer, &self.config, &self.manifest, &self.index] {
            fs::write(blobs.join(blob.digest.encoded()), &blob.bytes)?;
        }
        fs::write(dir.join("oci-layout"), br#"{"imageLayoutVersion":"1.0.0"}"#)?;
        let mut entry = self.index.descriptor(INDEX);
        entry["annotations"] = json!({ "org.opencontainers.image.ref.name": tag });
        let top = json!({ "schemaVersion": 2, "mediaType": INDEX, "manifests": [entry] });
        fs::write(dir.join("index.json"), serde_json::to_vec(&top)?)?;
        Ok(())
    }

    /// Uploads the blobs, the manifest by digest, then the index at `target`'s tag; returns the index's digest.
    pub(crate) async fn push(&self, client: &Client, target: &Reference) -> Result<Digest> {
        let location = ManifestLocation::from(target);
        let repository = location.repository();
        for blob in [&self.layer, &self.config] {
            let pushed = client.push_blob(repository, blob.bytes.clone()).await?;
            if pushed != blob.digest {
                return Err(format!("the registry stored {pushed} for the blob {}", blob.digest).into());
            }
        }
        let manifest = repository.digest(self.manifest.digest.clone());
        client
            .push_manifest(&manifest, MANIFEST, self.manifest.bytes.clone())
            .await?;
        let pushed = client.push_manifest(&location, INDEX, self.index.bytes.clone()).await?;
        if pushed != self.index.digest {
            return Err(format!("the registry stored {pushed} for the index {}", self.index.digest).into());
        }
        Ok(pushed)
    }
}

/// The absolute paths of the shared libraries and the loader `binary` needs, as `ldd` finds them here; none when it
/// is static.
fn shared_libraries(binary: &Path) -> Result<Vec<PathBuf>> {
    let mut ldd = Command::new("ldd");
    ldd.arg(binary).env("LC_ALL", "C");
    let shown = format!("ldd {}", binary.display());
    let out = ldd.output().map_err(|err| format!("could not run `{shown}`: {err}"))?;
    let text = String::from_utf8(out.stdout)?;
    // ldd exits 1 for a static binary, saying so.
    if text.contains("not a dynamic executable") || text.contains("statically linked") {
        return Ok(Vec::new());
    }
    if !out.status.success() {
        return Err(format!("`{shown}` failed: {}", String::from_utf8_lossy(&out.stderr)).into());
    }
    parse_ldd(&text)
}

/// The paths in `ldd` output: `name => /path (0x...)` and `/lib64/ld-linux-x86-64.so.2 (0x...)`; the vDSO, which
/// the kernel provides, has no path and is skipped. A library `ldd` could not find is an error.
fn parse_ldd(text: &str) -> Result<Vec<PathBuf>> {
    let mut paths = Vec::new();
    for line in text.lines().map(str::trim).filter(|line| !line.is_empty()) {
        let path = match line.split_once(" => ") {
            Some((name, rest)) => {
                let path = rest.split(" (").next().unwrap_or(rest).trim();
                if path == "not found" || path.is_empty() {
                    return Err(format!("ldd found no {name} on this machine").into());
                }
                path
            }
            None => line.split(" (").next().unwrap_or(line).trim(),
        };
        if path.starts_with('/') {
            paths.push(PathBuf::from(path));
        } else if !path.starts_with("linux-vdso") && !path.starts_with("linux-gate") {
            return Err(format!("unexpected ldd line `{line}`").into());
        }
    }
    Ok(paths)
}

/// The labels from the repository: the binary's version, the workspace's repository URL and license, the commit.
fn labels(root: &Path, binary: &Path) -> Result<Labels> {
    let version_line = output(Command::new(binary).arg("--version"))?;
    let version = version_line
        .trim()
        .strip_prefix("oci-check ")
        .ok_or_else(|| format!("`oci-check --version` said `{}`", version_line.trim()))?
        .to_owned();
    let manifest = read(&root.join("Cargo.toml"))?;
    let field = |name: &str| {
        workspace_package_field(&manifest, name)
            .map(str::to_owned)
            .ok_or_else(|| format!("no `{name}` in [workspace.package] of Cargo.toml"))
    };
    let git = |args: &[&str]| output(Command::new("git").current_dir(root).env("TZ", "UTC").args(args));
    let revision = git(&["rev-parse", "HEAD"])?.trim().to_owned();
    if !git(&["status", "--porcelain", "--untracked-files=no"])?
        .trim()
        .is_empty()
    {
        eprintln!("xtask: warning: the work tree has changes; the revision label names HEAD ({revision}) all the same");
    }
    let epoch = git(&["log", "-1", "--format=%ct"])?.trim().parse()?;
    let created = git(&["log", "-1", "--date=format-local:%Y-%m-%dT%H:%M:%SZ", "--format=%cd"])?
        .trim()
        .to_owned();
    Ok(Labels {
        version,
        source: field("repository")?,
        licenses: field("license")?,
        revision,
        epoch,
        created,
    })
}

/// A `name = "value"` line of `[workspace.package]`.
fn workspace_package_field<'a>(manifest: &'a str, name: &str) -> Option<&'a str> {
    let section = manifest.split("[workspace.package]").nth(1)?;
    let section = section.split("\n[").next()?;
    section.lines().find_map(|line| {
        let value = line.trim().strip_prefix(name)?.trim_start().strip_prefix('=')?;
        Some(value.trim().trim_matches('"'))
    })
}

/// One entry of the layer.
struct Entry {
    /// Mode bits, including setuid/sticky.
    mode: u32,
    /// Owner and group.
    owner: u32,
    /// A file's bytes; `None` for a directory.
    data: Option<Vec<u8>>,
}

/// The layer's tar: every file of `spec`, the directories they need, and the user's.
fn layer(spec: &Spec) -> Result<Vec<u8>> {
    let mut entries: BTreeMap<String, Entry> = BTreeMap::new();
    let mut file = |path: &str, mode: u32, data: Vec<u8>| {
        let path = path.trim_start_matches('/').to_owned();
        entries.insert(
            path,
            Entry {
                mode,
                owner: 0,
                data: Some(data),
            },
        );
    };
    file(BINARY_PATH, 0o755, spec.binary.clone());
    for (path, bytes) in &spec.libraries {
        file(path, 0o755, bytes.clone());
    }
    if let Some(bundle) = &spec.ca_bundle {
        file(CA_BUNDLE, 0o644, bundle.clone());
    }
    file(
        "etc/passwd",
        0o644,
        format!("root:x:0:0:root:/root:/sbin/nologin\n{USER}:x:{UID}:{UID}:{USER}:/state:/sbin/nologin\n").into_bytes(),
    );
    file("etc/group", 0o644, format!("root:x:0:\n{USER}:x:{UID}:\n").into_bytes());
    // glibc's NSS reads it for user and host lookups; files and dns are built into libc since 2.34.
    file(
        "etc/nsswitch.conf",
        0o644,
        b"passwd: files\ngroup: files\nhosts: files dns\n".to_vec(),
    );
    let dir = |owner: u32, mode: u32| Entry {
        mode,
        owner,
        data: None,
    };
    entries.insert("state".to_owned(), dir(UID, 0o755));
    entries.insert("cache".to_owned(), dir(UID, 0o755));
    entries.insert("tmp".to_owned(), dir(0, 0o1777));
    let parents: Vec<String> = entries
        .keys()
        .flat_map(|path| {
            path.match_indices('/')
                .map(|(at, _)| path[..at].to_owned())
                .collect::<Vec<_>>()
        })
        .collect();
    for parent in parents {
        entries.entry(parent).or_insert_with(|| dir(0, 0o755));
    }
    let mut tar = Vec::new();
    // Sorted by path, so a directory comes before what it holds.
    for (path, entry) in &entries {
        let (name, size, kind) = match &entry.data {
            Some(data) => (path.clone(), data.len() as u64, b'0'),
            None => (format!("{path}/"), 0, b'5'),
        };
        tar.extend_from_slice(&tar_header(
            &name,
            size,
            entry.mode,
            entry.owner,
            spec.labels.epoch,
            kind,
        )?);
        if let Some(data) = &entry.data {
            tar.extend_from_slice(data);
            tar.resize(tar.len().next_multiple_of(512), 0);
        }
    }
    // The end of the archive: two zero blocks.
    tar.resize(tar.len() + 1024, 0);
    Ok(tar)
}

/// A ustar header; a path too long for the name field is split into prefix and name at a `/`.
fn tar_header(path: &str, size: u64, mode: u32, owner: u32, mtime: u64, kind: u8) -> Result<[u8; 512]> {
    let mut header = [0u8; 512];
    let (prefix, name) = if path.len() <= 100 {
        ("", path)
    } else {
        let split = path
            .char_indices()
            .filter(|&(at, c)| c == '/' && at <= 155 && path.len() - at - 1 <= 100 && at + 1 < path.len())
            .map(|(at, _)| at)
            .next()
            .ok_or_else(|| format!("the path {path} is too long for a ustar header"))?;
        (&path[..split], &path[split + 1..])
    };
    let octal = |field: &mut [u8], value: u64| -> Result {
        let digits = format!("{value:0width$o}", width = field.len() - 1);
        if digits.len() >= field.len() {
            return Err(format!("{value} does not fit a tar header field").into());
        }
        field[..digits.len()].copy_from_slice(digits.as_bytes());
        Ok(())
    };
    header[..name.len()].copy_from_slice(name.as_bytes());
    octal(&mut header[100..108], u64::from(mode))?;
    octal(&mut header[108..116], u64::from(owner))?;
    octal(&mut header[116..124], u64::from(owner))?;
    octal(&mut header[124..136], size)?;
    octal(&mut header[136..148], mtime)?;
    header[156] = kind;
    header[257..263].copy_from_slice(b"ustar\0");
    header[263..265].copy_from_slice(b"00");
    let owner_name: &[u8] = if owner == 0 { b"root" } else { USER.as_bytes() };
    header[265..265 + owner_name.len()].copy_from_slice(owner_name);
    header[297..297 + owner_name.len()].copy_from_slice(owner_name);
    header[345..345 + prefix.len()].copy_from_slice(prefix.as_bytes());
    // The checksum is computed with its own field as spaces, then written as six digits, NUL, space.
    header[148..156].fill(b' ');
    let sum: u32 = header.iter().map(|&byte| u32::from(byte)).sum();
    header[148..154].copy_from_slice(format!("{sum:06o}").as_bytes());
    header[154] = 0;
    Ok(header)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ldd_output_gives_every_library_and_the_loader() {
        let text = "\tlinux-vdso.so.1 (0x00007ffd)\n\
                    \tlibgcc_s.so.1 => /lib/x86_64-linux-gnu/libgcc_s.so.1 (0x00007f6e)\n\
                    \tlibc.so.6 => /lib/x86_64-linux-gnu/libc.so.6 (0x00007f6e)\n\
                    \t/lib64/ld-linux-x86-64.so.2 (0x00007f6e)\n";
        let paths = parse_ldd(text).unwrap();
        assert_eq!(
            paths,
            [
                "/lib/x86_64-linux-gnu/libgcc_s.so.1",
                "/lib/x86_64-linux-gnu/libc.so.6",
                "/lib64/ld-linux-x86-64.so.2"
            ]
            .map(PathBuf::from)
        );
        let missing = parse_ldd("\tlibfoo.so.1 => not found\n").unwrap_err().to_string();
        assert!(missing.contains("libfoo.so.1"), "{missing}");
    }

    #[test]
    fn push_targets_need_a_tag_and_no_digest() {
        assert!(push_target("localhost:5000/oci-check:0.1.0").is_ok());
        for bad in [
            "localhost:5000/oci-check",
            "localhost:5000/oci-check@sha256:0000000000000000000000000000000000000000000000000000000000000000",
            "Not A Reference",
        ] {
            assert!(push_target(bad).is_err(), "{bad}");
        }
        assert!(parse_args(&["--insecure".to_owned()]).is_err());
        assert!(parse_args(&["--push".to_owned()]).is_err());
        assert!(parse_args(&["--pull".to_owned()]).is_err());
    }

    #[test]
    fn the_workspace_package_fields_are_read() {
        let manifest = "[workspace]\nmembers = []\n\n[workspace.package]\nversion = \"0.1.0\"\nlicense = \"MIT OR Apache-2.0\"\nrepository = \"https://example.com/oci\"\n\n[workspace.dependencies]\nlicense = \"no\"\n";
        assert_eq!(workspace_package_field(manifest, "license"), Some("MIT OR Apache-2.0"));
        assert_eq!(
            workspace_package_field(manifest, "repository"),
            Some("https://example.com/oci")
        );
        assert_eq!(workspace_package_field(manifest, "homepage"), None);
    }

    /// The path, mode, owner and bytes of each entry of a ustar archive.
    fn tar_entries(tar: &[u8]) -> Vec<(String, u32, u32, Vec<u8>)> {
        let field = |bytes: &[u8]| {
            let end = bytes.iter().position(|&b| b == 0).unwrap_or(bytes.len());
            String::from_utf8(bytes[..end].to_vec()).unwrap()
        };
        let number = |bytes: &[u8]| u64::from_str_radix(field(bytes).trim(), 8).unwrap();
        let mut entries = Vec::new();
        let mut at = 0;
        while tar[at..at + 512].iter().any(|&b| b != 0) {
            let header = &tar[at..at + 512];
            let prefix = field(&header[345..500]);
            let name = field(&header[..100]);
            let path = if prefix.is_empty() {
                name
            } else {
                format!("{prefix}/{name}")
            };
            let size = usize::try_from(number(&header[124..136])).unwrap();
            let mode = u32::try_from(number(&header[100..108])).unwrap();
            let uid = u32::try_from(number(&header[108..116])).unwrap();
            at += 512;
            entries.push((path, mode, uid, tar[at..at + size].to_vec()));
            at += size.next_multiple_of(512);
        }
        entries
    }

    fn stand_in() -> Spec {
        // A small real executable, with the libraries ldd finds for it, as the release binary has.
        let libraries = shared_libraries(Path::new("/bin/true"))
            .unwrap()
            .into_iter()
            .map(|path| (path.display().to_string(), fs::read(&path).unwrap()))
            .collect();
        Spec {
            binary: fs::read("/bin/true").unwrap(),
            libraries,
            ca_bundle: Some(b"-----BEGIN CERTIFICATE-----\n".to_vec()),
            labels: Labels {
                version: "0.1.0-test".to_owned(),
                source: "https://example.com/oci".to_owned(),
                licenses: "MIT OR Apache-2.0".to_owned(),
                revision: "0123456789abcdef0123456789abcdef01234567".to_owned(),
                epoch: 1_700_000_000,
                created: "2023-11-14T22:13:20Z".to_owned(),
            },
        }
    }

    /// The image pushed to a real registry and read back with the registry client: a non-root user, the
    /// entrypoint, the labels, and a layer holding the binary at /usr/local/bin/oci-check, mode 0755.
    #[test]
    fn the_image_pushed_to_a_registry_reads_back_as_built() {
        let spec = stand_in();
        let image = Image::build(&spec).unwrap();
        // Reproducible: the same inputs give the same digests.
        assert_eq!(Image::build(&spec).unwrap().index.digest, image.index.digest);

        let dir = oci_testkit::TempDir::new("xtask-image-layout");
        let layout = dir.path().join("image");
        image.write_layout(&layout, "test").unwrap();
        assert_eq!(
            fs::read_to_string(layout.join("oci-layout")).unwrap(),
            r#"{"imageLayoutVersion":"1.0.0"}"#
        );
        let top: Value = serde_json::from_slice(&fs::read(layout.join("index.json")).unwrap()).unwrap();
        assert_eq!(top["manifests"][0]["digest"], image.index.digest.as_str());
        assert_eq!(
            top["manifests"][0]["annotations"]["org.opencontainers.image.ref.name"],
            "test"
        );
        for blob in [&image.layer, &image.config, &image.manifest, &image.index] {
            let stored = fs::read(layout.join("blobs/sha256").join(blob.digest.encoded())).unwrap();
            assert_eq!(Digest::sha256(&stored), blob.digest);
        }

        let registry = oci_testkit::Registry::open();
        let client = registry.client();
        let target = push_target(&format!("{}/tools/oci-check:0.1.0", registry.host())).unwrap();
        let (index, manifest, config, layer) = oci_testkit::block_on(async {
            let pushed = image.push(&client, &target).await.unwrap();
            let location = ManifestLocation::from(&target);
            let index = client.manifest(&location).await.unwrap();
            assert_eq!(index.digest(), &pushed);
            assert_eq!(index.media_type(), Some(INDEX));
            let index: Value = serde_json::from_slice(index.bytes()).unwrap();
            let entry = &index["manifests"][0];
            assert_eq!(entry["platform"], json!({ "architecture": "amd64", "os": "linux" }));
            let digest = Digest::parse(entry["digest"].as_str().unwrap()).unwrap();
            let repository = location.repository();
            let manifest = client.manifest(&repository.digest(digest)).await.unwrap();
            assert_eq!(manifest.media_type(), Some(MANIFEST));
            let manifest: Value = serde_json::from_slice(manifest.bytes()).unwrap();
            let blob = |descriptor: &Value| {
                let digest = Digest::parse(descriptor["digest"].as_str().unwrap()).unwrap();
                let client = client.clone();
                let repository = repository.clone();
                async move {
                    client
                        .blob(&repository, &digest)
                        .await
                        .unwrap()
                        .bytes(1 << 30)
                        .await
                        .unwrap()
                }
            };
            let config = blob(&manifest["config"]).await;
            assert_eq!(manifest["layers"].as_array().unwrap().len(), 1);
            assert_eq!(manifest["layers"][0]["mediaType"], LAYER_TAR);
            let layer = blob(&manifest["layers"][0]).await;
            (index, manifest, config, layer)
        });
        assert_eq!(index["mediaType"], INDEX);
        assert_eq!(manifest["config"]["mediaType"], CONFIG);

        let config: Value = serde_json::from_slice(&config).unwrap();
        assert_eq!(
            (config["os"].as_str(), config["architecture"].as_str()),
            (Some("linux"), Some("amd64"))
        );
        let run = &config["config"];
        let user = run["User"].as_str().unwrap();
        let (uid, gid) = user.split_once(':').unwrap();
        assert!(
            uid.parse::<u32>().unwrap() != 0 && gid.parse::<u32>().unwrap() != 0,
            "{user}"
        );
        assert_eq!(user, "65532:65532");
        assert_eq!(run["Entrypoint"], json!(["/usr/local/bin/oci-check"]));
        assert_eq!(run["Cmd"], json!(["--help"]));
        let env: Vec<&str> = run["Env"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap())
            .collect();
        assert!(
            env.contains(&"XDG_CACHE_HOME=/cache") && env.contains(&"XDG_STATE_HOME=/state"),
            "{env:?}"
        );
        let labels = &run["Labels"];
        for (key, value) in [
            ("title", "oci-check"),
            ("version", "0.1.0-test"),
            ("source", "https://example.com/oci"),
            ("licenses", "MIT OR Apache-2.0"),
            ("created", "2023-11-14T22:13:20Z"),
            ("revision", "0123456789abcdef0123456789abcdef01234567"),
        ] {
            assert_eq!(labels[format!("org.opencontainers.image.{key}")], value, "{key}");
        }
        assert_eq!(config["rootfs"]["diff_ids"], json!([image.layer.digest.as_str()]));

        let entries = tar_entries(&layer);
        let find = |path: &str| {
            entries
                .iter()
                .find(|entry| entry.0 == path)
                .unwrap_or_else(|| panic!("no {path}"))
        };
        let binary = find("usr/local/bin/oci-check");
        assert_eq!((binary.1, binary.2), (0o755, 0));
        assert_eq!(binary.3, spec.binary);
        for (path, _) in &spec.libraries {
            let library = find(path.trim_start_matches('/'));
            assert_eq!(library.1, 0o755, "{path}");
        }
        let state = find("state/");
        assert_eq!((state.1, state.2), (0o755, UID));
        let passwd = String::from_utf8(find("etc/passwd").3.clone()).unwrap();
        assert!(passwd.contains("oci-check:x:65532:65532:"), "{passwd}");
        let paths: Vec<&str> = entries.iter().map(|entry| entry.0.as_str()).collect();
        let mut sorted = paths.clone();
        sorted.sort_unstable();
        assert_eq!(paths, sorted);

        // GNU tar reads it the same way: the format is tar's, not just this test's reader's.
        let file = dir.path().join("layer.tar");
        fs::write(&file, &layer).unwrap();
        let listing = output(Command::new("tar").arg("--numeric-owner").arg("-tvf").arg(&file)).unwrap();
        let line = |path: &str| {
            listing
                .lines()
                .find(|line| line.ends_with(path))
                .unwrap_or_else(|| panic!("{listing}"))
        };
        assert!(
            line(" usr/local/bin/oci-check").starts_with("-rwxr-xr-x 0/0 "),
            "{listing}"
        );
        assert!(line(" state/").starts_with("drwxr-xr-x 65532/65532 "), "{listing}");
        assert!(line(" tmp/").starts_with("drwxrwxrwt 0/0 "), "{listing}");
    }

    /// The image of the real oci-check (the debug build beside this test, which `cargo test --workspace
    /// --all-targets` builds), pushed to the loopback registry and run by the real Docker Engine with the engine's
    /// socket mounted read-only: `update --docker` reports the engine's containers with their verdicts, and the
    /// engine sees the image's non-root user.
    #[test]
    fn the_image_runs_update_docker_in_the_real_docker_engine() {
        let exe = std::env::current_exe().unwrap();
        let debug = exe.parent().and_then(Path::parent).unwrap();
        let binary = debug.join("oci-check");
        assert!(
            binary.is_file(),
            "{} is not built: run `cargo build -p oci-check` first (`cargo xtask test` does)",
            binary.display()
        );
        let image = Image::build(&spec_of(&root(), &binary).unwrap()).unwrap();
        let registry = oci_testkit::Registry::open();
        let host = registry.host().to_owned();
        let tool = format!("{host}/tools/oci-check:test");
        let client = registry.client();
        oci_testkit::block_on(image.push(&client, &push_target(&tool).unwrap())).unwrap();

        let engine = oci_testkit::DockerEngine::start(&host);
        let app = format!("{host}/demo/app:1");
        engine.import_busybox(&app);
        engine.docker(&["push", "-q", &app]);
        engine.run("web", &app);
        engine.pull(&tool);
        assert_eq!(
            engine.docker(&["image", "inspect", "--format", "{{.Config.User}}", &tool]),
            "65532:65532"
        );
        // The socket's group, so that the image's non-root user may read it (what the README's compose file does
        // with `group_add`); the host's network, to reach the loopback registry.
        let group = std::os::unix::fs::MetadataExt::gid(&fs::metadata(engine.socket()).unwrap()).to_string();
        let mount = format!("{}:/var/run/docker.sock:ro", engine.socket().display());
        let out = engine.docker(&[
            "run",
            "--rm",
            "--network",
            "host",
            "--group-add",
            &group,
            "-v",
            &mount,
            &tool,
            "update",
            "--docker",
            "--all",
            "--json",
        ]);
        let records: Vec<Value> = out.lines().map(|line| serde_json::from_str(line).unwrap()).collect();
        let web = records
            .iter()
            .find(|record| record["container"] == "web")
            .unwrap_or_else(|| panic!("no record for the container web: {out}"));
        assert_eq!(web["status"], "up_to_date", "{out}");
        assert_eq!(web["image"], app.as_str(), "{out}");
        // The checker's own container is one of the engine's containers too (with `--all`: dockerd may not call it
        // running yet when its process already runs).
        let own = records
            .iter()
            .find(|record| record["image"] == tool.as_str())
            .unwrap_or_else(|| panic!("no record for oci-check's own container: {out}"));
        assert_eq!(own["status"], "up_to_date", "{out}");
        // A container on the host's network leaves dockerd's netns mount behind; the engine undoes it, so its
        // directory (150 MB of data root under vfs) does not outlive the test.
        let dir = engine.dir().to_owned();
        drop(engine);
        assert!(!dir.exists(), "{} outlived its engine", dir.display());
    }

    #[test]
    fn long_paths_use_the_prefix_field() {
        let long = format!("{}/{}", "d".repeat(120), "f".repeat(90));
        let header = tar_header(&long, 0, 0o644, 0, 0, b'0').unwrap();
        assert_eq!(&header[..90], "f".repeat(90).as_bytes());
        assert_eq!(&header[345..465], "d".repeat(120).as_bytes());
        assert!(tar_header(&"x".repeat(300), 0, 0o644, 0, 0, b'0').is_err());
    }
}
