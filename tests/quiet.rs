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
