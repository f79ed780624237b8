//! `--format json`: one object, schema in `schemas/stacklint-output.schema.json`.

use serde_json::{json, Value};

use super::{Location, Resolved, Summary};

/// Bumped on any breaking change of the shape.
pub const VERSION: u32 = 1;

fn location(l: &Location) -> Value {
    json!({
        "path": l.path,
        "start": {"line": l.start.line, "column": l.start.column, "offset": l.start.offset},
        "end": {"line": l.end.line, "column": l.end.column, "offset": l.end.offset},
    })
}

pub fn render(resolved: &[Resolved<'_>], summary: &Summary) -> String {
    let findings: Vec<Value> = resolved
        .iter()
        .map(|r| {
            let f = r.finding;
            json!({
                "rule": f.rule.name,
                "code": f.rule.code,
                "severity": f.severity.as_str(),
                "message": f.message,
                "location": location(&r.location),
                "related": r.related.iter().map(|(m, l)| json!({"message": m, "location": location(l)})).collect::<Vec<_>>(),
                "help": f.help,
            })
        })
        .collect();
    let doc = json!({
        "version": VERSION,
        "tool": {"name": "stacklint", "version": env!("CARGO_PKG_VERSION")},
        "findings": findings,
        "summary": summary,
    });
    serde_json::to_string_pretty(&doc).unwrap_or_default() + "\n"
}
