//! Quiet by default: missing limits are info and do not fail a run, the text report
//! puts the worst first and counts per rule, a run that lints nothing says so, and
//! the directory walk skips what .gitignore, hidden directories and --exclude leave out.

mod common;
use common::{stacklint_in, tree};

const NO_LIMITS: &str = "services:\n  app:\n    image: example/app:1.0\n";

#[test]
fn missing_limits_are_info_and_do_not_fail_the_default_run() {
    let dir = tree(&[("compose.yaml", NO_LIMITS)]);
    let (code, out, _) = stacklint_in(&dir, &["--format", "json"]);
    assert_eq!(
        code, 0,
        "info is below the default --fail-on warning: {out}"
    );
    let v: serde_json::Value = serde_json::from_str(&out).expect("json");
    assert_eq!(v["findings"][0]["code"], "SL103", "{out}");
    assert_eq!(v["findings"][0]["severity"], "info", "{out}");
    // --fail-on info, or a team raising the rule in [severity], fails the run.
    assert_eq!(stacklint_in(&dir, &["--fail-on", "info"]).0, 1);
    let strict = tree(&[
        ("compose.yaml", NO_LIMITS),
        (
            "stacklint.toml",
            "[severity]\nmissing-resource-limits = \"warning\"\n",
        ),
    ]);
    let (code, out, _) = stacklint_in(&strict, &["--format", "json"]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("\"severity\": \"warning\""), "{out}");
}

/// An error (line 5), a warning (line 9) and two info findings (lines 2 and 6).
const MIXED: &str = "services:
  web:
    image: example/web:1.0
    depends_on:
      - missing
  db:
    image: postgres:16
    ports:
      - \"5432:5432\"
";

#[test]
fn text_lists_errors_then_warnings_then_info_and_counts_per_rule() {
    let dir = tree(&[("compose.yaml", MIXED)]);
    let (code, out, _) = stacklint_in(&dir, &[]);
    assert_eq!(code, 1, "{out}");
    let headers: Vec<&str> = out
        .lines()
        .filter(|l| l.starts_with("SL"))
        .map(|l| l.split('(').next().unwrap_or(l))
        .collect();
    assert_eq!(headers, ["SL105", "SL102", "SL103", "SL103"], "{out}");
    // Within a severity, the file order: `web` (line 2) before `db` (line 6).
    let web = out.find("service `web` has no memory").expect("web");
    let db = out.find("service `db` has no memory").expect("db");
    assert!(web < db, "{out}");
    let summary: Vec<&str> = out
        .lines()
        .skip_while(|l| !l.starts_with("Found "))
        .collect();
    assert_eq!(
        summary,
        [
            "Found 4 findings (1 error, 1 warning, 2 info) in 1 file (1 project):",
            "  error    1  SL105 unknown-service-reference",
            "  warning  1  SL102 internal-port-published",
            "  info     2  SL103 missing-resource-limits",
        ],
        "{out}"
    );
    // --quiet: findings only.
    let (_, quiet, _) = stacklint_in(&dir, &["--quiet"]);
    assert!(!quiet.contains("Found "), "{quiet}");
    assert!(!quiet.contains("  info     2"), "{quiet}");
}

#[test]
fn a_run_that_lints_nothing_says_so_on_stderr() {
    // A directory without compose files: a warning, no "No findings", exit 0 (like ruff).
    let dir = tree(&[("README.md", "no stack here\n"), ("app/main.py", "")]);
    let (code, out, err) = stacklint_in(&dir, &[]);
    assert_eq!(code, 0);
    assert_eq!(
        out, "",
        "nothing on stdout that could pass for a clean result"
    );
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.starts_with("stacklint: warning: nothing linted: no compose project under ."),
        "{err}"
    );
    // Machine formats stay valid documents; the warning is on stderr all the same.
    let (code, out, err) = stacklint_in(&dir, &["--format", "json"]);
    assert_eq!(code, 0);
    let v: serde_json::Value = serde_json::from_str(&out).expect("json");
    assert_eq!(v["summary"]["files"], 0);
    assert!(err.contains("nothing linted"), "{err}");
    // `stacklint graph` too.
    let (_, _, err) = stacklint_in(&dir, &["graph"]);
    assert!(err.contains("nothing linted"), "{err}");
}

