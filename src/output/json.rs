//! `--format json`: one object, schema in `schemas/stacklint-output.schema.json`.
//!
//! The schema is the contract: `tests/formats.rs` validates real output against it,
//! and it forbids unknown keys, so a change of shape fails there first. Adding an
//! optional key is compatible; removing, renaming or retyping one bumps [`VERSION`]
//! (and the schema's `version` const).

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
    let fingerprints = super::fingerprints(resolved);
    let findings: Vec<Value> = resolved
        .iter()
        .zip(&fingerprints)
        .map(|(r, fp)| {
            let f = r.finding;
            let suppressed = match &f.suppressed {
                Some(s) => json!({
                    "justification": s.justification,
                    "location": location(&Location::of(r.sources, &s.span)),
                }),
                None => Value::Null,
            };
            json!({
                "rule": f.rule.name,
                "code": f.rule.code,
                "severity": f.severity.as_str(),
                "message": f.message,
                "location": location(&r.location),
                "related": r.related.iter().map(|(m, l)| json!({"message": m, "location": location(l)})).collect::<Vec<_>>(),
                "help": f.help,
                "fingerprint": fp,
                "suppressed": suppressed,
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
