//! `cargo bench`: wall time of loading and linting real stacks, in-process (no
//! process start-up), median of several runs. Speed is measured here, never asserted
//! in a test. Stacks: the example stacks and, when it is beside the checkout,
//! ../shared/corpus (about 600 projects).

use std::path::PathBuf;
use std::time::{Duration, Instant};

use stacklint::cli::{check_project, config_for, load_all, Input};
use stacklint::report::config::Overrides;

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn bench(name: &str, path: PathBuf, runs: usize) {
    if !path.exists() {
        println!("{name:<24} skipped ({} is absent)", path.display());
        return;
    }
    let input = Input {
        paths: vec![path],
        ..Default::default()
    };
    let Ok(cfg) = config_for(&input, &Overrides::default()) else {
        println!("{name:<24} skipped (configuration error)");
        return;
    };
    let mut load = Vec::new();
    let mut lint = Vec::new();
    let mut counts = (0, 0);
    for _ in 0..runs {
        let t = Instant::now();
        let Ok(projects) = load_all(&input) else {
            println!("{name:<24} skipped (cannot load)");
            return;
        };
        load.push(t.elapsed());
        let t = Instant::now();
        let findings: usize = projects.iter().map(|p| check_project(p, &cfg).len()).sum();
        lint.push(t.elapsed());
        counts = (projects.len(), findings);
    }
    println!(
        "{name:<24} load {:>9.2?}  lint {:>9.2?}  ({} projects, {} findings, median of {runs})",
        median(load),
        median(lint),
        counts.0,
        counts.1
    );
}

fn main() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    bench(
        "proxy-stack-before",
        root.join("fixtures/proxy-stack-before"),
        50,
    );
    bench("deploy-env", root.join("fixtures/deploy-env"), 50);
    bench("all fixtures", root.join("fixtures"), 10);
    bench("shared corpus", root.join("../shared/corpus"), 10);
}
