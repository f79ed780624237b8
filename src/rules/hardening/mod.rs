//! Hardening rules: settings that shrink what a compromised service can do.
//! Off until selected (`--select hardening`): most stacks set none of them, and
//! a service may need what they take away.

pub mod capabilities_not_dropped;
pub mod image_not_digest_pinned;
pub mod no_new_privileges_missing;
pub mod runs_as_root;
pub mod writable_root_filesystem;

use crate::compose::model::Service;
use crate::compose::stack::Project;
use crate::finding::{Edit, Fix};
use crate::source::Span;

/// The fix that adds `line` (`read_only: true`) as the first key of a service
/// written in block style, with the indentation of its keys, when the service
/// has no such key at all (`key`): one that is there, even turned off, is the
/// author's decision. Unsafe: each setting can stop a service that needs what
/// it takes away.
pub(crate) fn add_to_service(
    p: &Project,
    svc: &Service,
    key: &str,
    line: &str,
    title: &str,
) -> Option<Fix> {
    let node = p.service_node(&svc.name.value)?;
    if node.get(key).is_some() {
        return None;
    }
    let span = svc.name.span;
    let text = &p.sources.get(span.file).text;
    // The service's key ends its line (`web:`, `web: &anchor`, a comment).
    let rest_of_line = &text[span.end()..];
    let eol = rest_of_line.find('\n')?;
    let after = rest_of_line[..eol].trim_end_matches('\r').trim();
    let after_colon = after
        .strip_prefix(':')
        .or(after.strip_prefix("\":").map(|_| ""))?
        .trim();
    if !(after_colon.is_empty() || after_colon.starts_with('#') || after_colon.starts_with('&')) {
        return None;
    }
    let key_col = span.start() - text[..span.start()].rfind('\n').map_or(0, |i| i + 1);
    // The first line of the body that is not blank or a comment: its indentation.
    let mut at = span.end() + eol + 1;
    loop {
        let line_text = text.get(at..)?.split('\n').next()?;
        let body = line_text.trim_start_matches([' ', '\t']);
        if body.trim_end_matches('\r').is_empty() || body.starts_with('#') {
            at += line_text.len() + 1;
            continue;
        }
        let indent = &line_text[..line_text.len() - body.len()];
        if indent.len() <= key_col || indent.contains('\t') || body.starts_with('-') {
            return None;
        }
        return Some(Fix::unsafe_(
            title,
            vec![Edit {
                span: Span::new(span.file, at, at),
                replacement: format!("{indent}{line}\n"),
            }],
        ));
    }
}
