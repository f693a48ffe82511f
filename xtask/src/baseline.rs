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

use std::collections::HashSet;
use std::env;
use std::fmt::Write as _;
use std::fs;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use crate::{Result, read, root, run};

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
const INPUTS: &str = "crates/oci-ref/tests/data/baseline-inputs.txt";
const VECTORS: &str = "crates/oci-ref/tests/data/baseline.jsonl";
const PROGRAM: &str = "xtask/baseline/reference/main.go";
/// How many generated inputs join the hand-picked ones in the committed vectors, and their seed.
const GENERATED: usize = 400;
const BASELINE_SEED: u64 = 0x0c1_ba5e_11e5;
const DIFFERENTIAL_SEED: u64 = 0xd1ff_e7e1_7a15;
/// The keys `oci-check ref --json` shares with the baseline, all compared except `error`.
const COMPARED: &[&str] = &[
    "input",
    "ok",
    "error_kind",
    "registry",
    "repository",
    "tag",
    "digest",
    "canonical",
    "familiar",
];

/// `baseline [--differential [N]] [--seed S] [--save FILE]`.
pub(crate) fn command(args: &[String]) -> Result {
    let mut differential = None;
    let mut seed = None;
    let mut save = None;
    let mut args = args.iter().peekable();
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--differential" => {
                let count = match args.next_if(|next| !next.starts_with('-')) {
                    Some(value) => value
                        .parse()
                        .map_err(|_| format!("--differential takes a whole number, not `{value}`"))?,
                    None => 20_000,
                };
                differential = Some(count);
            }
            "--seed" => {
                let value = args.next().ok_or("--seed needs a number")?;
                seed = Some(
                    value
                        .parse()
                        .map_err(|_| format!("--seed needs a whole number, not `{value}`"))?,
                );
            }
            "--save" => save = Some(PathBuf::from(args.next().ok_or("--save needs a file name")?)),
            other => return Err(format!("unexpected argument `{other}` for baseline").into()),
        }
    }
    let root = root();
    let program = build_program(&root)?;
    match differential {
        Some(count) => differential_run(
            &root,
            &program,
            count,
            seed.unwrap_or(DIFFERENTIAL_SEED),
            save.as_deref(),
        ),
        None => {
            if save.is_some() {
                return Err("--save goes with --differential".into());
            }
            regenerate(&root, &program, seed.unwrap_or(BASELINE_SEED))
        }
    }
}

/// Writes `baseline.jsonl` from the committed inputs and the generated portion.
fn regenerate(root: &Path, program: &Path, seed: u64) -> Result {
    let text = read(&root.join(INPUTS))?;
    let mut inputs = Vec::new();
    for (number, line) in text.lines().enumerate() {
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let input = Parser::new(line)
            .whole_string()
            .map_err(|err| format!("{INPUTS}:{}: {err}", number + 1))?;
        inputs.push(input);
    }
    let picked = inputs.len();
    let mut seen: HashSet<String> = HashSet::new();
    inputs.retain(|input| seen.insert(input.clone()));
    if inputs.len() != picked {
        eprintln!(
            "xtask: {} duplicate input(s) in {INPUTS} skipped",
            picked - inputs.len()
        );
    }
    let hand_picked = inputs.len();
    let mut rng = Rng::new(seed);
    while inputs.len() < hand_picked + GENERATED {
        let input = generate(&mut rng);
        if seen.insert(input.clone()) {
            inputs.push(input);
        }
    }
    let lines = run_go(program, &inputs)?;
    let mut out = String::new();
    for line in &lines {
        out.push_str(line);
        out.push('\n');
    }
    let path = root.join(VECTORS);
    fs::write(&path, out).map_err(|err| format!("writing {}: {err}", path.display()))?;
    eprintln!(
        "xtask: wrote {} vectors ({hand_picked} hand-picked, {GENERATED} generated) to {VECTORS}",
        lines.len()
    );
    Ok(())
}

