//! Digests and manifests of references: the tag's (or given digest's) manifest and, for an index, the child
//! for a platform.

use oci_client::{Client, ManifestLocation, Repository};
use oci_digest::Digest;
use oci_manifest::{ManifestBody, Platform};
use oci_ref::Reference;

use crate::failure::Failure;

/// Where a reference's manifest is: by digest when it has one, else by its tag (`latest` when it has none).
pub(crate) fn location(reference: &Reference) -> Result<ManifestLocation, Failure> {
    let image = reference.to_string();
    let repository = Repository::new(reference.registry(), reference.repository())
        .map_err(|err| Failure::from_client(&image, &err))?;
    Ok(match (reference.digest(), reference.tag()) {
        (Some(digest), _) => repository.digest(digest.clone()),
        (None, tag) => repository
            .tag(tag.unwrap_or("latest"))
            .map_err(|err| Failure::from_client(&image, &err))?,
    })
}

/// A reference's manifest, fetched and verified, parsed.
pub(crate) struct Fetched {
    pub(crate) raw: oci_client::Manifest,
    pub(crate) parsed: oci_manifest::Manifest,
}

/// Fetches and parses the manifest at `location`.
pub(crate) async fn fetch(client: &Client, image: &str, location: &ManifestLocation) -> Result<Fetched, Failure> {
    let raw = client
        .manifest(location)
        .await
        .map_err(|err| Failure::from_client(image, &err))?;
    let parsed = oci_manifest::Manifest::parse(raw.bytes(), raw.media_type()).map_err(|err| {
        Failure::new(
            "bad_manifest",
            format!("{image}: the registry served a manifest oci-check cannot read: {err}"),
        )
    })?;
    Ok(Fetched { raw, parsed })
}

/// The child of an index for `platform` (attestations and other artifacts never match).
pub(crate) fn select(image: &str, manifest: &oci_manifest::Manifest, platform: &Platform) -> Result<Digest, Failure> {
    match manifest.body() {
        ManifestBody::Index(index) => index.select(platform).map(|d| d.digest().clone()).map_err(|err| {
            let offered: Vec<String> = index.platforms().map(ToString::to_string).collect();
            Failure::new(
                "no_platform",
                format!(
                    "{image} has no image for {platform} ({err}); it offers {}: pass one with --platform",
                    if offered.is_empty() {
                        "none".to_owned()
                    } else {
                        offered.join(", ")
                    }
                ),
            )
        }),
        _ => Ok(manifest.digest().clone()),
    }
}
