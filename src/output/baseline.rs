//! The baseline: today's findings recorded by fingerprint (`--write-baseline FILE`), so
//! that a later run with `--baseline FILE` reports only the findings that are new. For
//! adopting stacklint in a repository that already has many findings.
//!
//! A finding is known by its fingerprint, the one SARIF's `partialFingerprints` carry:
//! rule, path, the finding's logical place (`services.db.ports`) or else the text it
//! points at, and its rank among equal ones; not its line, so an edit above a recorded finding does not make it new. Paths are relative to
//! the working directory, so a baseline is written and read from the same directory
//! (the repository's root). The file is JSON, sorted, one finding a line, so that its
//! diff in a pull request shows which findings were fixed or accepted.

use std::collections::HashSet;
use std::path::Path;

use serde::{Deserialize, Serialize};

use super::Report;

/// The format's version: a file of another version is refused, not misread.
const VERSION: u32 = 1;

#[derive(Serialize, Deserialize)]
struct File {
    #[serde(rename = "stacklint-baseline")]
    version: u32,
    findings: Vec<Entry>,
}

#[derive(Serialize, Deserialize, PartialEq, Eq, PartialOrd, Ord)]
struct Entry {
    path: String,
    code: String,
    rule: String,
    fingerprint: String,
    message: String,
}

/// The baseline file of `report`'s unsuppressed findings, and how many it records.
pub fn render(report: &Report<'_>) -> (String, usize) {
    let mut findings: Vec<Entry> = report
        .resolved
        .iter()
        .zip(&report.fingerprints)
        .filter(|(r, _)| r.finding.suppressed.is_none())
        .map(|(r, fp)| Entry {
            path: r.location.path.clone(),
            code: r.finding.rule.code.to_string(),
            rule: r.finding.rule.name.to_string(),
            fingerprint: fp.clone(),
            // For the reader of the file; messages never hold a secret's value.
            message: r.finding.message.clone(),
        })
        .collect();
    findings.sort();
    let n = findings.len();
    let mut out = format!("{{\n  \"stacklint-baseline\": {VERSION},\n  \"findings\": [");
    for (i, e) in findings.iter().enumerate() {
        out.push_str(if i == 0 { "\n    " } else { ",\n    " });
        out.push_str(&serde_json::to_string(e).unwrap_or_default());
    }
    out.push_str(if n == 0 { "]\n}\n" } else { "\n  ]\n}\n" });
    (out, n)
}

/// The fingerprints a baseline file records; a one-line error for a file that cannot
/// be read or is not a baseline.
pub fn read(path: &Path) -> Result<HashSet<String>, String> {
    let text = crate::source::read_text(path)
        .map_err(|e| format!("{}: cannot read the baseline: {e}", path.display()))?;
    let file: File = serde_json::from_str(&text).map_err(|e| {
        format!(
            "{}: not a stacklint baseline ({e}); write one with --write-baseline",
            path.display()
        )
    })?;
    if file.version != VERSION {
        return Err(format!(
            "{}: a baseline of version {}, which this stacklint does not read (it reads {VERSION})",
            path.display(),
            file.version
        ));
    }
    Ok(file.findings.into_iter().map(|e| e.fingerprint).collect())
}
