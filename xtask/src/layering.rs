//! `cargo xtask layering`: the dependency rules of `docs/architecture.md`, checked against `cargo tree`.
//!
//! Two rules, both over normal and build dependencies (dev-dependencies are free):
//! - the arrows: a workspace crate depends only on the workspace crates its row in `LAYERS` (`main.rs`)
//!   allows, so the stack keeps pointing one way and `oci-testkit` stays a dev-dependency;
//! - no IO below `oci-registry`: a crate marked `no_io` reaches none of those crates, directly or not.

use std::path::Path;

use crate::{LAYERS, NO_IO, Result, cargo_command, output};

/// One workspace crate and the rules it follows.
pub(crate) struct Layer {
    /// The package name.
    pub(crate) name: &'static str,
    /// Whether it is a tool rather than a crate under `crates/` (never published).
    pub(crate) tool: bool,
    /// The workspace crates it may depend on; `None`: any of them.
    allowed: Option<&'static [&'static str]>,
    /// The crates it must never reach, directly or through another crate.
    forbidden: &'static [&'static str],
}

/// The test-support crate: never a normal or build dependency of another crate.
const TEST_SUPPORT: &str = "oci-testkit";

impl Layer {
    /// A crate under `crates/` that may depend on the workspace crates `allowed` only.
    pub(crate) const fn new(name: &'static str, allowed: &'static [&'static str]) -> Self {
        Self {
            name,
            tool: false,
            allowed: Some(allowed),
            forbidden: &[],
        }
    }

    /// A crate that must reach no crate of [`NO_IO`].
    pub(crate) const fn no_io(self) -> Self {
        Self {
            forbidden: NO_IO,
            ..self
        }
    }

    /// A crate that may depend on any workspace crate (test support).
    pub(crate) const fn any_dependency(self) -> Self {
        Self { allowed: None, ..self }
    }

    /// A tool: not under `crates/`, never published.
    pub(crate) const fn tool(self) -> Self {
        Self { tool: true, ..self }
    }
}

/// Checks every rule and reports every broken one, not just the first.
pub(crate) fn command(root: &Path) -> Result {
    eprintln!("xtask: checking the layering invariants");
    let members = workspace_members(root)?;
    let mut broken = Vec::new();
    for member in &members {
        if !LAYERS.iter().any(|layer| layer.name == member) {
            broken.push(format!(
                "`{member}` is a workspace crate without a row in LAYERS (xtask/src/main.rs): say what it may depend on"
            ));
        }
    }
    for layer in LAYERS {
        if !members.iter().any(|member| member == layer.name) {
            broken.push(format!(
                "`{}` has a row in LAYERS but is not a workspace crate; remove the row",
                layer.name
            ));
            continue;
        }
        let deps = dependencies(root, layer.name)?;
        broken.extend(check(layer, &deps, &members));
    }
    if !broken.is_empty() {
        return Err(format!("layering (see docs/architecture.md):\n  {}", broken.join("\n  ")).into());
    }
    eprintln!("xtask: layering ok");
    Ok(())
}

/// What a crate's normal and build dependencies, as `cargo tree` shows them, break of its row's rules.
fn check(layer: &Layer, deps: &Dependencies, members: &[String]) -> Vec<String> {
    let mut broken = Vec::new();
    let name = layer.name;
    for dep in deps.direct.iter().filter(|dep| members.contains(dep)) {
        if dep == TEST_SUPPORT {
            broken.push(format!(
                "{name} -> {dep}: {dep} is test support; make it a [dev-dependencies] entry of {name}"
            ));
        } else if let Some(allowed) = layer.allowed {
            if !allowed.contains(&dep.as_str()) {
                let allowed = if allowed.is_empty() {
                    "no workspace crate".to_owned()
                } else {
                    allowed.join(", ")
                };
                broken.push(format!(
                    "{name} -> {dep} is not an allowed dependency ({name} may depend on {allowed})"
                ));
            }
        }
    }
    let reached: Vec<&str> = layer
        .forbidden
        .iter()
        .copied()
        .filter(|io| deps.all.iter().any(|dep| dep == io))
        .collect();
    if !reached.is_empty() {
        broken.push(format!(
            "{name} must do no IO, but it depends on {}; only oci-registry and the CLI may",
            reached.join(", ")
        ));
    }
    broken
}

/// The names of a crate's dependencies: the direct ones, and every one it reaches.
#[derive(Debug, Default)]
struct Dependencies {
    direct: Vec<String>,
    all: Vec<String>,
}

/// The workspace's package names.
fn workspace_members(root: &Path) -> Result<Vec<String>> {
    let tree = output(cargo_command().current_dir(root).args([
        "tree",
        "--workspace",
        "--depth",
        "0",
        "--prefix",
        "none",
        "--format",
        "{p}",
    ]))?;
    Ok(tree.lines().filter_map(package_name).collect())
}

/// A crate's normal and build dependencies with every feature on, so that an optional one counts too.
fn dependencies(root: &Path, krate: &str) -> Result<Dependencies> {
    let tree = output(cargo_command().current_dir(root).args([
        "tree",
        "--package",
        krate,
        "--all-features",
        "--edges",
        "normal,build",
        "--prefix",
        "depth",
        "--format",
        "{p}",
    ]))?;
    Ok(parse_tree(&tree))
}

/// Reads `cargo tree --prefix depth --format {p}`: lines like `1oci-digest v0.1.0 (/path)`, the root at depth 0.
fn parse_tree(tree: &str) -> Dependencies {
    let mut deps = Dependencies::default();
    for line in tree.lines() {
        let rest = line.trim_start_matches(|c: char| c.is_ascii_digit());
        let depth = &line[..line.len() - rest.len()];
        let Some(name) = package_name(rest) else {
            continue;
        };
        match depth {
            "" | "0" => {}
            "1" => {
                deps.direct.push(name.clone());
                deps.all.push(name);
            }
            _ => deps.all.push(name),
        }
    }
    deps
}

/// `oci-ref` from `oci-ref v0.1.0 (/path)`.
fn package_name(line: &str) -> Option<String> {
    line.split_whitespace().next().map(str::to_owned)
}

#[cfg(test)]
mod tests {
    use super::*;

