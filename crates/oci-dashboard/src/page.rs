//! The HTML page: server-rendered, readable without its script.

use std::fmt::Write as _;

use oci_watch::{Status, Timestamp};

use crate::escape::html;
use crate::{Row, Snapshot};

/// The columns of the table, in order.
const COLUMNS: [&str; 11] = [
    "Host",
    "Source",
    "Container",
    "Image",
    "Status",
    "Current",
    "Latest",
    "Newer",
    "Pending until",
    "Note",
    "Checked",
];

/// The page: a summary (counts by status, each host's last round, pulls left per rate-limit source), then one row
/// per workload. It links only its own script and style sheet (`/assets/app.js`, `/assets/app.css`).
pub fn page(snapshot: &Snapshot) -> String {
    let rows: Vec<Row<'_>> = snapshot.rows().collect();
    let mut out = String::with_capacity(2048 + rows.len() * 600);
    out.push_str(
        "<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <meta name=\"color-scheme\" content=\"light dark\">\n<title>oci-check</title>\n\
         <link rel=\"icon\" href=\"/assets/icon.svg\" type=\"image/svg+xml\">\n<link rel=\"stylesheet\" href=\"/assets/app.css\">\n<script src=\"/assets/app.js\" defer></script>\n\
         </head>\n<body>\n<header>\n<h1>oci-check</h1>\n",
    );
    summary(&mut out, snapshot, &rows);
    out.push_str("</header>\n<main>\n");
    hosts(&mut out, snapshot);
    out.push_str(
        "<div class=\"tools\"><input id=\"filter\" type=\"search\" placeholder=\"Filter rows\" \
         aria-label=\"Filter rows\" autocomplete=\"off\"> <button id=\"refresh\" type=\"button\">Refresh</button>\
         </div>\n<div class=\"scroll\">\n<table id=\"workloads\">\n<thead><tr>",
    );
    for column in COLUMNS {
        let _ = write!(out, "<th scope=\"col\" aria-sort=\"none\">{column}</th>");
    }
    out.push_str("</tr></thead>\n<tbody>\n");
    for row in &rows {
        table_row(&mut out, row);
    }
    out.push_str("</tbody>\n</table>\n</div>\n");
    if rows.is_empty() {
        out.push_str("<p class=\"empty\">No workloads yet: the first round has not finished.</p>\n");
    }
    let _ = write!(
        out,
        "</main>\n<footer>Shown at <time datetime=\"{now}\">{}</time>. Read-only: this page changes nothing.</footer>\n\
         </body>\n</html>\n",
        snapshot.now().to_utc_minutes(),
        now = snapshot.now()
    );
    out
}

/// Counts by status over every host.
fn summary(out: &mut String, snapshot: &Snapshot, rows: &[Row<'_>]) {
    out.push_str("<p id=\"summary\">");
    let _ = write!(
        out,
        "{} workload{} on {} host{}",
        rows.len(),
        plural(rows.len()),
        snapshot.hosts().len(),
        plural(snapshot.hosts().len())
    );
    for status in Status::ALL {
        let count = rows.iter().filter(|row| row.status() == status).count();
        if count > 0 {
            let _ = write!(
                out,
                " · <span class=\"status s-{}\">{count} {}</span>",
                status.as_str(),
                words(status)
            );
        }
    }
    out.push_str("</p>\n");
}

/// Each host's last round.
fn hosts(out: &mut String, snapshot: &Snapshot) {
    out.push_str("<ul id=\"hosts\">\n");
    for host in snapshot.hosts() {
        let name = html(host.state.host().as_str());
        let _ = write!(out, "<li data-host=\"{name}\"><strong>{name}</strong>");
        match host.state.last_round() {
            Some(round) => {
                let _ = write!(
                    out,
                    ": last round <time datetime=\"{}\">{}</time>, {:.1} s",
                    round.started,
                    round.started.to_utc_minutes(),
                    round.duration_ms as f64 / 1000.0
                );
                for (source, left) in &round.pulls_left {
                    let _ = write!(out, ", {left} pulls left at {}", html(source));
                }
            }
            None => out.push_str(": no round yet"),
        }
        if host.stale {
            out.push_str(" <span class=\"stale\">stale: it missed its last two rounds</span>");
        }
        out.push_str("</li>\n");
    }
    out.push_str("</ul>\n");
}

/// One workload.
fn table_row(out: &mut String, row: &Row<'_>) {
    let last = row.workload.last();
    let status = row.status();
    let short = |digest: Option<&str>| {
        digest.map_or_else(String::new, |digest| {
            let hex = digest.split_once(':').map_or(digest, |(_, hex)| hex);
            let shown: String = hex.chars().take(12).collect();
            format!("<code title=\"{}\">{}</code>", html(digest), html(&shown))
        })
    };
    let newer = last.newer.as_ref().map_or_else(String::new, |newer| {
        format!(
            "{} <span class=\"kind\">{}</span>",
            html(&newer.tag),
            newer.jump.as_str()
        )
    });
    let pending = row.workload.pending_until().map_or_else(String::new, time)
        + &row
            .workload
            .pending()
            .iter()
            .find(|pending| pending.until().is_none())
            .map(|pending| html(&pending.reason.to_string()))
            .unwrap_or_default();
    let note = last
        .error
        .as_ref()
        .map(|error| error.message.as_str())
        .or_else(|| row.field("note"))
        .unwrap_or_default();
    let _ = writeln!(
        out,
        "<tr data-status=\"{status}\"><td>{}</td><td>{}</td><td class=\"wrap\">{}</td><td class=\"wrap\">{}</td>\
         <td class=\"status s-{status}\">{}</td><td>{}</td><td>{}</td><td>{newer}</td><td>{pending}</td>\
         <td class=\"note wrap\">{}</td><td>{}</td></tr>",
        html(row.host.state.host().as_str()),
        html(row.key.source()),
        html(row.container()),
        html(row.image()),
        words(status),
        short(last.current_digest.as_deref()),
        short(last.latest_digest.as_deref()),
        html(note),
        time(row.workload.checked_at()),
        status = status.as_str(),
    );
}

/// A `<time>` element.
fn time(at: Timestamp) -> String {
    format!("<time datetime=\"{at}\">{}</time>", at.to_utc_minutes())
}

/// A status in words.
fn words(status: Status) -> &'static str {
    match status {
        Status::UpToDate => "up to date",
        Status::UpdateAvailable => "update available",
        Status::NewerAvailable => "newer version",
        Status::Untrusted => "untrusted",
        Status::NoDigest => "no digest",
        Status::Local => "local",
        _ => "check failed",
    }
}

fn plural(count: usize) -> &'static str {
    if count == 1 { "" } else { "s" }
}
