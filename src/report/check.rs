//! One lint pass over a project: every enabled rule over the model and its
//! analysis, then the suppression comments, then findings of one incident merged.
//! It sits above the rules (it names the registry) and below the CLI.

use crate::analysis::Analysis;
use crate::compose::stack::Project;
use crate::finding::Finding;
use crate::rules::RuleOptions;
use crate::rules::{Context, RuleMeta, RULES};

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
        analysis,
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
    crate::report::suppress::apply(project, &mut out, enabled);
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
