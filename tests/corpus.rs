//! Every compose file of ../shared/corpus loads through the whole pipeline (YAML,
//! interpolation, include, extends, NGINX discovery) without a panic, and the files
//! that really are invalid give exactly the findings listed here.

use std::collections::BTreeMap;

use stacklint::compose::discover::ProjectSpec;
use stacklint::compose::stack::{load_project, LoadOptions};
use stacklint::report::check;

mod common;

/// (file below the corpus, a piece of the parse-error message it must give).
/// Each was read by hand: the spec snippets list alternatives under one key (a real
/// duplicate), quote YAML as Markdown (`> command: ...`) or include files that are not
/// part of the snippet; compose-go's include-cycle file includes itself.
const INVALID: &[(&str, &str)] = &[
    (
        "compose-go/loader/testdata/compose-include-cycle.yaml",
        "includes itself",
    ),
    (
        "compose-spec/spec-snippets/05-services.snippet003.yaml",
        "duplicate key",
    ),
    (
        "compose-spec/spec-snippets/05-services.snippet004.yaml",
        "duplicate key",
    ),
    (
        "compose-spec/spec-snippets/05-services.snippet009.yaml",
        "invalid YAML",
    ),
    (
        "compose-spec/spec-snippets/05-services.snippet058.yaml",
        "duplicate key",
    ),
    (
        "compose-spec/spec-snippets/05-services.snippet060.yaml",
        "duplicate key",
    ),
    (
        "compose-spec/spec-snippets/05-services.snippet067.yaml",
        "duplicate key",
    ),
    (
        "compose-spec/spec-snippets/05-services.snippet080.yaml",
        "duplicate key",
    ),
    (
        "compose-spec/spec-snippets/05-services.snippet088.yaml",
        "duplicate key",
    ),
    (
        "compose-spec/spec-snippets/05-services.snippet093.yaml",
        "duplicate key",
    ),
    (
        "compose-spec/spec-snippets/14-include.snippet000.yaml",
        "no such file",
    ),
    (
        "compose-spec/spec-snippets/14-include.snippet001.yaml",
        "no such file",
    ),
    (
        "compose-spec/spec-snippets/14-include.snippet002.yaml",
        "no such file",
    ),
    (
        "compose-spec/spec-snippets/14-include.snippet003.yaml",
        "no such file",
    ),
    (
        "compose-spec/spec-snippets/14-include.snippet004.yaml",
        "no such file",
    ),
    (
        "compose-spec/spec-snippets/build.snippet005.yaml",
        "duplicate key",
    ),
    (
        "compose-spec/spec-snippets/spec.snippet005.yaml",
        "duplicate key",
    ),
    (
        "compose-spec/spec-snippets/spec.snippet006.yaml",
        "duplicate key",
    ),
    (
        "compose-spec/spec-snippets/spec.snippet011.yaml",
        "invalid YAML",
    ),
    (
        "compose-spec/spec-snippets/spec.snippet060.yaml",
        "duplicate key",
    ),
    (
        "compose-spec/spec-snippets/spec.snippet062.yaml",
        "duplicate key",
    ),
    (
        "compose-spec/spec-snippets/spec.snippet069.yaml",
        "duplicate key",
    ),
    (
        "compose-spec/spec-snippets/spec.snippet082.yaml",
        "duplicate key",
    ),
    (
        "compose-spec/spec-snippets/spec.snippet090.yaml",
        "duplicate key",
    ),
    (
        "compose-spec/spec-snippets/spec.snippet095.yaml",
        "duplicate key",
    ),
    (
        "compose-spec/spec-snippets/spec.snippet170.yaml",
        "no such file",
    ),
    (
        "compose-spec/spec-snippets/spec.snippet171.yaml",
        "no such file",
    ),
    (
        "compose-spec/spec-snippets/spec.snippet172.yaml",
        "no such file",
    ),
    (
        "compose-spec/spec-snippets/spec.snippet173.yaml",
        "no such file",
    ),
    (
        "compose-spec/spec-snippets/spec.snippet174.yaml",
        "no such file",
    ),
];

