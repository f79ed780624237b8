//! `--fix`, `--unsafe-fixes` and `--diff`: what each fix changes (snapshots of
//! the diff on each failing fixture), that fixing copies of the fixture stacks
//! leaves nothing fixable and files that still load, and that only the edited
//! bytes change (comments, anchors, flow style, CRLF and a BOM stay).

use std::path::{Path, PathBuf};

use serde_json::Value;

mod common;

/// The rules that carry fixes, as (name, code).
const FIXING: &[(&str, &str)] = &[
    ("invalid-compose", "SL004"),
    ("healthcheck-port-mismatch", "SL101"),
    ("internal-port-published", "SL102"),
    ("nginx-config-not-loaded", "SL203"),
    ("static-upstream-without-resolver", "SL201"),
    ("resolver-not-used", "SL202"),
    ("env-example-drift", "SL302"),
    ("no-new-privileges-missing", "SL501"),
    ("capabilities-not-dropped", "SL502"),
    ("writable-root-filesystem", "SL503"),
];

fn manifest() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// A copy of the directory `from` in a fresh temporary directory.
fn copy_of(from: &Path) -> common::Dir {
    let dir = common::tree(&[]);
    common::copy_dir(from, &dir.join("stack"));
    dir
}

fn json(dir: &Path, args: &[&str]) -> Value {
    let mut all = vec!["stack", "--format", "json", "--fail-on", "never"];
    all.extend_from_slice(args);
    let (_, out, err) = common::stacklint_in(dir, &all);
    serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}{err}"))
}

fn findings(v: &Value) -> Vec<Value> {
    v["findings"].as_array().cloned().unwrap_or_default()
}

/// Every file below `dir`, relative, with its bytes.
fn files(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).expect("read_dir").flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else {
                let rel = p.strip_prefix(dir).expect("below").to_path_buf();
                out.push((rel, std::fs::read(&p).expect("read")));
            }
        }
    }
    out.sort();
    out
}

#[test]
fn diff_of_each_fix_on_its_failing_fixtures() {
    for (name, code) in FIXING {
        let dir = manifest().join("fixtures/rules").join(name);
        let mut cases: Vec<String> = std::fs::read_dir(&dir)
            .expect("fixtures")
            .flatten()
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .filter(|n| n.starts_with("fail"))
            .collect();
        cases.sort();
        let mut any = false;
        for case in cases {
            let path = format!("fixtures/rules/{name}/{case}");
            let (code_diff, diff, err) =
                common::stacklint(&[&path, "--select", code, "--diff", "--unsafe-fixes"]);
            assert!(err.is_empty(), "{err}");
            // Exit 1 exactly when there is something to fix.
            assert_eq!(code_diff, i32::from(!diff.is_empty()), "{path}");
            any |= !diff.is_empty();
            insta::assert_snapshot!(format!("{name}__{case}"), diff);
            // --diff writes nothing: a second look sees the same.
            assert_eq!(
                common::stacklint(&[&path, "--select", code, "--diff", "--unsafe-fixes"]).1,
                diff
            );
        }
        assert!(any, "{name}: no fixture shows its fix");
    }
}

#[test]
fn unsafe_fixes_need_their_flag() {
    let path = "fixtures/rules/internal-port-published/fail-derivative-images";
    let (code, out, _) = common::stacklint(&[path, "--select", "SL102", "--diff"]);
    assert_eq!((code, out.as_str()), (0, ""));
    let (code, out, _) =
        common::stacklint(&[path, "--select", "SL102", "--diff", "--unsafe-fixes"]);
    assert_eq!(code, 1);
    assert!(out.contains("+      - \"127.0.0.1:5432:5432\""), "{out}");
}

/// Applies the edits of the fixes in `report` (one pass, no overlaps) to the
/// files of `dir`, by hand.
fn apply_by_hand(dir: &Path, report: &Value, unsafe_ok: bool) -> Vec<(PathBuf, Vec<u8>)> {
    let mut edits: Vec<(String, u64, u64, String)> = Vec::new();
    for f in findings(report) {
        let fix = &f["fix"];
        if fix.is_null() || (fix["applicability"] == "unsafe" && !unsafe_ok) {
            continue;
        }
        for e in fix["edits"].as_array().expect("edits") {
            edits.push((
                e["location"]["path"].as_str().expect("path").to_string(),
                e["location"]["start"]["offset"].as_u64().expect("start"),
                e["location"]["end"]["offset"].as_u64().expect("end"),
                e["replacement"].as_str().expect("replacement").to_string(),
            ));
        }
    }
    edits.sort();
    edits.reverse();
    for (path, s, e, r) in edits {
        let p = dir.join(&path);
        let mut text = std::fs::read(&p).expect("read");
        text.splice(s as usize..e as usize, r.bytes());
        std::fs::write(&p, text).expect("write");
    }
    files(&dir.join("stack"))
}