/// Runs the Go program and `oci-check ref --json` on the same generated inputs and compares them.
fn differential_run(root: &Path, program: &Path, count: usize, seed: u64, save: Option<&Path>) -> Result {
    run(Command::new("cargo").current_dir(root).args([
        "build",
        "--quiet",
        "--package",
        "oci-check",
        "--bin",
        "oci-check",
    ]))?;
    let cli = target_dir(root).join("debug").join("oci-check");
    let mut rng = Rng::new(seed);
    let inputs: Vec<String> = (0..count).map(|_| generate(&mut rng)).collect();
    let expected = run_go(program, &inputs)?;
    let actual = run_cli(&cli, &inputs)?;
    if actual.len() != inputs.len() {
        return Err(format!(
            "`oci-check ref --json` printed {} lines for {} inputs",
            actual.len(),
            inputs.len()
        )
        .into());
    }
    let mut disagreements = Vec::new();
    for (input, (go, rust)) in inputs.iter().zip(expected.iter().zip(&actual)) {
        let go_fields = Parser::new(go)
            .object()
            .map_err(|err| format!("Go output {go:?}: {err}"))?;
        let rust_fields = Parser::new(rust)
            .object()
            .map_err(|err| format!("oci-check output {rust:?}: {err}"))?;
        let mut differing = Vec::new();
        for key in COMPARED {
            let want = field(&go_fields, key).ok_or_else(|| format!("no `{key}` in the Go output {go}"))?;
            let got = field(&rust_fields, key).ok_or_else(|| format!("no `{key}` in the oci-check output {rust}"))?;
            if want != got {
                differing.push(format!("{key}: go {want}, oci-ref {got}"));
            }
        }
        if !differing.is_empty() {
            disagreements.push((input, differing, go, rust));
        }
    }
    let agreeing = inputs.len() - disagreements.len();
    let mut kinds: Vec<(String, usize)> = Vec::new();
    for go in &expected {
        let kind = match Parser::new(go)
            .object()?
            .into_iter()
            .find(|(key, _)| key == "error_kind")
        {
            Some((_, Json::Str(kind))) => kind,
            _ => "valid".to_owned(),
        };
        match kinds.iter_mut().find(|(name, _)| *name == kind) {
            Some((_, count)) => *count += 1,
            None => kinds.push((kind, 1)),
        }
    }
    kinds.sort_by_key(|(_, count)| std::cmp::Reverse(*count));
    let kinds: Vec<String> = kinds.iter().map(|(kind, count)| format!("{kind} {count}")).collect();
    eprintln!("xtask: the Go implementation says: {}", kinds.join(", "));
    eprintln!(
        "xtask: differential (seed {seed}): {agreeing} of {} inputs agree, {} disagree",
        inputs.len(),
        disagreements.len()
    );
    for (input, differing, _, _) in disagreements.iter().take(20) {
        eprintln!("  input {}:", json_string(input));
        for line in differing {
            eprintln!("    {line}");
        }
    }
    if let Some(path) = save {
        let mut out = String::new();
        for (input, differing, go, rust) in &disagreements {
            let _ = writeln!(
                out,
                "input {}\n  {}\n  go:      {go}\n  oci-ref: {rust}\n",
                json_string(input),
                differing.join("\n  ")
            );
        }
        fs::write(path, out).map_err(|err| format!("writing {}: {err}", path.display()))?;
        eprintln!("xtask: disagreements written to {}", path.display());
    }
    if disagreements.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "{} of {} inputs disagree with the reference implementation",
            disagreements.len(),
            inputs.len()
        )
        .into())
    }
}

/// A key's value as text (`null`, `true`, `"..."`), or `None` when the key is missing.
fn field(fields: &[(String, Json)], key: &str) -> Option<String> {
    let (_, value) = fields.iter().find(|(name, _)| name == key)?;
    Some(match value {
        Json::Null => "null".to_owned(),
        Json::Bool(value) => value.to_string(),
        Json::Str(value) => json_string(value),
        Json::Number(value) => value.clone(),
    })
}

// ---------------------------------------------------------------------------------------------
// Building the Go program.

/// Installs Go and the sources when missing, builds the program, and returns its path.
fn build_program(root: &Path) -> Result<PathBuf> {
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
        format!("trixie no longer has {package} {version}; pin the version in xtask/src/baseline.rs").into()
    })
}

/// Where cargo puts its output: `CARGO_TARGET_DIR` or `target/`.
fn target_dir(root: &Path) -> PathBuf {
    match env::var_os("CARGO_TARGET_DIR") {
        Some(dir) => root.join(dir),
        None => root.join("target"),
    }
}

// ---------------------------------------------------------------------------------------------
// Running the two implementations.

/// Runs the Go program on the inputs (one JSON string per line) and returns its output lines.
fn run_go(program: &Path, inputs: &[String]) -> Result<Vec<String>> {
    let mut stdin = String::new();
    for input in inputs {
        stdin.push_str(&json_string(input));
        stdin.push('\n');
    }
    let lines = pipe(&mut Command::new(program), stdin.as_bytes())?;
    if lines.len() != inputs.len() {
        return Err(format!(
            "the Go program printed {} lines for {} inputs",
            lines.len(),
            inputs.len()
        )
        .into());
    }
    Ok(lines)
}

