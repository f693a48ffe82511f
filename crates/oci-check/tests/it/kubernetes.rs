//! `update --kubectl-json`: `kubectl get pods,nodes -A -o json` output naming images pushed to the real registry,
//! each owner's container judged by the image its pods run, for its node's platform.

use oci_testkit::{Registry, TempDir, block_on};
use serde_json::{Value, json};

use crate::oci_check;

/// A Pod as kubectl prints it, with one container `name` of `image`, running `image_id` (empty: none yet).
fn pod(namespace: &str, name: &str, node: &str, owner: Option<(&str, &str)>, container: (&str, &str, &str)) -> Value {
    let (container, image, image_id) = container;
    let mut metadata = json!({"name": name, "namespace": namespace, "labels": {}});
    if let Some((kind, owner)) = owner {
        metadata["ownerReferences"] = json!([{"apiVersion": "apps/v1", "kind": kind, "name": owner,
            "controller": true, "blockOwnerDeletion": true, "uid": "6f1c2a7e-0000-4000-8000-000000000001"}]);
        if let Some(hash) = owner.strip_prefix("web-") {
            metadata["labels"]["pod-template-hash"] = Value::from(hash);
        }
    }
    let state = if image_id.is_empty() {
        json!({"waiting": {"reason": "CrashLoopBackOff", "message": "back-off 5m0s restarting failed container"}})
    } else {
        json!({"running": {"startedAt": "2026-12-01T09:30:12Z"}})
    };
    json!({
        "apiVersion": "v1", "kind": "Pod", "metadata": metadata,
        "spec": {"nodeName": node, "containers": [{"name": container, "image": image, "imagePullPolicy": "IfNotPresent"}]},
        "status": {"phase": "Running", "containerStatuses": [{"name": container, "image": image, "imageID": image_id,
            "ready": !image_id.is_empty(), "restartCount": 0, "state": state}]}
    })
}

/// A Node of `architecture`, as kubectl prints it.
fn node(name: &str, architecture: &str) -> Value {
    json!({
        "apiVersion": "v1", "kind": "Node",
        "metadata": {"name": name, "labels": {"kubernetes.io/arch": architecture, "kubernetes.io/os": "linux"}},
        "status": {"nodeInfo": {"architecture": architecture, "operatingSystem": "linux",
            "containerRuntimeVersion": "containerd://1.7.22", "kubeletVersion": "v1.30.2"}}
    })
}

