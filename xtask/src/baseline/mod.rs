//! `cargo xtask baseline`: what the reference implementation says, as committed test vectors.
//!
//! `oci-ref` must read every reference exactly as `github.com/distribution/reference` v0.6.0 does
//! (the package Docker, containerd and buildkit use). This command builds a small Go program,
//! `xtask/baseline/reference/main.go`, against the real v0.6.0 sources and runs it:
//!
//! - `cargo xtask baseline` feeds it the hand-picked inputs of
//!   `crates/oci-ref/tests/data/baseline-inputs.txt` plus a seeded generated portion, and writes
//!   its answers to `crates/oci-ref/tests/data/baseline.jsonl`, which `cargo test` reads without Go.
//! - `cargo xtask baseline --differential N` generates N inputs of its own, runs both the Go
//!   program and `oci-check ref --json` on them, and fails on any disagreement.
//! - `cargo xtask baseline --bench` times Go's `ParseNormalizedNamed` on the inputs of
//!   `baseline.jsonl` (those it accepts, then all of them), the corpus of oci-ref's criterion
//!   benchmark in `cargo xtask bench`, on one core, and prints lines per second.
//!
//! Everything comes from Debian's archive, so it works on a fresh Debian (or Ubuntu) machine with
//! no Go installed: the trixie packages of Go 1.24 (`golang-1.24-go`, `golang-1.24-src`),
//! distribution/reference 0.6.0 (`golang-github-distribution-reference-dev`) and go-digest 1.0.0
//! (`golang-github-opencontainers-go-digest-dev`) are downloaded with `apt-get download` and a
//! private apt state and source list (the system's apt configuration and installed packages are
//! left alone), unpacked with `dpkg-deb -x`, and the program is built offline in GOPATH mode
//! with `GOPROXY=off`. The work happens under `target/baseline/` (about 300 MB).
//!
//! Each line of `baseline.jsonl` is one JSON object with these keys, in this order:
//! `input`; `ok`, `error_kind`, `registry`, `repository`, `tag`, `digest`, `canonical` (`String()`)
//! and `familiar` (`FamiliarString`) from `ParseNormalizedNamed`, null where not applicable;
//! `named` and `raw`, `"ok"` or the error kind of `ParseNamed` and `Parse`; `raw_registry` and
//! `raw_repository` from `Parse`; `docker_ref` and `any`, the `String()` of `ParseDockerRef` and
//! `ParseAnyReference` or `"error:<kind>"`; `tag_name_only`, `String()` of `TagNameOnly`.

mod command;
mod generator;
mod json;
mod toolchain;

pub(crate) use command::command;
