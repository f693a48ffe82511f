//! Test images pushed through the registry's upload API: blobs by `POST` + `PUT ?digest=`, manifests by `PUT`.
//!
//! Two families, kept apart because tests and the README's demo output depend on their exact bytes:
//! [`Images::image`] and [`Images::list`] build linux/amd64 images of any of the four manifest kinds and lists whose
//! children they push themselves; [`Images::platform_image`] and [`Images::index`] build OCI images for a given
//! architecture and an OCI index naming images pushed before.

use bytes::Bytes;
use oci_digest::Digest;
use oci_registry::{Client, Error, Repository};
use serde_json::json;

/// The OCI image manifest media type.
pub const OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
/// The OCI image index media type.
pub const OCI_INDEX: &str = "application/vnd.oci.image.index.v1+json";
/// The Docker schema2 manifest media type.
pub const DOCKER_MANIFEST: &str = "application/vnd.docker.distribution.manifest.v2+json";
/// The Docker manifest list media type.
pub const DOCKER_LIST: &str = "application/vnd.docker.distribution.manifest.list.v2+json";

/// A manifest as pushed: its exact bytes, media type and digest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pushed {
    /// The bytes sent, which the registry serves back unchanged.
    pub bytes: Bytes,
    /// The media type it was pushed as.
    pub media_type: &'static str,
    /// sha256 of `bytes`.
    pub digest: Digest,
}

/// Pushes images into one repository with one client.
#[derive(Debug, Clone)]
pub struct Images {
    client: Client,
    repository: Repository,
}

impl Images {
    /// Pushes into `registry/name` with (a clone of) `client`, which must be allowed to push there.
    pub fn new(client: &Client, registry: &str, name: &str) -> Result<Self, Error> {
        Ok(Self {
            client: client.clone(),
            repository: Repository::new(registry, name)?,
        })
    }

    /// The client that pushes.
    pub fn client(&self) -> &Client {
        &self.client
    }

    /// The repository pushed into.
    pub fn repository(&self) -> &Repository {
        &self.repository
    }

    /// Pushes a config and a layer whose contents depend on `seed`, then a linux/amd64 image manifest of kind
    /// `media_type` ([`OCI_MANIFEST`] or [`DOCKER_MANIFEST`]) under `tag`, or by digest only when `tag` is `None`.
    pub async fn image(&self, media_type: &'static str, seed: &str, tag: Option<&str>) -> Result<Pushed, Error> {
        let (config_type, layer_type) = if media_type == OCI_MANIFEST {
            (
                "application/vnd.oci.image.config.v1+json",
                "application/vnd.oci.image.layer.v1.tar+gzip",
            )
        } else {
            (
                "application/vnd.docker.container.image.v1+json",
                "application/vnd.docker.image.rootfs.diff.tar.gzip",
            )
        };
        let config = Bytes::from(
            json!({"architecture": "amd64", "os": "linux", "config": {"Labels": {"seed": seed}}, "rootfs": {"type": "layers", "diff_ids": []}})
                .to_string(),
        );
        let layer = Bytes::from(format!("layer contents for {seed}"));
        let config_digest = self.client.push_blob(&self.repository, config.clone()).await?;
        let layer_digest = self.client.push_blob(&self.repository, layer.clone()).await?;
        let manifest = json!({
            "schemaVersion": 2,
            "mediaType": media_type,
            "config": {"mediaType": config_type, "digest": config_digest.as_str(), "size": config.len()},
            "layers": [{"mediaType": layer_type, "digest": layer_digest.as_str(), "size": layer.len()}],
        });
        self.manifest(media_type, pretty(&manifest), tag).await
    }

    /// Pushes two platform images (linux/amd64, linux/arm64) by digest and a list of kind `media_type`
    /// ([`OCI_INDEX`] or [`DOCKER_LIST`]) naming them, under `tag`. Returns the list and its two children.
    pub async fn list(&self, media_type: &'static str, seed: &str, tag: &str) -> Result<(Pushed, Vec<Pushed>), Error> {
        let child_type = if media_type == OCI_INDEX {
            OCI_MANIFEST
        } else {
            DOCKER_MANIFEST
        };
        let mut children = Vec::new();
        let mut entries = Vec::new();
        for arch in ["amd64", "arm64"] {
            let child = self.image(child_type, &format!("{seed}-{arch}"), None).await?;
            entries.push(json!({
                "mediaType": child_type,
                "digest": child.digest.as_str(),
                "size": child.bytes.len(),
                "platform": {"architecture": arch, "os": "linux"},
            }));
            children.push(child);
        }
        let list = json!({"schemaVersion": 2, "mediaType": media_type, "manifests": entries});
        Ok((self.manifest(media_type, pretty(&list), Some(tag)).await?, children))
    }

