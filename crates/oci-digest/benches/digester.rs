//! `Digester` throughput against ring used directly, on 1 MiB and 64 MiB inputs.
//!
//! The wrapper must cost under 2% above ring.

use std::hint::black_box;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use oci_digest::{Algorithm, Digester};

/// Feeds data in 64 KiB pieces, as a network stream would.
const PIECE: usize = 64 * 1024;

fn throughput(c: &mut Criterion) {
    for (label, size) in [("1MiB", 1usize << 20), ("64MiB", 64usize << 20)] {
        let data: Vec<u8> = (0..size).map(|i| (i * 31 % 251) as u8).collect();
        let mut group = c.benchmark_group("sha256");
        group.throughput(Throughput::Bytes(size as u64));
        if size > 1 << 24 {
            group.sample_size(10);
        }
        group.bench_function(BenchmarkId::new("ring", label), |b| {
            b.iter(|| {
                let mut context = ring::digest::Context::new(&ring::digest::SHA256);
                data.chunks(PIECE).for_each(|piece| context.update(piece));
                black_box(context.finish())
            })
        });
        group.bench_function(BenchmarkId::new("Digester", label), |b| {
            b.iter(|| {
                let mut digester = Digester::new(Algorithm::Sha256);
                data.chunks(PIECE).for_each(|piece| digester.update(piece));
                black_box(digester.finish())
            })
        });
        group.finish();
    }
}

criterion_group!(benches, throughput);
criterion_main!(benches);
