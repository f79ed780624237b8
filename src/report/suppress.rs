//! Inline suppressions: `# stacklint: ignore[rule, ...] reason` comments in YAML,
//! NGINX and `.env` files.
//!
//! - `# stacklint: ignore[SL102, proxy-port-mismatch] reason` at the end of a
//!   line suppresses those rules' findings whose primary span starts on that
//!   line; alone on its line, it suppresses them on the next line that is
//!   neither blank nor a comment (so several such comments can be stacked).
//! - `# stacklint: file-ignore[SL103] reason` anywhere in a file suppresses those
//!   rules for every finding whose primary span is in that file.
//!
//! A suppressed finding keeps its place in the report with
//! [`Finding::suppressed`] set; it does not fail the run.
//!
//! This runs after the rules, as a post-pass over their findings, because its
//! two findings depend on them: `invalid-suppression` (SL002, an unknown rule or
//! a malformed comment) and `unused-suppression` (SL003, a rule named by a
//! suppression that ran and suppressed nothing there). Both are registered as
//! rules for their metadata, pages and configuration; their `check` is a no-op.
//!
//! What is a comment: a `#` at the start of a line or after a blank (and, in
//! NGINX, after `;`, `{` or `}`), followed by `stacklint:`, and not inside a
//! value: a quoted or block YAML scalar, an NGINX argument, a `.env` value.
//! Those are known from the parsers. Limits: only `#` comments (not Dockerfile
//! instructions); the marker is lowercase `stacklint:` and it and its `[...]`
//! list must be on one line; a finding is matched by the line its primary span
//! starts on.

use std::collections::{HashMap, HashSet};
use std::path::PathBuf;

use crate::compose::stack::Project;
use crate::finding::{Finding, Suppression};
use crate::rules::{self, RuleMeta};
use crate::source::{FileId, FileKind, SourceFile, Sources, Span};

pub use crate::rules::INVALID_SUPPRESSION as INVALID;
pub use crate::rules::UNUSED_SUPPRESSION as UNUSED;

const MARKER: &str = "stacklint:";

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scope {
    /// The 1-based line whose findings are suppressed (`None`: no line follows).
    Line(Option<usize>),
    File,
}

/// One name in a suppression's list.
#[derive(Clone, Debug)]
pub struct Entry {
    pub text: String,
    pub span: Span,
    pub rule: Option<&'static RuleMeta>,
}

/// One `# stacklint: ...` comment.
#[derive(Clone, Debug)]
pub struct Comment {
    /// From the `#` to the end of the line.
    pub span: Span,
    pub scope: Scope,
    pub entries: Vec<Entry>,
    pub justification: String,
    /// Why the comment cannot be read, with the text that is wrong.
    pub problem: Option<(Span, String)>,
}

/// Every suppression comment of the project's YAML, NGINX and `.env` files.
pub fn scan(p: &Project) -> Vec<Comment> {
    let mut out = Vec::new();
    for (id, f) in p.sources.iter() {
        if !matches!(f.kind, FileKind::Compose | FileKind::Env | FileKind::Nginx)
            || !f.text.contains(MARKER)
        {
            continue;
        }
        let values = value_spans(p, id, f);
        scan_file(id, f, &values, &mut out);
    }
    out
}

/// The byte ranges of a file where a `#` is text, not a comment, sorted.
fn value_spans(p: &Project, id: FileId, f: &SourceFile) -> Vec<(usize, usize)> {
    let mut v: Vec<(usize, usize)> = Vec::new();
    match f.kind {
        FileKind::Compose => yaml_value_spans(f, &mut v),
        FileKind::Nginx => {
            for c in p.nginx.iter().filter(|c| c.file == id) {
                for visit in c.parsed.walk() {
                    let d = visit.directive;
                    v.push((d.name_span.start(), d.name_span.end()));
                    v.extend(d.args.iter().map(|a| (a.span.start(), a.span.end())));
                }
            }
        }
        FileKind::Env => {
            for e in p.env_files.iter().filter(|e| e.env.file == id) {
                v.extend(
                    e.env
                        .parsed
                        .entries
                        .iter()
                        .map(|en| (en.value_span.start(), en.value_span.end())),
                );
            }
        }
        _ => {}
    }
    v.sort_unstable();
    v
}

