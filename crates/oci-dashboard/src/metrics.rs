//! The Prometheus text exposition (format 0.0.4) of a [`Snapshot`].

use std::collections::BTreeMap;
use std::fmt::Write as _;

use oci_watch::Status;

use crate::escape::label;
use crate::{Row, Snapshot};

/// Every metric, rendered from the snapshot: per workload `oci_check_update_available`,
/// `oci_check_newer_available`, `oci_check_untrusted` and `oci_check_check_failed` (0 or 1, one series per workload
/// of each host's last round); per host `oci_check_last_round_timestamp_seconds`, `oci_check_round_duration_seconds`,
/// `oci_check_host_stale`, and the counters `oci_check_pulls_total` and `oci_check_requests_total{method}`; per
/// rate-limit source `oci_check_ratelimit_remaining` (the least any host was told).
pub fn metrics(snapshot: &Snapshot) -> String {
    let mut out = String::new();
    let rows: Vec<Row<'_>> = snapshot.rows().collect();
    let workload = |row: &Row<'_>| {
        format!(
            "host=\"{}\",source=\"{}\",container=\"{}\",image=\"{}\"",
            label(row.host.state.host().as_str()),
            label(row.key.source()),
            label(row.container()),
            label(row.image())
        )
    };

    family(
        &mut out,
        "oci_check_update_available",
        "gauge",
        "1 when the workload's tag names a newer image for its platform, as of its host's last round.",
    );
    for row in &rows {
        let value = u8::from(row.status() == Status::UpdateAvailable);
        let platform = label(row.key.platform());
        let _ = writeln!(
            out,
            "oci_check_update_available{{{},platform=\"{platform}\"}} {value}",
            workload(row)
        );
    }

    family(
        &mut out,
        "oci_check_newer_available",
        "gauge",
        "1 when a newer version tag of the workload's tag exists (tag and kind say which), as of its host's last round.",
    );
    for row in &rows {
        let newer = row.workload.last().newer.as_ref();
        let (tag, kind) = newer.map_or(("", ""), |newer| (newer.tag.as_str(), newer.jump.as_str()));
        let platform = label(row.key.platform());
        let _ = writeln!(
            out,
            "oci_check_newer_available{{{},platform=\"{platform}\",tag=\"{}\",kind=\"{kind}\"}} {}",
            workload(row),
            label(tag),
            u8::from(newer.is_some())
        );
    }

    family(
        &mut out,
        "oci_check_untrusted",
        "gauge",
        "1 when --require-signed refused the workload's update or newer version (its signature is not verified), as of its host's last round.",
    );
    for row in &rows {
        let value = u8::from(row.status() == Status::Untrusted);
        let _ = writeln!(out, "oci_check_untrusted{{{}}} {value}", workload(row));
    }

    family(
        &mut out,
        "oci_check_check_failed",
        "gauge",
        "1 when the workload's check failed in its host's last round.",
    );
    for row in &rows {
        let value = u8::from(row.status() == Status::Error);
        let _ = writeln!(out, "oci_check_check_failed{{{}}} {value}", workload(row));
    }

    let hosts: Vec<_> = snapshot
        .hosts()
        .iter()
        .filter_map(|host| host.state.last_round().map(|round| (host, round)))
        .collect();
    family(
        &mut out,
        "oci_check_last_round_timestamp_seconds",
        "gauge",
        "When the host's last round started, in seconds since the Unix epoch.",
    );
    for (host, round) in &hosts {
        let _ = writeln!(
            out,
            "oci_check_last_round_timestamp_seconds{{host=\"{}\"}} {}",
            label(host.state.host().as_str()),
            round.started.unix()
        );
    }
    family(
        &mut out,
        "oci_check_round_duration_seconds",
        "gauge",
        "How long the host's last round took, in seconds.",
    );
    for (host, round) in &hosts {
        let _ = writeln!(
            out,
            "oci_check_round_duration_seconds{{host=\"{}\"}} {}",
            label(host.state.host().as_str()),
            round.duration_ms as f64 / 1000.0
        );
    }
    family(
        &mut out,
        "oci_check_host_stale",
        "gauge",
        "1 when the host's last round is older than two intervals: its watcher stopped or cannot write its state.",
    );
    for host in snapshot.hosts() {
        let _ = writeln!(
            out,
            "oci_check_host_stale{{host=\"{}\"}} {}",
            label(host.state.host().as_str()),
            u8::from(host.stale)
        );
    }
    family(
        &mut out,
        "oci_check_pulls_total",
        "counter",
        "Manifest GETs (pulls, as Docker Hub counts them) the host's watcher spent, over every round its state has seen.",
    );
    for (host, round) in &hosts {
        let _ = writeln!(
            out,
            "oci_check_pulls_total{{host=\"{}\"}} {}",
            label(host.state.host().as_str()),
            round.pulls_total
        );
    }
    family(
        &mut out,
        "oci_check_requests_total",
        "counter",
        "Manifest requests the host's watcher sent to registries, by method, over every round its state has seen.",
    );
    for (host, round) in &hosts {
        for (method, count) in &round.requests_total {
            let _ = writeln!(
                out,
                "oci_check_requests_total{{host=\"{}\",method=\"{}\"}} {count}",
                label(host.state.host().as_str()),
                label(method)
            );
        }
    }

    let mut remaining: BTreeMap<&str, u64> = BTreeMap::new();
    for (_, round) in &hosts {
        for (source, left) in &round.pulls_left {
            let entry = remaining.entry(source.as_str()).or_insert(*left);
            *entry = (*entry).min(*left);
        }
    }
    family(
        &mut out,
        "oci_check_ratelimit_remaining",
        "gauge",
        "Pulls left in the registry's rate-limit window for the source, the least any host was told in its last round.",
    );
    for (source, left) in remaining {
        let _ = writeln!(
            out,
            "oci_check_ratelimit_remaining{{source=\"{}\"}} {left}",
            label(source)
        );
    }
    out
}

/// The `# HELP` and `# TYPE` lines of a metric family.
fn family(out: &mut String, name: &str, kind: &str, help: &str) {
    let _ = writeln!(out, "# HELP {name} {help}");
    let _ = writeln!(out, "# TYPE {name} {kind}");
}
