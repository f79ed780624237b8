//! Applying the fixes findings carry (`--fix`, `--unsafe-fixes`, `--diff`).
//!
//! A fix is a set of edits applied together or not at all. Fixes are taken in
//! the order of their first edit; one whose edits overlap an edit already
//! taken waits for the next pass (the caller lints again and asks anew). A
//! file's new text must parse with no more problems than before, else none of
//! its edits are kept. Only the edited bytes change: comments, quoting,
//! indentation, a BOM and CRLF line ends stay as they were.

use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};

use crate::finding::{Applicability, Finding};
use crate::source::{FileKind, SourceFile, Sources};

/// The new text of one file.
#[derive(Debug)]
pub struct Change {
    /// The file's path as reports show it.
    pub path: PathBuf,
    pub old: String,
    pub new: String,
    /// The findings whose fixes this change holds.
    pub fixed: usize,
    /// The edits, as (start, end) in `old` and the length of their text in `new`.
    pub edits: Vec<(usize, usize, usize)>,
}

impl Change {
    /// Where the bytes `old[s..e]` are in `new`, when no edit touches them.
    pub fn moved(&self, s: usize, e: usize) -> Option<(usize, usize)> {
        let mut shift: isize = 0;
        for &(es, ee, len) in &self.edits {
            if ee <= s && !(es == ee && ee == s) {
                shift += len as isize - (ee - es) as isize;
            } else if es < e && s < ee {
                return None;
            }
        }
        let map = |x: usize| usize::try_from(x as isize + shift).ok();
        Some((map(s)?, map(e)?))
    }
}

/// What a pass would change, and what it left for later.
#[derive(Debug, Default)]
pub struct Plan {
    pub changes: Vec<Change>,
    /// Fixes not taken in this pass: overlapping another, or in a file whose
    /// new text would not parse.
    pub deferred: usize,
    /// Files whose edits were dropped because the result did not parse.
    pub unparsable: Vec<PathBuf>,
}

/// A file's edits taken in a pass (start, end, replacement), and how many
/// fixes they come from.
type Taken = (Vec<(usize, usize, String)>, usize);

/// The edits of the fixes of `findings` (each with the sources its spans point
/// into) that `unsafe_ok` allows, merged per file.
pub fn plan(findings: &[(&Sources, &Finding)], unsafe_ok: bool) -> Plan {
    // Each fix as (path, start, end, replacement) edits; the same fix found by
    // two projects that share a file is taken once.
    let mut fixes: Vec<Vec<(PathBuf, usize, usize, String)>> = Vec::new();
    let mut seen: HashSet<Vec<(PathBuf, usize, usize, String)>> = HashSet::new();
    let mut texts: BTreeMap<PathBuf, (FileKind, String)> = BTreeMap::new();
    for (sources, f) in findings {
        let Some(fix) = f.fix.as_ref().filter(|_| f.suppressed.is_none()) else {
            continue;
        };
        if fix.applicability == Applicability::Unsafe && !unsafe_ok {
            continue;
        }
        let mut edits = Vec::new();
        for e in &fix.edits {
            let file = sources.get(e.span.file);
            if e.span.end() > file.text.len()
                || !file.text.is_char_boundary(e.span.start())
                || !file.text.is_char_boundary(e.span.end())
            {
                edits.clear();
                break;
            }
            texts
                .entry(file.path.clone())
                .or_insert_with(|| (file.kind, file.text.clone()));
            let replacement = match file.text.contains("\r\n") {
                true => e.replacement.replace("\r\n", "\n").replace('\n', "\r\n"),
                false => e.replacement.clone(),
            };
            edits.push((file.path.clone(), e.span.start(), e.span.end(), replacement));
        }
        if edits.is_empty() {
            continue;
        }
        edits.sort();
        // A fix whose own edits overlap cannot be applied as written (the
        // text between them would be taken twice): a rule's mistake, skipped.
        let self_overlap = edits.windows(2).any(|w| {
            let ((pa, _, ea, _), (pb, sb, eb, _)) = (&w[0], &w[1]);
            pa == pb && sb < ea && !(sb == eb && sb == ea)
        });
        if self_overlap {
            continue;
        }
        if seen.insert(edits.clone()) {
            fixes.push(edits);
        }
    }
    fixes.sort();

    let mut out = Plan::default();
    // Per file: the edits taken, and how many fixes they come from.
    let mut taken: BTreeMap<PathBuf, Taken> = BTreeMap::new();
    for fix in fixes {
        let overlaps = fix.iter().any(|(path, s, e, r)| {
            taken.get(path).is_some_and(|(edits, _)| {
                // The same edit twice (two fixes adding one `resolver` to a
                // server) is one edit, shared.
                edits
                    .iter()
                    .filter(|(ts, te, tr)| !(ts == s && te == e && tr == r))
                    .any(|(ts, te, _)| {
                        // Ranges that share a byte, or an insertion inside a replaced
                        // range. Insertions at one place are all kept, in fix order.
                        (s < te && ts < e)
                            || (s == e && ts < s && s < te)
                            || (ts == te && s < ts && ts < e)
                    })
            })
        });
        if overlaps {
            out.deferred += 1;
            continue;
        }
        for (i, (path, s, e, r)) in fix.iter().enumerate() {
            let entry = taken.entry(path.clone()).or_default();
            if !entry
                .0
                .iter()
                .any(|(ts, te, tr)| ts == s && te == e && tr == r)
            {
                entry.0.push((*s, *e, r.clone()));
            }
            // A fix that edits several files counts once, in its first.
            if i == 0 {
                entry.1 += 1;
            }
        }
    }
    for (path, (mut edits, fixed)) in taken {
        let Some((kind, old)) = texts.remove(&path) else {
            continue;
        };
        // Stable: insertions at one place keep the order of their fixes.
        edits.sort_by_key(|(s, e, _)| (*s, *e));
        let mut new = String::with_capacity(old.len());
        let mut at = 0;
        for (s, e, r) in &edits {
            new.push_str(&old[at..*s]);
            new.push_str(r);
            at = *e;
        }
        new.push_str(&old[at..]);
        if problems(kind, &new) > problems(kind, &old) {
            out.deferred += fixed;
            out.unparsable.push(path);
            continue;
        }
        out.changes.push(Change {
            path,
            old,
            new,
            fixed,
            edits: edits.iter().map(|(s, e, r)| (*s, *e, r.len())).collect(),
        });
    }
    out
}

