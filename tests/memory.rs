//! When a run asks the allocator to keep freed pages or give them back
//! (`stacklint::memory`): a one-project run asks nothing, a run of several
//! projects keeps them from its second project on, and a large project's tree is
//! given back once dropped. The allocator is stood in for by counters (this test
//! is a process of its own, so the hooks are set once, here).

mod common;

use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};

use stacklint::cli::{load_all, Input};
use stacklint::memory::{self, Allocator};

static KEPT: AtomicUsize = AtomicUsize::new(0);
static GIVEN_BACK: AtomicUsize = AtomicUsize::new(0);

fn keep() {
    KEPT.fetch_add(1, Ordering::SeqCst);
}

fn give_back() {
    GIVEN_BACK.fetch_add(1, Ordering::SeqCst);
}

/// (keep, give back) requests made while `dir` is loaded.
fn requests(dir: &std::path::Path) -> (usize, usize) {
    let before = (
        KEPT.load(Ordering::SeqCst),
        GIVEN_BACK.load(Ordering::SeqCst),
    );
    let projects = load_all(&Input {
        paths: vec![PathBuf::from(dir)],
        ..Default::default()
    })
    .expect("loads");
    assert!(!projects.is_empty());
    (
        KEPT.load(Ordering::SeqCst) - before.0,
        GIVEN_BACK.load(Ordering::SeqCst) - before.1,
    )
}

fn services(n: usize) -> String {
    let mut s = String::from("services:\n");
    for i in 0..n {
        s.push_str(&format!(
            "  svc{i}:\n    image: example/app:1\n    environment:\n      NAME: svc{i}\n"
        ));
    }
    s
}

#[test]
fn freed_pages_are_kept_by_runs_of_many_projects_and_large_trees_given_back() {
    memory::set(Allocator {
        keep_freed: keep,
        give_back,
    });
    let small = services(3);
    let one = common::tree(&[("compose.yaml", &small)]);
    assert_eq!(requests(&one), (0, 0), "one small project");

    let two = common::tree(&[("a/compose.yaml", &small), ("b/compose.yaml", &small)]);
    assert_eq!(requests(&two), (1, 0), "two small projects");

    // 4,000 services: over 256 KiB of text.
    let large = services(4_000);
    assert!(large.len() >= 256 * 1024);
    let big = common::tree(&[("compose.yaml", &large)]);
    assert_eq!(requests(&big), (0, 1), "one large project");
}
