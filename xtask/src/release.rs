//! `cargo xtask release`: checks versions against `CHANGELOG.md`, then packages every publishable
//! crate in dependency order. A dry run unless `--publish` is given.

use crate::{LAYERS, Result, cargo_command, read, root, run};

pub(crate) fn command(args: &[String]) -> Result {
    let publish = match args {
        [] => false,
        [flag] if flag == "--publish" => true,
        _ => return Err("release takes no argument but `--publish`".into()),
    };
    let root = root();
    let manifest = read(&root.join("Cargo.toml"))?;
    let version = workspace_version(&manifest).ok_or("no `version` in [workspace.package] of Cargo.toml")?;

    let changelog = read(&root.join("CHANGELOG.md"))?;
    let heading = format!("## [{version}]");
    if !changelog.lines().any(|line| line.starts_with(&heading)) {
        return Err(format!("CHANGELOG.md has no `{heading}` section for the workspace version").into());
    }

    let mut publishable = Vec::new();
    for layer in LAYERS.iter().filter(|layer| !layer.tool) {
        let krate = layer.name;
        let path = root.join("crates").join(krate).join("Cargo.toml");
        let text = read(&path)?;
        if !text.lines().any(|line| line.trim() == "version.workspace = true") {
            return Err(format!("crates/{krate}/Cargo.toml must take its version from the workspace").into());
        }
        // A crate that is never published (oci-testkit, a dev-dependency only) needs no pinned version.
        if text
            .lines()
            .any(|line| line.trim_start().starts_with("publish = false"))
        {
            eprintln!("xtask: {krate} is not publishable (publish = false); skipped");
            continue;
        }
        // Crates that others depend on are pinned exactly in [workspace.dependencies] (some use another's
        // `internal` helpers, which promise nothing between versions); the CLI is not depended on.
        let pinned = format!("{krate} = {{ path = \"crates/{krate}\", version = \"={version}\" }}");
        let declared = manifest.lines().any(|line| line.starts_with(&format!("{krate} = ")));
        if declared && !manifest.lines().any(|line| line.trim() == pinned) {
            return Err(format!(
                "the root Cargo.toml must say `{pinned}` so dependents publish with exactly this version"
            )
            .into());
        }
        publishable.push(krate);
    }
    if publishable.is_empty() {
        return Err("no crate is publishable".into());
    }
    eprintln!(
        "xtask: version {version} agrees with CHANGELOG.md; packaging {}",
        publishable.join(", ")
    );

    // One `cargo package` for all of them: cargo packages them in dependency order and resolves
    // their dependencies on each other against the freshly built packages.
    let mut cmd = cargo_command();
    cmd.current_dir(&root).arg("package").arg("--allow-dirty");
    for krate in &publishable {
        cmd.args(["--package", krate]);
    }
    run(&mut cmd)?;

    if publish {
        for krate in &publishable {
            run(cargo_command().current_dir(&root).args(["publish", "--package", krate]))?;
        }
    } else {
        eprintln!("xtask: dry run: nothing published (pass --publish to publish)");
    }
    Ok(())
}

/// The `version` line of `[workspace.package]`.
fn workspace_version(manifest: &str) -> Option<&str> {
    let section = manifest.split("[workspace.package]").nth(1)?;
    let section = section.split("\n[").next()?;
    section.lines().find_map(|line| {
        let value = line.trim().strip_prefix("version")?.trim_start().strip_prefix('=')?;
        Some(value.trim().trim_matches('"'))
    })
}