/// Quoted and block scalars: the only YAML values that can hold ` #`. A plain
/// scalar ends at ` #`, so it never does.
fn yaml_value_spans(f: &SourceFile, out: &mut Vec<(usize, usize)>) {
    use crate::parse::yaml::Step;
    use libyaml_safer::{EventData, ScalarStyle};
    // Linear in the file; stops at the first syntax error (the rest is then
    // read line by line, which parse-error already flags).
    let from = out.len();
    let _ = crate::parse::yaml::events(&f.text, |step| {
        let (style, start, end) = match step {
            Step::Event(ev) => match ev.data {
                EventData::Scalar { style, .. } => (style, ev.start_mark, ev.end_mark),
                _ => return true,
            },
            Step::Scalar {
                style, start, end, ..
            } => (style, start, end),
            Step::Restart => {
                out.truncate(from);
                return true;
            }
            Step::Failed(_) => return false,
        };
        // libyaml's marks are byte offsets; the event starts at an anchor or
        // tag, which hold no ` #`.
        let clamp = |i: u64| usize::try_from(i).map_or(f.text.len(), |i| i.min(f.text.len()));
        let (start, end) = (clamp(start.index), clamp(end.index));
        match style {
            ScalarStyle::SingleQuoted
            | ScalarStyle::DoubleQuoted
            | ScalarStyle::Literal
            | ScalarStyle::Folded => out.push((start, end)),
            // A plain scalar ends at ` #`.
            _ => {}
        }
        true
    });
}

fn inside(values: &[(usize, usize)], at: usize) -> bool {
    // The spans do not overlap: only the last one starting at or before `at` can hold it.
    let i = values.partition_point(|(s, _)| *s <= at);
    i > 0 && at < values[i - 1].1
}

fn scan_file(id: FileId, f: &SourceFile, values: &[(usize, usize)], out: &mut Vec<Comment>) {
    let text = &f.text;
    let bytes = text.as_bytes();
    let next_code = next_code_lines(f);
    for line in 1..=f.line_count() {
        let Some((ls, le)) = f.line_range(line) else {
            continue;
        };
        let line_text = &text[ls..le];
        if !line_text.contains(MARKER) {
            continue;
        }
        let mut from = 0;
        while let Some(rel) = line_text[from..].find('#') {
            let at = ls + from + rel;
            from += rel + 1;
            let prev = if at == ls { None } else { Some(bytes[at - 1]) };
            let starts_comment = match prev {
                None => true,
                Some(b' ' | b'\t') => true,
                Some(b';' | b'{' | b'}') => f.kind == FileKind::Nginx,
                _ => false,
            };
            if !starts_comment || inside(values, at) {
                continue;
            }
            let after = text[at + 1..le].trim_start_matches([' ', '\t']);
            let Some(body) = after.strip_prefix(MARKER) else {
                continue;
            };
            let body_start = le - body.len();
            let own_line =
                text[ls..at].trim().is_empty() || text[ls..at].trim_start().starts_with('#');
            let target = if own_line {
                next_code.get(line).copied().flatten()
            } else {
                Some(line)
            };
            out.push(parse_directive(
                id,
                Span::new(id, at, le),
                body,
                body_start,
                target,
            ));
        }
    }
}

/// For each line `l` (index `l`, 1-based), the first line after it that is
/// neither blank nor only a comment; one backward pass.
fn next_code_lines(f: &SourceFile) -> Vec<Option<usize>> {
    let n = f.line_count();
    let mut out = vec![None; n + 2];
    let mut next = None;
    for l in (1..=n).rev() {
        out[l] = next;
        let code = f.line_range(l).is_some_and(|(s, e)| {
            let t = f.text[s..e].trim();
            !t.is_empty() && !t.starts_with('#')
        });
        if code {
            next = Some(l);
        }
    }
    out
}

