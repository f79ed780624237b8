//! The rule registry. One rule per file; each file holds its metadata and logic,
//! and `rules/<name>.md` at the repository root holds its documentation.

pub use crate::finding::{Category, RuleMeta};
/// SL002 and SL003 are reported by the suppression pass, which names them here.
pub use invalid_suppression::META as INVALID_SUPPRESSION;
pub use unused_suppression::META as UNUSED_SUPPRESSION;

pub mod compose;
pub mod env;
pub mod graph;
pub mod invalid_suppression;
pub mod nginx;
pub mod parse_error;
pub mod unused_suppression;

use crate::analysis::graph::StackGraph;
use crate::analysis::nginx::Group;
use crate::analysis::Analysis;
use crate::config::RuleOptions;
use crate::finding::Finding;
use crate::stack::Project;

/// What a rule reads: the project, and the options the configuration gives it.
pub struct Context<'a> {
    pub project: &'a Project,
    pub options: &'a RuleOptions,
    /// The project's dependency graph ([`Analysis::graph`]).
    pub graph: &'a StackGraph,
    /// The NGINX configs of each proxy ([`Analysis::nginx`]).
    pub nginx: &'a [Group<'a>],
}

/// A check over one project. Each rule lives in a file of its own, next to its tests.
pub trait Rule: Sync {
    fn meta(&self) -> &'static RuleMeta;
    fn check(&self, cx: &Context<'_>, out: &mut Vec<Finding>);
}

/// Every rule, in code order.
pub static RULES: &[&dyn Rule] = &[
    &parse_error::ParseError,
    // SL002, SL003: their findings come from the suppression post-pass.
    &invalid_suppression::InvalidSuppression,
    &unused_suppression::UnusedSuppression,
    &compose::invalid_compose::InvalidCompose,
    &compose::healthcheck_port_mismatch::HealthcheckPortMismatch,
    &compose::internal_port_published::InternalPortPublished,
    &compose::missing_resource_limits::MissingResourceLimits,
    &graph::depends_on_cycle::DependsOnCycle,
    &graph::unknown_service_reference::UnknownServiceReference,
    &graph::depends_on_unhealthy::DependsOnUnhealthy,
    &graph::undeclared_resource::UndeclaredResource,
    &nginx::static_upstream_without_resolver::StaticUpstreamWithoutResolver,
    &nginx::resolver_not_used::ResolverNotUsed,
    &nginx::nginx_config_not_loaded::NginxConfigNotLoaded,
    &nginx::proxy_target_unknown::ProxyTargetUnknown,
    &nginx::proxy_port_mismatch::ProxyPortMismatch,
    &graph::proxy_target_unreachable::ProxyTargetUnreachable,
    &graph::proxy_starts_before_target::ProxyStartsBeforeTarget,
    &env::undefined_variable::UndefinedVariable,
    &env::env_example_drift::EnvExampleDrift,
    &env::placeholder_secret::PlaceholderSecret,
];

pub fn all() -> impl Iterator<Item = &'static RuleMeta> {
    RULES.iter().map(|r| r.meta())
}

/// A rule by its name (`missing-resource-limits`) or code (`SL103`), any case.
pub fn lookup(name_or_code: &str) -> Option<&'static RuleMeta> {
    all().find(|m| {
        m.name.eq_ignore_ascii_case(name_or_code) || m.code.eq_ignore_ascii_case(name_or_code)
    })
}

/// Runs every rule for which `enabled` says yes, with default options.
pub fn run(project: &Project, enabled: &dyn Fn(&RuleMeta) -> bool) -> Vec<Finding> {
    run_with(project, &RuleOptions::default(), enabled)
}

/// Runs every rule for which `enabled` says yes, with `options`.
pub fn run_with(
    project: &Project,
    options: &RuleOptions,
    enabled: &dyn Fn(&RuleMeta) -> bool,
) -> Vec<Finding> {
    run_with_then(project, options, enabled, &mut |_| true)
}

/// As [`run_with`], with `keep` applied to each finding (it may re-grade it, or
/// drop it by returning false) before findings of one incident are merged: a
/// finding the configuration drops leaves the other rules' findings standing.
pub fn run_with_then(
    project: &Project,
    options: &RuleOptions,
    enabled: &dyn Fn(&RuleMeta) -> bool,
    keep: &mut dyn FnMut(&mut Finding) -> bool,
) -> Vec<Finding> {
    let analysis = Analysis::of(project);
    let mut out = run_unmerged(project, &analysis, options, enabled);
    out.retain_mut(|f| keep(f));
    merge_incidents(&mut out);
    out
}

