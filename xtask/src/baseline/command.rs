//! The command: its arguments, regenerating the committed vectors, and the differential run that feeds
//! the same inputs to the Go program and to `oci-check ref --json`.

use std::collections::HashSet;
use std::env;
use std::fmt::Write as _;
use std::fs;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use super::generator::{Rng, generate};
use super::json::{Json, Parser, field, json_string};
use super::toolchain::{build_program, target_dir};
use crate::{Result, cargo_command, read, root, run};

const INPUTS: &str = "crates/oci-ref/tests/data/baseline-inputs.txt";
const VECTORS: &str = "crates/oci-ref/tests/data/baseline.jsonl";
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

/// `baseline [--differential [N]] [--seed S] [--save FILE]` or `baseline --bench`.
pub(crate) fn command(args: &[String]) -> Result {
    if args.iter().any(|arg| arg == "--bench") {
        if args.len() > 1 {
            return Err("--bench goes alone".into());
        }
        let root = root();
        let program = build_program(&root)?;
        return bench(&root, &program);
    }
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

/// Times the Go implementation on the inputs of the committed vectors, the corpus oci-ref's criterion
/// benchmark (`benches/parse.rs`) times: its valid lines, then all of them. One core, like criterion:
/// `GOMAXPROCS=1` unless the environment says otherwise.
fn bench(root: &Path, program: &Path) -> Result {
    let text = read(&root.join(VECTORS))?;
    let mut stdin = String::new();
    for (number, line) in text.lines().enumerate() {
        let fields = Parser::new(line)
            .object()
            .map_err(|err| format!("{VECTORS}:{}: {err}", number + 1))?;
        let input = fields
            .into_iter()
            .find_map(|(key, value)| match (key.as_str(), value) {
                ("input", Json::Str(input)) => Some(input),
                _ => None,
            })
            .ok_or_else(|| format!("{VECTORS}:{}: no input", number + 1))?;
        stdin.push_str(&json_string(&input));
        stdin.push('\n');
    }
    let mut cmd = Command::new(program);
    cmd.arg("-bench");
    if env::var_os("GOMAXPROCS").is_none() {
        cmd.env("GOMAXPROCS", "1");
    }
    for line in pipe(&mut cmd, stdin.as_bytes())? {
        println!("{line}");
    }
    Ok(())
}

/// Runs the Go program and `oci-check ref --json` on the same generated inputs and compares them.
fn differential_run(root: &Path, program: &Path, count: usize, seed: u64, save: Option<&Path>) -> Result {
    run(cargo_command()
        .current_dir(root)
        .args(["build", "--quiet", "--package", "oci-check", "--bin", "oci-check"]))?;
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
