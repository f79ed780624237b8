//! A finding: one rule, one primary span, any number of labelled related spans.

use crate::severity::Severity;
use crate::source::Span;

/// What kind of problem a rule reports.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Category {
    /// A file that stacklint (and docker compose) cannot read.
    Syntax,
    /// The stack will not start or not work as written.
    Correctness,
    /// The stack works but exposes something it should not.
    Security,
    /// Opinionated hardening; off until selected.
    Hardening,
}

#[derive(Debug, PartialEq, Eq)]
pub struct RuleMeta {
    pub code: &'static str,
    pub name: &'static str,
    pub severity: Severity,
    pub category: Category,
    /// One line: what the rule reports.
    pub summary: &'static str,
    /// Whether its findings can carry a fix (its page's `## Fix` says how safe).
    pub fix: FixAvailability,
}

/// Where each rule's page (`rules/<name>.md`) is published, for links from reports.
pub const RULE_PAGES: &str = concat!(env!("CARGO_PKG_REPOSITORY"), "/blob/main/rules/");

impl RuleMeta {
    /// The address of the rule's page.
    pub fn page_url(&self) -> String {
        format!("{RULE_PAGES}{}.md", self.name)
    }
}

/// Whether a rule's findings carry fixes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum FixAvailability {
    None,
    /// Some of its findings: where the repair is certain.
    Sometimes,
}

#[derive(Clone, Debug)]
pub struct Label {
    pub span: Span,
    pub message: String,
}

#[derive(Clone, Debug)]
pub struct Finding {
    pub rule: &'static RuleMeta,
    pub severity: Severity,
    pub message: String,
    /// What the primary span is, shown as its label in the text report.
    pub label: String,
    pub primary: Span,
    pub related: Vec<Label>,
    pub help: Option<String>,
    /// The logical place (`services.app.healthcheck.test`), used for fingerprints
    /// that survive unrelated edits.
    pub place: Option<String>,
    /// Set when an inline `# stacklint: ignore[...]` comment (or a file-ignore)
    /// suppresses this finding: it is still reported (SARIF keeps it), but does not
    /// count towards the exit code.
    pub suppressed: Option<Suppression>,
    /// The incident the finding describes, when another rule may describe the
    /// same one at the same primary span: those findings are reported as one
    /// (see `check::merge_incidents`).
    pub incident: Option<&'static str>,
    /// A repair of the text, when the rule knows one (`--fix`, `--diff`).
    pub fix: Option<Fix>,
}

/// Whether a fix can be applied without a person's look.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Applicability {
    /// Changes nothing the stack does beyond what the finding reports.
    Safe,
    /// Changes behaviour in a way a person should confirm (`--unsafe-fixes`).
    Unsafe,
}

/// One replacement of source text: the bytes of `span` become `replacement`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Edit {
    pub span: Span,
    pub replacement: String,
}

/// A repair: edits in any files of the project, applied together or not at all.
#[derive(Clone, Debug)]
pub struct Fix {
    /// What it does, as an imperative (`bind the port to 127.0.0.1`).
    pub title: String,
    pub applicability: Applicability,
    pub edits: Vec<Edit>,
}

impl Fix {
    pub fn safe(title: impl Into<String>, edits: Vec<Edit>) -> Fix {
        Fix {
            title: title.into(),
            applicability: Applicability::Safe,
            edits,
        }
    }

    pub fn unsafe_(title: impl Into<String>, edits: Vec<Edit>) -> Fix {
        Fix {
            title: title.into(),
            applicability: Applicability::Unsafe,
            edits,
        }
    }
}

/// Why a finding is suppressed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Suppression {
    /// The comment that suppresses it.
    pub span: Span,
    /// The text after the rule list (`# stacklint: ignore[SL102] dev only` → `dev only`).
    pub justification: String,
}

impl Finding {
    pub fn new(rule: &'static RuleMeta, primary: Span, message: impl Into<String>) -> Self {
        Finding {
            rule,
            severity: rule.severity,
            message: message.into(),
            label: String::new(),
            primary,
            related: Vec::new(),
            help: None,
            place: None,
            suppressed: None,
            incident: None,
            fix: None,
        }
    }

    pub fn fix(mut self, fix: Fix) -> Self {
        self.fix = Some(fix);
        self
    }

    pub fn label(mut self, label: impl Into<String>) -> Self {
        self.label = label.into();
        self
    }

    pub fn related(mut self, span: Span, message: impl Into<String>) -> Self {
        self.related.push(Label {
            span,
            message: message.into(),
        });
        self
    }

    pub fn help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    pub fn severity(mut self, severity: Severity) -> Self {
        self.severity = severity;
        self
    }