/// Runs `oci-check ref --json` with the inputs as lines on standard input.
fn run_cli(cli: &Path, inputs: &[String]) -> Result<Vec<String>> {
    let mut stdin = String::new();
    for input in inputs {
        stdin.push_str(input);
        stdin.push('\n');
    }
    let mut cmd = Command::new(cli);
    cmd.args(["ref", "--json"]);
    pipe(&mut cmd, stdin.as_bytes())
}

/// Runs a command with the given standard input; exit codes 0 and 1 (some input invalid) are fine.
fn pipe(cmd: &mut Command, input: &[u8]) -> Result<Vec<String>> {
    let shown = crate::show(cmd);
    eprintln!("$ {shown} < ({} bytes)", input.len());
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|err| format!("could not run `{shown}`: {err}"))?;
    let mut stdin = child.stdin.take().ok_or("no stdin")?;
    let data = input.to_vec();
    let writer = std::thread::spawn(move || stdin.write_all(&data));
    let out = child.wait_with_output()?;
    writer.join().map_err(|_| "the writer thread panicked")??;
    if !matches!(out.status.code(), Some(0 | 1)) {
        return Err(format!(
            "`{shown}` failed ({}):\n{}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        )
        .into());
    }
    Ok(String::from_utf8(out.stdout)?.lines().map(str::to_owned).collect())
}

// ---------------------------------------------------------------------------------------------
// The input generator: grammar fragments, combined and mutated.