    /// Pushes a config and a layer that depend on `seed`, then an OCI image manifest for linux/`arch`, under `tag`
    /// or by digest only. (The demo's images: their bytes, hence the README's digests, must not change.)
    pub async fn platform_image(&self, arch: &str, seed: &str, tag: Option<&str>) -> Result<Pushed, Error> {
        let config = Bytes::from(format!(
            r#"{{"architecture":"{arch}","os":"linux","config":{{"Labels":{{"seed":"{seed}"}}}},"rootfs":{{"type":"layers","diff_ids":[]}}}}"#
        ));
        let layer = Bytes::from(format!("layer contents for {seed}"));
        let config_digest = self.client.push_blob(&self.repository, config.clone()).await?;
        let layer_digest = self.client.push_blob(&self.repository, layer.clone()).await?;
        let manifest = format!(
            "{{\n  \"schemaVersion\": 2,\n  \"mediaType\": \"{OCI_MANIFEST}\",\n  \"config\": {{\"mediaType\": \
             \"application/vnd.oci.image.config.v1+json\", \"digest\": \"{config_digest}\", \"size\": {}}},\n  \
             \"layers\": [{{\"mediaType\": \"application/vnd.oci.image.layer.v1.tar+gzip\", \"digest\": \
             \"{layer_digest}\", \"size\": {}}}]\n}}",
            config.len(),
            layer.len()
        );
        self.manifest(OCI_MANIFEST, Bytes::from(manifest), tag).await
    }

    /// A version in use and a newer one: linux/amd64 images tagged `1.0.0` (created 2024-01-01) and `1.1.0`
    /// (created 2024-06-01), told apart by `seed`; returns the `1.0.0` image, the one in use.
    pub async fn in_use_and_newer(&self, seed: &str) -> Result<Pushed, Error> {
        let old = self
            .dated_image(
                "amd64",
                &format!("{seed}-old"),
                Some("2024-01-01T00:00:00Z"),
                Some("1.0.0"),
            )
            .await?;
        self.dated_image(
            "amd64",
            &format!("{seed}-new"),
            Some("2024-06-01T00:00:00Z"),
            Some("1.1.0"),
        )
        .await?;
        Ok(old)
    }

