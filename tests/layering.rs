//! The shape of the code, checked: data flows one way (parse → knowledge →
//! compose → analysis → rules → report → cli), so a module may name its own
//! layer and the layers below it, never one above. A rule file never names
//! another rule's file. See ARCHITECTURE.md.
//!
//! The check reads `crate::…` and `super::…` paths in src/**/*.rs (comments
//! skipped). `ALLOWED` lists the upward edges that remain; it may only shrink:
//! an entry that no longer matches anything fails the test too.
//!
//! `cargo test --test layering -- --nocapture` prints the layer graph.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// The layers, bottom first.
const LAYERS: &[&str] = &[
    "base",
    "parse",
    // Data with no dependency but image-reference parsing: loading may ask it
    // which services are NGINX proxies.
    "knowledge",
    "compose",
    "analysis",
    "rules",
    "report",
    "cli",
];

/// Which layer each top-level module of src/ belongs to. A new module must be
/// placed here, so nobody adds code outside the map.
fn layer_of_module(m: &str) -> Option<&'static str> {
    Some(match m {
        // The shared vocabulary every layer speaks: spans, findings, severities.
        "source" | "paths" | "finding" | "severity" | "names" | "steps" | "memory" => "base",
        "parse" | "image" => "parse",
        "knowledge" => "knowledge",
        "compose" => "compose",
        "analysis" => "analysis",
        "rules" => "rules",
        "report" | "output" => "report",
        "cli" | "server" | "main" | "lib" => "cli",
        _ => return None,
    })
}

/// Upward references that remain, as (file, referenced module path prefix).
const ALLOWED: &[(&str, &str)] = &[];

fn rank(layer: &str) -> usize {
    LAYERS
        .iter()
        .position(|l| *l == layer)
        .unwrap_or(usize::MAX)
}

fn rs_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .filter_map(Result::ok)
        .map(|e| e.path())
        .collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            rs_files(&p, out);
        } else if p.extension().is_some_and(|e| e == "rs") {
            out.push(p);
        }
    }
}

/// `src/a/b.rs` → ["a", "b"]; `src/a/mod.rs` → ["a"].
fn module_path(rel: &str) -> Vec<String> {
    let trimmed = rel.trim_start_matches("src/").trim_end_matches(".rs");
    let mut parts: Vec<String> = trimmed.split('/').map(str::to_string).collect();
    if parts.last().is_some_and(|l| l == "mod") {
        parts.pop();
    }
    parts
}

/// Every `crate::a::b` / `super::a` path in code lines, as written (identifiers only).
fn references(text: &str, prefix: &str) -> Vec<String> {
    let mut out = Vec::new();
    for line in text.lines() {
        let code = line.trim_start();
        if code.starts_with("//") {
            continue;
        }
        let code = code.split(" //").next().unwrap_or(code);
        let mut rest = code;
        while let Some(i) = rest.find(prefix) {
            let before = rest[..i].chars().last();
            let after = &rest[i..];
            let end = after
                .char_indices()
                .find(|&(_, c)| !(c.is_alphanumeric() || c == '_' || c == ':'))
                .map_or(after.len(), |(j, _)| j);
            let path = after[..end].trim_end_matches(':').to_string();
            if !before.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == ':') {
                out.push(path);
            }
            rest = &after[end.max(prefix.len())..];
        }
    }
    out
}

/// Paths through a module imported by name (`use crate::rules;` then
/// `rules::nginx::scope::analyze`), spelled out from `crate::`.
fn aliased_references(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    for full in references(text, "crate::") {
        let imported_as_module =
            text.contains(&format!("use {full};")) || text.contains(&format!("use {full}::{{self"));
        let Some(alias) = full.rsplit("::").next().filter(|_| imported_as_module) else {
            continue;
        };
        for r in references(text, &format!("{alias}::")) {
            out.push(format!("{full}{}", &r[alias.len()..]));
        }
    }
    out
}

/// Rule files: the files under src/rules/ that define a rule (its `META`). A
/// rule may be a folder (`<rule>/mod.rs` with `META`, its tests and helper
/// submodules beside it); the registries (`src/rules/mod.rs` and each group's
/// `mod.rs`, which hold no `META`) and shared helpers are not rules.
fn is_rule_file(rel: &str, text: &str) -> bool {
    rel.starts_with("src/rules/")
        && rel != "src/rules/mod.rs"
        && text.contains("static META: RuleMeta")
}