/// xorshift64*: small, seeded, and the same on every machine.
struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Self {
        Self(seed.max(1))
    }

    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    /// A number in `0..n`.
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    /// A number in `low..=high`.
    fn range(&mut self, low: usize, high: usize) -> usize {
        low + self.below(high - low + 1)
    }

    fn percent(&mut self, p: usize) -> bool {
        self.below(100) < p
    }

    /// `low..=high` characters from the alphabet.
    fn text(&mut self, alphabet: &[u8], low: usize, high: usize) -> String {
        let len = self.range(low, high);
        (0..len).map(|_| char::from(*self.pick(alphabet))).collect()
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

const LOWER: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";
const HEX: &[u8] = b"0123456789abcdef";
const TAG: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-";
const DOMAINS: &[&str] = &[
    "docker.io",
    "index.docker.io",
    "docker.io:443",
    "registry-1.docker.io",
    "DOCKER.IO",
    "localhost",
    "localhost:5000",
    "LOCALHOST",
    "example.com",
    "example.com:5000",
    "EXAMPLE.com",
    "ex_ample.com",
    "a.c_m",
    "quay.io",
    "ghcr.io",
    "127.0.0.1:5000",
    "256.256.256.256",
    "[::1]",
    "[::1]:5000",
    "[::]",
    "[:]",
    "[fe80::1%eth0]",
    "[::ffff:1.2.3.4]",
    "[2001:DB8::1]:443",
    "Foo",
    "foo:5000",
    "a..b",
    "-a.com",
    "a-.com",
    "a--b.com",
    "example.com:",
    "example.com:00080",
];
const ALGORITHMS: &[&str] = &[
    "sha256",
    "sha256",
    "sha256",
    "sha256",
    "sha384",
    "sha512",
    "sha512",
    "SHA256",
    "Sha512",
    "md5",
    "blake3",
    "sha256+b64u",
    "sha3-256",
    "sha3_256",
    "a.b+c_d-e",
    "x",
    "",
    "9a",
    "a-",
];
/// Characters a mutation inserts: the grammar's punctuation, case, whitespace and Unicode that
/// lowercases (or not) in interesting ways.
const NOISE: &[char] = &[
    ':',
    '/',
    '@',
    '.',
    '_',
    '-',
    '+',
    '~',
    ' ',
    '[',
    ']',
    '%',
    'A',
    'Z',
    'a',
    'z',
    '0',
    '9',
    'f',
    'g',
    '\t',
    '\0',
    '\u{7f}',
    '\u{a0}',
    '\u{feff}',
    '\u{200b}',
    'é',
    'É',
    'İ',
    'ı',
    '\u{212a}',
    'ß',
    '\u{1e9e}',
    'ǅ',
    'Σ',
    'ſ',
    'ｆ',
    '日',
    '🐳',
    '\\',
    '"',
    'Ⱟ',
    '\u{a7c0}',
    '\u{10570}',
    'Ꭰ',
];

/// One generated input.
fn generate(rng: &mut Rng) -> String {
    let mut s = match rng.below(20) {
        0 => special(rng),
        1 => format!("{}{}{}", reference(rng), rng.pick(&["/", ":", "@", ""]), reference(rng)),
        // Short strings over the grammar's alphabet reach the corners structured inputs miss.
        2 => rng.text(b"aaz09AF:::///@@..--__[]", 0, 9),
        _ => reference(rng),
    };
    if rng.percent(45) {
        for _ in 0..rng.range(1, 3) {
            mutate(rng, &mut s);
        }
    }
    s.retain(|c| c != '\n' && c != '\r');
    s
}

/// Whole inputs the normalization treats specially.
fn special(rng: &mut Rng) -> String {
    match rng.below(8) {
        0 => rng.text(HEX, 64, 64),
        1 => rng.text(HEX, 62, 66),
        2 => rng.text(HEX, 64, 64).to_uppercase(),
        3 => format!("sha256:{}", rng.text(HEX, 63, 65)),
        4 => format!("sha512:{}", rng.text(HEX, 128, 128)),
        5 => format!("{}:{}", rng.text(HEX, 64, 64), tag(rng)),
        6 => (*rng.pick(&[
            "",
            "localhost",
            "localhost:5000",
            "docker.io",
            "index.docker.io",
            "library",
        ]))
        .to_owned(),
        _ => format!("{}/{}", rng.text(HEX, 64, 64), component(rng)),
    }
}

fn reference(rng: &mut Rng) -> String {
    let mut s = String::new();
    if rng.percent(55) {
        s.push_str(&domain(rng));
        s.push('/');
    }
    let mut path = path(rng);
    if rng.percent(8) {
        // Around the 255-byte limit on the path (247 for a one-component Docker Hub name).
        let target = rng.range(238, 262);
        while path.len() < target {
            path.push(char::from(*rng.pick(LOWER)));
        }
        path.truncate(target);
    }
    s.push_str(&path);
    if rng.percent(40) {
        s.push(':');
        s.push_str(&tag(rng));
    }
    if rng.percent(30) {
        s.push('@');
        s.push_str(&digest(rng));
    }
    s
}

fn domain(rng: &mut Rng) -> String {
    if rng.percent(40) {
        return (*rng.pick(DOMAINS)).to_owned();
    }
    let mut host = if rng.percent(10) {
        let inner: String = (0..rng.range(0, 8))
            .map(|_| char::from(*rng.pick(b"0123456789abcdefABCDEF::::")))
            .collect();
        format!("[{inner}]")
    } else {
        let labels: Vec<String> = (0..rng.range(1, 4))
            .map(|_| {
                let mut label = rng.text(LOWER, 1, 6);
                if rng.percent(15) {
                    label.insert(rng.below(label.len() + 1), *rng.pick(&['-', '-', '_', 'A', 'Q']));
                }
                if rng.percent(3) {
                    label.clear();
                }
                label
            })
            .collect();
        labels.join(".")
    };
    if rng.percent(35) {
        host.push(':');
        let digits = match rng.below(20) {
            0 => rng.text(b"0123456789", 0, 0),
            1 => rng.text(b"0123456789", 20, 300),
            _ => rng.text(b"0123456789", 1, 6),
        };
        host.push_str(&digits);
    }
    host
}

fn path(rng: &mut Rng) -> String {
    let count = *rng.pick(&[1, 1, 1, 2, 2, 2, 3, 4]);
    let components: Vec<String> = (0..count).map(|_| component(rng)).collect();
    components.join("/")
}

fn component(rng: &mut Rng) -> String {
    let mut s = rng.text(LOWER, 1, 8);
    for _ in 0..rng.below(3) {
        let separator = if rng.percent(85) {
            *rng.pick(&[".", "_", "__", "-", "--", "---"])
        } else {
            *rng.pick(&["___", "..", "-_", "_-", "._", ".-", "/"])
        };
        s.push_str(separator);
        s.push_str(&rng.text(LOWER, 1, 5));
    }
    if rng.percent(4) {
        let at = rng.below(s.len());
        let upper = s[at..=at].to_uppercase();
        s.replace_range(at..=at, &upper);
    }
    if rng.percent(3) {
        s = format!("{}{s}", rng.pick(&["_", "-", ".", "library/", "docker.io/"]));
    }
    s
}

fn tag(rng: &mut Rng) -> String {
    let mut tag = if rng.percent(10) {
        rng.text(TAG, 125, 131)
    } else {
        rng.text(TAG, 1, 20)
    };
    if rng.percent(80) {
        let first = char::from(*rng.pick(&TAG[..63]));
        tag.replace_range(0..1, &first.to_string());
    }
    if rng.percent(3) {
        tag.clear();
    }
    tag
}

fn digest(rng: &mut Rng) -> String {
    let algorithm = *rng.pick(ALGORITHMS);
    let exact = match algorithm.to_ascii_lowercase().as_str() {
        "sha384" => 96,
        "sha512" => 128,
        "md5" => 32,
        _ => 64,
    };
    let len = match rng.below(10) {
        0..=5 => exact,
        6 => exact - 1,
        7 => exact + 1,
        8 => *rng.pick(&[0, 31, 32, 33, 63, 65, 95, 97, 127, 129, 200]),
        _ => exact + rng.range(2, 10),
    };
    let mut hex = rng.text(HEX, len, len);
    if len > 0 && rng.percent(10) {
        let at = rng.below(len);
        let replacement = *rng.pick(&["A", "F", "g", "G"]);
        hex.replace_range(at..=at, replacement);
    }
    format!("{algorithm}:{hex}")
}

fn mutate(rng: &mut Rng, s: &mut String) {
    let boundaries: Vec<usize> = (0..=s.len()).filter(|&i| s.is_char_boundary(i)).collect();
    let at = *rng.pick(&boundaries);
    let next = boundaries.iter().copied().find(|&i| i > at).unwrap_or(at);
    match rng.below(7) {
        0 | 1 => s.insert(at, *rng.pick(NOISE)),
        2 => s.replace_range(at..next, ""),
        3 => s.replace_range(at..next, &rng.pick(NOISE).to_string()),
        4 => {
            let end = *rng.pick(&boundaries[boundaries.iter().position(|&i| i == at).unwrap_or(0)..]);
            let copy = s[at..end].to_owned();
            s.insert_str(end, &copy);
        }
        5 => s.truncate(at),
        _ => {
            let upper = s[at..next].to_uppercase();
            s.replace_range(at..next, &upper);
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Just enough JSON: writing strings, reading flat objects.

/// A JSON string literal; non-ASCII is written as is, control characters escaped.
fn json_string(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if u32::from(c) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[derive(Debug, PartialEq)]
enum Json {
    Null,
    Bool(bool),
    Str(String),
    Number(String),
}

struct Parser<'a> {
    rest: &'a str,
}

impl<'a> Parser<'a> {
    fn new(text: &'a str) -> Self {
        Self { rest: text }
    }

    /// The text is exactly one JSON string.
    fn whole_string(mut self) -> Result<String> {
        let value = self.string()?;
        if self.rest.trim().is_empty() {
            Ok(value)
        } else {
            Err(format!("text after the string: {:?}", self.rest).into())
        }
    }

    /// The text is one JSON object whose values are strings, numbers, booleans or null.
    fn object(mut self) -> Result<Vec<(String, Json)>> {
        let mut fields = Vec::new();
        self.expect('{')?;
        if self.eat('}') {
            return Ok(fields);
        }
        loop {
            let key = self.string()?;
            self.expect(':')?;
            let value = self.value()?;
            fields.push((key, value));
            if self.eat('}') {
                return Ok(fields);
            }
            self.expect(',')?;
        }
    }

    fn value(&mut self) -> Result<Json> {
        self.skip_space();
        for (word, value) in [
            ("null", Json::Null),
            ("true", Json::Bool(true)),
            ("false", Json::Bool(false)),
        ] {
            if let Some(rest) = self.rest.strip_prefix(word) {
                self.rest = rest;
                return Ok(value);
            }
        }
        if self.rest.starts_with('"') {
            return Ok(Json::Str(self.string()?));
        }
        let end = self
            .rest
            .find(|c: char| !(c.is_ascii_digit() || "+-.eE".contains(c)))
            .unwrap_or(self.rest.len());
        if end == 0 {
            return Err(format!("unexpected value at {:?}", self.rest).into());
        }
        let (number, rest) = self.rest.split_at(end);
        self.rest = rest;
        Ok(Json::Number(number.to_owned()))
    }

    fn string(&mut self) -> Result<String> {
        self.expect('"')?;
        let mut out = String::new();
        let mut chars = self.rest.char_indices();
        while let Some((i, c)) = chars.next() {
            match c {
                '"' => {
                    self.rest = &self.rest[i + 1..];
                    return Ok(out);
                }
                '\\' => {
                    let (_, escape) = chars.next().ok_or("unfinished escape")?;
                    match escape {
                        '"' | '\\' | '/' => out.push(escape),
                        'b' => out.push('\u{8}'),
                        'f' => out.push('\u{c}'),
                        'n' => out.push('\n'),
                        'r' => out.push('\r'),
                        't' => out.push('\t'),
                        'u' => {
                            let first = hex_unit(&mut chars)?;
                            let code = if (0xd800..0xdc00).contains(&first) {
                                let (Some((_, '\\')), Some((_, 'u'))) = (chars.next(), chars.next()) else {
                                    return Err("lone surrogate in a \\u escape".into());
                                };
                                let second = hex_unit(&mut chars)?;
                                0x10000 + ((first - 0xd800) << 10) + (second.wrapping_sub(0xdc00) & 0x3ff)
                            } else {
                                first
                            };
                            out.push(char::from_u32(code).ok_or("a \\u escape that is no character")?);
                        }
                        other => return Err(format!("unknown escape \\{other}").into()),
                    }
                }
                c => out.push(c),
            }
        }
        Err("unterminated string".into())
    }

    fn skip_space(&mut self) {
        self.rest = self.rest.trim_start_matches([' ', '\t', '\n', '\r']);
    }

    fn eat(&mut self, c: char) -> bool {
        self.skip_space();
        match self.rest.strip_prefix(c) {
            Some(rest) => {
                self.rest = rest;
                true
            }
            None => false,
        }
    }

    fn expect(&mut self, c: char) -> Result {
        if self.eat(c) {
            Ok(())
        } else {
            Err(format!("expected `{c}` at {:?}", self.rest.chars().take(20).collect::<String>()).into())
        }
    }
}

/// The four hex digits of a `\\u` escape.
fn hex_unit(chars: &mut std::str::CharIndices<'_>) -> Result<u32> {
    let hex: String = chars.take(4).map(|(_, c)| c).collect();
    u32::from_str_radix(&hex, 16).map_err(|_| format!("bad \\u escape {hex:?}").into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_strings_round_trip() {
        for s in [
            "",
            "nginx",
            "a\"b\\c",
            "\n\r\t\u{0}\u{1f}\u{7f}",
            "İstanbul",
            "🐳",
            "\u{2028}",
        ] {
            let written = json_string(s);
            assert_eq!(Parser::new(&written).whole_string().unwrap(), s, "{written}");
        }
    }

    #[test]
    fn json_escapes_decode() {
        let parsed = Parser::new(r#""\u00e9\ud83d\udc33\/\b\f""#).whole_string().unwrap();
        assert_eq!(parsed, "é🐳/\u{8}\u{c}");
        assert!(Parser::new(r#""\ud83d""#).whole_string().is_err());
        assert!(Parser::new(r#""abc"#).whole_string().is_err());
        assert!(Parser::new(r#""a" x"#).whole_string().is_err());
    }

    #[test]
    fn flat_objects_parse() {
        let fields = Parser::new(r#"{"a":"x","b":true,"c":null,"d":false,"e":-1.5}"#)
            .object()
            .unwrap();
        let keys: Vec<&str> = fields.iter().map(|(key, _)| key.as_str()).collect();
        assert_eq!(keys, ["a", "b", "c", "d", "e"]);
        assert_eq!(field(&fields, "a").as_deref(), Some("\"x\""));
        assert_eq!(field(&fields, "b").as_deref(), Some("true"));
        assert_eq!(field(&fields, "c").as_deref(), Some("null"));
        assert_eq!(field(&fields, "e").as_deref(), Some("-1.5"));
        assert_eq!(field(&fields, "z"), None);
        assert!(Parser::new(r#"{"a":[1]}"#).object().is_err());
    }

    #[test]
    fn the_generator_is_seeded_and_writes_single_lines() {
        let run = |seed| {
            let mut rng = Rng::new(seed);
            (0..2000).map(|_| generate(&mut rng)).collect::<Vec<_>>()
        };
        let inputs = run(1);
        assert_eq!(inputs, run(1));
        assert_ne!(inputs, run(2));
        assert!(inputs.iter().all(|s| !s.contains(['\n', '\r'])));
        let distinct: HashSet<&String> = inputs.iter().collect();
        assert!(distinct.len() > 1900, "{} distinct", distinct.len());
    }
}
