//! A bounded list of diagnostics. nginx stops at its first error; a file of
//! a megabyte of `}` is one mistake repeated, not a million findings, and
//! holding a million diagnostics would cost more memory than the file.

use std::collections::HashMap;

use crate::finding::ParseDiag;
use crate::source::Span;

/// Diagnostics of one message kept per file; the rest are counted in one.
pub const MAX_SAME_DIAGS: usize = 10;
/// Diagnostics kept per file whatever their messages. With the summaries (one per
/// message over [`MAX_SAME_DIAGS`], one for the rest) a file gives at most 56, under
/// the report's cap of 100 findings of one rule per file, which would hide them.
pub const MAX_DIAGS: usize = 50;

/// Diagnostics pushed in file order: the first [`MAX_SAME_DIAGS`] of each
/// message and the first [`MAX_DIAGS`] in all are kept; each group of dropped
/// ones becomes one diagnostic at its first dropped place. Memory stays
/// bounded: only kept messages are remembered.
#[derive(Debug, Default)]
pub(super) struct Capped {
    kept: Vec<ParseDiag>,
    /// Times each kept message was pushed.
    seen: HashMap<String, usize>,
    /// Message → the first dropped place and how many were dropped.
    same: HashMap<String, (Span, usize)>,
    over: Option<(Span, usize)>,
}

impl Capped {
    pub(super) fn push(&mut self, d: ParseDiag) {
        if let Some(n) = self.seen.get_mut(&d.message) {
            *n += 1;
            if *n > MAX_SAME_DIAGS {
                self.same.entry(d.message).or_insert((d.span, 0)).1 += 1;
                return;
            }
        }
        if self.kept.len() >= MAX_DIAGS {
            self.over.get_or_insert((d.span, 0)).1 += 1;
            return;
        }
        self.seen.entry(d.message.clone()).or_insert(1);
        self.kept.push(d);
    }

    /// The kept diagnostics and one per dropped group, sorted by place.
    pub(super) fn finish(self) -> Vec<ParseDiag> {
        let mut out = self.kept;
        for (message, (span, n)) in self.same {
            out.push(ParseDiag::new(
                span,
                format!("{n} more of the same from here on, not reported one by one: {message}"),
            ));
        }
        if let Some((span, n)) = self.over {
            out.push(ParseDiag::new(
                span,
                format!("{n} more problems in this file from here on are not reported"),
            ));
        }
        out.sort_by_key(|d| (d.span.start(), d.span.end()));
        out
    }
}
