//! SL001 `parse-error`: a file of the stack cannot be read as written.

use crate::finding::{Finding, Findings};
use crate::rules::{Category, Context, Rule, RuleMeta};
use crate::severity::Severity;
use crate::source::ReadError;

pub struct ParseError;

pub static META: RuleMeta = RuleMeta {
    code: "SL001",
    name: "parse-error",
    severity: Severity::Error,
    category: Category::Syntax,
    summary: "A file of the stack cannot be parsed or read",
    fix: crate::finding::FixAvailability::None,
};

impl Rule for ParseError {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &Context<'_>, out: &mut Findings) {
        let p = cx.project;
        for d in &p.diags {
            let mut f = Finding::new(&META, d.span, d.message.clone()).label("here");
            for (span, msg) in &d.related {
                f = f.related(*span, msg.clone());
            }
            out.push(f);
        }
        for u in &p.unreadable {
            // The loader gives every unreadable file a place: where it is
            // referenced, or else the file's own first line.
            if let Some(at) = u.referenced_at {
                let own = p.sources.get(at.file).path == crate::paths::display(&u.path);
                let shown = crate::paths::slash(&crate::paths::display(&u.path));
                let f = if u.error == ReadError::Outside {
                    // Not an error of the stack: stacklint chose not to read it.
                    Finding::new(&META, at, format!("`{shown}` {}", u.error))
                        .severity(Severity::Info)
                } else {
                    Finding::new(&META, at, format!("cannot read `{shown}`: {}", u.error))
                };
                out.push(f.label(if own { "this file" } else { "referenced here" }));
            }
        }
    }
}
