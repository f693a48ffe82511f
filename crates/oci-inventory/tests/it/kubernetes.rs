//! `kubectl get pods,nodes -A -o json` output: recorded documents (written by hand, see
//! `tests/data/kubernetes/README.md`), what is refused, and what is bounded.

use std::path::Path;

use oci_inventory::{ErrorKind, ImageRef, Source, State, Workload, parse_kubectl, read_kubectl};
use oci_testkit::TempDir;

use super::data;

/// sha256 of `text`, as the generated documents name their digests.
fn digest(text: &str) -> String {
    oci_digest::Digest::sha256(text.as_bytes()).to_string()
}

fn workloads(file: &str) -> Vec<Workload> {
    let text = std::fs::read(data(file)).unwrap();
    parse_kubectl(&text, Some(Path::new(file))).unwrap()
}

/// One workload, as a line: name, image, repo digests, image ID, platform, state.
fn line(workload: &Workload) -> String {
    let repo_digests: Vec<String> = workload.repo_digests().iter().map(ToString::to_string).collect();
    format!(
        "{} | {} | {} | {} | {} | {}",
        workload.name(),
        workload.image(),
        repo_digests.join(","),
        workload.image_id().map(ToString::to_string).unwrap_or_default(),
        workload.platform().map(ToString::to_string).unwrap_or_default(),
        workload.state().map(ToString::to_string).unwrap_or_default(),
    )
}

#[test]
fn kubectl_pods_and_nodes_one_workload_per_owner_container() {
    let found = workloads("kubernetes/pods-nodes.json");
    let lines: Vec<String> = found.iter().map(line).collect();
    let alpine = digest("alpine 3.20 index");
    let busybox = digest("busybox 1.36 index");
    let proxy = digest("kube-proxy index");
    let shipper = digest("log-shipper 2.3 index");
    let expected = [
        // A bare pod by digest, and its ephemeral container, on the arm64 node.
        format!("default/debug/shell | alpine@{alpine} | docker.io/library/alpine@{alpine} |  | linux/arm64 | running"),
        format!(
            "default/debug/debugger-7xk2p | busybox:1.36 | docker.io/library/busybox@{busybox} |  | linux/arm64 | running"
        ),
        // A static pod is its own owner; an imported image is known by its ID.
        format!(
            "kube-system/kube-apiserver-node-amd64-1/kube-apiserver | registry.k8s.io/kube-apiserver:v1.30.2 |  | {} \
             | linux/amd64 | running",
            digest("kube-apiserver config")
        ),
        // A DaemonSet on two platforms: one workload each, the name says which.
        format!(
            "kube-system/kube-proxy/kube-proxy (linux/amd64) | registry.k8s.io/kube-proxy:v1.30.2 \
             | registry.k8s.io/kube-proxy@{proxy} |  | linux/amd64 | running"
        ),
        format!(
            "kube-system/kube-proxy/kube-proxy (linux/arm64) | registry.k8s.io/kube-proxy:v1.30.2 \
             | registry.k8s.io/kube-proxy@{proxy} |  | linux/arm64 | running"
        ),
        // Two replicas running different images behind one tag stay apart: the older one is not hidden.
        format!(
            "shop/api/api (pod api-5c8f7b9d4-h2kxq) | ghcr.io/example/api:latest | ghcr.io/example/api@{} |  \
             | linux/amd64 | running",
            digest("api latest new")
        ),
        format!(
            "shop/api/api (pod api-5c8f7b9d4-m8vtn) | ghcr.io/example/api:latest | ghcr.io/example/api@{} |  \
             | linux/amd64 | running",
            digest("api latest old")
        ),
        // Crash-looping before its image was recorded: no digest, the reason as its state.
        "shop/db/postgres | postgres:16 |  |  | linux/arm64 | CrashLoopBackOff".to_owned(),
        // Three replicas of a Deployment (named through its ReplicaSet) are one workload per container.
        format!(
            "shop/web/nginx | nginx:1.25 | docker.io/library/nginx@{} |  | linux/amd64 | running",
            digest("nginx 1.25 index")
        ),
        format!(
            "shop/web/log-shipper | ghcr.io/example/log-shipper:2.3@{shipper} | ghcr.io/example/log-shipper@{shipper} \
             |  | linux/amd64 | running"
        ),
        format!("shop/web/migrate | busybox:1.36 | docker.io/library/busybox@{busybox} |  | linux/amd64 | exited"),
    ];
    assert_eq!(lines, expected, "{lines:#?}");
    assert!(found.iter().all(|w| w.source()
        == &Source::Kubernetes {
            file: Some("kubernetes/pods-nodes.json".into())
        }
        && w.id().is_none()));
    // The digest in use of a pod run by digest is both its configured digest and its repo digest: one digest.
    assert_eq!(found[0].digests().len(), 1);
}

