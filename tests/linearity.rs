//! Passes that were quadratic stay linear: the work they do (counted by a
//! debug-build hook, not timed) for 4N services is at most about 4 times the
//! work for N. A scan of every service per service would make it 16 times.

mod common;

use stacklint::compose::stack::LoadOptions;
use stacklint::parse::yaml;
use stacklint::source::{FileId, FileKind, SourceFile};

/// Grows at most linearly, with a little slack for constant costs.
fn assert_linear(what: &str, small: usize, large: usize) {
    assert!(small > 0, "{what}: no work counted");
    assert!(
        large <= small * 4 + small / 4,
        "{what}: {small} steps for N services but {large} for 4N: not linear"
    );
}

/// `n` services; every third joins the one before it (`service:`), every
/// fifth has a container name that the next one joins (`container:`).
fn stack(n: usize) -> String {
    let mut s = String::from("services:\n");
    for i in 0..n {
        s.push_str(&format!("  svc{i}:\n    image: example/app:1\n"));
        if i % 5 == 0 {
            s.push_str(&format!("    container_name: box{i}\n"));
        }
        if i % 3 == 1 {
            s.push_str(&format!("    network_mode: service:svc{}\n", i - 1));
        } else if i % 5 == 1 {
            s.push_str(&format!("    network_mode: \" container:box{} \"\n", i - 1));
        }
    }
    s
}

fn shared_namespace_steps(n: usize) -> usize {
    let dir = common::tree(&[("compose.yaml", &stack(n))]);
    let projects = common::projects_in(&dir, &LoadOptions::default());
    let p = projects.first().expect("one project");
    assert_eq!(p.model.services.len(), n);
    stacklint::steps::take();
    let shared = stacklint::analysis::network::shared_namespaces(p);
    let steps = stacklint::steps::take();
    // The facts themselves: joined (i % 3 == 0 or i % 5 == 0 followed by a
    // joiner), joining (i % 3 == 1, i % 5 == 1), or neither.
    let expect = |i: usize| {
        let joins = i % 3 == 1 || i % 5 == 1;
        let next_joins_service = i + 1 < n && (i + 1) % 3 == 1;
        let next_joins_box = i + 1 < n && (i + 1) % 3 != 1 && (i + 1) % 5 == 1;
        joins || next_joins_service || next_joins_box
    };
    assert_eq!(shared, (0..n).map(expect).collect::<Vec<_>>());
    assert!(shared.contains(&false) && shared.contains(&true));
    steps
}

#[test]
#[cfg_attr(
    not(debug_assertions),
    ignore = "the work counters count in debug builds only"
)]
fn sl101_shared_network_namespaces_are_linear() {
    let small = shared_namespace_steps(300);
    let large = shared_namespace_steps(1200);
    assert_linear("SL101 shared namespaces", small, large);
}

fn parse(text: &str, id: u32) -> yaml::Node {
    let f = SourceFile::new("t.yaml", FileKind::Compose, text.to_string());
    let y = yaml::parse(FileId(id), &f);
    assert!(y.diags.is_empty(), "{:?}", y.diags);
    y.docs.into_iter().next().expect("one document")
}

fn merge_steps(n: usize) -> usize {
    let base = parse(&stack(n), 0);
    // An override of every other service, and as many new ones.
    let mut over = String::from("services:\n");
    for i in (0..2 * n).step_by(2) {
        over.push_str(&format!(
            "  svc{i}:\n    environment:\n      LOG_LEVEL: debug\n"
        ));
    }
    let over = parse(&over, 1);
    let mut merged = base;
    stacklint::steps::take();
    stacklint::compose::merge::merge(&mut merged, over, &mut Vec::new());
    let steps = stacklint::steps::take();
    let services = merged
        .get("services")
        .and_then(yaml::Node::as_map)
        .expect("services");
    // The overridden keys merged in place, the new ones appended.
    assert_eq!(services.len(), n + n / 2);
    let env = |name: &str| {
        services
            .iter()
            .find(|(k, _)| k.as_str() == Some(name))
            .and_then(|(_, v)| v.get("environment"))
            .and_then(|e| e.get("LOG_LEVEL"))
            .and_then(yaml::Node::as_str)
            .map(str::to_string)
    };
    assert_eq!(env("svc2").as_deref(), Some("debug"));
    assert_eq!(env("svc1"), None);
    steps
}

#[test]
#[cfg_attr(
    not(debug_assertions),
    ignore = "the work counters count in debug builds only"
)]
fn merging_an_override_is_linear() {
    let small = merge_steps(300);
    let large = merge_steps(1200);
    assert_linear("merge of an override", small, large);
}
