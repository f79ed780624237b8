//! `--format gitlab`: GitLab Code Quality report, a JSON array of issues (the subset of
//! the Code Climate spec GitLab reads: description, check_name, fingerprint,
//! severity, location.path, location.lines). Suppressed findings are left out.

use serde_json::{json, Value};

use super::Report;

pub fn render(report: &Report<'_>) -> String {
    let issues: Vec<Value> = report
        .resolved
        .iter()
        .zip(&report.fingerprints)
        .filter(|(r, _)| r.finding.suppressed.is_none())
        .map(|(r, fp)| {
            let f = r.finding;
            let l = &r.location;
            json!({
                "description": format!("{}({}): {}", f.rule.code, f.rule.name, f.message),
                "check_name": f.rule.code,
                // GitLab matches issues between the base and the head of a merge
                // request by fingerprint: it must be unique and survive edits elsewhere.
                "fingerprint": fp,
                "severity": f.severity.row().gitlab,
                "location": {
                    "path": l.path,
                    "lines": {"begin": l.start.line, "end": l.end.line},
                },
            })
        })
        .collect();
    serde_json::to_string_pretty(&issues).unwrap_or_default() + "\n"
}
