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
        check_metadata(krate, &root.join("crates").join(krate), &text)?;
        publishable.push(krate);
    }
    if publishable.is_empty() {
        return Err("no crate is publishable".into());
    }
    eprintln!(
        "xtask: version {version} agrees with CHANGELOG.md; packaging {}",
        publishable.join(", ")
    );

    forget_stale_packages(&root, &publishable, version)?;

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

/// What a crate needs to be worth publishing: a README and both license files beside its manifest, a
/// `rust-version`, docs.rs metadata, and keywords (at most five, as crates.io allows) and categories of its own.
fn check_metadata(krate: &str, dir: &std::path::Path, manifest: &str) -> Result {
    let line = |key: &str| manifest.lines().find(|line| line.trim_start().starts_with(key));
    let mut missing = Vec::new();
    for file in ["README.md", "LICENSE-MIT", "LICENSE-APACHE"] {
        if !dir.join(file).is_file() {
            missing.push(file.to_owned());
        }
    }
    if line("readme").is_none() {
        missing.push("readme = \"README.md\"".to_owned());
    }
    if line("rust-version").is_none() {
        missing.push("rust-version".to_owned());
    }
    if !manifest.contains("[package.metadata.docs.rs]") {
        missing.push("[package.metadata.docs.rs]".to_owned());
    }
    match line("keywords = [") {
        Some(keywords) if (1..=5).contains(&keywords.matches('"').count().div_ceil(2)) => {}
        _ => missing.push("keywords of its own (one to five)".to_owned()),
    }
    if line("categories = [").is_none() {
        missing.push("categories of its own".to_owned());
    }
    if missing.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "crates/{krate} is not ready to publish: it lacks {}",
            missing.join(", ")
        )
        .into())
    }
}

/// Removes what an earlier `cargo package` of the same version left behind. Cargo verifies each crate against its
/// siblings through a local registry in `target/package/tmp-registry`, extracts those into
/// `$CARGO_HOME/registry/src/<local registry>/NAME-VERSION` only once, and takes a registry crate's build as
/// current by its name, version and registry alone (registry crates never change). A second run with changed
/// sources under the same version would build against the first run's. So `target/package` goes, with our crates'
/// fingerprints in `target/debug`, and in cargo's home only local registries' copies of our crates (local
/// registries' directory names start with `-`; crates.io's is `index.crates.io-...`).
fn forget_stale_packages(root: &std::path::Path, crates: &[&str], version: &str) -> Result {
    let target = crate::dist::target_dir(root);
    let package = target.join("package");
    if package.exists() {
        std::fs::remove_dir_all(&package).map_err(|err| format!("removing {}: {err}", package.display()))?;
    }
    // The verification builds share the workspace's target directory, where cargo keeps a registry crate's build
    // as long as its name, version and registry path agree: forget every build of our crates there (the next
    // build of the workspace redoes them, which a change to them would have caused anyway).
    if let Ok(entries) = std::fs::read_dir(target.join("debug").join(".fingerprint")) {
        for entry in entries.flatten() {
            let name = entry.file_name();
            if crates
                .iter()
                .any(|krate| name.to_string_lossy().starts_with(&format!("{krate}-")))
            {
                let _ = std::fs::remove_dir_all(entry.path());
            }
        }
    }
    let home = std::env::var_os("CARGO_HOME")
        .map(std::path::PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|home| std::path::Path::new(&home).join(".cargo")));
    let Some(home) = home else { return Ok(()) };
    for (kind, suffix) in [("src", ""), ("cache", ".crate")] {
        let Ok(registries) = std::fs::read_dir(home.join("registry").join(kind)) else {
            continue;
        };
        for registry in registries.flatten() {
            if !registry.file_name().to_string_lossy().starts_with('-') {
                continue;
            }
            for krate in crates {
                let stale = registry.path().join(format!("{krate}-{version}{suffix}"));
                let removed = if stale.is_dir() {
                    std::fs::remove_dir_all(&stale)
                } else if stale.is_file() {
                    std::fs::remove_file(&stale)
                } else {
                    continue;
                };
                if let Err(err) = removed {
                    eprintln!("xtask: warning: could not remove {}: {err}", stale.display());
                }
            }
        }
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