    pub fn place(mut self, place: impl Into<String>) -> Self {
        self.place = Some(place.into());
        self
    }

    pub fn incident(mut self, incident: &'static str) -> Self {
        self.incident = Some(incident);
        self
    }
}

/// A problem found while reading a file, before any rule runs. The loader turns
/// these into `parse-error` findings.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParseDiag {
    pub span: Span,
    pub message: String,
    /// Other places that explain the problem (the first of two duplicate keys, ...).
    pub related: Vec<(Span, String)>,
}

impl ParseDiag {
    pub fn new(span: Span, message: impl Into<String>) -> Self {
        ParseDiag {
            span,
            message: message.into(),
            related: Vec::new(),
        }
    }

    pub fn with_related(mut self, span: Span, message: impl Into<String>) -> Self {
        self.related.push((span, message.into()));
        self
    }
}

/// A file and a rule: the unit findings are capped by.
pub type CapKey = (crate::source::FileId, &'static str);

/// Where rules put their findings. Past [`Findings::MAX_KEPT`] findings of one
/// rule in one file it keeps only the first one over and a count: a generated
/// file with a million faults would otherwise hold a million findings in memory,
/// though at most `check::MAX_PER_FILE_AND_RULE` of them are ever shown.
#[derive(Default)]
pub struct Findings {
    list: Vec<Finding>,
    kept: foldhash::HashMap<CapKey, usize>,
    overflow: foldhash::HashMap<CapKey, Overflow>,
}

/// The findings of one rule in one file past [`Findings::MAX_KEPT`].
#[derive(Debug)]
pub struct Overflow {
    /// The first of them, standing for all: the configuration and the
    /// suppressions are applied to it.
    pub first: Finding,
    /// How many there were, `first` included.
    pub count: usize,
    /// The most severe of them.
    pub severity: Severity,
}

impl Findings {
    /// Ten times what is shown, so the first ones in file order are among those
    /// kept even when a rule does not report in file order.
    pub const MAX_KEPT: usize = 1_000;

    pub fn new() -> Self {
        Self::default()
    }

    /// Adds `f`; returns where it is kept, if it is.
    pub fn push(&mut self, f: Finding) -> Option<usize> {
        let key = (f.primary.file, f.rule.code);
        let n = self.kept.entry(key).or_insert(0);
        if *n < Self::MAX_KEPT {
            *n += 1;
            self.list.push(f);
            return Some(self.list.len() - 1);
        }
        match self.overflow.get_mut(&key) {
            Some(o) => {
                o.count += 1;
                o.severity = o.severity.max(f.severity);
            }
            None => {
                let severity = f.severity;
                self.overflow.insert(
                    key,
                    Overflow {
                        first: f,
                        count: 1,
                        severity,
                    },
                );
            }
        }
        None
    }

    /// A kept finding, to add evidence to it.
    pub fn get_mut(&mut self, i: usize) -> Option<&mut Finding> {
        self.list.get_mut(i)
    }

    /// Whether a finding of `rule` at `file` would no longer be kept: a rule may
    /// skip costly evidence (a suggestion) for it.
    pub fn full(&self, file: crate::source::FileId, rule: &RuleMeta) -> bool {
        self.kept
            .get(&(file, rule.code))
            .is_some_and(|&n| n >= Self::MAX_KEPT)
    }

    pub fn extend(&mut self, it: impl IntoIterator<Item = Finding>) {
        for f in it {
            let _ = self.push(f);
        }
    }

    /// Adds what `other` kept and counted, as if its findings had been pushed here
    /// one by one after this sink's: its kept ones go through [`Findings::push`],
    /// then its count past the bound joins this one's. (`other` has an overflow
    /// only past its own bound, by which point this sink is full too, so its first
    /// one over stands for the rest only when this sink had none.)
    pub fn append(&mut self, other: Findings) {
        let (list, overflow) = other.into_parts();
        self.extend(list);
        for (key, o) in overflow {
            match self.overflow.get_mut(&key) {
                Some(mine) => {
                    mine.count += o.count;
                    mine.severity = mine.severity.max(o.severity);
                }
                None => {
                    self.overflow.insert(key, o);
                }
            }
        }
    }

    /// The findings kept, and what went past the bound.
    pub fn into_parts(self) -> (Vec<Finding>, foldhash::HashMap<CapKey, Overflow>) {
        (self.list, self.overflow)
    }
}

/// Read access only: a `&mut Vec<Finding>` would let `push` bypass the bound.
impl std::ops::Deref for Findings {
    type Target = Vec<Finding>;
    fn deref(&self) -> &Vec<Finding> {
        &self.list
    }
}
