//! The images to check: `IMAGE[@DIGEST]` or `IMAGE DIGEST`, from arguments or lines of a file.

use oci_registry::{Platform, UpdateRequest};

use crate::failure::Failure;

/// One image to check, as written and as understood.
#[derive(Debug)]
pub(crate) struct Entry {
    /// The text as given (trimmed), the `image` of `--json`.
    pub(crate) image: String,
    /// The check to make, or why the text is not usable.
    pub(crate) parsed: Result<UpdateRequest, Failure>,
    /// The container (or compose service) running it, when it came from an engine, a compose file, inspect or kubectl
    /// output.
    pub(crate) container: Option<String>,
    /// Where it came from: `docker`, `podman`, `compose:FILE`, `inspect`, `kubernetes`; `None` for arguments and `-f`
    /// lists.
    pub(crate) source: Option<String>,
    /// Why it is not checked against a registry, for an image built or loaded locally.
    pub(crate) local: Option<String>,
}

/// The entry for a workload found by oci-inventory: its reference with every digest in use for the same repository
/// and its image ID, for the workload's platform (else `platform`).
pub(crate) fn from_workload(workload: &oci_inventory::Workload, platform: &Platform) -> Entry {
    use oci_inventory::{ImageRef, Source};
    let source = match workload.source() {
        Source::Docker => "docker".to_owned(),
        Source::Podman => "podman".to_owned(),
        Source::Compose { file } => format!("compose:{}", file.display()),
        Source::Kubernetes { .. } => "kubernetes".to_owned(),
        _ => "inspect".to_owned(),
    };
    let platform = workload.platform().cloned().unwrap_or_else(|| platform.clone());
    let mut local = None;
    let parsed = match workload.image() {
        // Pinned to a digest without a tag (`docker run REPO@sha256:...`, a compose file pinned by a bot): no tag
        // names anything newer, as for a container created from a bare digest. Not a failure of the run.
        ImageRef::Reference(reference) if reference.tag().is_none() && reference.digest().is_some() => {
            local = Some(format!(
                "pinned to {} without a tag: nothing to follow (name a tag, REPO:TAG@DIGEST, to check it)",
                workload.image()
            ));
            Err(Failure::new("local", "pinned to a digest without a tag"))
        }
        ImageRef::Reference(reference) => {
            let same_repository = workload
                .repo_digests()
                .iter()
                .filter(|digest| digest.name() == reference.name())
                .filter_map(|digest| digest.digest().cloned());
            let mut request = UpdateRequest::new(reference.clone(), None, platform)
                .with_digests_in_use(reference.digest().cloned().into_iter().chain(same_repository));
            if let Some(image_id) = workload.image_id() {
                request = request.with_image_id(image_id.clone());
            }
            Ok(request)
        }
        // A service whose image is no reference: a failure of its own row, the other services still checked.
        ImageRef::Invalid { reason, .. } => Err(Failure::new("invalid_reference", reason.clone())),
        ImageRef::Local(_) | ImageRef::BuildOnly => {
            local = Some("built or loaded locally: no registry has it".to_owned());
            Err(Failure::new("local", "built or loaded locally"))
        }
        other => {
            // Not a failure: the container names no tag, so there is nothing a registry could say newer.
            local = Some(format!(
                "created from {other}, not from a tag: nothing to check (create it from IMAGE:TAG)"
            ));
            Err(Failure::new("local", "created from an image ID or digest"))
        }
    };
    Entry {
        image: workload.image().to_string(),
        parsed,
        container: Some(workload.name().to_owned()),
        source: Some(source),
        local,
    }
}

/// The entries of a list file: one per line, blank lines and `#` comments skipped (a `#` starts a comment
/// anywhere on a line: references never contain one).
pub(crate) fn parse_lines(text: &str, platform: &Platform) -> Vec<Entry> {
    text.lines()
        .map(|line| line.split_once('#').map_or(line, |(before, _)| before).trim())
        .filter(|line| !line.is_empty())
        .map(|line| parse_entry(line, platform))
        .collect()
}

/// One `IMAGE[@DIGEST]` or `IMAGE DIGEST`, to be checked for `platform` (the library reads the syntax).
pub(crate) fn parse_entry(text: &str, platform: &Platform) -> Entry {
    let text = text.trim();
    Entry {
        image: text.to_owned(),
        parsed: UpdateRequest::parse_entry(text, platform)
            .map_err(|err| Failure::new(err.kind().as_str(), err.to_string())),
        container: None,
        source: None,
        local: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const D1: &str = "sha256:1111111111111111111111111111111111111111111111111111111111111111";
    const D2: &str = "sha256:2222222222222222222222222222222222222222222222222222222222222222";

    #[test]
    fn the_librarys_kinds_are_the_json_kinds() {
        let kind = |text: &str| parse_entry(text, &Platform::host()).parsed.unwrap_err().kind();
        assert_eq!(kind(&format!("nginx@{D1}")), "no_tag");
        assert_eq!(kind("nginx:1.25 sha256:abc"), "invalid_digest");
        assert_eq!(kind("NGINX"), "invalid_reference");
    }

    #[test]
    fn lines_skip_blanks_and_comments() {
        let text = format!("# images\n\nnginx:1.25 {D1}\n   \nalpine # the base\n#redis\nbusybox@{D2}\n");
        let entries = parse_lines(&text, &Platform::host());
        let images: Vec<&str> = entries.iter().map(|entry| entry.image.as_str()).collect();
        assert_eq!(
            images,
            [format!("nginx:1.25 {D1}").as_str(), "alpine", &format!("busybox@{D2}")]
        );
        assert!(entries[0].parsed.is_ok());
        assert!(entries[1].parsed.is_ok());
        assert_eq!(entries[2].parsed.as_ref().map_err(Failure::kind).unwrap_err(), "no_tag");
    }
}
