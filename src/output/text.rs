//! The text report: each finding rendered by miette with its source snippet,
//! labels and help, then a summary line.

use std::fmt;

use rayon::prelude::*;

use miette::{
    Diagnostic, GraphicalReportHandler, GraphicalTheme, LabeledSpan, MietteError,
    MietteSpanContents, SourceCode, SourceSpan, SpanContents,
};

use super::{Resolved, Summary};
use crate::source::{FileId, SourceFile, Span};

/// One file's text as shown (secret values masked), prepared once per file for
/// every finding that shows it.
struct Shown<'a> {
    name: String,
    text: std::borrow::Cow<'a, str>,
    /// Where each line starts, counting line breaks as miette does (`\r\n`, `\n`
    /// or a lone `\r`), so a snippet can be cut out without scanning from the top.
    line_starts: Vec<usize>,
}

impl Shown<'_> {
    /// Index of the line holding byte `at`.
    fn line_of(&self, at: usize) -> usize {
        self.line_starts
            .partition_point(|&s| s <= at)
            .saturating_sub(1)
    }
}

fn line_starts(text: &str) -> Vec<usize> {
    let b = text.as_bytes();
    let mut starts = vec![0];
    // memchr: a byte at a time was a quarter of a millisecond on a 300 KiB file,
    // read again for the text output after every other pass.
    let mut breaks = memchr::memchr2_iter(b'\r', b'\n', b);
    while let Some(i) = breaks.next() {
        if b.get(i) == Some(&b'\r') && b.get(i + 1) == Some(&b'\n') {
            // `\r\n` is one break: its `\n` is the next match.
            breaks.next();
            starts.push(i + 2);
        } else {
            starts.push(i + 1);
        }
    }
    starts
}

/// One file's text for miette, named by its display path.
struct FileSource<'a>(std::sync::Arc<Shown<'a>>);

impl SourceCode for FileSource<'_> {
    fn read_span<'b>(
        &'b self,
        span: &SourceSpan,
        context_lines_before: usize,
        context_lines_after: usize,
    ) -> Result<Box<dyn SpanContents<'b> + 'b>, MietteError> {
        let shown = &self.0;
        let text = shown.text.as_ref();
        // miette scans a `str` from its first byte for every snippet: on a file with
        // thousands of findings that is quadratic. Give it only the lines around the
        // span (two spare lines each side, starting at a line start), then move what
        // it read back to the file's coordinates.
        let first = shown.line_of(span.offset());
        let last = shown.line_of(span.offset() + span.len().saturating_sub(1));
        let from_line = first.saturating_sub(context_lines_before + 2);
        let from = shown.line_starts.get(from_line).copied().unwrap_or(0);
        let to = shown
            .line_starts
            .get(last + context_lines_after + 3)
            .copied()
            .unwrap_or(text.len())
            .min(text.len());
        let window = text.get(from..to).ok_or(MietteError::OutOfBounds)?;
        let local = SourceSpan::new((span.offset() - from.min(span.offset())).into(), span.len());
        let inner = window.read_span(&local, context_lines_before, context_lines_after)?;
        let data = inner.data();
        Ok(Box::new(MietteSpanContents::new_named(
            shown.name.clone(),
            data,
            SourceSpan::new((inner.span().offset() + from).into(), inner.span().len()),
            inner.line() + from_line,
            inner.column(),
            inner.line_count() + from_line,
        )))
    }
}

/// A finding (or one of its related spans in another file) as a miette diagnostic.
struct Report<'a> {
    code: String,
    message: String,
    severity: miette::Severity,
    help: Option<String>,
    source: FileSource<'a>,
    labels: Vec<LabeledSpan>,
    related: Vec<Report<'a>>,
}

impl fmt::Debug for Report<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl fmt::Display for Report<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Report<'_> {}

