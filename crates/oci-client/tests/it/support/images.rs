//! Test images pushed through the registry's upload API: blobs by `POST` + `PUT ?digest=`, manifests by `PUT`.

use bytes::Bytes;
use oci_client::{Client, Repository};
use oci_digest::Digest;
use serde_json::json;

pub(crate) const OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
pub(crate) const OCI_INDEX: &str = "application/vnd.oci.image.index.v1+json";
pub(crate) const DOCKER_MANIFEST: &str = "application/vnd.docker.distribution.manifest.v2+json";
pub(crate) const DOCKER_LIST: &str = "application/vnd.docker.distribution.manifest.list.v2+json";

/// A manifest as pushed: its exact bytes, media type and digest.
#[derive(Debug, Clone)]
pub(crate) struct Pushed {
    pub(crate) bytes: Bytes,
    pub(crate) media_type: &'static str,
    pub(crate) digest: Digest,
}

/// Pushes images into one repository.
pub(crate) struct Images<'a> {
    pub(crate) client: &'a Client,
    pub(crate) repository: Repository,
}

impl<'a> Images<'a> {
    pub(crate) fn new(client: &'a Client, registry: &str, name: &str) -> Self {
        Self {
            client,
            repository: Repository::new(registry, name).unwrap(),
        }
    }

    /// Pushes a config and a layer whose contents depend on `seed`, then an image manifest of kind `media_type`
    /// (OCI or Docker schema2) under `tag`, or by digest only when `tag` is `None`.
    pub(crate) async fn image(&self, media_type: &'static str, seed: &str, tag: Option<&str>) -> Pushed {
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
        let config_digest = self.client.push_blob(&self.repository, config.clone()).await.unwrap();
        let layer_digest = self.client.push_blob(&self.repository, layer.clone()).await.unwrap();
        let manifest = json!({
            "schemaVersion": 2,
            "mediaType": media_type,
            "config": {"mediaType": config_type, "digest": config_digest.as_str(), "size": config.len()},
            "layers": [{"mediaType": layer_type, "digest": layer_digest.as_str(), "size": layer.len()}],
        });
        self.manifest(media_type, pretty(&manifest), tag).await
    }

    /// Pushes two platform images (linux/amd64, linux/arm64) by digest and a list of kind `media_type` (OCI index or
    /// Docker manifest list) naming them, under `tag`. Returns the list and its two children.
    pub(crate) async fn list(&self, media_type: &'static str, seed: &str, tag: &str) -> (Pushed, Vec<Pushed>) {
        let child_type = if media_type == OCI_INDEX {
            OCI_MANIFEST
        } else {
            DOCKER_MANIFEST
        };
        let mut children = Vec::new();
        let mut entries = Vec::new();
        for arch in ["amd64", "arm64"] {
            let child = self.image(child_type, &format!("{seed}-{arch}"), None).await;
            entries.push(json!({
                "mediaType": child_type,
                "digest": child.digest.as_str(),
                "size": child.bytes.len(),
                "platform": {"architecture": arch, "os": "linux"},
            }));
            children.push(child);
        }
        let list = json!({"schemaVersion": 2, "mediaType": media_type, "manifests": entries});
        (self.manifest(media_type, pretty(&list), Some(tag)).await, children)
    }

    /// Pushes manifest bytes under `tag`, or by their digest.
    pub(crate) async fn manifest(&self, media_type: &'static str, bytes: Bytes, tag: Option<&str>) -> Pushed {
        let digest = Digest::sha256(&bytes);
        let location = match tag {
            Some(tag) => self.repository.tag(tag).unwrap(),
            None => self.repository.digest(digest.clone()),
        };
        let pushed = self
            .client
            .push_manifest(&location, media_type, bytes.clone())
            .await
            .unwrap();
        assert_eq!(pushed, digest);
        Pushed {
            bytes,
            media_type,
            digest,
        }
    }
}

/// Pretty-printed JSON, so that the digest is of bytes no serializer would produce by default: re-serializing would
/// change it.
fn pretty(value: &serde_json::Value) -> Bytes {
    Bytes::from(serde_json::to_string_pretty(value).unwrap())
}
