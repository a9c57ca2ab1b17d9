//! Throughput of the search-tree simulator on fixed inputs. RFT is the reference: the ratio
//! uft / rft per iteration is what to compare across machines.

use criterion::{Criterion, criterion_group, criterion_main};
use repro::theory::config::TreeConfig;
use repro::theory::method::Method;
use repro::theory::simulate::simulate;

fn config(method: Method, height: usize, branching: usize, iterations: u64) -> TreeConfig {
    TreeConfig {
        stop_pass1: 1.0,
        max_explorations: u64::MAX / 2,
        max_iterations: iterations,
        ..TreeConfig::with_defaults(method, height, branching)
    }
}

fn bench(c: &mut Criterion) {
    let mut group = c.benchmark_group("tree_search_1000_iterations");
    group.sample_size(20);
    for (name, method) in [
        ("rft", Method::Rft),
        ("uft", Method::Uft),
        ("sft", Method::Sft),
    ] {
        let cfg = config(method, 10, 3, 1000);
        group.bench_function(format!("{name}_h10_b3"), |b| {
            b.iter(|| simulate(&cfg, 0, &mut |_| {}))
        });
    }
    group.finish();
}

// Criterion's own HTML plots need system fonts that plotters' `ab_glyph` mode cannot see.
criterion_group! {
    name = benches;
    config = Criterion::default().without_plots();
    targets = bench
}
criterion_main!(benches);