impl Diagnostic for Report<'_> {
    fn code<'b>(&'b self) -> Option<Box<dyn fmt::Display + 'b>> {
        if self.code.is_empty() {
            None
        } else {
            Some(Box::new(&self.code))
        }
    }

    fn severity(&self) -> Option<miette::Severity> {
        Some(self.severity)
    }

    fn help<'b>(&'b self) -> Option<Box<dyn fmt::Display + 'b>> {
        self.help
            .as_ref()
            .map(|h| Box::new(h) as Box<dyn fmt::Display>)
    }

    fn source_code(&self) -> Option<&dyn SourceCode> {
        Some(&self.source)
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        Some(Box::new(self.labels.iter().cloned()))
    }

    fn related<'b>(&'b self) -> Option<Box<dyn Iterator<Item = &'b dyn Diagnostic> + 'b>> {
        if self.related.is_empty() {
            None
        } else {
            Some(Box::new(self.related.iter().map(|r| r as &dyn Diagnostic)))
        }
    }
}

/// The files shown so far, prepared once each: (the run's sources, file) → text.
type ShownCache<'a> = std::collections::HashMap<(usize, FileId), std::sync::Arc<Shown<'a>>>;

/// The file's text as shown: secret values masked.
fn file_source<'a>(
    cache: &mut ShownCache<'a>,
    sources: &'a crate::source::Sources,
    id: FileId,
    secrets: &[Span],
) -> FileSource<'a> {
    let key = (std::ptr::from_ref(sources) as usize, id);
    let shown = cache.entry(key).or_insert_with(|| {
        let f: &'a SourceFile = sources.get(id);
        let mine: Vec<(usize, usize)> = secrets
            .iter()
            .filter(|s| s.file == id)
            .map(|s| (s.start(), s.end()))
            .collect();
        let text = if mine.is_empty() {
            std::borrow::Cow::Borrowed(f.text.as_str())
        } else {
            std::borrow::Cow::Owned(crate::analysis::secrets::mask(&f.text, &mine))
        };
        std::sync::Arc::new(Shown {
            name: crate::paths::slash(&f.path),
            line_starts: line_starts(&text),
            text,
        })
    });
    FileSource(shown.clone())
}

fn labeled(span: &Span, text: &str, primary: bool) -> LabeledSpan {
    let label = if text.is_empty() {
        None
    } else {
        Some(text.to_string())
    };
    let s = SourceSpan::new(span.start().into(), span.len());
    if primary {
        LabeledSpan::new_primary_with_span(label, s)
    } else {
        LabeledSpan::new_with_span(label, s)
    }
}

/// The longest line a snippet shows. miette formats columns with a `u16` width and
/// panics past 65,535; a line this long is unreadable in a terminal anyway.
const LONGEST_SHOWN_LINE: usize = 1_000;

/// Whether the lines a snippet of `span` would show (the span's own and one context
/// line each side) hold one longer than `LONGEST_SHOWN_LINE`.
fn too_long_to_show(text: &str, span: &Span) -> bool {
    let bytes = text.as_bytes();
    let start = span.start().min(bytes.len());
    let end = span.end().clamp(start, bytes.len());
    let line_start = |i: usize| {
        bytes[..i]
            .iter()
            .rposition(|&b| b == b'\n')
            .map_or(0, |p| p + 1)
    };
    let line_end = |i: usize| {
        bytes[i..]
            .iter()
            .position(|&b| b == b'\n')
            .map_or(bytes.len(), |p| i + p)
    };
    // From the start of the line before to the end of the line after.
    let own_start = line_start(start);
    let from = if own_start > 0 {
        line_start(own_start - 1)
    } else {
        0
    };
    let own_end = line_end(end);
    let to = if own_end < bytes.len() {
        line_end(own_end + 1)
    } else {
        own_end
    };
    bytes[from..to]
        .split(|&b| b == b'\n')
        .any(|line| line.len() > LONGEST_SHOWN_LINE)
}

/// The report's message, with where it is when its snippet is left out.
fn placed(message: &str, l: &super::Location) -> String {
    format!(
        "{message} (at {}:{}:{}; the line is too long to show)",
        l.path, l.start.line, l.start.column
    )
}

