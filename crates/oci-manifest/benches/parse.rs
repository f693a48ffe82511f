//! How long parsing (with hashing) and platform selection take on registry-shaped documents.

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use oci_manifest::{Manifest, Platform};

const INDEX: &[u8] = include_bytes!("../tests/data/manifests/dockerhub-oci-index-attestations.json");
const IMAGE: &[u8] = include_bytes!("../tests/data/manifests/dockerhub-schema2-manifest.json");

fn parse(c: &mut Criterion) {
    let mut group = c.benchmark_group("parse");
    for (name, bytes) in [("oci_index_14_entries", INDEX), ("docker_manifest_5_layers", IMAGE)] {
        group.throughput(Throughput::Bytes(bytes.len() as u64));
        group.bench_function(name, |b| b.iter(|| Manifest::parse(black_box(bytes), None)));
    }
    group.finish();
}

fn select(c: &mut Criterion) {
    let manifest = Manifest::parse(INDEX, None).expect("the vector parses");
    let index = manifest.as_index().expect("an index");
    let host: Platform = "linux/arm/v8".parse().expect("a platform");
    c.bench_function("select/arm_v8_from_14_entries", |b| {
        b.iter(|| index.select(black_box(&host)))
    });
}

criterion_group!(benches, parse, select);
criterion_main!(benches);
