//! Test and demo images pushed through the registry's upload API (shared by the end-to-end tests and the
//! `push-demo` example through `#[path]`).

use bytes::Bytes;
use oci_client::{Client, Error, Repository};
use oci_digest::Digest;

pub(crate) const OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
pub(crate) const OCI_INDEX: &str = "application/vnd.oci.image.index.v1+json";

/// Pushes images into one repository.
pub(crate) struct Images<'a> {
    client: &'a Client,
    repository: Repository,
}

impl<'a> Images<'a> {
    pub(crate) fn new(client: &'a Client, registry: &str, name: &str) -> Result<Self, Error> {
        Ok(Self {
            client,
            repository: Repository::new(registry, name)?,
        })
    }

    /// Pushes a config and a layer that depend on `seed`, then an OCI image manifest for `arch`, under `tag` or by
    /// digest only.
    pub(crate) async fn image(&self, arch: &str, seed: &str, tag: Option<&str>) -> Result<Digest, Error> {
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
        self.manifest(OCI_MANIFEST, manifest, tag).await
    }

    /// Pushes an OCI index under `tag` naming `children` (architecture, digest of an image pushed before).
    pub(crate) async fn index(&self, children: &[(&str, &Digest)], tag: &str) -> Result<Digest, Error> {
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
        self.manifest(OCI_INDEX, index, Some(tag)).await
    }

    /// Pushes manifest text under `tag`, or by its digest.
    async fn manifest(&self, media_type: &str, text: String, tag: Option<&str>) -> Result<Digest, Error> {
        let bytes = Bytes::from(text);
        let location = match tag {
            Some(tag) => self.repository.tag(tag)?,
            None => self.repository.digest(Digest::sha256(&bytes)),
        };
        self.client.push_manifest(&location, media_type, bytes).await
    }
}
