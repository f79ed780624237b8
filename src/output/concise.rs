//! `--format concise`: one line a finding, `path:line:col: CODE [severity] message`,
//! as ruff's concise output and compilers write them (editors and `grep` read
//! them). Suppressed findings are left out; a last line counts the rest.

use super::{Resolved, Summary};

pub fn render(resolved: &[Resolved<'_>], summary: &Summary, quiet: bool) -> String {
    let mut out = String::new();
    for r in resolved.iter().filter(|r| r.finding.suppressed.is_none()) {
        let f = r.finding;
        let l = &r.location;
        // One line: a message never spans several.
        let message = f.message.replace(['\n', '\r'], " ");
        out.push_str(&format!(
            "{}:{}:{}: {} [{}] {message}\n",
            l.path, l.start.line, l.start.column, f.rule.code, f.severity
        ));
    }
    if !quiet {
        out.push_str(&match summary.findings {
            0 => "No findings.\n".to_string(),
            1 => "Found 1 finding.\n".to_string(),
            n => format!("Found {n} findings.\n"),
        });
    }
    out
}