/// The rule a module belongs to: the rule itself or a submodule of its folder.
fn owning_rule<'a>(module: &[String], rules: &'a BTreeSet<Vec<String>>) -> Option<&'a Vec<String>> {
    rules.iter().find(|r| module.starts_with(r))
}

/// `super::…` paths resolved from module `me` into `crate` paths (without `crate`).
fn resolve_super(me: &[String], path: &str) -> Option<Vec<String>> {
    let mut base = me.to_vec();
    let mut rest = path;
    while let Some(r) = rest.strip_prefix("super::") {
        base.pop()?;
        rest = r;
    }
    if rest == "super" {
        base.pop()?;
        rest = "";
    }
    base.extend(
        rest.split("::")
            .filter(|s| !s.is_empty())
            .map(str::to_string),
    );
    Some(base)
}

struct Edge {
    file: String,
    target: String,
    why: String,
}

fn check() -> (Vec<Edge>, BTreeMap<(String, String), usize>) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    rs_files(&root.join("src"), &mut files);
    let rule_mods: BTreeSet<Vec<String>> = files
        .iter()
        .map(|f| {
            f.strip_prefix(root)
                .unwrap()
                .to_string_lossy()
                .replace('\\', "/")
        })
        .filter(|r| {
            is_rule_file(
                r,
                &std::fs::read_to_string(root.join(r)).unwrap_or_default(),
            )
        })
        .map(|r| module_path(&r))
        .collect();
    let mut bad = Vec::new();
    let mut graph = BTreeMap::new();
    for f in &files {
        let rel = f
            .strip_prefix(root)
            .unwrap()
            .to_string_lossy()
            .replace('\\', "/");
        let text = std::fs::read_to_string(f).unwrap();
        let me = module_path(&rel);
        let mine = owning_rule(&me, &rule_mods);
        let my_layer = layer_of_module(&me[0]).unwrap_or_else(|| {
            panic!(
                "{rel}: module `{}` is in no layer; add it to layer_of_module",
                me[0]
            )
        });
        let mut refs = references(&text, "crate::");
        refs.extend(aliased_references(&text));
        for r in refs {
            let segs: Vec<&str> = r.split("::").collect();
            let Some(top) = segs.get(1) else { continue };
            let Some(layer) = layer_of_module(top) else {
                continue; // a name re-exported at the crate root, or a macro
            };
            *graph
                .entry((my_layer.to_string(), layer.to_string()))
                .or_insert(0) += 1;
            if rank(layer) > rank(my_layer) {
                bad.push(Edge {
                    file: rel.clone(),
                    target: r.clone(),
                    why: format!("{my_layer} may not depend on {layer}"),
                });
            }
            // Only the registries (src/rules/**/mod.rs outside a rule's folder)
            // name rule files; a rule's own folder may name its own modules.
            let is_registry =
                rel.starts_with("src/rules/") && rel.ends_with("/mod.rs") && mine.is_none();
            if !is_registry {
                let path: Vec<String> = segs[1..].iter().map(|s| s.to_string()).collect();
                if let Some(other) = owning_rule(&path, &rule_mods).filter(|r| Some(*r) != mine) {
                    bad.push(Edge {
                        file: rel.clone(),
                        target: format!("crate::{}", other.join("::")),
                        why: "only the rule registry names a rule's file".into(),
                    });
                }
            }
        }
        if mine.is_some() {
            for r in references(&text, "super::") {
                let Some(path) = resolve_super(&me, &r) else {
                    continue;
                };
                if let Some(other) = owning_rule(&path, &rule_mods).filter(|o| Some(*o) != mine) {
                    bad.push(Edge {
                        file: rel.clone(),
                        target: format!("crate::{}", other.join("::")),
                        why: "a rule file names another rule's file".into(),
                    });
                }
            }
        }
    }
    (bad, graph)
}

