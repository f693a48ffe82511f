//! References parsed per second on a realistic mix: short Docker Hub names, registry hosts
//! with ports, tags and digests.

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use oci_ref::Reference;

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

fn parse(c: &mut Criterion) {
    for input in MIX {
        assert!(
            Reference::parse_normalized(input).is_ok(),
            "the mix holds valid references: {input}"
        );
    }
    let mut group = c.benchmark_group("parse_normalized");
    group.throughput(Throughput::Elements(MIX.len() as u64));
    group.bench_function("mix", |b| {
        b.iter(|| {
            for input in MIX {
                let reference = Reference::parse_normalized(black_box(input));
                black_box(reference.is_ok());
            }
        });
    });
    // One of each kind, to see where the time goes.
    for (name, input) in [
        ("hub_short", "nginx"),
        ("host_port_tag", "registry.example.com:8443/group/project:v2.3.4"),
        (
            "tag_digest",
            "ghcr.io/owner/repo:1.0@sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        ),
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