    const MEMBERS: [&str; 3] = ["oci-digest", "oci-ref", "oci-testkit"];

    fn members() -> Vec<String> {
        MEMBERS.iter().map(|m| (*m).to_owned()).collect()
    }

    fn layer(name: &str) -> &'static Layer {
        LAYERS.iter().find(|layer| layer.name == name).unwrap()
    }

    #[test]
    fn cargo_tree_lines_give_direct_and_reached_dependencies() {
        let deps = parse_tree(
            "0oci-ref v0.1.0 (/w/crates/oci-ref)\n1nom v8.0.0\n2memchr v2.8.3\n1oci-digest v0.1.0 (/w/crates/oci-digest) (*)\n",
        );
        assert_eq!(deps.direct, ["nom", "oci-digest"]);
        assert_eq!(deps.all, ["nom", "memchr", "oci-digest"]);
    }

    #[test]
    fn an_edge_outside_the_row_is_named() {
        let deps = parse_tree("0oci-digest v0.1.0\n1oci-ref v0.1.0 (/w)\n");
        assert_eq!(
            check(layer("oci-digest"), &deps, &members()),
            ["oci-digest -> oci-ref is not an allowed dependency (oci-digest may depend on no workspace crate)"]
        );
        let deps = parse_tree("0oci-ref v0.1.0\n1oci-digest v0.1.0 (/w)\n1serde v1.0.0\n");
        assert!(check(layer("oci-ref"), &deps, &members()).is_empty());
    }

    #[test]
    fn test_support_is_never_a_normal_dependency() {
        let deps = parse_tree("0oci-check v0.1.0\n1oci-testkit v0.1.0 (/w)\n");
        let broken = check(layer("oci-check"), &deps, &members());
        assert_eq!(broken.len(), 1, "{broken:?}");
        assert!(broken[0].starts_with("oci-check -> oci-testkit: "), "{broken:?}");
    }

    #[test]
    fn io_below_the_client_is_found_however_deep() {
        let deps = parse_tree("0oci-auth v0.1.0\n1serde v1.0.0\n2tokio v1.0.0\n");
        assert_eq!(
            check(layer("oci-auth"), &deps, &members()),
            ["oci-auth must do no IO, but it depends on tokio; only oci-registry and the CLI may"]
        );
        assert!(check(layer("oci-testkit"), &deps, &members()).is_empty());
    }
}