#[test]
fn fixing_copies_of_the_stacks_leaves_nothing_fixable() {
    let mut stacks: Vec<PathBuf> = ["proxy-stack-before", "proxy-stack-after", "deploy-env"]
        .iter()
        .map(|s| manifest().join("fixtures").join(s))
        .collect();
    for (name, _) in FIXING {
        for e in std::fs::read_dir(manifest().join("fixtures/rules").join(name))
            .expect("fixtures")
            .flatten()
        {
            stacks.push(e.path());
        }
    }
    stacks.sort();
    let mut fixed_any = 0;
    for stack in stacks {
        let copy = copy_of(&stack);
        let before = json(&copy, &[]);
        let unreadable = |v: &Value| {
            findings(v)
                .iter()
                .filter(|f| matches!(f["code"].as_str(), Some("SL001" | "SL004")))
                .count()
        };
        // What applying the reported edits by hand gives...
        let by_hand_dir = copy_of(&stack);
        let by_hand = apply_by_hand(&by_hand_dir, &before, true);
        let (code, out, err) = common::stacklint_in(
            &copy,
            &[
                "stack",
                "--fix",
                "--unsafe-fixes",
                "--fail-on",
                "never",
                "--quiet",
            ],
        );
        assert_eq!(code, 0, "{}: {out}{err}", stack.display());
        // ...is what --fix wrote: only the edited bytes changed (these stacks
        // need one pass).
        assert_eq!(files(&copy.join("stack")), by_hand, "{}", stack.display());
        if files(&copy.join("stack")) != files(&stack) {
            fixed_any += 1;
        }
        let after = json(&copy, &[]);
        assert!(
            unreadable(&after) <= unreadable(&before),
            "{}: the fixed files no longer load",
            stack.display()
        );
        let left: Vec<Value> = findings(&after)
            .into_iter()
            .filter(|f| !f["fix"].is_null())
            .collect();
        assert!(
            left.is_empty(),
            "{}: still fixable: {left:?}",
            stack.display()
        );
        let (code, diff, _) = common::stacklint_in(&copy, &["stack", "--diff", "--unsafe-fixes"]);
        assert_eq!((code, diff.as_str()), (0, ""), "{}", stack.display());
    }
    assert!(fixed_any >= 5, "only {fixed_any} stacks changed");
}

#[test]
fn the_example_stacks_keep_only_findings_without_a_safe_fix() {
    for stack in ["proxy-stack-before", "proxy-stack-after", "deploy-env"] {
        let copy = copy_of(&manifest().join("fixtures").join(stack));
        let (code, out, err) =
            common::stacklint_in(&copy, &["stack", "--fix", "--fail-on", "never"]);
        assert_eq!(code, 0, "{out}{err}");
        let safe_left = findings(&json(&copy, &[]))
            .into_iter()
            .filter(|f| f["fix"]["applicability"] == "safe")
            .count();
        assert_eq!(safe_left, 0, "{stack}");
    }
    // The proxy stack's misplaced config is fixed (nginx reads it now), and its
    // healthcheck probes the port gunicorn binds.
    let copy = copy_of(&manifest().join("fixtures/proxy-stack-before"));
    let (_, out, _) = common::stacklint_in(&copy, &["stack", "--fix", "--fail-on", "never"]);
    assert!(
        out.starts_with("Fixed 2 findings in 1 file; 6 findings remain.\n"),
        "{out}"
    );
    let compose = std::fs::read_to_string(copy.join("stack/docker-compose.yml")).expect("read");
    assert!(compose.contains("- ./nginx/default.conf:/etc/nginx/conf.d/default.conf:ro"));
    assert!(
        compose.contains("\"http://localhost:5000/health\""),
        "{compose}"
    );
    let codes: Vec<String> = findings(&json(&copy, &[]))
        .iter()
        .map(|f| f["code"].as_str().unwrap_or("").to_string())
        .collect();
    assert!(!codes.contains(&"SL203".to_string()), "{codes:?}");
    assert!(!codes.contains(&"SL101".to_string()), "{codes:?}");
}

