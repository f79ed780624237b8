//! Output formats. Every format reads the same resolved findings: paths relative to
//! the working directory, lines and columns computed once.

pub mod baseline;
pub mod concise;
pub mod github;
pub mod gitlab;
pub mod graph;
pub mod json;
pub mod sarif;
pub mod text;

use crate::finding::Finding;
use crate::severity::Severity;
use crate::source::{Sources, Span};

#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
pub struct Position {
    pub line: usize,
    pub column: usize,
    pub offset: usize,
}

#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
pub struct Location {
    pub path: String,
    pub start: Position,
    pub end: Position,
}

impl Location {
    pub fn of(sources: &Sources, span: &Span) -> Location {
        let f = sources.get(span.file);
        let s = f.line_col(span.start());
        let e = f.line_col(span.end());
        Location {
            path: crate::paths::slash(&f.path),
            start: Position {
                line: s.line,
                column: s.column,
                offset: span.start(),
            },
            end: Position {
                line: e.line,
                column: e.column,
                offset: span.end(),
            },
        }
    }
}

/// The findings of one project with the files they point into.
pub struct ProjectReport<'a> {
    pub sources: &'a Sources,
    pub findings: Vec<Finding>,
    /// Spans of secret values, masked wherever source text is shown.
    pub secrets: Vec<Span>,
}

/// A finding with its locations resolved, ready for any format.
#[derive(Clone, Debug)]
pub struct Resolved<'a> {
    pub finding: &'a Finding,
    pub sources: &'a Sources,
    pub secrets: &'a [Span],
    pub location: Location,
    pub related: Vec<(String, Location)>,
}

/// All findings of a run, resolved, deduplicated (a file shared by two projects
/// reports once) and in a stable order: path, position, code.
pub fn resolve<'a>(reports: &'a [ProjectReport<'a>]) -> Vec<Resolved<'a>> {
    use rayon::prelude::*;
    // In parallel, and sorted stably in parallel: the same order as one by one.
    let mut out: Vec<Resolved<'a>> = reports
        .par_iter()
        .flat_map_iter(|r| {
            r.findings.iter().map(move |f| Resolved {
                finding: f,
                sources: r.sources,
                secrets: &r.secrets,
                location: Location::of(r.sources, &f.primary),
                related: f
                    .related
                    .iter()
                    .map(|l| (l.message.clone(), Location::of(r.sources, &l.span)))
                    .collect(),
            })
        })
        .collect();
    out.par_sort_by(|a, b| {
        (&a.location, a.finding.rule.code, &a.finding.message).cmp(&(
            &b.location,
            b.finding.rule.code,
            &b.finding.message,
        ))
    });
    out.dedup_by(|a, b| {
        a.location == b.location
            && a.finding.rule.code == b.finding.rule.code
            && a.finding.message == b.finding.message
    });
    out
}

/// Everything a format needs: the findings, the summary, the rules that ran and the
/// directory paths are relative to.
pub struct Report<'a> {
    pub resolved: Vec<Resolved<'a>>,
    /// The fingerprint of each of `resolved`, computed once over the whole run so that
    /// leaving findings out (a baseline) does not change the others' ranks.
    pub fingerprints: Vec<String>,
    pub summary: Summary,
    /// The rules enabled for this run, in code order.
    pub rules: Vec<&'static crate::rules::RuleMeta>,
    /// The working directory: every path in the report is relative to it.
    pub root: std::path::PathBuf,
    /// The code scanning category of a SARIF report (`automationDetails.id` is this and
    /// a `/`): runs of one workflow with different categories do not close each other's
    /// alerts.
    pub sarif_category: String,
}

/// The category of a SARIF report unless `--sarif-category` says otherwise.
pub const DEFAULT_SARIF_CATEGORY: &str = "stacklint";

impl<'a> Report<'a> {
    /// The report of `reports` over `projects` projects and `files` files read,
    /// its paths relative to the working directory.
    pub fn new(
        reports: &'a [ProjectReport<'a>],
        projects: usize,
        files: usize,
        rules: Vec<&'static crate::rules::RuleMeta>,
    ) -> Report<'a> {
        let resolved = resolve(reports);
        let summary = Summary::of(&resolved, projects, files);
        Report {
            fingerprints: fingerprints(&resolved),
            resolved,
            summary,
            rules,
            root: std::env::current_dir().unwrap_or_default(),
            sarif_category: DEFAULT_SARIF_CATEGORY.to_string(),
        }
    }

    /// Leaves out the unsuppressed findings whose fingerprint `known` holds (a baseline)
    /// and counts them in the summary.
    pub fn leave_out(&mut self, known: &std::collections::HashSet<String>) {
        let mut kept_resolved = Vec::with_capacity(self.resolved.len());
        let mut kept_prints = Vec::with_capacity(self.fingerprints.len());
        let mut left_out = 0;
        for (r, fp) in std::mem::take(&mut self.resolved)
            .into_iter()
            .zip(std::mem::take(&mut self.fingerprints))
        {
            if r.finding.suppressed.is_none() && known.contains(&fp) {
                left_out += 1;
            } else {
                kept_resolved.push(r);
                kept_prints.push(fp);
            }
        }
        self.resolved = kept_resolved;
        self.fingerprints = kept_prints;
        let (projects, files) = (self.summary.projects, self.summary.files);
        self.summary = Summary::of(&self.resolved, projects, files);
        self.summary.baselined = left_out;
    }
}

