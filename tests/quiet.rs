//! Quiet by default: missing limits are info and do not fail a run, the text report
//! puts the worst first and counts per rule, a run that lints nothing says so, and
//! the directory walk skips what .gitignore, hidden directories and --exclude leave out.

mod common;
use common::{stacklint_in, tree};

const NO_LIMITS: &str = "services:\n  app:\n    image: example/app\n";

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
    image: example/web
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
