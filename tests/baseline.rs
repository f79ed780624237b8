//! `--write-baseline FILE` records a run's findings; `--baseline FILE` then reports only
//! the findings it does not record, whatever moved above them.

mod common;

use common::{stacklint_in, tree};

const STACK: &str = "\
services:
  db:
    image: postgres:16
    ports: [\"5432:5432\"]
    environment:
      POSTGRES_PASSWORD: hunter2-but-longer-Xq7
";

#[test]
fn only_new_findings_are_reported_after_a_baseline() {
    let dir = tree(&[("compose.yaml", STACK)]);
    let (code, before, _) = stacklint_in(&dir, &["--format", "concise"]);
    assert_eq!(code, 1, "the stack has findings: {before}");
    let recorded = before.lines().filter(|l| l.contains(": SL")).count();

    let (code, out, err) = stacklint_in(&dir, &["--write-baseline", "baseline.json"]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(
        out,
        format!(
            "Recorded {recorded} findings in baseline.json: runs with --baseline baseline.json report only new ones.\n"
        )
    );
    let file = std::fs::read_to_string(dir.join("baseline.json")).expect("written");
    let json: serde_json::Value = serde_json::from_str(&file).expect("JSON");
    assert_eq!(json["stacklint-baseline"], 1);
    assert_eq!(json["findings"].as_array().map(Vec::len), Some(recorded));
    // One finding a line, sorted, and the secret's value is nowhere in it.
    assert_eq!(
        file.lines()
            .filter(|l| l.contains("\"fingerprint\""))
            .count(),
        recorded
    );
    assert!(!file.contains("hunter2"), "{file}");

    // Nothing new: exit 0, and the summary says what the baseline holds back.
    let (code, out, _) = stacklint_in(&dir, &["--baseline", "baseline.json"]);
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains(&format!("({recorded} in the baseline)")),
        "{out}"
    );

    // Lines moved (a comment on top) and one new finding (a second published database):
    // only that one is reported.
    let moved = format!(
        "# the database of the shop\n{STACK}  cache:\n    image: redis:7\n    ports: [\"6379:6379\"]\n"
    );
    std::fs::write(dir.join("compose.yaml"), moved).expect("write");
    let (code, out, _) = stacklint_in(&dir, &["--baseline", "baseline.json", "--format", "json"]);
    assert_eq!(code, 1, "{out}");
    let report: serde_json::Value = serde_json::from_str(&out).expect("JSON");
    let found: Vec<(&str, &str)> = report["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .map(|f| {
            (
                f["code"].as_str().unwrap_or_default(),
                f["message"].as_str().unwrap_or_default(),
            )
        })
        .collect();
    assert!(
        !found.is_empty() && found.iter().all(|(_, m)| m.contains("cache")),
        "only the new service's findings: {found:?}"
    );
    assert_eq!(report["summary"]["baselined"], recorded);
    assert_eq!(report["summary"]["findings"], found.len());
}

#[test]
fn a_bad_baseline_is_a_usage_error() {
    let dir = tree(&[
        ("compose.yaml", STACK),
        ("not-a-baseline.json", "{\"findings\": 3}\n"),
        (
            "future.json",
            "{\"stacklint-baseline\": 9, \"findings\": []}\n",
        ),
    ]);
    for (args, says) in [
        (
            &["--baseline", "missing.json"][..],
            "cannot read the baseline",
        ),
        (
            &["--baseline", "not-a-baseline.json"][..],
            "not a stacklint baseline",
        ),
        (
            &["--baseline", "future.json"][..],
            "a baseline of version 9",
        ),
        (
            &["--write-baseline", "b.json", "--fix"][..],
            "cannot be used with",
        ),
        (
            &["--write-baseline", "b.json", "--baseline", "future.json"][..],
            "cannot be used with",
        ),
    ] {
        let (code, _, err) = stacklint_in(&dir, args);
        assert_eq!(code, 2, "{args:?}: {err}");
        assert!(err.contains(says), "{args:?}: {err}");
    }
    assert!(!dir.join("b.json").exists());
}