    /// Pushes a linux/`arch` OCI image whose config says it was `created` at that RFC 3339 time (or says nothing),
    /// under `tag` or by digest only: for the version tests, where image dates decide.
    pub async fn dated_image(
        &self,
        arch: &str,
        seed: &str,
        created: Option<&str>,
        tag: Option<&str>,
    ) -> Result<Pushed, Error> {
        let mut config = json!({"architecture": arch, "os": "linux", "config": {"Labels": {"seed": seed}}, "rootfs": {"type": "layers", "diff_ids": []}});
        if let Some(created) = created {
            config["created"] = json!(created);
        }
        let config = Bytes::from(config.to_string());
        let layer = Bytes::from(format!("layer contents for {seed}"));
        let config_digest = self.client.push_blob(&self.repository, config.clone()).await?;
        let layer_digest = self.client.push_blob(&self.repository, layer.clone()).await?;
        let manifest = json!({
            "schemaVersion": 2,
            "mediaType": OCI_MANIFEST,
            "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": config_digest.as_str(), "size": config.len()},
            "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "digest": layer_digest.as_str(), "size": layer.len()}],
        });
        self.manifest(OCI_MANIFEST, pretty(&manifest), tag).await
    }

    /// Pushes an image an engine can pull and create containers from: a config for linux/`arch` whose `diff_ids`
    /// are right, and one uncompressed tar layer holding the file `/seed` (contents `seed`), under `tag` or by
    /// digest only. The bytes depend only on `arch` and `seed`.
    pub async fn pullable_image(&self, arch: &str, seed: &str, tag: Option<&str>) -> Result<Pushed, Error> {
        let layer = Bytes::from(tar_with_one_file("seed", seed.as_bytes()));
        let layer_digest = self.client.push_blob(&self.repository, layer.clone()).await?;
        let config = Bytes::from(format!(
            r#"{{"architecture":"{arch}","os":"linux","config":{{"Cmd":["/seed"],"Labels":{{"seed":"{seed}"}}}},"rootfs":{{"type":"layers","diff_ids":["{layer_digest}"]}}}}"#
        ));
        let config_digest = self.client.push_blob(&self.repository, config.clone()).await?;
        let manifest = format!(
            "{{\n  \"schemaVersion\": 2,\n  \"mediaType\": \"{OCI_MANIFEST}\",\n  \"config\": {{\"mediaType\": \
             \"application/vnd.oci.image.config.v1+json\", \"digest\": \"{config_digest}\", \"size\": {}}},\n  \
             \"layers\": [{{\"mediaType\": \"application/vnd.oci.image.layer.v1.tar\", \"digest\": \
             \"{layer_digest}\", \"size\": {}}}]\n}}",
            config.len(),
            layer.len()
        );
        self.manifest(OCI_MANIFEST, Bytes::from(manifest), tag).await
    }

    /// A tag that moved: pushes the image `TAG-old`, then `TAG-new`, both under `tag` (OCI image manifests).
    /// Returns both, the one in use (the old) first.
    pub async fn moved(&self, tag: &str) -> Result<(Pushed, Pushed), Error> {
        let old = self.image(OCI_MANIFEST, &format!("{tag}-old"), Some(tag)).await?;
        let new = self.image(OCI_MANIFEST, &format!("{tag}-new"), Some(tag)).await?;
        Ok((old, new))
    }

    /// A multi-arch tag rebuilt for one platform: pushes an index of a linux/amd64 and a linux/arm64 image under
    /// `tag`, then another index under the same tag with the same amd64 image and a new arm64 one. Returns both
    /// indexes, the first (the digest in use) first: for linux/amd64 the tag moved but the image did not.
    pub async fn rebuilt(&self, seed: &str, tag: &str) -> Result<(Pushed, Pushed), Error> {
        let amd = self.platform_image("amd64", &format!("{seed}-amd"), None).await?;
        let arm = self.platform_image("arm64", &format!("{seed}-arm"), None).await?;
        let arm2 = self.platform_image("arm64", &format!("{seed}-arm2"), None).await?;
        let old = self
            .index(&[("amd64", &amd.digest), ("arm64", &arm.digest)], tag)
            .await?;
        let new = self
            .index(&[("amd64", &amd.digest), ("arm64", &arm2.digest)], tag)
            .await?;
        Ok((old, new))
    }

    /// Pushes an OCI index under `tag` naming `children` (linux/architecture, digest of an image pushed before into
    /// this repository, whose size is read back from the registry).
    pub async fn index(&self, children: &[(&str, &Digest)], tag: &str) -> Result<Pushed, Error> {
        let mut entries = Vec::new();
        for (arch, digest) in children {
            let size = self
                .client
                .manifest(&self.repository.digest((*digest).clone()))
                .await?
                .bytes()
                .len();
            entries.push(format!(
                "    {{\"mediaType\": \"{OCI_MANIFEST}\", \"digest\": \"{digest}\", \"size\": {size}, \
                 \"platform\": {{\"architecture\": \"{arch}\", \"os\": \"linux\"}}}}"
            ));
        }
        let index = format!(
            "{{\n  \"schemaVersion\": 2,\n  \"mediaType\": \"{OCI_INDEX}\",\n  \"manifests\": [\n{}\n  ]\n}}",
            entries.join(",\n")
        );
        self.manifest(OCI_INDEX, Bytes::from(index), Some(tag)).await
    }

    /// Pushes manifest `bytes` as `media_type` under `tag`, or by their digest.
    ///
    /// # Panics
    ///
    /// When the registry answers with another digest than that of `bytes`.
    pub async fn manifest(&self, media_type: &'static str, bytes: Bytes, tag: Option<&str>) -> Result<Pushed, Error> {
        let digest = Digest::sha256(&bytes);
        let location = match tag {
            Some(tag) => self.repository.tag(tag)?,
            None => self.repository.digest(digest.clone()),
        };
        let pushed = self.client.push_manifest(&location, media_type, bytes.clone()).await?;
        assert_eq!(pushed, digest, "the registry names the manifest by another digest");
        Ok(Pushed {
            bytes,
            media_type,
            digest,
        })
    }
}