#[test]
fn kubectl_json_judges_each_owners_container_for_its_nodes_platform() {
    let registry = Registry::open();
    let host = registry.host().to_owned();
    let (old, new, index, arm64) = block_on(async {
        let app = registry.images("demo/app").unwrap();
        let old = app.platform_image("amd64", "app-old", Some("1")).await.unwrap().digest;
        // The tag moves on after the pods pulled it.
        let new = app.platform_image("amd64", "app-new", Some("1")).await.unwrap().digest;
        let multi = registry.images("demo/multi").unwrap();
        let amd64 = multi.platform_image("amd64", "multi-amd64", None).await.unwrap().digest;
        let arm64 = multi.platform_image("arm64", "multi-arm64", None).await.unwrap().digest;
        let index = multi
            .index(&[("amd64", &amd64), ("arm64", &arm64)], "latest")
            .await
            .unwrap()
            .digest;
        (old, new, index, arm64)
    });
    let app = format!("{host}/demo/app:1");
    let multi = format!("{host}/demo/multi:latest");
    let pulled_old = format!("{host}/demo/app@{old}");
    let web = Some(("ReplicaSet", "web-7d4b9c5f6d"));
    let agent = Some(("DaemonSet", "agent"));
    let items = vec![
        // Three replicas of a Deployment on the amd64 node, all on the image the tag named before it moved.
        pod("shop", "web-7d4b9c5f6d-a1", "amd-1", web, ("app", &app, &pulled_old)),
        pod("shop", "web-7d4b9c5f6d-b2", "amd-1", web, ("app", &app, &pulled_old)),
        pod("shop", "web-7d4b9c5f6d-c3", "amd-1", web, ("app", &app, &pulled_old)),
        // A DaemonSet on both nodes: containerd on amd64 recorded the index it pulled, the arm64 node (CRI-O) the
        // platform's manifest: up to date only when read for arm64.
        pod(
            "ops",
            "agent-x1",
            "amd-1",
            agent,
            ("agent", &multi, &format!("{host}/demo/multi@{index}")),
        ),
        pod(
            "ops",
            "agent-y2",
            "arm-1",
            agent,
            ("agent", &multi, &format!("{host}/demo/multi@{arm64}")),
        ),
        // Crash-looping before its image was recorded: nothing to compare.
        pod(
            "shop",
            "db-0",
            "amd-1",
            Some(("StatefulSet", "db")),
            ("postgres", &app, ""),
        ),
        node("amd-1", "amd64"),
        node("arm-1", "arm64"),
    ];
    let document = json!({"apiVersion": "v1", "kind": "List", "metadata": {"resourceVersion": ""}, "items": items});
    let text = serde_json::to_string_pretty(&document).unwrap();

    let out = oci_check(&["update", "--json", "--kubectl-json", "-"], &text);
    assert_eq!(out.code, 10, "the Deployment's tag moved: {out:?}");
    let records: Vec<Value> = out
        .stdout
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    let by_name = |name: &str| {
        records
            .iter()
            .find(|record| record["container"] == name)
            .unwrap_or_else(|| panic!("no record for {name}: {records:#?}"))
            .clone()
    };
    assert_eq!(records.len(), 4, "one row for three replicas: {records:#?}");
    assert!(
        records.iter().all(|record| record["source"] == "kubernetes"),
        "{records:#?}"
    );

    let web = by_name("shop/web/app");
    assert_eq!(web["status"], "update_available", "{web}");
    assert_eq!(web["current_digest"], old.as_str());
    assert_eq!(web["latest_digest"], new.as_str());
    assert_eq!(web["reference"], app);

    let on_amd64 = by_name("ops/agent/agent (linux/amd64)");
    assert_eq!(on_amd64["status"], "up_to_date", "{on_amd64}");
    assert_eq!(on_amd64["matched_digest"], index.as_str());
    let on_arm64 = by_name("ops/agent/agent (linux/arm64)");
    assert_eq!(
        on_arm64["status"], "up_to_date",
        "the arm64 child of the index: {on_arm64}"
    );
    assert_eq!(on_arm64["matched_digest"], arm64.as_str());
    assert_eq!(on_arm64["platform_digest"], arm64.as_str());

    let db = by_name("shop/db/postgres");
    assert_eq!(db["status"], "no_digest", "{db}");

    // The same document from a file, as a table: the CONTAINER column names the owners' containers.
    let dir = TempDir::new("oci-check-kubectl");
    let file = dir.path().join("pods.json");
    std::fs::write(&file, &text).unwrap();
    let table = oci_check(&["update", "--kubectl-json", file.to_str().unwrap()], "");
    assert_eq!(table.code, 10, "{table:?}");
    assert!(table.stdout.starts_with("CONTAINER"), "{table:?}");
    assert!(
        table
            .stdout
            .lines()
            .any(|line| line.starts_with("shop/web/app") && line.contains("update available")),
        "{table:?}"
    );
}

#[test]
fn kubectl_json_that_cannot_be_read_is_a_failure_of_its_own() {
    for (input, args, fragment) in [
        ("", &["update", "--kubectl-json", "/dev/zero"][..], "a device"),
        (
            "[]",
            &["update", "--kubectl-json", "-"],
            "an array, not the JSON object",
        ),
        (
            r#"{"kind":"Deployment","metadata":{"name":"web"}}"#,
            &["update", "--kubectl-json", "-"],
            "a \"Deployment\" holds no pods",
        ),
    ] {
        let out = oci_check(args, input);
        assert_eq!(out.code, 1, "{args:?}: {out:?}");
        assert_eq!(out.stdout, "", "{args:?}: no table header without rows");
        assert!(
            out.stderr.contains("could not read the kubectl output"),
            "{}",
            out.stderr
        );
        assert!(out.stderr.contains(fragment), "{fragment}: {}", out.stderr);
    }
    // A cluster running no pods is an answer, not a usage error.
    let out = oci_check(&["update", "--kubectl-json", "-"], r#"{"kind":"List","items":[]}"#);
    assert_eq!(out.code, 0, "{out:?}");
}

#[test]
fn kubectl_json_from_standard_input_is_read_by_one_option_once() {
    let document = r#"{"kind":"List","items":[]}"#;
    for args in [
        &["update", "--kubectl-json", "-", "--inspect", "-"][..],
        &["update", "-f", "-", "--kubectl-json", "-"],
        &["watch", "--once", "--kubectl-json", "-", "--inspect", "-"],
    ] {
        let out = oci_check(args, document);
        assert_eq!(out.code, 2, "{args:?}: {out:?}");
        assert!(
            out.stderr.contains("both want standard input"),
            "{args:?}: {}",
            out.stderr
        );
    }
    // A watcher's second round would find standard input at its end.
    for option in ["--kubectl-json", "--inspect"] {
        let out = oci_check(&["watch", option, "-"], document);
        assert_eq!(out.code, 2, "{option}: {out:?}");
        assert!(out.stderr.contains("again each round"), "{option}: {}", out.stderr);
    }
}
