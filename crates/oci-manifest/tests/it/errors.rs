//! Every way a body can be refused has its own error kind; unknown fields are tolerated.

use oci_digest::Digest;
use oci_manifest::{ErrorKind, Manifest, ManifestKind, ParseOptions};

const OCI_M: &str = "application/vnd.oci.image.manifest.v1+json";
const OCI_I: &str = "application/vnd.oci.image.index.v1+json";
const DK_M: &str = "application/vnd.docker.distribution.manifest.v2+json";
const DK_L: &str = "application/vnd.docker.distribution.manifest.list.v2+json";
const D: &str = "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

fn descriptor(media_type: &str) -> String {
    format!(r#"{{"mediaType":"{media_type}","digest":"{D}","size":2}}"#)
}

/// An image manifest with `extra` fields spliced in after `schemaVersion`.
fn image(extra: &str) -> String {
    format!(
        r#"{{"schemaVersion":2{extra},"config":{},"layers":[{}]}}"#,
        descriptor("application/vnd.oci.image.config.v1+json"),
        descriptor("application/vnd.oci.image.layer.v1.tar+gzip")
    )
}

/// An index with `extra` fields spliced in after `schemaVersion`.
fn index(extra: &str) -> String {
    format!(r#"{{"schemaVersion":2{extra},"manifests":[{}]}}"#, descriptor(OCI_M))
}

#[track_caller]
fn check_err(body: &str, content_type: Option<&str>, expected: ErrorKind) {
    let err = Manifest::parse(body.as_bytes(), content_type).expect_err(body);
    assert_eq!(err.kind(), expected, "{body} ({content_type:?}): {err}");
    let message = err.to_string();
    assert!(!message.is_empty() && !message.ends_with('.'), "{message}");
    assert!(message.len() < 600, "{message}");
}

#[track_caller]
fn check_ok(body: &str, content_type: Option<&str>, expected: ManifestKind) {
    let manifest = Manifest::parse(body.as_bytes(), content_type).unwrap_or_else(|err| panic!("{body}: {err}"));
    assert_eq!(manifest.kind(), expected, "{body} ({content_type:?})");
    assert_eq!(*manifest.digest(), Digest::sha256(body.as_bytes()));
}

#[test]
fn kind_from_content_type_media_type_or_shape() {
    check_ok(&image(""), Some(OCI_M), ManifestKind::OciManifest);
    check_ok(&image(""), Some(DK_M), ManifestKind::DockerManifest);
    check_ok(&image(""), None, ManifestKind::OciManifest);
    check_ok(&image(""), Some("application/json"), ManifestKind::OciManifest);
    check_ok(&image(""), Some("application/octet-stream"), ManifestKind::OciManifest);
    check_ok(&image(""), Some("text/plain; charset=utf-8"), ManifestKind::OciManifest);
    check_ok(&image(""), Some(""), ManifestKind::OciManifest);
    check_ok(
        &image(&format!(r#","mediaType":"{DK_M}""#)),
        None,
        ManifestKind::DockerManifest,
    );
    check_ok(
        &image(&format!(r#","mediaType":"{DK_M}""#)),
        Some(DK_M),
        ManifestKind::DockerManifest,
    );
    check_ok(
        &image(&format!(r#","mediaType":"{DK_M}""#)),
        Some("application/json"),
        ManifestKind::DockerManifest,
    );
    check_ok(
        &image(&format!(r#","mediaType":"{OCI_M}""#)),
        Some(&format!("{OCI_M}; charset=utf-8")),
        ManifestKind::OciManifest,
    );
    check_ok(
        &image(""),
        Some("Application/VND.oci.image.manifest.v1+json ; q=1"),
        ManifestKind::OciManifest,
    );
    check_ok(&index(""), None, ManifestKind::OciIndex);
    check_ok(&index(""), Some(DK_L), ManifestKind::DockerManifestList);
    check_ok(
        &index(&format!(r#","mediaType":"{DK_L}""#)),
        None,
        ManifestKind::DockerManifestList,
    );
    check_ok(
        &index(&format!(r#","mediaType":"{OCI_I}""#)),
        Some(OCI_I),
        ManifestKind::OciIndex,
    );
    // A Content-Type that is not a manifest type is ignored when the document says what it is.
    check_ok(&index(""), Some("application/vnd.example+json"), ManifestKind::OciIndex);
    check_ok(&index(r#","mediaType":null"#), None, ManifestKind::OciIndex);
}

#[test]
fn unknown_fields_and_nulls_are_tolerated() {
    check_ok(
        &image(r#","future":{"x":[1,2,3]},"annotations":null"#),
        None,
        ManifestKind::OciManifest,
    );
    check_ok(
        &image(r#","subject":null,"artifactType":null"#),
        None,
        ManifestKind::OciManifest,
    );
    let body = format!(
        r#"{{"schemaVersion":2,"manifests":[{{"mediaType":"{OCI_M}","digest":"{D}","size":2,"new":true,"urls":null,"annotations":null,"platform":{{"os":"linux","architecture":"amd64","os.features":null,"features":["sse4"]}}}}]}}"#
    );
    check_ok(&body, None, ManifestKind::OciIndex);
    // Of duplicate keys the last counts, as in Go.
    check_ok(
        &image(r#","mediaType":"x","mediaType":"application/vnd.oci.image.manifest.v1+json""#),
        None,
        ManifestKind::OciManifest,
    );
}

#[test]
fn error_kinds() {
    use ErrorKind::*;
    check_err("", None, InvalidJson);
    check_err("{", None, InvalidJson);
    check_err("[]", None, InvalidJson);
    check_err("null", None, InvalidJson);
    check_err("\"manifest\"", Some(OCI_M), InvalidJson);
    check_err(&format!("{}x", image("")), None, InvalidJson);
    check_err("\u{feff}{}", None, InvalidJson);

    check_err(
        r#"{"schemaVersion":1,"name":"library/busybox","tag":"latest","fsLayers":[]}"#,
        None,
        Schema1,
    );
    check_err(r#"{"schemaVersion":1}"#, Some(OCI_M), Schema1);
    check_err(
        "{}",
        Some("application/vnd.docker.distribution.manifest.v1+prettyjws"),
        Schema1,
    );
    check_err(
        "not even json",
        Some("application/vnd.docker.distribution.manifest.v1+json"),
        Schema1,
    );
    check_err(
        r#"{"schemaVersion":2,"mediaType":"application/vnd.docker.distribution.manifest.v1+json"}"#,
        None,
        Schema1,
    );

    check_err(r#"{"manifests":[]}"#, None, SchemaVersion);
    check_err(r#"{"schemaVersion":3,"manifests":[]}"#, None, SchemaVersion);
    check_err(r#"{"schemaVersion":"2","manifests":[]}"#, None, SchemaVersion);
    check_err(r#"{"schemaVersion":2.0,"manifests":[]}"#, None, SchemaVersion);
    check_err(r#"{"schemaVersion":-2,"manifests":[]}"#, None, SchemaVersion);

    check_err(
        &image(r#","mediaType":"application/vnd.example.manifest+json""#),
        None,
        UnknownMediaType,
    );
    check_err(
        &index(r#","mediaType":"application/vnd.oci.artifact.manifest.v1+json""#),
        None,
        UnknownMediaType,
    );
    check_err(
        &image(r#","mediaType":"application/vnd.oci.image.config.v1+json""#),
        None,
        UnknownMediaType,
    );
    check_err(
        r#"{"schemaVersion":2}"#,
        Some("application/vnd.example+json"),
        UnknownMediaType,
    );

    check_err(
        &image(&format!(r#","mediaType":"{DK_M}""#)),
        Some(OCI_M),
        MediaTypeMismatch,
    );
    check_err(
        &index(&format!(r#","mediaType":"{OCI_I}""#)),
        Some(DK_L),
        MediaTypeMismatch,
    );
    check_err(
        &image(&format!(r#","mediaType":"{OCI_M}""#)),
        Some(OCI_I),
        MediaTypeMismatch,
    );
    check_err(&image(r#","mediaType":"x""#), Some(OCI_M), MediaTypeMismatch);

    check_err(r#"{"schemaVersion":2}"#, None, UnknownShape);
    check_err(
        r#"{"schemaVersion":2,"blobs":[]}"#,
        Some("application/json"),
        UnknownShape,
    );

    check_err(&image(r#","manifests":[]"#), None, Ambiguous);
    check_err(&image(r#","manifests":[]"#), Some(OCI_M), Ambiguous);
    check_err(&index(r#","layers":[]"#), Some(OCI_I), Ambiguous);
    check_err(
        &index(&format!(r#","mediaType":"{OCI_I}","config":{{}}"#)),
        None,
        Ambiguous,
    );

    check_err(r#"{"schemaVersion":2,"layers":[]}"#, None, MissingField);
    check_err(
        &format!(r#"{{"schemaVersion":2,"config":{}}}"#, descriptor("x")),
        None,
        MissingField,
    );
    check_err(r#"{"schemaVersion":2,"manifests":null}"#, Some(OCI_I), MissingField);
    check_err(
        r#"{"schemaVersion":2,"manifests":[{"digest":"sha256:x","size":1}]}"#,
        None,
        MissingField,
    );
    check_err(
        r#"{"schemaVersion":2,"manifests":[{"mediaType":"x","size":1}]}"#,
        None,
        MissingField,
    );
    check_err(
        &format!(r#"{{"schemaVersion":2,"manifests":[{{"mediaType":"x","digest":"{D}"}}]}}"#),
        None,
        MissingField,
    );

    let bad_digest = |digest: &str| {
        format!(r#"{{"schemaVersion":2,"manifests":[{{"mediaType":"x","digest":"{digest}","size":1}}]}}"#)
    };
    check_err(&bad_digest("sha256:abc"), None, InvalidDigest);
    check_err(&bad_digest(""), None, InvalidDigest);
    check_err(&bad_digest(&D.to_uppercase()), None, InvalidDigest);
    check_err(&bad_digest(&format!("md5:{}", "a".repeat(32))), None, InvalidDigest);
    check_err(
        &image(&format!(
            r#","subject":{{"mediaType":"x","digest":"sha256:{}","size":1}}"#,
            "g".repeat(64)
        )),
        None,
        InvalidDigest,
    );

    let size =
        |size: &str| format!(r#"{{"schemaVersion":2,"manifests":[{{"mediaType":"x","digest":"{D}","size":{size}}}]}}"#);
    check_err(&size("-1"), None, NegativeSize);
    check_err(&size("-9223372036854775808"), None, NegativeSize);
    check_err(&size("-1.5"), None, NegativeSize);
    check_err(&size("-1e400"), None, InvalidJson);
    check_err(&size("1.5"), None, InvalidField);
    check_err(&size("\"12\""), None, InvalidField);
    check_err(&size("18446744073709551616"), None, InvalidField);
    check_ok(&size("18446744073709551615"), None, ManifestKind::OciIndex);

    check_err(&image(r#","annotations":{"a":1}"#), None, InvalidField);
    check_err(&image(r#","annotations":[]"#), None, InvalidField);
    check_err(&image(r#","artifactType":7"#), None, InvalidField);
    check_err(&image(r#","mediaType":7"#), None, InvalidField);
    check_err(r#"{"schemaVersion":2,"manifests":{}}"#, None, InvalidField);
    check_err(r#"{"schemaVersion":2,"manifests":[7]}"#, None, InvalidField);
    check_err(
        &format!(r#"{{"schemaVersion":2,"manifests":[{{"mediaType":1,"digest":"{D}","size":1}}]}}"#),
        None,
        InvalidField,
    );
    check_err(
        &format!(r#"{{"schemaVersion":2,"manifests":[{{"mediaType":"x","digest":"{D}","size":1,"urls":"u"}}]}}"#),
        None,
        InvalidField,
    );
    check_err(
        &format!(
            r#"{{"schemaVersion":2,"manifests":[{{"mediaType":"x","digest":"{D}","size":1,"platform":{{"os":"linux"}}}}]}}"#
        ),
        None,
        InvalidField,
    );
    check_err(
        &format!(r#"{{"schemaVersion":2,"manifests":[{{"mediaType":"x","digest":"{D}","size":1,"data":5}}]}}"#),
        None,
        InvalidField,
    );
    check_err(
        &format!(
            r#"{{"schemaVersion":2,"manifests":[{{"mediaType":"x","digest":"{D}","size":1,"annotations":{{"k":null}}}}]}}"#
        ),
        None,
        InvalidField,
    );
}

#[test]
fn size_limit_is_checked_before_parsing() {
    let body = image("");
    let limit = body.len();
    let options = ParseOptions::new().max_size(limit);
    Manifest::parse_with(body.as_bytes(), None, &options).unwrap();
    let err = Manifest::parse_with(body.as_bytes(), None, &ParseOptions::new().max_size(limit - 1)).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::TooLarge);
    // Garbage over the limit is refused for its size, not its content.
    let big = vec![b'x'; ParseOptions::DEFAULT_MAX_SIZE + 1];
    assert_eq!(Manifest::parse(&big, None).unwrap_err().kind(), ErrorKind::TooLarge);
    let big_ok = format!(
        "{}{}",
        image(""),
        " ".repeat(ParseOptions::DEFAULT_MAX_SIZE - body.len())
    );
    Manifest::parse(big_ok.as_bytes(), None).unwrap();
}

#[test]
fn messages_quote_and_explain() {
    let err = Manifest::parse(b"{}", Some("application/vnd.docker.distribution.manifest.v1+prettyjws")).unwrap_err();
    assert_eq!(
        err.to_string(),
        r#"Docker schema 1 manifest ("application/vnd.docker.distribution.manifest.v1+prettyjws") is not supported; ask the registry for schema 2 or OCI manifests"#
    );
    let body = format!(
        r#"{{"schemaVersion":2,"manifests":[{{"mediaType":"x","digest":"{D}","size":1}},{{"mediaType":"x","digest":"sha256:abc","size":1}}]}}"#
    );
    let err = Manifest::parse(body.as_bytes(), None).unwrap_err();
    assert_eq!(
        err.to_string(),
        r#"manifest field `manifests[1].digest`: invalid digest "sha256:abc": sha256 needs 64 hex characters, found 3"#
    );
    assert!(std::error::Error::source(&err).is_some());
    let long = format!(
        r#"{{"schemaVersion":2,"mediaType":"{}","manifests":[]}}"#,
        "x".repeat(5000)
    );
    let err = Manifest::parse(long.as_bytes(), None).unwrap_err();
    assert!(err.to_string().len() < 400, "{err}");
    let err = Manifest::parse(&image(",").into_bytes(), None).unwrap_err();
    assert!(err.to_string().starts_with("manifest is not valid JSON: "), "{err}");
}