#[test]
fn a_selection_without_rules_says_so_on_stderr() {
    let dir = tree(&[("compose.yaml", NO_LIMITS)]);
    let (code, out, err) = stacklint_in(&dir, &["--select", "SL103", "--ignore", "SL103"]);
    assert_eq!(code, 0);
    assert_eq!(out, "");
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("leaves no rule to run"), "{err}");
    // The same stack with a rule selected: no warning.
    let (_, out, err) = stacklint_in(&dir, &["--select", "SL103"]);
    assert_eq!(err, "");
    assert!(out.contains("SL103"), "{out}");
}

/// The compose files of every project a run lints (text report, by `SL103` findings:
/// each stack below has one service without limits).
fn linted(dir: &std::path::Path, args: &[&str]) -> Vec<String> {
    let mut all = vec!["--select", "SL103", "--format", "json"];
    all.extend_from_slice(args);
    let (code, out, err) = stacklint_in(dir, &all);
    assert!(code == 0 || code == 1, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).expect("json");
    let mut paths: Vec<String> = v["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter_map(|f| f["location"]["path"].as_str().map(str::to_string))
        .collect();
    paths.sort();
    paths
}

#[test]
fn the_walk_respects_gitignore_in_a_git_repository() {
    let files = [
        (".gitignore", "build/\n/generated.compose.yml\n"),
        ("compose.yaml", NO_LIMITS),
        ("build/compose.yaml", NO_LIMITS),
        ("deploy/compose.yaml", NO_LIMITS),
    ];
    // Outside a git repository .gitignore is not read (as git, ripgrep and ruff do).
    let plain = tree(&files);
    assert_eq!(
        linted(&plain, &[]),
        ["build/compose.yaml", "compose.yaml", "deploy/compose.yaml"]
    );
    let repo = tree(&files);
    std::fs::create_dir_all(repo.join(".git")).expect("mkdir .git");
    assert_eq!(linted(&repo, &[]), ["compose.yaml", "deploy/compose.yaml"]);
    // Named on the command line, an ignored directory is linted.
    assert_eq!(linted(&repo, &["build"]), ["build/compose.yaml"]);
}

#[test]
fn the_walk_respects_dot_ignore_files_anywhere() {
    let dir = tree(&[
        ("compose.yaml", NO_LIMITS),
        ("examples/.ignore", "old/\n"),
        ("examples/old/compose.yaml", NO_LIMITS),
        ("examples/new/compose.yaml", NO_LIMITS),
    ]);
    assert_eq!(
        linted(&dir, &[]),
        ["compose.yaml", "examples/new/compose.yaml"]
    );
}

#[test]
fn the_walk_skips_hidden_and_dependency_directories_unless_named() {
    let dir = tree(&[
        ("compose.yaml", NO_LIMITS),
        (".devcontainer/compose.yaml", NO_LIMITS),
        (".cache/x/compose.yaml", NO_LIMITS),
        ("node_modules/pkg/docker-compose.yml", NO_LIMITS),
    ]);
    assert_eq!(linted(&dir, &[]), ["compose.yaml"]);
    assert_eq!(
        linted(&dir, &[".devcontainer"]),
        [".devcontainer/compose.yaml"]
    );
}

#[test]
fn exclude_on_the_command_line_and_in_the_config() {
    let files = [
        ("compose.yaml", NO_LIMITS),
        ("legacy/compose.yaml", NO_LIMITS),
        ("deploy/dev/compose.yaml", NO_LIMITS),
        ("deploy/prod/compose.yaml", NO_LIMITS),
        (
            "deploy/prod/docker-compose.test.yml",
            "services:\n  tester:\n    image: example/tester:1.0\n",
        ),
    ];
    let dir = tree(&files);
    assert_eq!(linted(&dir, &[]).len(), 5);
    // Without `/`: a name anywhere (a directory is not entered, a file is skipped).
    assert_eq!(
        linted(
            &dir,
            &[
                "--exclude",
                "legacy",
                "--exclude",
                "docker-compose.test.yml"
            ]
        ),
        [
            "compose.yaml",
            "deploy/dev/compose.yaml",
            "deploy/prod/compose.yaml"
        ]
    );
    // With `/`: a path from the working directory; braces work.
    assert_eq!(
        linted(&dir, &["--exclude", "deploy/{dev,prod}"]),
        ["compose.yaml", "legacy/compose.yaml"]
    );
    // The config's `exclude`, relative to the config file, adds to --exclude.
    let mut with_config = files.to_vec();
    with_config.push(("stacklint.toml", "exclude = [\"deploy/*\"]\n"));
    let dir = tree(&with_config);
    assert_eq!(linted(&dir, &["--exclude", "legacy"]), ["compose.yaml"]);
    // Every project excluded: said on stderr.
    let (code, _, err) = stacklint_in(&dir, &["--exclude", "*"]);
    assert_eq!(code, 0);
    assert!(err.contains("nothing linted"), "{err}");
    // A bad pattern stops the run with its position.
    let bad = tree(&[
        ("compose.yaml", NO_LIMITS),
        ("stacklint.toml", "\nexclude = [\"ok\", \"a/[b\"]\n"),
    ]);
    let (code, _, err) = stacklint_in(&bad, &[]);
    assert_eq!(code, 2);
    assert!(
        err.contains("stacklint.toml:2:18: bad glob \"a/[b\" in `exclude`"),
        "{err}"
    );
    let (code, _, err) = stacklint_in(&dir, &["--exclude", "x/[y"]);
    assert_eq!(code, 2);
    assert!(err.contains("bad glob `x/[y` in --exclude"), "{err}");
}

#[test]
fn per_file_ignores_take_brace_patterns() {
    let dir = tree(&[
        ("dev/compose.yaml", NO_LIMITS),
        ("test/compose.yaml", NO_LIMITS),
        ("prod/compose.yaml", NO_LIMITS),
        (
            "stacklint.toml",
            "[per-file-ignores]\n\"**/{dev,test}/*.yaml\" = [\"SL103\"]\n",
        ),
    ]);
    assert_eq!(linted(&dir, &[]), ["prod/compose.yaml"]);
}

#[test]
fn an_ignored_override_is_still_merged_like_docker_compose_does() {
    let dir = tree(&[
        (".gitignore", "compose.override.yaml\n"),
        ("compose.yaml", NO_LIMITS),
        (
            "compose.override.yaml",
            "services:\n  app:\n    mem_limit: 512m\n    cpus: 1\n",
        ),
    ]);
    std::fs::create_dir_all(dir.join(".git")).expect("mkdir .git");
    // The override sets the limits: no finding, so it was read.
    assert_eq!(linted(&dir, &[]), Vec::<String>::new());
}

#[test]
fn the_graph_marks_errors_red_warnings_amber_and_leaves_info_out() {
    let stack = "services:
  web:
    image: example/web:1.0
  db:
    image: postgres:16
    ports:
      - \"5432:5432\"
";
    let node = |dot: &str, id: &str| -> String {
        dot.lines()
            .find(|l| l.trim_start().starts_with(&format!("{id} [")))
            .unwrap_or_else(|| panic!("no node {id} in\n{dot}"))
            .to_string()
    };
    let dir = tree(&[("compose.yaml", stack)]);
    let (code, dot, _) = stacklint_in(&dir, &["graph", "--format", "dot"]);
    assert_eq!(code, 0);
    // db: SL102 (warning) and SL103 (info): amber, only the warning's code drawn.
    let db = node(&dot, "svc_db");
    assert!(db.contains("⚠ SL102") && !db.contains("SL103"), "{db}");
    assert!(db.contains("color=\"#e08a00\""), "{db}");
    // web: SL103 (info) only: not marked at all.
    let web = node(&dot, "svc_web");
    assert!(!web.contains("SL103") && !web.contains(", color="), "{web}");
    // Raised to error in the config, as the lint run reports it: red.
    let strict = tree(&[
        ("compose.yaml", stack),
        ("stacklint.toml", "[severity]\nSL102 = \"error\"\n"),
    ]);
    let (_, dot, _) = stacklint_in(&strict, &["graph", "--format", "dot"]);
    let db = node(&dot, "svc_db");
    assert!(
        db.contains("✖ SL102") && db.contains("color=\"#dd0000\""),
        "{db}"
    );
    let (_, mermaid, _) = stacklint_in(&strict, &["graph"]);
    assert!(mermaid.contains("  class svc_db error\n"), "{mermaid}");
}

#[test]
fn github_annotations_carry_the_nothing_linted_warning() {
    let dir = tree(&[("README.md", "no stack\n")]);
    let (code, out, err) = stacklint_in(&dir, &["--format", "github"]);
    assert_eq!(code, 0);
    assert!(
        out.starts_with("::warning title=stacklint::nothing linted: no compose project"),
        "{out}"
    );
    assert!(err.contains("nothing linted"), "{err}");
}