#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct Summary {
    pub projects: usize,
    pub files: usize,
    pub findings: usize,
    pub errors: usize,
    pub warnings: usize,
    pub infos: usize,
    /// Findings silenced by an inline suppression (not counted above).
    pub suppressed: usize,
    /// Findings left out because `--baseline` records them (not counted above).
    pub baselined: usize,
}

impl Summary {
    pub fn of(resolved: &[Resolved<'_>], projects: usize, files: usize) -> Summary {
        let active = || resolved.iter().filter(|r| r.finding.suppressed.is_none());
        let count = |s: Severity| active().filter(|r| r.finding.severity == s).count();
        Summary {
            projects,
            files,
            findings: active().count(),
            suppressed: resolved.len() - active().count(),
            errors: count(Severity::Error),
            warnings: count(Severity::Warning),
            infos: count(Severity::Info),
            baselined: 0,
        }
    }
}

/// FNV-1a (64 bits) over `parts`, each followed by a 0xff byte (never in UTF-8), so
/// that `("ab", "c")` and `("a", "bc")` differ. Stable across platforms and releases;
/// not a cryptographic hash.
pub fn fnv1a64(parts: &[&[u8]]) -> u64 {
    let mut h = Fnv::new();
    for p in parts {
        h.part(&[p]);
    }
    h.0
}

/// FNV-1a fed piece by piece: a part given as several slices hashes as their
/// concatenation would, so a long text is hashed where it lies, never copied.
struct Fnv(u64);

impl Fnv {
    fn new() -> Self {
        Fnv(0xcbf2_9ce4_8422_2325)
    }

    /// One part (the concatenation of `pieces`), then the 0xff separator.
    fn part(&mut self, pieces: &[&[u8]]) {
        const PRIME: u64 = 0x0000_0100_0000_01b3;
        for &b in pieces
            .iter()
            .flat_map(|p| p.iter())
            .chain(std::iter::once(&0xff))
        {
            self.0 ^= u64::from(b);
            self.0 = self.0.wrapping_mul(PRIME);
        }
    }
}

/// One fingerprint per finding (same order): rule code + file path + the logical
/// place (`services.app.healthcheck.test`) + the rank among findings of that rule at
/// that place. Without a place, the text of the primary span stands for it (or the
/// message, when that text is empty or a secret). Line numbers are not part of it, so
/// a fingerprint survives edits elsewhere in the file.
pub fn fingerprints(resolved: &[Resolved<'_>]) -> Vec<String> {
    use rayon::prelude::*;
    // One index per project's secrets, keyed by the slice's address.
    let mut indexes: std::collections::HashMap<usize, crate::analysis::secrets::SecretIndex> =
        std::collections::HashMap::new();
    for r in resolved {
        indexes
            .entry(r.secrets.as_ptr() as usize)
            .or_insert_with(|| crate::analysis::secrets::SecretIndex::new(r.secrets));
    }
    // Each key (a span's text, possibly a long line) is hashed where it lies, never
    // copied, in parallel; only the ranks, counted per (rule, path, hash of the
    // key), need the findings in order.
    let hashed: Vec<(u64, Fnv)> = resolved
        .par_iter()
        .map(|r| {
            let f = r.finding;
            let key: [&[u8]; 2] = match &f.place {
                Some(p) => [b"place\0", p.as_bytes()],
                None => {
                    let text = r
                        .sources
                        .get(f.primary.file)
                        .text
                        .get(f.primary.range())
                        .unwrap_or("")
                        .trim();
                    // Hashing a secret would still leak something about it.
                    let secret = indexes
                        .get(&(r.secrets.as_ptr() as usize))
                        .is_some_and(|index| index.overlaps(&f.primary));
                    if text.is_empty() || secret {
                        [b"message\0", f.message.as_bytes()]
                    } else {
                        [b"text\0", text.as_bytes()]
                    }
                }
            };
            let mut k = Fnv::new();
            k.part(&key);
            let mut h = Fnv::new();
            h.part(&[f.rule.code.as_bytes()]);
            h.part(&[r.location.path.as_bytes()]);
            h.part(&key);
            (k.0, h)
        })
        .collect();
    let mut seen: std::collections::HashMap<(&str, &str, u64), usize> =
        std::collections::HashMap::new();
    resolved
        .iter()
        .zip(hashed)
        .map(|(r, (k, mut h))| {
            let rank = seen
                .entry((r.finding.rule.code, r.location.path.as_str(), k))
                .or_insert(0);
            h.part(&[rank.to_string().as_bytes()]);
            *rank += 1;
            format!("{:016x}", h.0)
        })
        .collect()
}
