//! The Go toolchain and distribution/reference's sources, downloaded from Debian's archive with a private
//! apt state, and the Go program built with them offline.

use std::env;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::{Result, run};

/// The Debian release that packages distribution/reference v0.6.0.
const SUITE: &str = "deb http://deb.debian.org/debian trixie main";
/// The packages, each with the start of the version it must have: the Go toolchain (the
/// generation Docker is built with, whose Unicode 15 tables decide which characters are upper
/// case; bookworm's Go 1.19 has Unicode 13 and calls `fooⰯ` an invalid format rather than
/// upper case), distribution/reference v0.6.0, and go-digest v1.0.0.
const PACKAGES: &[(&str, &str)] = &[
    ("golang-1.24-go", "1.24."),
    ("golang-1.24-src", "1.24."),
    ("golang-github-distribution-reference-dev", "0.6.0-"),
    ("golang-github-opencontainers-go-digest-dev", "1.0.0-"),
];
/// Where `golang-1.24-go` puts its GOROOT.
const GOROOT: &str = "usr/lib/go-1.24";
const PROGRAM: &str = "xtask/baseline/reference/main.go";

/// Installs Go and the sources when missing, builds the program, and returns its path.
pub(super) fn build_program(root: &Path) -> Result<PathBuf> {
    let work = target_dir(root).join("baseline");
    let unpacked = work.join("unpacked");
    fs::create_dir_all(&unpacked)?;
    for (package, version) in PACKAGES {
        let marker = unpacked.join(format!("{package}_{version}"));
        if !marker.exists() {
            let deb = download(&work, package, version)?;
            run(Command::new("dpkg-deb").arg("-x").arg(&deb).arg(&unpacked))?;
            fs::write(&marker, "")?;
        }
    }
    let goroot = unpacked.join(GOROOT);
    let gopath = unpacked.join("usr/share/gocode");
    let package_dir = gopath.join("src/ocibaseline/reference");
    fs::create_dir_all(&package_dir)?;
    fs::copy(root.join(PROGRAM), package_dir.join("main.go"))?;
    let binary = work.join("reference-baseline");
    eprintln!(
        "xtask: in GOPATH mode, offline: GOROOT={} GOPATH={} GO111MODULE=off GOPROXY=off",
        goroot.display(),
        gopath.display()
    );
    run(Command::new(goroot.join("bin/go"))
        .current_dir(&package_dir)
        .env("GOROOT", &goroot)
        .env("GOPATH", &gopath)
        .env("GO111MODULE", "off")
        .env("GOPROXY", "off")
        .env("GOFLAGS", "")
        .env("GOTOOLCHAIN", "local")
        .env("GOTELEMETRY", "off")
        .env("CGO_ENABLED", "0")
        .env("GOCACHE", work.join("gocache"))
        .arg("build")
        .arg("-o")
        .arg(&binary)
        .arg("."))?;
    Ok(binary)
}

/// Downloads one `.deb` from trixie with a private apt state, and checks its upstream version.
fn download(work: &Path, package: &str, version: &str) -> Result<PathBuf> {
    let apt = work.join("apt");
    for dir in ["state/lists/partial", "cache/archives/partial", "etc", "debs"] {
        fs::create_dir_all(apt.join(dir))?;
    }
    fs::write(apt.join("etc/sources.list"), format!("{SUITE}\n"))?;
    let options = [
        format!("Dir::State={}", apt.join("state").display()),
        "Dir::State::status=/var/lib/dpkg/status".to_owned(),
        format!("Dir::Cache={}", apt.join("cache").display()),
        format!("Dir::Etc::SourceList={}", apt.join("etc/sources.list").display()),
        "Dir::Etc::SourceParts=-".to_owned(),
        "Acquire::Languages=none".to_owned(),
        "APT::Sandbox::User=root".to_owned(),
        "Debug::NoLocking=1".to_owned(),
    ];
    let apt_get = |args: &[&str]| {
        let mut cmd = Command::new("apt-get");
        cmd.current_dir(apt.join("debs"));
        for option in &options {
            cmd.arg("-o").arg(option);
        }
        cmd.args(args);
        cmd
    };
    if !apt
        .join("state/lists")
        .read_dir()?
        .any(|entry| entry.is_ok_and(|e| e.file_name().to_string_lossy().contains("_Packages")))
    {
        run(&mut apt_get(&["-q", "update"]))?;
    }
    run(&mut apt_get(&["-q", "download", package]))?;
    let prefix = format!("{package}_{version}");
    let deb = apt
        .join("debs")
        .read_dir()?
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .find(|path| {
            path.file_name()
                .is_some_and(|name| name.to_string_lossy().starts_with(&prefix))
        });
    deb.ok_or_else(|| {
        format!("trixie no longer has {package} {version}; pin the version in xtask/src/baseline/toolchain.rs").into()
    })
}

/// Where cargo puts its output: `CARGO_TARGET_DIR` or `target/`.
pub(super) fn target_dir(root: &Path) -> PathBuf {
    match env::var_os("CARGO_TARGET_DIR") {
        Some(dir) => root.join(dir),
        None => root.join("target"),
    }
}