#[test]
fn comments_anchors_flow_style_crlf_and_bom_survive() {
    let text = "\u{feff}# the stack\r\nx-db: &db\r\n  image: postgres:16.4 # pinned\r\nservices:\r\n  db:\r\n    <<: *db\r\n    ports: ['5432:5432', \"0.0.0.0:5433:5432\"] # both\r\n    mem_limit: 1g\r\n    cpus: 1\r\n";
    let dir = common::tree(&[("stack/compose.yaml", text)]);
    let (code, out, err) = common::stacklint_in(
        &dir,
        &["stack", "--select", "SL102", "--fix", "--unsafe-fixes"],
    );
    assert_eq!(code, 0, "{out}{err}");
    let fixed = std::fs::read_to_string(dir.join("stack/compose.yaml")).expect("read");
    assert_eq!(
        fixed,
        text.replace("'5432:5432'", "'127.0.0.1:5432:5432'")
            .replace("\"0.0.0.0:5433:5432\"", "\"127.0.0.1:5433:5432\"")
    );
    // The secrets of a file stay out of the diff as out of every report.
    let dir = common::tree(&[(
        "stack/compose.yaml",
        "services:\n  db:\n    image: postgres:16.4\n    environment:\n      POSTGRES_PASSWORD: Xq7-tp2Lm9wR4zK8\n    ports:\n      - 5432:5432\n",
    )]);
    let (code, diff, _) = common::stacklint_in(
        &dir,
        &["stack", "--select", "SL102", "--diff", "--unsafe-fixes"],
    );
    assert_eq!(code, 1);
    assert!(diff.contains("+      - \"127.0.0.1:5432:5432\""), "{diff}");
    assert!(!diff.contains("Xq7-tp2Lm9wR4zK8"), "{diff}");
}

#[test]
fn a_file_that_is_not_utf8_is_left_alone() {
    let dir = common::tree(&[]);
    std::fs::create_dir_all(dir.join("stack")).expect("mkdir");
    let bytes =
        b"# caf\xe9\nservices:\n  db:\n    image: postgres:16.4\n    ports:\n      - 5432:5432\n";
    std::fs::write(dir.join("stack/compose.yaml"), bytes).expect("write");
    let (code, out, err) = common::stacklint_in(
        &dir,
        &[
            "stack",
            "--select",
            "SL102",
            "--fix",
            "--unsafe-fixes",
            "--fail-on",
            "never",
        ],
    );
    assert_eq!(code, 0, "{out}{err}");
    assert!(
        err.contains("not fixed: it changed since it was read, or it is not valid UTF-8"),
        "{err}"
    );
    assert_eq!(
        std::fs::read(dir.join("stack/compose.yaml")).expect("read"),
        bytes
    );
    assert!(
        out.starts_with("Nothing to fix; 1 finding remains.\n"),
        "{out}"
    );
}

/// A rule's metadata and page say whether it fixes, and its findings agree:
/// only a rule that says `Sometimes` carries fixes, and its page says how safe.
#[test]
fn rules_say_whether_they_fix() {
    use stacklint::finding::FixAvailability;
    for m in stacklint::rules::all() {
        let page = std::fs::read_to_string(manifest().join("rules").join(format!("{}.md", m.name)))
            .expect("page");
        let fix = page
            .split("\n## Fix\n")
            .nth(1)
            .unwrap_or_else(|| panic!("rules/{}.md has no `## Fix`", m.name));
        match m.fix {
            FixAvailability::None => assert!(fix.starts_with("None"), "{}", m.name),
            FixAvailability::Sometimes => assert!(
                fix.starts_with("Sometimes")
                    && (fix.contains("**safe**") || fix.contains("**unsafe**")),
                "{}",
                m.name
            ),
        }
    }
    // Every fix any fixture's finding carries comes from a rule that says so.
    let (_, out, _) = common::stacklint(&[
        "fixtures",
        "--select",
        "all",
        "--format",
        "json",
        "--fail-on",
        "never",
    ]);
    let v: Value = serde_json::from_str(&out).expect("JSON");
    let mut fixed = 0;
    for f in findings(&v) {
        if f["fix"].is_null() {
            continue;
        }
        fixed += 1;
        let code = f["code"].as_str().unwrap_or("");
        let m = stacklint::rules::all()
            .find(|m| m.code == code)
            .expect("a rule");
        assert_eq!(m.fix, FixAvailability::Sometimes, "{code}");
    }
    assert!(fixed > 0);
}

#[test]
fn a_symlinked_compose_file_stays_a_link() {
    let dir = common::tree(&[(
        "real/compose.yaml",
        "services:\n  db:\n    image: postgres:16.4\n    ports:\n      - 5432:5432\n",
    )]);
    std::fs::create_dir_all(dir.join("stack")).expect("mkdir");
    std::os::unix::fs::symlink("../real/compose.yaml", dir.join("stack/compose.yaml"))
        .expect("symlink");
    let (code, out, err) = common::stacklint_in(
        &dir,
        &[
            "stack",
            "--select",
            "SL102",
            "--fix",
            "--unsafe-fixes",
            "--allow-outside",
            "real",
        ],
    );
    assert_eq!(code, 0, "{out}{err}");
    let link = std::fs::symlink_metadata(dir.join("stack/compose.yaml")).expect("stat");
    assert!(link.file_type().is_symlink());
    let text = std::fs::read_to_string(dir.join("real/compose.yaml")).expect("read");
    assert!(text.contains("\"127.0.0.1:5432:5432\""), "{text}");
}