impl Images {
    /// Pushes `blob` as an OCI 1.1 artifact that refers to `subject` (an image manifest of this repository), as
    /// cosign and notation attach signatures: the empty config, `blob` as the one layer of `layer_media_type`, the
    /// manifest's `artifactType` and `annotations`; then lists it under the referrers tag (`sha256-<hex>`), as a
    /// client does for a registry without the referrers API. Like cosign (go-containerregistry), the entry it adds
    /// carries the config's media type as its `artifactType`, so a reader must open the manifest to learn its type.
    pub async fn attach(
        &self,
        subject: &Pushed,
        artifact_type: &str,
        layer_media_type: &str,
        blob: &[u8],
        annotations: serde_json::Value,
    ) -> Result<Pushed, Error> {
        let empty = self
            .client
            .push_blob(&self.repository, Bytes::from_static(b"{}"))
            .await?;
        let layer = self
            .client
            .push_blob(&self.repository, Bytes::copy_from_slice(blob))
            .await?;
        let manifest = serde_json::json!({
            "schemaVersion": 2,
            "mediaType": OCI_MANIFEST,
            "artifactType": artifact_type,
            "config": {"mediaType": "application/vnd.oci.empty.v1+json", "size": 2, "digest": empty.to_string()},
            "layers": [{"mediaType": layer_media_type, "size": blob.len(), "digest": layer.to_string()}],
            "annotations": annotations,
            "subject": {"mediaType": subject.media_type, "size": subject.bytes.len(), "digest": subject.digest.to_string()}
        });
        let manifest = self
            .manifest(OCI_MANIFEST, Bytes::from(manifest.to_string()), None)
            .await?;
        let tag = format!("{}-{}", subject.digest.algorithm(), subject.digest.encoded());
        let mut entries = match self.client.manifest(&self.repository.tag(&tag)?).await {
            Ok(existing) => serde_json::from_slice::<serde_json::Value>(existing.bytes())
                .ok()
                .and_then(|index| index["manifests"].as_array().cloned())
                .unwrap_or_default(),
            Err(_) => Vec::new(),
        };
        entries.push(serde_json::json!({
            "mediaType": OCI_MANIFEST,
            "size": manifest.bytes.len(),
            "digest": manifest.digest.to_string(),
            "artifactType": "application/vnd.oci.empty.v1+json"
        }));
        let index = serde_json::json!({"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": entries});
        self.manifest(OCI_INDEX, Bytes::from(index.to_string()), Some(&tag))
            .await?;
        Ok(manifest)
    }
}

/// A ustar archive holding one regular file, as an image layer: a 512-byte header, the contents padded to 512
/// bytes, and two zero blocks.
fn tar_with_one_file(name: &str, contents: &[u8]) -> Vec<u8> {
    fn field(header: &mut [u8], at: usize, value: &[u8]) {
        header[at..at + value.len()].copy_from_slice(value);
    }
    let mut header = [0u8; 512];
    field(&mut header, 0, name.as_bytes());
    field(&mut header, 100, b"0000644\0");
    field(&mut header, 108, b"0000000\0");
    field(&mut header, 116, b"0000000\0");
    field(&mut header, 124, format!("{:011o}\0", contents.len()).as_bytes());
    field(&mut header, 136, b"00000000000\0");
    field(&mut header, 148, b"        ");
    header[156] = b'0';
    field(&mut header, 257, b"ustar\0");
    field(&mut header, 263, b"00");
    let checksum: u32 = header.iter().map(|&b| u32::from(b)).sum();
    field(&mut header, 148, format!("{checksum:06o}\0 ").as_bytes());
    let mut out = header.to_vec();
    out.extend_from_slice(contents);
    out.resize(out.len().div_ceil(512) * 512, 0);
    out.resize(out.len() + 1024, 0);
    out
}

/// Pretty-printed JSON, so that the digest is of bytes no serializer would produce by default: re-serializing would
/// change it.
fn pretty(value: &serde_json::Value) -> Bytes {
    Bytes::from(serde_json::to_string_pretty(value).expect("a JSON value serializes"))
}
