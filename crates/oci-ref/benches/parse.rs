//! References parsed per second: the crate's Go-parity corpus (its valid lines alone, and all of
//! its lines, valid and invalid together, as inventories and tag lists feed them), a realistic
//! mix of valid names, and one of each shape.
//!
//! The corpus is the inputs of `tests/data/baseline.jsonl`, the vectors the Go reference
//! implementation wrote; `cargo xtask baseline --bench` times Go on the same lines.

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use oci_ref::Reference;

const BASELINE: &str = include_str!("../tests/data/baseline.jsonl");

const MIX: &[&str] = &[
    "nginx",
    "nginx:1.25",
    "ubuntu:22.04",
    "redis:7-alpine",
    "library/postgres:16",
    "bitnami/redis:latest",
    "grafana/grafana-oss:10.2.3",
    "docker.io/library/alpine:3.19",
    "localhost:5000/team/app:1.0",
    "registry.example.com:8443/group/sub/project:v2.3.4",
    "ghcr.io/owner/repo:main",
    "quay.io/prometheus/node-exporter:v1.7.0",
    "gcr.io/distroless/static-debian12:nonroot",
    "public.ecr.aws/lambda/python:3.12",
    "[::1]:5000/app:dev",
    "10.0.0.1:5000/mirror/busybox",
    "nginx@sha256:0a0b0c0d0e0f101112131415161718191a1b1c1d1e1f20212223242526272829",
    "ghcr.io/owner/repo:1.0@sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    "mcr.microsoft.com/dotnet/aspnet:8.0",
    "busybox",
];

/// The corpus lines: each input and whether Go's `ParseNormalizedNamed` accepted it.
fn corpus() -> Vec<(String, bool)> {
    BASELINE
        .lines()
        .map(|line| {
            let vector: serde_json::Value = serde_json::from_str(line).expect("the baseline is JSON lines");
            let input = vector["input"].as_str().expect("every vector has an input");
            let ok = vector["ok"].as_bool().expect("every vector says ok");
            (input.to_owned(), ok)
        })
        .collect()
}

/// Parses every line and counts the references, so the work cannot be skipped.
fn parse_all(lines: &[&str]) -> usize {
    lines
        .iter()
        .filter(|line| Reference::parse_normalized(black_box(line)).is_ok())
        .count()
}

fn parse(c: &mut Criterion) {
    let corpus = corpus();
    let mixed: Vec<&str> = corpus.iter().map(|(input, _)| input.as_str()).collect();
    let valid: Vec<&str> = corpus
        .iter()
        .filter(|(_, ok)| *ok)
        .map(|(input, _)| input.as_str())
        .collect();
    assert_eq!(parse_all(&valid), valid.len(), "the valid lines parse");
    assert_eq!(parse_all(&mixed), valid.len(), "only the valid lines parse");
    for input in MIX {
        assert!(
            Reference::parse_normalized(input).is_ok(),
            "the mix holds valid references: {input}"
        );
    }

    let mut group = c.benchmark_group("corpus");
    for (name, lines) in [("valid", &valid), ("mixed", &mixed)] {
        group.throughput(Throughput::Elements(lines.len() as u64));
        group.bench_function(name, |b| b.iter(|| parse_all(lines)));
    }
    group.finish();

    let mut group = c.benchmark_group("parse_normalized");
    group.throughput(Throughput::Elements(MIX.len() as u64));
    group.bench_function("mix", |b| b.iter(|| parse_all(MIX)));
    // One of each kind, to see where the time goes.
    for (name, input) in [
        ("hub_short", "nginx"),
        ("host_port_tag", "registry.example.com:8443/group/project:v2.3.4"),
        (
            "tag_digest",
            "ghcr.io/owner/repo:1.0@sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        ),
        ("invalid_format", "foo bar:baz"),
        ("uppercase", "docker.io/Library/Nginx:1.25"),
    ] {
        group.throughput(Throughput::Elements(1));
        group.bench_function(name, |b| {
            b.iter(|| Reference::parse_normalized(black_box(input)).is_ok())
        });
    }
    group.finish();
}

criterion_group!(benches, parse);
criterion_main!(benches);