/// How many problems the parser of `kind` finds in `text`.
fn problems(kind: FileKind, text: &str) -> usize {
    let src = SourceFile::new("fix", kind, text.to_string());
    let id = crate::source::FileId(0);
    match kind {
        FileKind::Compose => crate::parse::yaml::parse(id, &src).diags.len(),
        FileKind::Env => crate::parse::env::parse(id, &src).diags.len(),
        FileKind::Nginx => crate::parse::nginx::parse(id, &src).diags.len(),
        _ => 0,
    }
}

/// Writes `new` over the file at `path` atomically: a temporary file beside
/// it, with its permissions, renamed over it. The file must still hold `old`
/// (after a BOM, which is kept): a file changed since it was read, or whose
/// bytes are not valid UTF-8 (its text had replacements), is left alone.
pub fn write_atomically(path: &Path, old: &str, new: &str) -> std::io::Result<()> {
    const BOM: &[u8] = b"\xEF\xBB\xBF";
    // Through a symlink to the file it names: the link stays a link.
    let real = std::fs::canonicalize(path)?;
    let path = real.as_path();
    let raw = std::fs::read(path)?;
    let bom = raw.starts_with(BOM);
    let body = if bom { &raw[BOM.len()..] } else { &raw[..] };
    if body != old.as_bytes() {
        return Err(std::io::Error::other(
            "it changed since it was read, or it is not valid UTF-8",
        ));
    }
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = dir.join(format!(".{name}.stacklint-{}.tmp", std::process::id()));
    let mut bytes = Vec::with_capacity(new.len() + 3);
    if bom {
        bytes.extend_from_slice(BOM);
    }
    bytes.extend_from_slice(new.as_bytes());
    let result = (|| {
        std::fs::write(&tmp, &bytes)?;
        if let Ok(meta) = std::fs::metadata(path) {
            std::fs::set_permissions(&tmp, meta.permissions())?;
        }
        std::fs::rename(&tmp, path)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

/// A unified diff of each change, three lines of context. `secrets` gives the
/// byte ranges of secret values in a file's old text: they are masked on both
/// sides (in the new text where no edit touched them; an edited range never
/// holds a secret, since fixes write no values).
pub fn diff(changes: &[Change], secrets: &dyn Fn(&Path) -> Vec<(usize, usize)>) -> String {
    let mut out = String::new();
    for c in changes {
        let path = crate::paths::slash(&c.path);
        let old_spans = secrets(&c.path);
        let new_spans: Vec<(usize, usize)> = old_spans
            .iter()
            .filter_map(|&(s, e)| c.moved(s, e))
            .collect();
        let old = crate::analysis::secrets::mask(&c.old, &old_spans);
        let new = crate::analysis::secrets::mask(&c.new, &new_spans);
        let d = similar::TextDiff::from_lines(&old, &new);
        out.push_str(
            &d.unified_diff()
                .context_radius(3)
                .header(&format!("a/{path}"), &format!("b/{path}"))
                .to_string(),
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::finding::{Edit, Fix, RuleMeta};
    use crate::severity::Severity;
    use crate::source::Span;

    static META: RuleMeta = RuleMeta {
        code: "SL999",
        name: "test",
        severity: Severity::Warning,
        category: crate::finding::Category::Correctness,
        summary: "test",
        fix: crate::finding::FixAvailability::Sometimes,
    };

    fn sources(text: &str) -> Sources {
        let mut s = Sources::new();
        s.add(SourceFile::new(
            "compose.yaml",
            FileKind::Compose,
            text.to_string(),
        ));
        s
    }

    fn finding(start: usize, end: usize, r: &str, safe: bool) -> Finding {
        let span = Span::new(crate::source::FileId(0), start, end);
        let edit = vec![Edit {
            span,
            replacement: r.to_string(),
        }];
        let fix = if safe {
            Fix::safe("t", edit)
        } else {
            Fix::unsafe_("t", edit)
        };
        Finding::new(&META, span, "m").fix(fix)
    }

    #[test]
    fn edits_keep_everything_else_and_crlf() {
        let text = "\u{feff}# keep\r\na: 1 # one\r\nb: 2\r\n";
        let s = sources(text);
        let at = text.find('1').unwrap();
        let f1 = finding(at, at + 1, "10", true);
        let bt = text.find('2').unwrap();
        let f2 = finding(bt, bt + 1, "[2,\n3]", true);
        let p = plan(&[(&s, &f1), (&s, &f2)], false);
        assert_eq!(p.changes.len(), 1);
        assert_eq!(
            p.changes[0].new,
            "\u{feff}# keep\r\na: 10 # one\r\nb: [2,\r\n3]\r\n"
        );
        assert_eq!(p.changes[0].fixed, 2);
    }

    #[test]
    fn overlapping_and_unsafe_fixes_wait() {
        let text = "a: 1\n";
        let s = sources(text);
        let f1 = finding(3, 4, "2", true);
        let f2 = finding(3, 4, "3", true);
        let f3 = finding(0, 1, "b", false);
        let p = plan(&[(&s, &f1), (&s, &f2), (&s, &f3)], false);
        assert_eq!(p.changes[0].new, "a: 2\n");
        assert_eq!(p.deferred, 1);
        // Insertions at one place are all kept, in order; one inside a
        // replaced range waits.
        let i1 = finding(5, 5, "b: 2\n", true);
        let i2 = finding(5, 5, "c: 3\n", true);
        let i3 = finding(4, 4, "x", true);
        let p = plan(&[(&s, &i1), (&s, &i2), (&s, &f1)], false);
        assert_eq!(p.changes[0].new, "a: 2\nb: 2\nc: 3\n");
        let p = plan(&[(&s, &f1), (&s, &i3)], false);
        assert_eq!((p.changes[0].new.as_str(), p.deferred), ("a: 2x\n", 0));
        // The same edit from two fixes is made once.
        let p = plan(&[(&s, &i1), (&s, &i1.clone())], false);
        assert_eq!(p.changes[0].new, "a: 1\nb: 2\n");
        // Where text of the old version is in the new one.
        let c = &plan(&[(&s, &i1), (&s, &f1)], false).changes[0];
        assert_eq!(c.moved(0, 2), Some((0, 2)));
        assert_eq!(c.moved(3, 4), None);
        let p = plan(&[(&s, &f3)], true);
        assert_eq!(p.changes[0].new, "b: 1\n");
    }

    #[test]
    fn a_fix_whose_edits_overlap_each_other_is_skipped_not_a_panic() {
        let text = "a: 1234\n";
        let s = sources(text);
        let span = |a, b| Span::new(crate::source::FileId(0), a, b);
        let edits = vec![
            Edit {
                span: span(3, 6),
                replacement: "x".into(),
            },
            Edit {
                span: span(4, 7),
                replacement: "y".into(),
            },
        ];
        let f = Finding::new(&META, span(3, 7), "m").fix(Fix::safe("t", edits));
        let p = plan(&[(&s, &f)], false);
        assert!(p.changes.is_empty());
    }

    #[test]
    fn a_result_that_does_not_parse_is_not_kept() {
        let text = "a: [1]\n";
        let s = sources(text);
        let f = finding(3, 6, "[1", true);
        let p = plan(&[(&s, &f)], false);
        assert!(p.changes.is_empty());
        assert_eq!(p.unparsable.len(), 1);
    }
}