/// Reads `ignore[a, b] reason` (the text after `stacklint:`, starting at byte
/// `start` of the file).
fn parse_directive(
    id: FileId,
    span: Span,
    body: &str,
    start: usize,
    target: Option<usize>,
) -> Comment {
    let mut c = Comment {
        span,
        scope: Scope::Line(target),
        entries: Vec::new(),
        justification: String::new(),
        problem: None,
    };
    let lead = body.len() - body.trim_start().len();
    let word_len = body[lead..]
        .find(|ch: char| !(ch.is_ascii_alphanumeric() || ch == '-' || ch == '_'))
        .unwrap_or(body.len() - lead);
    let word = &body[lead..lead + word_len];
    let word_span = Span::new(id, start + lead, start + lead + word_len);
    match word.to_ascii_lowercase().as_str() {
        "ignore" => {}
        "file-ignore" => c.scope = Scope::File,
        _ => {
            let shown = if word.is_empty() { body.trim() } else { word };
            c.problem = Some((
                if word.is_empty() { span } else { word_span },
                format!(
                    "unknown suppression `{shown}`: write `# stacklint: ignore[rule, ...] reason` or `# stacklint: file-ignore[rule, ...] reason`"
                ),
            ));
            return c;
        }
    }
    let rest = &body[lead + word_len..];
    let rest_lead = rest.len() - rest.trim_start().len();
    let open = lead + word_len + rest_lead;
    if !body[open..].starts_with('[') {
        c.problem = Some((
            word_span,
            format!("`{word}` needs the rules in brackets: `{word}[rule, ...]`"),
        ));
        return c;
    }
    let Some(close_rel) = body[open..].find(']') else {
        c.problem = Some((
            Span::new(id, start + open, start + body.len()),
            "unclosed `[`: the list of rules ends with `]` on the same line".into(),
        ));
        return c;
    };
    let close = open + close_rel;
    let mut pos = open + 1;
    for part in body[open + 1..close].split(',') {
        let trimmed = part.trim();
        if !trimmed.is_empty() {
            let s = pos + (part.len() - part.trim_start().len());
            c.entries.push(Entry {
                text: trimmed.to_string(),
                span: Span::new(id, start + s, start + s + trimmed.len()),
                rule: rules::lookup(trimmed),
            });
        }
        pos += part.len() + 1;
    }
    if c.entries.is_empty() {
        c.problem = Some((
            Span::new(id, start + open, start + close + 1),
            format!("`{word}[]` names no rule"),
        ));
    }
    c.justification = body[close + 1..]
        .trim_start_matches(|ch: char| ch.is_whitespace() || matches!(ch, '-' | ':' | '—'))
        .trim_end()
        .to_string();
    c
}

