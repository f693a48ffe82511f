//! The images to check: `IMAGE[@DIGEST]` or `IMAGE DIGEST`, from arguments or lines of a file.

use oci_client::{Digest, Platform, Reference, UpdateRequest};

use crate::failure::Failure;

/// One image to check, as written and as understood.
#[derive(Debug)]
pub(crate) struct Entry {
    /// The text as given (trimmed), the `image` of `--json`.
    pub(crate) image: String,
    /// The check to make, or why the text is not usable.
    pub(crate) parsed: Result<UpdateRequest, Failure>,
    /// The container (or compose service) running it, when it came from an engine, a compose file or inspect output.
    pub(crate) container: Option<String>,
    /// Where it came from: `docker`, `podman`, `compose:FILE`, `inspect`; `None` for arguments and `-f` lists.
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
        _ => "inspect".to_owned(),
    };
    let platform = workload.platform().cloned().unwrap_or_else(|| platform.clone());
    let mut local = None;
    let parsed = match workload.image() {
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

/// One `IMAGE[@DIGEST]` or `IMAGE DIGEST`, to be checked for `platform`.
pub(crate) fn parse_entry(text: &str, platform: &Platform) -> Entry {
    let text = text.trim();
    Entry {
        image: text.to_owned(),
        parsed: parse_target(text).map(|(reference, current)| UpdateRequest::new(reference, current, platform.clone())),
        container: None,
        source: None,
        local: None,
    }
}

fn parse_target(text: &str) -> Result<(Reference, Option<Digest>), Failure> {
    let mut words = text.split_whitespace();
    let image = words.next().unwrap_or_default();
    let separate = words.next();
    if words.next().is_some() {
        return Err(Failure::new(
            "invalid_reference",
            format!("`{text}` has more than two words: write IMAGE[@DIGEST] or IMAGE DIGEST, one per line"),
        ));
    }
    let reference = Reference::parse_normalized(image).map_err(|err| Failure::bad_reference(image, &err))?;
    let mut current = reference.digest().cloned();
    if let Some(separate) = separate {
        let digest = Digest::parse(separate).map_err(|err| {
            Failure::new(
                "invalid_digest",
                format!("`{separate}` is not a digest ({err}); write it as sha256:<64 hex digits>"),
            )
        })?;
        if current.as_ref().is_some_and(|inline| *inline != digest) {
            return Err(Failure::new(
                "invalid_reference",
                format!("`{text}` names two different digests: keep one"),
            ));
        }
        current = Some(digest);
    }
    if reference.tag().is_none() && current.is_some() {
        return Err(Failure::new(
            "no_tag",
            format!(
                "`{text}` names a digest but no tag to compare it with: write {}:TAG@DIGEST",
                reference.familiar_name()
            ),
        ));
    }
    Ok((reference, current))
}

#[cfg(test)]
mod tests {
    use super::*;

    const D1: &str = "sha256:1111111111111111111111111111111111111111111111111111111111111111";
    const D2: &str = "sha256:2222222222222222222222222222222222222222222222222222222222222222";

    /// `text` parses to `reference` (canonical) and `current`, or fails with `Err(kind)`.
    fn check(text: &str, expected: Result<(&str, Option<&str>), &str>) {
        let entry = parse_entry(text, &Platform::host());
        assert_eq!(entry.image, text.trim());
        match (&entry.parsed, expected) {
            (Ok(request), Ok((reference, current))) => {
                assert_eq!(request.reference().to_string(), reference, "{text}");
                assert_eq!(request.current().map(Digest::as_str), current, "{text}");
            }
            (Err(failure), Err(kind)) => assert_eq!(failure.kind(), kind, "{text}: {failure}"),
            (got, want) => panic!("{text}: got {got:?}, want {want:?}"),
        }
    }

    #[test]
    fn entries() {
        check("nginx", Ok(("docker.io/library/nginx:latest", None)));
        check("nginx:1.25", Ok(("docker.io/library/nginx:1.25", None)));
        check("  nginx:1.25  ", Ok(("docker.io/library/nginx:1.25", None)));
        check(
            &format!("nginx:1.25@{D1}"),
            Ok(("docker.io/library/nginx:1.25", Some(D1))),
        );
        check(
            &format!("nginx:1.25 {D1}"),
            Ok(("docker.io/library/nginx:1.25", Some(D1))),
        );
        check(
            &format!("nginx:1.25\t{D1}"),
            Ok(("docker.io/library/nginx:1.25", Some(D1))),
        );
        check(
            &format!("nginx:1.25@{D1} {D1}"),
            Ok(("docker.io/library/nginx:1.25", Some(D1))),
        );
        check(
            &format!("localhost:5000/app:v1@{D2}"),
            Ok(("localhost:5000/app:v1", Some(D2))),
        );
        check(&format!("nginx:1.25@{D1} {D2}"), Err("invalid_reference"));
        check(&format!("nginx@{D1}"), Err("no_tag"));
        check("nginx:1.25 sha256:abc", Err("invalid_digest"));
        check("nginx:1.25 a b", Err("invalid_reference"));
        check("NGINX", Err("invalid_reference"));
        check("nginx:", Err("invalid_reference"));
        check("http://nginx", Err("invalid_reference"));
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