fn report<'a>(r: &Resolved<'a>, cache: &mut ShownCache<'a>) -> Report<'a> {
    let f = r.finding;
    // A snippet of an over-long line is left out (labels and all), its place named.
    let hidden = |span: &Span| too_long_to_show(&r.sources.get(span.file).text, span);
    let hide_primary = hidden(&f.primary)
        || f.related
            .iter()
            .any(|l| l.span.file == f.primary.file && hidden(&l.span));
    let mut labels = vec![labeled(&f.primary, &f.label, true)];
    // Related spans in the same file are labels; in other files, related reports.
    let mut others: Vec<(FileId, Vec<LabeledSpan>)> = Vec::new();
    for l in &f.related {
        if l.span.file == f.primary.file {
            labels.push(labeled(&l.span, &l.message, false));
        } else {
            match others.iter_mut().find(|(id, _)| *id == l.span.file) {
                Some((_, v)) => v.push(labeled(&l.span, &l.message, false)),
                None => others.push((l.span.file, vec![labeled(&l.span, &l.message, false)])),
            }
        }
    }
    let related = others
        .into_iter()
        .map(|(id, labels)| {
            let other = r.sources.get(id);
            let mut message = format!("see {}", crate::paths::slash(&other.path));
            let mut labels = labels;
            let first = f.related.iter().position(|l| l.span.file == id);
            let hide = f
                .related
                .iter()
                .any(|l| l.span.file == id && hidden(&l.span));
            if let (true, Some(i)) = (hide, first) {
                if let Some((_, loc)) = r.related.get(i) {
                    message = placed(&message, loc);
                }
                labels.clear();
            }
            Report {
                code: String::new(),
                message,
                severity: miette::Severity::Advice,
                help: None,
                source: file_source(cache, r.sources, id, r.secrets),
                labels,
                related: Vec::new(),
            }
        })
        .collect();
    let message = if hide_primary {
        labels.clear();
        placed(&f.message, &r.location)
    } else {
        f.message.clone()
    };
    Report {
        code: format!("{}({})", f.rule.code, f.rule.name),
        message,
        severity: f.severity.row().miette,
        help: f.help.clone(),
        source: file_source(cache, r.sources, f.primary.file, r.secrets),
        labels,
        related,
    }
}

pub fn render(resolved: &[Resolved<'_>], summary: &Summary, color: bool, quiet: bool) -> String {
    let theme = if color {
        GraphicalTheme::unicode()
    } else {
        GraphicalTheme::unicode_nocolor()
    };
    let handler = GraphicalReportHandler::new_themed(theme)
        .with_context_lines(1)
        .with_width(100);
    let mut cache = ShownCache::new();
    // Suppressed findings stay in the machine formats; here they are only counted.
    let shown = in_text_order(resolved);
    // Built in order, each file's shown text once (the cache), then drawn in
    // parallel: drawing the snippets was a quarter of a run over 600 projects, on
    // one core while the other waited. The drawn parts are held until they are
    // joined: the output twice over, briefly.
    let reports: Vec<Report<'_>> = shown.iter().map(|r| report(r, &mut cache)).collect();
    let parts: Vec<String> = shown
        .par_iter()
        .zip(reports.par_iter())
        .map(|(r, rep)| {
            let mut part = String::new();
            if handler.render_report(&mut part, rep).is_err() {
                // Rendering cannot fail on our own spans; fall back to one line if it does.
                let l = &r.location;
                part.push_str(&format!(
                    "{}:{}:{}: {} [{}] {}\n",
                    l.path,
                    l.start.line,
                    l.start.column,
                    r.finding.severity,
                    r.finding.rule.code,
                    r.finding.message
                ));
            }
            part.push('\n');
            part
        })
        .collect();
    let mut out = parts.concat();
    if !quiet {
        out.push_str(&summary_line(summary));
        out.push_str(&rule_counts(resolved));
    }
    out
}

/// The unsuppressed findings as the text report lists them: the worst first (errors,
/// then warnings, then info), each severity in the resolved order (file, line,
/// column, rule), so a long run of info findings never hides an error.
pub fn in_text_order<'r, 'a>(resolved: &'r [Resolved<'a>]) -> Vec<&'r Resolved<'a>> {
    let mut v: Vec<&Resolved<'a>> = resolved
        .iter()
        .filter(|r| r.finding.suppressed.is_none())
        .collect();
    // A stable sort keeps the resolved order within a severity.
    v.sort_by_key(|r| std::cmp::Reverse(r.finding.severity));
    v
}