#[test]
fn kubectl_one_pod_from_a_dockershim_node_has_no_platform() {
    let found = workloads("kubernetes/pod-dockershim.json");
    let lines: Vec<String> = found.iter().map(line).collect();
    assert_eq!(
        lines,
        [
            format!(
                "media/jellyfin/jellyfin | jellyfin/jellyfin:10.10.3 | docker.io/jellyfin/jellyfin@{} |  |  | running",
                digest("jellyfin 10.10.3")
            ),
            format!(
                "media/jellyfin/chown | busybox:1.36 |  | {} |  | exited",
                digest("busybox local config")
            ),
        ],
        "{lines:#?}"
    );
}

#[test]
fn kubectl_raw_podlist_items_without_kind_are_pods() {
    let found = workloads("kubernetes/podlist-api.json");
    let names: Vec<&str> = found.iter().map(Workload::name).collect();
    assert_eq!(
        names,
        [
            "shop/api/api (pod api-5c8f7b9d4-h2kxq)",
            "shop/api/api (pod api-5c8f7b9d4-m8vtn)",
            "shop/db/postgres"
        ]
    );
    // No node in the document: the platform is unknown, not guessed.
    assert!(found.iter().all(|w| w.platform().is_none()), "{found:#?}");
}

#[test]
fn kubectl_nodes_give_the_platform_from_node_info_else_labels() {
    let document = |node: &str| {
        format!(
            r#"{{"kind":"List","items":[{node},
            {{"kind":"Pod","metadata":{{"name":"p","namespace":"n"}},"spec":{{"nodeName":"n1",
              "containers":[{{"name":"c","image":"nginx:1.25"}}]}}}}]}}"#
        )
    };
    for (node, platform) in [
        (
            r#"{"kind":"Node","metadata":{"name":"n1"},"status":{"nodeInfo":{"operatingSystem":"linux","architecture":"arm64"}}}"#,
            Some("linux/arm64"),
        ),
        (
            r#"{"kind":"Node","metadata":{"name":"n1","labels":{"kubernetes.io/os":"linux","kubernetes.io/arch":"ppc64le"}}}"#,
            Some("linux/ppc64le"),
        ),
        // An architecture without the OS, or another node: unknown.
        (
            r#"{"kind":"Node","metadata":{"name":"n1","labels":{"kubernetes.io/arch":"arm64"}}}"#,
            None,
        ),
        (
            r#"{"kind":"Node","metadata":{"name":"n2"},"status":{"nodeInfo":{"operatingSystem":"linux","architecture":"arm64"}}}"#,
            None,
        ),
    ] {
        let found = parse_kubectl(document(node).as_bytes(), None).unwrap();
        assert_eq!(found.len(), 1);
        assert_eq!(
            found[0].platform().map(ToString::to_string).as_deref(),
            platform,
            "{node}"
        );
        assert_eq!(found[0].state(), None, "a pod with no status yet");
        assert_eq!(found[0].source(), &Source::Kubernetes { file: None });
    }
}