/// Files that break the compose specification (SL004), with the number of findings.
/// Each finding was read by hand and is a file docker compose refuses as written: the
/// spec's merge examples use made-up keys (`key1`, `DNS`), some snippets are a
/// service's keys at the top level or a mis-indented service, and compose's own
/// fixture `wrong-composefile` exists to be refused.
const SCHEMA_INVALID: &[(&str, usize)] = &[
    ("compose-spec/spec-snippets/05-services.snippet040.yaml", 2),
    ("compose-spec/spec-snippets/13-merge.snippet000.yaml", 2),
    ("compose-spec/spec-snippets/13-merge.snippet001.yaml", 2),
    ("compose-spec/spec-snippets/13-merge.snippet002.yaml", 3),
    ("compose-spec/spec-snippets/13-merge.snippet003.yaml", 1),
    ("compose-spec/spec-snippets/13-merge.snippet004.yaml", 1),
    ("compose-spec/spec-snippets/13-merge.snippet005.yaml", 1),
    ("compose-spec/spec-snippets/13-merge.snippet012.yaml", 1),
    ("compose-spec/spec-snippets/13-merge.snippet015.yaml", 1),
    ("compose-spec/spec-snippets/spec.snippet042.yaml", 2),
    ("compose-spec/spec-snippets/spec.snippet152.yaml", 2),
    ("compose-spec/spec-snippets/spec.snippet153.yaml", 2),
    ("compose-spec/spec-snippets/spec.snippet154.yaml", 3),
    ("compose-spec/spec-snippets/spec.snippet155.yaml", 1),
    ("compose-spec/spec-snippets/spec.snippet156.yaml", 1),
    ("compose-spec/spec-snippets/spec.snippet157.yaml", 1),
    ("compose-spec/spec-snippets/spec.snippet164.yaml", 1),
    ("compose-spec/spec-snippets/spec.snippet167.yaml", 1),
    (
        "docker-compose-v2/pkg/e2e/fixtures/wrong-composefile/compose.yaml",
        1,
    ),
];

#[test]
fn every_compose_file_loads() {
    let Some(root) = common::shared("corpus", "loading every corpus compose file") else {
        return;
    };
    let mut got: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut schema: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut count = 0;
    for e in walkdir::WalkDir::new(&root)
        .sort_by_file_name()
        .into_iter()
        .filter_map(Result::ok)
    {
        let name = e.file_name().to_string_lossy().to_string();
        if !e.file_type().is_file() || !(name.ends_with(".yml") || name.ends_with(".yaml")) {
            continue;
        }
        count += 1;
        let spec = ProjectSpec {
            dir: e.path().parent().unwrap_or(&root).to_path_buf(),
            files: vec![e.path().to_path_buf()],
            explicit: true,
            root: None,
        };
        let project = load_project(&spec, &LoadOptions::default());
        let findings = check::run(&project, &|m| m.code == "SL001" || m.code == "SL004");
        let rel = e
            .path()
            .strip_prefix(&root)
            .unwrap_or(e.path())
            .to_string_lossy()
            .to_string();
        for f in findings {
            // Only findings in this very file: an included file's own errors are listed under it.
            if project.sources.get(f.primary.file).path.ends_with(&rel) {
                let into = if f.rule.code == "SL004" {
                    &mut schema
                } else {
                    &mut got
                };
                into.entry(rel.clone()).or_default().push(f.message);
            }
        }
    }
    assert!(count > 1000, "only {count} YAML files found in the corpus");
    let mut problems = Vec::new();
    for (file, msgs) in &got {
        match INVALID.iter().find(|(f, _)| f == file) {
            Some((_, want)) if msgs.iter().any(|m| m.contains(want)) => {}
            Some((_, want)) => problems.push(format!("{file}: expected `{want}`, got {msgs:?}")),
            None => problems.push(format!("{file}: unexpected {msgs:?}")),
        }
    }
    for (file, want) in INVALID {
        if !got.contains_key(*file) {
            problems.push(format!("{file}: expected `{want}`, got nothing"));
        }
    }
    for (file, msgs) in &schema {
        match SCHEMA_INVALID.iter().find(|(f, _)| f == file) {
            Some((_, n)) if *n == msgs.len() => {}
            _ => problems.push(format!("{file}: SL004 {msgs:?}")),
        }
    }
    for (file, n) in SCHEMA_INVALID {
        if !schema.contains_key(*file) {
            problems.push(format!("{file}: expected {n} SL004 findings, got none"));
        }
    }
    assert!(
        problems.is_empty(),
        "{} problems:\n{}",
        problems.len(),
        problems.join("\n")
    );
}