#[test]
fn layers_only_point_down_and_rules_stand_alone() {
    let (edges, graph) = check();
    eprintln!("layer -> layer (references):");
    for ((a, b), n) in &graph {
        let mark = if rank(b) > rank(a) { "  UPWARD" } else { "" };
        eprintln!("  {a} -> {b}: {n}{mark}");
    }
    let allowed = |e: &Edge| {
        ALLOWED
            .iter()
            .any(|(f, t)| *f == e.file && e.target.starts_with(t))
    };
    let mut problems: Vec<String> = edges
        .iter()
        .filter(|e| !allowed(e))
        .map(|e| format!("{}: `{}`: {}", e.file, e.target, e.why))
        .collect();
    for (f, t) in ALLOWED {
        if !edges
            .iter()
            .any(|e| e.file == *f && e.target.starts_with(t))
        {
            problems.push(format!(
                "allow-list entry ({f}, {t}) matches nothing: remove it"
            ));
        }
    }
    problems.sort();
    problems.dedup();
    assert!(problems.is_empty(), "layering:\n{}", problems.join("\n"));
}

#[test]
fn the_check_sees_paths() {
    let r = references(
        "use crate::parse::yaml::{Node};\n// crate::cli\nlet x = crate::rules::nginx::scope::analyze(p); super::a::b();",
        "crate::",
    );
    assert_eq!(
        r,
        vec!["crate::parse::yaml", "crate::rules::nginx::scope::analyze"]
    );
    assert_eq!(
        references("super::scope::f()", "super::"),
        vec!["super::scope::f"]
    );
    assert_eq!(
        aliased_references("use crate::rules;\nlet a = rules::nginx::scope::analyze(p);"),
        vec!["crate::rules::nginx::scope::analyze"]
    );
    assert_eq!(
        module_path("src/rules/nginx/mod.rs"),
        vec!["rules", "nginx"]
    );
    let rule = "pub static META: RuleMeta = RuleMeta {";
    assert!(is_rule_file("src/rules/nginx/resolver_not_used.rs", rule));
    assert!(!is_rule_file(
        "src/rules/options.rs",
        "pub struct RuleOptions"
    ));
    assert!(!is_rule_file("src/rules/mod.rs", rule));
    assert!(is_rule_file("src/rules/compose/a_rule/mod.rs", rule));
    assert!(!is_rule_file(
        "src/rules/compose/a_rule/tests.rs",
        "use super::*;"
    ));
    let rules: BTreeSet<Vec<String>> = [module_path("src/rules/compose/a_rule/mod.rs")].into();
    let helper = module_path("src/rules/compose/a_rule/probes.rs");
    assert_eq!(owning_rule(&helper, &rules), rules.first());
    assert_eq!(
        owning_rule(&module_path("src/rules/compose/mod.rs"), &rules),
        None
    );
    assert_eq!(
        resolve_super(
            &module_path("src/rules/compose/b_rule/tests.rs"),
            "super::super::a_rule::f"
        ),
        Some(module_path("src/rules/compose/a_rule/f.rs"))
    );
}

/// `knowledge/` is the only place that names images: no code outside it (unit
/// tests aside) writes a namespaced image path of `images.toml` as a string.
/// Bare names (`postgres`, `nginx`) are also program names, so they are not
/// checked here.
#[test]
fn only_knowledge_names_images() {
    let k = stacklint::knowledge::all();
    let mut images: BTreeSet<&str> = BTreeSet::new();
    for p in &k.product {
        images.extend(p.images.iter().map(String::as_str));
    }
    for p in &k.ports {
        images.extend(p.images.iter().map(String::as_str));
    }
    images.extend(k.no_healthcheck.iter().map(|n| n.image.as_str()));
    images.extend(k.nginx_flavor.iter().map(|f| f.contains.as_str()));
    let images: Vec<&str> = images
        .into_iter()
        .filter(|i| i.contains('/') && !i.ends_with("/*"))
        .collect();
    assert!(images.len() > 20, "{images:?}");
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    rs_files(&root.join("src"), &mut files);
    let mut found = Vec::new();
    for f in &files {
        let rel = f
            .strip_prefix(root)
            .unwrap()
            .to_string_lossy()
            .replace('\\', "/");
        if rel.starts_with("src/knowledge/") || rel.ends_with("/tests.rs") {
            continue;
        }
        let text = std::fs::read_to_string(f).unwrap();
        // Unit tests sit at the end of a file, after `#[cfg(test)]`.
        let code = text.split("#[cfg(test)]").next().unwrap_or(&text);
        for line in code.lines().filter(|l| !l.trim_start().starts_with("//")) {
            for i in &images {
                if line.contains(&format!("\"{i}")) {
                    found.push(format!("{rel}: {}", line.trim()));
                }
            }
        }
    }
    assert!(
        found.is_empty(),
        "image names outside knowledge/:\n{}",
        found.join("\n")
    );
}