/// Runs the rules on an analysis the caller already made (`stacklint graph` draws its graph too).
pub fn run_on_analysis<'a>(
    project: &'a Project,
    analysis: &'a Analysis<'a>,
    options: &'a RuleOptions,
    enabled: &dyn Fn(&RuleMeta) -> bool,
) -> Vec<Finding> {
    let mut out = run_unmerged(project, analysis, options, enabled);
    merge_incidents(&mut out);
    out
}

/// The rules' findings after the suppressions, before findings of one incident
/// are merged.
fn run_unmerged<'a>(
    project: &'a Project,
    analysis: &'a Analysis<'a>,
    options: &'a RuleOptions,
    enabled: &dyn Fn(&RuleMeta) -> bool,
) -> Vec<Finding> {
    let cx = Context {
        project,
        options,
        graph: &analysis.graph,
        nginx: &analysis.nginx,
    };
    let mut out = Vec::new();
    for rule in RULES {
        if enabled(rule.meta()) {
            rule.check(&cx, &mut out);
        }
    }
    // Inline suppressions depend on every rule's findings: a post-pass.
    crate::suppress::apply(project, &mut out, enabled);
    out
}

/// Findings of several rules that describe one incident at one place (the same
/// primary span and `incident`) are reported once: the unsuppressed, most
/// severe one, first in code order, keeps; each other one becomes a note on it
/// (its evidence, labelled with its rule). Runs after the suppressions, so a
/// comment that suppresses one of them is still used.
pub fn merge_incidents(out: &mut Vec<Finding>) {
    use std::collections::HashMap;
    let order = |f: &Finding| {
        RULES
            .iter()
            .position(|r| r.meta().code == f.rule.code)
            .unwrap_or(usize::MAX)
    };
    let mut groups: HashMap<(crate::source::Span, &'static str), Vec<usize>> = HashMap::new();
    for (i, f) in out.iter().enumerate() {
        if let Some(incident) = f.incident {
            groups.entry((f.primary, incident)).or_default().push(i);
        }
    }
    let mut drop = vec![false; out.len()];
    let mut groups: Vec<Vec<usize>> = groups.into_values().filter(|g| g.len() > 1).collect();
    groups.sort();
    for g in groups {
        let Some(&keep) = g.iter().min_by_key(|&&i| {
            let f = &out[i];
            (
                f.suppressed.is_some(),
                std::cmp::Reverse(f.severity),
                order(f),
            )
        }) else {
            continue;
        };
        for &i in &g {
            if i == keep {
                continue;
            }
            drop[i] = true;
            let other = out[i].clone();
            let tag = format!("{} {}", other.rule.code, other.rule.name);
            let kept = &mut out[keep];
            for (n, l) in other.related.iter().enumerate() {
                match kept.related.iter_mut().find(|k| k.span == l.span) {
                    Some(k) if n == 0 => k.message.push_str(&format!(" ({tag})")),
                    Some(_) => {}
                    None if n == 0 => {
                        kept.related.push(crate::finding::Label {
                            span: l.span,
                            message: format!("{tag}: {}", l.message),
                        });
                    }
                    None => kept.related.push(l.clone()),
                }
            }
        }
    }
    let mut i = 0;
    out.retain(|_| {
        i += 1;
        !drop[i - 1]
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn names_and_codes_are_unique_and_well_formed() {
        let mut names = HashSet::new();
        let mut codes = HashSet::new();
        for m in all() {
            assert!(names.insert(m.name), "duplicate name {}", m.name);
            assert!(codes.insert(m.code), "duplicate code {}", m.code);
            assert!(
                m.name.chars().all(|c| c.is_ascii_lowercase() || c == '-'),
                "{} is not kebab-case",
                m.name
            );
            assert!(
                m.code.len() == 5
                    && m.code.starts_with("SL")
                    && m.code[2..].chars().all(|c| c.is_ascii_digit()),
                "{} is not SLnnn",
                m.code
            );
        }
    }

    #[test]
    fn every_rule_has_a_page_and_every_page_a_rule() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("rules");
        for m in all() {
            let page = dir.join(format!("{}.md", m.name));
            let text = std::fs::read_to_string(&page)
                .unwrap_or_else(|_| panic!("rules/{}.md is missing", m.name));
            for section in [
                "## What it does",
                "## Why is this bad?",
                "## Example",
                "## Use instead",
            ] {
                assert!(
                    text.contains(section),
                    "rules/{}.md lacks `{section}`",
                    m.name
                );
            }
            assert!(
                text.contains(m.code),
                "rules/{}.md does not name its code",
                m.name
            );
        }
        for entry in std::fs::read_dir(&dir).unwrap() {
            let name = entry.unwrap().file_name().to_string_lossy().into_owned();
            if let Some(stem) = name.strip_suffix(".md") {
                assert!(
                    lookup(stem).is_some(),
                    "rules/{name} documents no registered rule"
                );
            }
        }
    }
}