/// Marks the findings that a suppression covers, and adds the `invalid-suppression`
/// and `unused-suppression` findings (when `enabled` says so). `enabled` tells
/// which rules ran: a suppression naming a rule that did not run is not reported
/// as unused, since nobody can tell; nor is one of a rule in a file where
/// `uncertain` says the rule made more findings than were kept.
pub fn apply(
    p: &Project,
    findings: &mut Vec<Finding>,
    enabled: &dyn Fn(&RuleMeta) -> bool,
    uncertain: &dyn Fn(crate::finding::CapKey) -> bool,
) {
    let comments = scan(p);
    if comments.is_empty() {
        return;
    }
    let index = Index::new(&comments);
    let mut used: HashSet<(usize, usize)> = HashSet::new();
    mark(p, &comments, &index, findings, &mut used);

    let mut meta: Vec<Finding> = Vec::new();
    if enabled(&INVALID) {
        for c in &comments {
            if let Some((span, msg)) = &c.problem {
                meta.push(
                    Finding::new(&INVALID, *span, msg.clone())
                        .label("not a valid suppression")
                        .help("`stacklint explain invalid-suppression` shows the forms"),
                );
            }
            for e in c.entries.iter().filter(|e| e.rule.is_none()) {
                let group = crate::report::config::resolve_selector(&e.text, true).is_some();
                let f = if group {
                    Finding::new(
                        &INVALID,
                        e.span,
                        format!(
                            "`{}` is a category, not a rule: a suppression names rules",
                            e.text
                        ),
                    )
                    .label("not a rule")
                    .help("name the rules (`stacklint rules` lists them), or ignore the category in stacklint.toml")
                } else {
                    Finding::new(
                        &INVALID,
                        e.span,
                        format!("unknown rule `{}` in a suppression", e.text),
                    )
                    .label("no rule has this name or code")
                    .help("`stacklint rules` lists every rule's code and name")
                };
                meta.push(f);
            }
        }
    }
    if enabled(&UNUSED) {
        for (ci, c) in comments.iter().enumerate() {
            if c.problem.is_some() {
                continue;
            }
            for (ei, e) in c.entries.iter().enumerate() {
                let Some(rule) = e.rule else { continue };
                if used.contains(&(ci, ei))
                    || !enabled(rule)
                    || uncertain((c.span.file, rule.code))
                    || rule.code == INVALID.code
                    || rule.code == UNUSED.code
                {
                    continue;
                }
                let (message, help) = match c.scope {
                    Scope::File => (
                        format!(
                            "suppression of `{}` ({}) is unused: the file has no such finding",
                            rule.name, rule.code
                        ),
                        "remove it from the `file-ignore[...]` list".to_string(),
                    ),
                    Scope::Line(Some(l)) => (
                        format!(
                            "suppression of `{}` ({}) is unused: line {l} has no such finding",
                            rule.name, rule.code
                        ),
                        "remove it, or put it on the line of the finding (or alone on the line above)"
                            .to_string(),
                    ),
                    Scope::Line(None) => (
                        format!(
                            "suppression of `{}` ({}) is unused: no line follows it",
                            rule.name, rule.code
                        ),
                        "remove it".to_string(),
                    ),
                };
                let mut f = Finding::new(&UNUSED, e.span, message)
                    .label("suppresses nothing")
                    .help(help);
                if let Scope::Line(Some(l)) = c.scope {
                    let file = p.sources.get(c.span.file);
                    if let Some((s, end)) = file.line_range(l) {
                        let indent = file.text[s..end].len() - file.text[s..end].trim_start().len();
                        if l != file.line_col(c.span.start()).line {
                            f = f.related(
                                Span::new(c.span.file, s + indent, end),
                                "the line it applies to",
                            );
                        }
                    }
                }
                meta.push(f);
            }
        }
    }
    // The comments' own findings can be suppressed too (a `file-ignore` of them).
    mark(p, &comments, &index, &mut meta, &mut used);
    findings.extend(meta);
}

/// An entry of a comment: (index of the comment, index of the entry).
type EntryRef = (usize, usize);