/// Below the summary line: one row per rule and severity, the worst first, e.g.
/// `  error     2  SL101 healthcheck-port-mismatch`. Empty without findings.
pub fn rule_counts(resolved: &[Resolved<'_>]) -> String {
    let mut counts: std::collections::BTreeMap<
        (std::cmp::Reverse<crate::severity::Severity>, &str),
        (&str, usize),
    > = std::collections::BTreeMap::new();
    for r in resolved.iter().filter(|r| r.finding.suppressed.is_none()) {
        let rule = r.finding.rule;
        counts
            .entry((std::cmp::Reverse(r.finding.severity), rule.code))
            .or_insert((rule.name, 0))
            .1 += 1;
    }
    let width = counts
        .values()
        .map(|(_, n)| n.to_string().len())
        .max()
        .unwrap_or(1);
    counts
        .iter()
        .map(|((sev, code), (name, n))| {
            format!("  {:<8} {n:>width$}  {code} {name}\n", sev.0.as_str())
        })
        .collect()
}

pub fn summary_line(s: &Summary) -> String {
    // What is not listed: suppressed by a comment or the config, recorded in the baseline.
    let mut hidden = Vec::new();
    if s.suppressed > 0 {
        hidden.push(format!("{} suppressed", s.suppressed));
    }
    if s.baselined > 0 {
        hidden.push(format!("{} in the baseline", s.baselined));
    }
    let suppressed = if hidden.is_empty() {
        String::new()
    } else {
        format!(" ({})", hidden.join(", "))
    };
    if s.findings == 0 {
        return format!(
            "No findings{suppressed} in {} file{} ({} project{}).\n",
            s.files,
            plural(s.files),
            s.projects,
            plural(s.projects)
        );
    }
    format!(
        "Found {} finding{} ({} error{}, {} warning{}, {} info{}) in {} file{} ({} project{}):\n",
        s.findings,
        plural(s.findings),
        s.errors,
        plural(s.errors),
        s.warnings,
        plural(s.warnings),
        s.infos,
        hidden.iter().map(|h| format!("; {h}")).collect::<String>(),
        s.files,
        plural(s.files),
        s.projects,
        plural(s.projects)
    )
}

fn plural(n: usize) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Line starts as miette counts lines: `\r\n`, `\n` and a lone `\r` each end
    /// one. Every text of up to seven characters from `a`, `\r` and `\n` gives what
    /// a plain reading, one character at a time, gives.
    #[test]
    fn line_starts_count_every_kind_of_break_once() {
        fn by_hand(t: &str) -> Vec<usize> {
            let c: Vec<char> = t.chars().collect();
            let mut starts = vec![0];
            let mut i = 0;
            while i < c.len() {
                if c[i] == '\r' && c.get(i + 1) == Some(&'\n') {
                    i += 1;
                    starts.push(i + 1);
                } else if c[i] == '\r' || c[i] == '\n' {
                    starts.push(i + 1);
                }
                i += 1;
            }
            starts
        }
        assert_eq!(line_starts("a\r\nb\rc\n\n\r\r\nd"), [0, 3, 5, 7, 8, 9, 11]);
        let mut level = vec![String::new()];
        let mut texts = level.clone();
        for _ in 0..7 {
            level = level
                .iter()
                .flat_map(|t| ["a", "\r", "\n"].map(|c| format!("{t}{c}")))
                .collect();
            texts.extend(level.iter().cloned());
        }
        assert_eq!(texts.len(), 3280);
        for t in &texts {
            assert_eq!(line_starts(t), by_hand(t), "{t:?}");
        }
    }
}