#[test]
fn kubectl_replicas_without_an_image_in_use_join_those_with_one() {
    let pod = |name: &str, image_id: &str, state: &str| {
        format!(
            r#"{{"kind":"Pod","metadata":{{"name":"{name}","namespace":"n","labels":{{"pod-template-hash":"abc12"}},
              "ownerReferences":[{{"kind":"ReplicaSet","name":"web-abc12","controller":true}}]}},
              "spec":{{"containers":[{{"name":"c","image":"nginx:1.25"}}]}},
              "status":{{"containerStatuses":[{{"name":"c","imageID":"{image_id}","state":{state}}}]}}}}"#
        )
    };
    let pulled = format!("docker.io/library/nginx@{}", digest("nginx"));
    let text = format!(
        r#"{{"kind":"PodList","items":[{},{},{}]}}"#,
        pod("web-abc12-a", "", r#"{"waiting":{"reason":"ContainerCreating"}}"#),
        pod("web-abc12-b", &pulled, r#"{"terminated":{}}"#),
        pod("web-abc12-c", &pulled, r#"{"running":{}}"#),
    );
    let found = parse_kubectl(text.as_bytes(), None).unwrap();
    assert_eq!(found.len(), 1, "{found:#?}");
    assert_eq!(found[0].name(), "n/web/c");
    assert_eq!(found[0].repo_digests()[0].to_string(), pulled);
    assert_eq!(found[0].state(), Some(&State::Running), "running when any replica runs");
    // A rollout: the new ReplicaSet's pods configure another image; two workloads, told apart by their images.
    let text = format!(
        r#"{{"kind":"PodList","items":[{},{}]}}"#,
        pod("web-abc12-a", &pulled, "{}"),
        pod("web-abc12-b", "", "{}").replace("nginx:1.25", "nginx:1.27"),
    );
    let found = parse_kubectl(text.as_bytes(), None).unwrap();
    let images: Vec<String> = found.iter().map(|w| format!("{} {}", w.name(), w.image())).collect();
    assert_eq!(images, ["n/web/c nginx:1.25", "n/web/c nginx:1.27"]);
}

#[test]
fn kubectl_documents_of_other_kinds_and_other_items() {
    // `kubectl get all` adds Services, Deployments and ReplicaSets: skipped, their pods are in the list.
    let text = r#"{"kind":"List","items":[
        {"kind":"Service","metadata":{"name":"web"},"spec":{"ports":[{"port":80}]}},
        {"kind":"Deployment","metadata":{"name":"web"},"spec":{"template":{"spec":{"containers":[{"name":"c","image":"x"}]}}}},
        {"kind":"Pod","metadata":{"name":"p"},"spec":{"containers":[{"name":"c","image":"nginx"}]}}]}"#;
    let found = parse_kubectl(text.as_bytes(), None).unwrap();
    assert_eq!(found.len(), 1);
    assert_eq!(
        found[0].name(),
        "default/p/c",
        "a pod without a namespace is in `default`"
    );
    assert_eq!(found[0].image(), &ImageRef::Reference("nginx".parse().unwrap()));
    for empty in [
        r#"{"kind":"List","items":[]}"#,
        r#"{"kind":"NodeList","items":[{"metadata":{"name":"n"}}]}"#,
    ] {
        assert!(parse_kubectl(empty.as_bytes(), None).unwrap().is_empty(), "{empty}");
    }
}