/// Where comments apply, by rule: `(comment, entry)` for each (file, line, rule)
/// of an `ignore` and each (file, rule) of a `file-ignore`.
#[derive(Default)]
struct Index {
    lines: HashMap<(FileId, usize, &'static str), Vec<EntryRef>>,
    files: HashMap<(FileId, &'static str), Vec<EntryRef>>,
    /// Files with at least one suppression.
    any: HashSet<FileId>,
}

impl Index {
    fn new(comments: &[Comment]) -> Index {
        let mut ix = Index::default();
        for (ci, c) in comments.iter().enumerate() {
            let file = c.span.file;
            for (ei, e) in c.entries.iter().enumerate() {
                let Some(rule) = e.rule else { continue };
                match c.scope {
                    Scope::Line(Some(l)) => {
                        ix.lines
                            .entry((file, l, rule.code))
                            .or_default()
                            .push((ci, ei));
                    }
                    Scope::Line(None) => continue,
                    Scope::File => ix
                        .files
                        .entry((file, rule.code))
                        .or_default()
                        .push((ci, ei)),
                }
                ix.any.insert(file);
            }
        }
        ix
    }
}

/// Sets `suppressed` on every finding a comment covers, recording the entries used.
fn mark(
    p: &Project,
    comments: &[Comment],
    index: &Index,
    findings: &mut [Finding],
    used: &mut HashSet<(usize, usize)>,
) {
    for f in findings.iter_mut() {
        let file = f.primary.file;
        if !index.any.contains(&file) {
            continue;
        }
        let line = p.sources.get(file).line_col(f.primary.start()).line;
        let on_line = index.lines.get(&(file, line, f.rule.code));
        let on_file = index.files.get(&(file, f.rule.code));
        // A line suppression is more specific than a file one: it is the one kept.
        let mut best: Option<usize> = None;
        for &(ci, ei) in on_line
            .into_iter()
            .flatten()
            .chain(on_file.into_iter().flatten())
        {
            used.insert((ci, ei));
            best.get_or_insert(ci);
        }
        if let Some(ci) = best {
            let c = &comments[ci];
            f.suppressed = Some(Suppression {
                span: c.span,
                justification: c.justification.clone(),
            });
        }
    }
}

/// Several projects can read one file (an NGINX config or `.env` shared by two
/// stacks). A suppression there is unused only if it is unused in every project:
/// drops the `unused-suppression` findings whose entry suppressed a finding of
/// its rule in another project.
pub fn reconcile(projects: &mut [(&Sources, Vec<Finding>)]) {
    if projects.len() < 2 {
        return;
    }
    // (path, rule code) -> the comments that suppressed such a finding.
    let mut used: HashMap<(PathBuf, &'static str), Vec<(usize, usize)>> = HashMap::new();
    for (sources, findings) in projects.iter() {
        for f in findings {
            if let Some(s) = &f.suppressed {
                used.entry((sources.get(s.span.file).path.clone(), f.rule.code))
                    .or_default()
                    .push((s.span.start(), s.span.end()));
            }
        }
    }
    if used.is_empty() {
        return;
    }
    for (sources, findings) in projects.iter_mut() {
        findings.retain(|f| {
            if f.rule.code != UNUSED.code {
                return true;
            }
            let file = sources.get(f.primary.file);
            let Some(rule) = rules::lookup(file.slice(&f.primary)) else {
                return true;
            };
            let at = f.primary.start();
            !used
                .get(&(file.path.clone(), rule.code))
                .is_some_and(|v| v.iter().any(|(s, e)| *s <= at && at < *e))
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn comments(kind: FileKind, text: &str) -> Vec<Comment> {
        let f = SourceFile::new("x", kind, text.to_string());
        let mut v = Vec::new();
        yaml_value_spans(&f, &mut v);
        let values = if kind == FileKind::Compose {
            v
        } else {
            Vec::new()
        };
        let mut out = Vec::new();
        scan_file(FileId(0), &f, &values, &mut out);
        out
    }

    #[test]
    fn forms() {
        let c = comments(
            FileKind::Compose,
            "a: 1 # stacklint: ignore[SL102, parse-error] dev only\n# stacklint: ignore[SL103]\n\n# other\nb: 2\n#stacklint: file-ignore[nope]\n",
        );
        assert_eq!(c.len(), 3);
        assert_eq!(c[0].scope, Scope::Line(Some(1)));
        assert_eq!(c[0].entries.len(), 2);
        assert_eq!(c[0].justification, "dev only");
        assert_eq!(c[1].scope, Scope::Line(Some(5)));
        assert_eq!(c[2].scope, Scope::File);
        assert!(c[2].entries[0].rule.is_none());
    }

    #[test]
    fn not_in_quoted_or_block_scalars() {
        let c = comments(
            FileKind::Compose,
            "a: \"x # stacklint: ignore[SL102]\"\nb: |\n  # stacklint: ignore[SL102]\nc: x#stacklint: ignore[SL102]\n",
        );
        assert!(c.is_empty(), "{c:?}");
    }

    #[test]
    fn after_quoted_scalars() {
        // A comment after a closing quote is a comment.
        let c = comments(
            FileKind::Compose,
            "a: \"x\\\" y\" # stacklint: ignore[SL102] r1\nb: 'it''s' # stacklint: ignore[SL103]\n",
        );
        assert_eq!(c.len(), 2, "{c:?}");
        assert_eq!(c[0].justification, "r1");
        assert_eq!(c[1].scope, Scope::Line(Some(2)));
    }

    #[test]
    fn malformed() {
        let c = comments(
            FileKind::Env,
            "# stacklint: ignore SL102\n# stacklint: ignore[SL102\n# stacklint: ignore[]\n# stacklint: silence[x]\n",
        );
        assert_eq!(c.len(), 4);
        assert!(c.iter().all(|c| c.problem.is_some()), "{c:?}");
    }
}
