//! Media types of manifests, configs and layers, and the annotation keys this crate reads.
//!
//! The manifest types are the four a client sends in `Accept` ([`MANIFEST_ACCEPT`]); a registry's
//! `Content-Type` says which of them came back.

/// An OCI image index: a list of manifests, usually one per platform.
pub const OCI_IMAGE_INDEX: &str = "application/vnd.oci.image.index.v1+json";
/// An OCI image manifest: a config and layers.
pub const OCI_IMAGE_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
/// An OCI image config.
pub const OCI_IMAGE_CONFIG: &str = "application/vnd.oci.image.config.v1+json";
/// An uncompressed OCI layer.
pub const OCI_LAYER_TAR: &str = "application/vnd.oci.image.layer.v1.tar";
/// A gzip-compressed OCI layer.
pub const OCI_LAYER_TAR_GZIP: &str = "application/vnd.oci.image.layer.v1.tar+gzip";
/// A zstd-compressed OCI layer.
pub const OCI_LAYER_TAR_ZSTD: &str = "application/vnd.oci.image.layer.v1.tar+zstd";
/// A gzip-compressed OCI layer that must not be pushed to other registries (deprecated by the spec).
pub const OCI_LAYER_NONDISTRIBUTABLE_TAR_GZIP: &str = "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip";
/// The empty descriptor's type (`{}`), used as the config of artifacts.
pub const OCI_EMPTY: &str = "application/vnd.oci.empty.v1+json";

/// A Docker manifest list, the Docker form of an index.
pub const DOCKER_MANIFEST_LIST: &str = "application/vnd.docker.distribution.manifest.list.v2+json";
/// A Docker image manifest, schema 2.
pub const DOCKER_MANIFEST: &str = "application/vnd.docker.distribution.manifest.v2+json";
/// A Docker image config.
pub const DOCKER_CONFIG: &str = "application/vnd.docker.container.image.v1+json";
/// A gzip-compressed Docker layer.
pub const DOCKER_LAYER_TAR_GZIP: &str = "application/vnd.docker.image.rootfs.diff.tar.gzip";
/// A Docker layer to be fetched from its `urls`, such as Windows base layers.
pub const DOCKER_FOREIGN_LAYER_TAR_GZIP: &str = "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip";
/// A Docker plugin config.
pub const DOCKER_PLUGIN_CONFIG: &str = "application/vnd.docker.plugin.v1+json";
/// A Docker schema 1 manifest, unsigned. Recognized only to be refused.
pub const DOCKER_SCHEMA1_MANIFEST: &str = "application/vnd.docker.distribution.manifest.v1+json";
/// A Docker schema 1 manifest signed with JWS. Recognized only to be refused.
pub const DOCKER_SCHEMA1_SIGNED_MANIFEST: &str = "application/vnd.docker.distribution.manifest.v1+prettyjws";

/// An in-toto statement, the layer type of BuildKit's attestation manifests.
pub const IN_TOTO: &str = "application/vnd.in-toto+json";

/// The four manifest types, indexes first, as a client lists them in `Accept`.
pub const MANIFEST_TYPES: [&str; 4] = [
    OCI_IMAGE_INDEX,
    DOCKER_MANIFEST_LIST,
    OCI_IMAGE_MANIFEST,
    DOCKER_MANIFEST,
];

/// [`MANIFEST_TYPES`] as one `Accept` header value. Leaving out a list type can make a registry
/// answer with a child manifest instead of the index.
pub const MANIFEST_ACCEPT: &str = "application/vnd.oci.image.index.v1+json, \
     application/vnd.docker.distribution.manifest.list.v2+json, \
     application/vnd.oci.image.manifest.v1+json, \
     application/vnd.docker.distribution.manifest.v2+json";

/// Annotation keys.
pub mod annotation {
    /// What a BuildKit-made manifest is about; `attestation-manifest` marks an attestation.
    pub const DOCKER_REFERENCE_TYPE: &str = "vnd.docker.reference.type";
    /// The digest of the image an attestation manifest is about.
    pub const DOCKER_REFERENCE_DIGEST: &str = "vnd.docker.reference.digest";
    /// The value of [`DOCKER_REFERENCE_TYPE`] on attestation manifests.
    pub const ATTESTATION_MANIFEST: &str = "attestation-manifest";
    /// The version of the packaged software, also used as an image config label.
    pub const IMAGE_VERSION: &str = "org.opencontainers.image.version";
    /// The date and time the image was created (RFC 3339).
    pub const IMAGE_CREATED: &str = "org.opencontainers.image.created";
    /// The source code repository the image was built from.
    pub const IMAGE_SOURCE: &str = "org.opencontainers.image.source";
    /// The source control revision the image was built from.
    pub const IMAGE_REVISION: &str = "org.opencontainers.image.revision";
    /// The name of a reference (tag) of the image.
    pub const IMAGE_REF_NAME: &str = "org.opencontainers.image.ref.name";
    /// The digest of the image this one was built on.
    pub const IMAGE_BASE_DIGEST: &str = "org.opencontainers.image.base.digest";
    /// The reference of the image this one was built on.
    pub const IMAGE_BASE_NAME: &str = "org.opencontainers.image.base.name";
}