#[test]
fn kubectl_what_is_not_kubectl_output() {
    let pod_with = |spec: &str, status: &str| {
        format!(
            r#"{{"kind":"List","items":[{{"kind":"Pod","metadata":{{"name":"p"}},"spec":{spec},"status":{status}}}]}}"#
        )
    };
    for (text, kind, fragment) in [
        (
            String::new(),
            ErrorKind::InvalidJson,
            "not the JSON `kubectl get pods,nodes -o json` prints",
        ),
        ("[]".to_owned(), ErrorKind::InvalidJson, "an array, not the JSON object"),
        (
            " 5".to_owned(),
            ErrorKind::InvalidJson,
            "no object, not the JSON object",
        ),
        (
            r#"{"kind":"List","items":{}}"#.to_owned(),
            ErrorKind::InvalidJson,
            "expected a sequence",
        ),
        (
            r#"{"kind":"Pod","metadata":7}"#.to_owned(),
            ErrorKind::InvalidJson,
            "expected a JSON object",
        ),
        // serde reads a struct from an array by position; an array where kubectl prints an object is refused.
        (
            r#"{"kind":"Pod","metadata":["p","ns"]}"#.to_owned(),
            ErrorKind::InvalidJson,
            "invalid type: sequence",
        ),
        (
            pod_with(r#"{"containers":[["c","nginx"]]}"#, "{}"),
            ErrorKind::InvalidJson,
            "invalid type: sequence",
        ),
        (
            pod_with(
                r#"{"containers":[{"name":"c","image":"nginx"}]}"#,
                r#"{"containerStatuses":[{"name":"c","state":{"running":5}}]}"#,
            ),
            ErrorKind::InvalidJson,
            "invalid type: integer `5`, expected a JSON object",
        ),
        ("{}".to_owned(), ErrorKind::InvalidJson, "neither a list nor a pod"),
        (
            r#"{"kind":"Service"}"#.to_owned(),
            ErrorKind::InvalidJson,
            "a \"Service\" holds no pods",
        ),
        (
            r#"{"kind":5}"#.to_owned(),
            ErrorKind::InvalidJson,
            "invalid type: integer `5`",
        ),
        (
            r#"{"kind":"List","items":[{"metadata":{"name":"x"}}]}"#.to_owned(),
            ErrorKind::InvalidJson,
            "item 0: no `kind`",
        ),
        (
            r#"{"kind":"List","items":[{"kind":"Pod","metadata":{"name":""}}]}"#.to_owned(),
            ErrorKind::InvalidJson,
            "item 0: a pod without `metadata.name`",
        ),
        (
            pod_with(r#"{"containers":5}"#, "{}"),
            ErrorKind::InvalidJson,
            "expected a sequence",
        ),
        (
            pod_with(r#"{"containers":[{"image":"nginx"}]}"#, "{}"),
            ErrorKind::InvalidJson,
            "item 0: a container of pod \"default/p\" has no `name`",
        ),
        (
            pod_with(
                r#"{"containers":[{"name":"c","image":"nginx"}]}"#,
                r#"{"containerStatuses":[{"name":"c","imageID":"docker-pullable://nginx:1.25"}]}"#,
            ),
            ErrorKind::InvalidField,
            "item 0: the imageID \"docker-pullable://nginx:1.25\" of container \"c\" of pod \"default/p\" is neither",
        ),
        (
            pod_with(
                r#"{"containers":[{"name":"c","image":"nginx"}]}"#,
                r#"{"containerStatuses":[{"name":"c","imageID":"sha256:0123"}]}"#,
            ),
            ErrorKind::InvalidField,
            "\"sha256:0123\" of container \"c\" of pod \"default/p\" is neither a digest nor",
        ),
        (
            pod_with(
                r#"{"containers":[{"name":"c","image":"nginx"}]}"#,
                r#"{"containerStatuses":"x"}"#,
            ),
            ErrorKind::InvalidJson,
            "invalid type: string \"x\"",
        ),
    ] {
        let err = parse_kubectl(text.as_bytes(), Some(Path::new("pods.json"))).unwrap_err();
        assert_eq!(err.kind(), kind, "{text}: {err}");
        assert_eq!(err.file(), Some(Path::new("pods.json")));
        assert!(err.to_string().contains(fragment), "{text}: {err}");
    }
}

#[test]
fn kubectl_hostile_documents_are_typed_errors() {
    // Nesting deep enough to overflow a recursive reader, in a key nobody reads and in one that is read.
    let deep = "[".repeat(100_000);
    for text in [
        format!(r#"{{"kind":"List","items":[{{"kind":"Pod","metadata":{{"name":"p","annotations":{deep}"#),
        format!(r#"{{"kind":"List","items":{deep}"#),
    ] {
        let err = parse_kubectl(text.as_bytes(), None).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidJson, "{err}");
        assert!(err.to_string().len() < 1024, "{err}");
    }
    // A huge image name with control characters is an image that is no reference; the message quotes it cut
    // and escaped.
    let image = format!("evil\u{1b}[2J{}", "x".repeat(1 << 20));
    let text = serde_json::json!({"kind": "Pod", "metadata": {"name": "p"},
        "spec": {"containers": [{"name": "c", "image": image}]}})
    .to_string();
    let found = parse_kubectl(text.as_bytes(), None).unwrap();
    let ImageRef::Invalid { reason, .. } = found[0].image() else {
        panic!("{:?}", found[0].image())
    };
    assert!(reason.len() < 1024 && !reason.contains('\u{1b}'), "{}", &reason[..200]);
}

#[cfg(unix)]
#[test]
fn kubectl_output_is_a_file_or_a_pipe_within_the_limit() {
    let err = read_kubectl(Some(Path::new("/dev/zero"))).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NotRegularFile, "{err}");
    let dir = TempDir::new("oci-inventory-kubectl");
    let missing = read_kubectl(Some(&dir.path().join("missing"))).unwrap_err();
    assert_eq!(missing.kind(), ErrorKind::Io);
    // At the limit, whitespace around a document is read; one byte more is refused, and named as the limit.
    let path = dir.path().join("pods.json");
    let mut text = br#"{"kind":"List","items":[]}"#.to_vec();
    text.resize(oci_inventory::MAX_KUBECTL_SIZE as usize, b' ');
    std::fs::write(&path, &text).unwrap();
    assert!(read_kubectl(Some(&path)).unwrap().is_empty());
    text.push(b' ');
    std::fs::write(&path, &text).unwrap();
    let err = read_kubectl(Some(&path)).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::LimitExceeded, "{err}");
    assert!(err.to_string().contains("67108864"), "{err}");
    assert_eq!(err.file(), Some(path.as_path()));
    // The recorded documents read from a file as they parse.
    assert_eq!(
        read_kubectl(Some(&data("kubernetes/pods-nodes.json"))).unwrap().len(),
        11
    );
}

#[test]
fn kubectl_many_containers_and_replicas_are_read() {
    use std::fmt::Write as _;
    // One pod with 50 000 containers, each status listed in reverse order. Statuses and replicas are found by maps:
    // a scan per container would make this a billion comparisons.
    let count = 50_000;
    let mut containers = String::new();
    let mut statuses = String::new();
    for n in 0..count {
        write!(containers, r#"{{"name":"c{n}","image":"app:1"}},"#).unwrap();
        let reversed = count - 1 - n;
        write!(
            statuses,
            r#"{{"name":"c{reversed}","imageID":"sha256:{:064x}"}},"#,
            reversed
        )
        .unwrap();
    }
    containers.pop();
    statuses.pop();
    let text = format!(
        r#"{{"kind":"Pod","metadata":{{"name":"p"}},"spec":{{"containers":[{containers}]}},
          "status":{{"containerStatuses":[{statuses}]}}}}"#
    );
    let found = parse_kubectl(text.as_bytes(), None).unwrap();
    assert_eq!(found.len(), count);
    assert_eq!(found[7].name(), "default/p/c7");
    assert_eq!(found[7].image_id().unwrap().encoded(), format!("{:064x}", 7));
    // As many replicas of one DaemonSet, each on another image: one workload each.
    let mut pods = String::new();
    for n in 0..count {
        write!(
            pods,
            r#"{{"metadata":{{"name":"web-{n}","namespace":"n","ownerReferences":[{{"kind":"DaemonSet","name":"web","controller":true}}]}},
               "spec":{{"containers":[{{"name":"c","image":"app:1"}}]}},
               "status":{{"containerStatuses":[{{"name":"c","imageID":"sha256:{n:064x}"}}]}}}},"#
        )
        .unwrap();
    }
    pods.pop();
    let found = parse_kubectl(format!(r#"{{"kind":"PodList","items":[{pods}]}}"#).as_bytes(), None).unwrap();
    assert_eq!(found.len(), count);
    assert_eq!(found[3].name(), "n/web/c (pod web-3)");
}
