//! One lint pass over a project: every enabled rule over the model and its
//! analysis, then the suppression comments, then findings of one incident merged.
//! It sits above the rules (it names the registry) and below the CLI.

use crate::analysis::Analysis;
use crate::compose::stack::Project;
use foldhash::{HashMap, HashMapExt};
use rayon::prelude::*;

use crate::finding::{CapKey, Finding, Findings, Overflow, Suppression};
use crate::rules::RuleOptions;
use crate::rules::{Context, RuleMeta, RULES};
use crate::severity::Severity;

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
    run_analysed_then(project, &analysis, options, enabled, keep)
}

/// [`run_with_then`] on an analysis the caller made, and may keep after the run
/// (a process about to exit leaves it to the operating system).
pub fn run_analysed_then<'a>(
    project: &'a Project,
    analysis: &'a Analysis<'a>,
    options: &'a RuleOptions,
    enabled: &dyn Fn(&RuleMeta) -> bool,
    keep: &mut dyn FnMut(&mut Finding) -> bool,
) -> Vec<Finding> {
    let (mut out, mut overflow) = run_unmerged(project, analysis, options, enabled);
    out.retain_mut(|f| keep(f));
    // The configuration sees the first finding over the bound, and re-grades the
    // worst severity among the others as it would re-grade such a finding.
    overflow.retain(|_, o| {
        let mut worst = o.first.clone();
        worst.severity = o.severity;
        if !keep(&mut o.first) {
            return false;
        }
        o.severity = match keep(&mut worst) {
            true => worst.severity.max(o.first.severity),
            false => o.first.severity,
        };
        true
    });
    merge_incidents(&mut out);
    cap_per_file_and_rule_with(&mut out, overflow);
    out
}

/// Runs the rules on an analysis the caller already made (`stacklint graph` draws its graph too).
pub fn run_on_analysis<'a>(
    project: &'a Project,
    analysis: &'a Analysis<'a>,
    options: &'a RuleOptions,
    enabled: &dyn Fn(&RuleMeta) -> bool,
) -> Vec<Finding> {
    let (mut out, overflow) = run_unmerged(project, analysis, options, enabled);
    merge_incidents(&mut out);
    cap_per_file_and_rule_with(&mut out, overflow);
    out
}

/// The rules' findings after the suppressions, before findings of one incident
/// are merged; and those past [`Findings::MAX_KEPT`], counted.
fn run_unmerged<'a>(
    project: &'a Project,
    analysis: &'a Analysis<'a>,
    options: &'a RuleOptions,
    enabled: &dyn Fn(&RuleMeta) -> bool,
) -> (Vec<Finding>, HashMap<CapKey, Overflow>) {
    let cx = Context {
        project,
        options,
        analysis,
        graph: &analysis.graph,
        nginx: &analysis.nginx,
    };
    let rules: Vec<&dyn crate::rules::Rule> = RULES
        .iter()
        .copied()
        .filter(|r| enabled(r.meta()))
        .collect();
    let parallel = project.model.services.len() >= crate::PARALLEL_SERVICES;
    let (mut out, mut overflow) = run_rules(&rules, &cx, parallel);
    // Inline suppressions depend on every rule's findings: a post-pass. The first
    // finding over the bound stands for the others: suppressed with them, and a
    // suppression of that rule in that file is never called unused, since the
    // finding it covers may be among those not kept.
    let kept = out.len();
    let mut keys: Vec<CapKey> = overflow.keys().copied().collect();
    keys.sort();
    out.extend(
        keys.iter()
            .filter_map(|k| overflow.get(k).map(|o| o.first.clone())),
    );
    crate::report::suppress::apply(project, &mut out, enabled, &|k| overflow.contains_key(&k));
    for (k, f) in keys
        .iter()
        .zip(out.drain(kept..kept + keys.len()).collect::<Vec<_>>())
    {
        if let Some(o) = overflow.get_mut(k) {
            o.first = f;
        }
    }
    (out, overflow)
}

/// The findings of `rules`, in their order, and those past the bound. In
/// parallel, each rule fills a sink of its own and the sinks are appended in
/// order ([`Findings::append`]): the same findings in the same order as one sink
/// filled rule after rule.
fn run_rules(
    rules: &[&dyn crate::rules::Rule],
    cx: &Context<'_>,
    parallel: bool,
) -> (Vec<Finding>, HashMap<CapKey, Overflow>) {
    if !parallel {
        let mut sink = Findings::new();
        for rule in rules {
            rule.check(cx, &mut sink);
        }
        return sink.into_parts();
    }
    // One rule per job: a rule that waits in a chunk behind a slow one can still
    // be taken by an idle thread (without this, the last few rules of a large
    // stack ran one after another on one thread while the other had finished).
    let parts: Vec<Findings> = rules
        .par_iter()
        .with_max_len(1)
        .map(|rule| {
            let mut sink = Findings::new();
            rule.check(cx, &mut sink);
            sink
        })
        .collect();
    let mut sink = Findings::new();
    for part in parts {
        sink.append(part);
    }
    sink.into_parts()
}

/// Findings of several rules that describe one incident at one place (the same
/// primary span and `incident`) are reported once: the unsuppressed, most
/// severe one, first in code order, keeps; each other one becomes a note on it
/// (its evidence, labelled with its rule). Runs after the suppressions, so a
/// comment that suppresses one of them is still used.
pub fn merge_incidents(out: &mut Vec<Finding>) {
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

/// The most findings of one rule reported in one file. A hostile or generated file
/// (20,000 duplicate keys, a megabyte of `}`) would otherwise flood every output and
/// the memory behind it; past this many, nobody reads them one by one.
pub const MAX_PER_FILE_AND_RULE: usize = 100;

/// Keeps the first [`MAX_PER_FILE_AND_RULE`] findings (in file order) of each rule in
/// each file and replaces the rest by one finding of that rule that counts them, at
/// the first one left out, as severe as the worst of them.
pub fn cap_per_file_and_rule(out: &mut Vec<Finding>) {
    cap_per_file_and_rule_with(out, HashMap::new());
}

/// [`cap_per_file_and_rule`], with the findings a rule made past
/// [`Findings::MAX_KEPT`] (never kept) counted in the summaries.
fn cap_per_file_and_rule_with(out: &mut Vec<Finding>, overflow: HashMap<CapKey, Overflow>) {
    let mut count: HashMap<CapKey, usize> = HashMap::new();
    for f in out.iter() {
        *count.entry((f.primary.file, f.rule.code)).or_insert(0) += 1;
    }
    if overflow.is_empty() && count.values().all(|&n| n <= MAX_PER_FILE_AND_RULE) {
        return;
    }
    // File order decides which are kept, so the same ones are shown on every run.
    out.sort_by(|a, b| {
        (
            a.primary.file,
            a.primary.start(),
            a.primary.end(),
            a.rule.code,
        )
            .cmp(&(
                b.primary.file,
                b.primary.start(),
                b.primary.end(),
                b.rule.code,
            ))
    });
    let left_out = |key: &CapKey| {
        count
            .get(key)
            .copied()
            .unwrap_or(0)
            .saturating_sub(MAX_PER_FILE_AND_RULE)
            + overflow.get(key).map_or(0, |o| o.count)
    };
    let summary = |f: &Finding, left_out: usize| {
        let mut s = Finding::new(
            f.rule,
            f.primary,
            format!(
                "{left_out} more {} ({}) findings in this file are not shown: \
                 stacklint reports at most {MAX_PER_FILE_AND_RULE} findings of one rule per file",
                f.rule.code, f.rule.name
            ),
        )
        .label("the first finding not shown")
        .severity(f.severity)
        .place(format!("{}-findings-not-shown", f.rule.code))
        .help("fix the findings shown and run stacklint again");
        s.suppressed = f.suppressed.clone();
        s
    };
    // The summary counts towards the exit code unless every finding it stands
    // for is suppressed, and is as severe as the worst of them.
    let fold = |s: &mut Finding, suppressed: &Option<Suppression>, severity: Severity| {
        if suppressed.is_none() {
            if s.suppressed.is_some() {
                s.suppressed = None;
                s.severity = severity;
            } else {
                s.severity = s.severity.max(severity);
            }
        } else if s.suppressed.is_some() {
            s.severity = s.severity.max(severity);
        }
    };
    let mut seen: HashMap<CapKey, usize> = HashMap::new();
    // Per capped (file, rule): the summary finding, built from the first left out.
    let mut summaries: HashMap<CapKey, Finding> = HashMap::new();
    let mut order: Vec<CapKey> = Vec::new();
    out.retain(|f| {
        let key = (f.primary.file, f.rule.code);
        let n = seen.entry(key).or_insert(0);
        *n += 1;
        if *n <= MAX_PER_FILE_AND_RULE {
            return true;
        }
        match summaries.get_mut(&key) {
            None => {
                order.push(key);
                summaries.insert(key, summary(f, left_out(&key)));
            }
            Some(s) => fold(s, &f.suppressed, f.severity),
        }
        false
    });
    // Those never kept come after every kept one in file order (a rule reports
    // mostly in file order); the first of them stands for their suppression.
    let mut over: Vec<(&CapKey, &Overflow)> = overflow.iter().collect();
    over.sort_by_key(|(k, _)| **k);
    for (key, o) in over {
        match summaries.get_mut(key) {
            Some(s) => fold(s, &o.first.suppressed, o.severity),
            None => {
                order.push(*key);
                let mut s = summary(&o.first, left_out(key));
                fold(&mut s, &o.first.suppressed, o.severity);
                summaries.insert(*key, s);
            }
        }
    }
    out.extend(order.into_iter().filter_map(|k| summaries.remove(&k)));
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::finding::Suppression;
    use crate::severity::Severity;
    use crate::source::{FileId, Span};

    fn at(file: u32, start: usize, severity: Severity, suppressed: bool) -> Finding {
        let rule = RULES[0].meta();
        let mut f =
            Finding::new(rule, Span::new(FileId(file), start, start + 1), "m").severity(severity);
        if suppressed {
            f.suppressed = Some(Suppression {
                span: Span::new(FileId(file), 0, 0),
                justification: String::new(),
            });
        }
        f
    }

    #[test]
    fn rules_in_parallel_find_what_they_find_one_after_another() {
        // Past the bound of kept findings per file and rule, with findings of
        // many rules on the same services.
        let n = Findings::MAX_KEPT + 100;
        let mut text = String::from("services:\n");
        for i in 0..n {
            text.push_str(&format!(
                "  s{i}:\n    image: redis\n    privileged: {}\n    ports: [\"{}:6379\"]\n    \
                 environment:\n      DB_PASSWORD: hunter{i}\n    healthcheck:\n      \
                 test: [\"CMD\", \"curl\", \"-f\", \"http://localhost:81{}/\"]\n",
                i % 7 == 0,
                10000 + i,
                i % 10,
            ));
        }
        let project = crate::compose::stack::project_of_text(&text);
        assert_eq!(project.model.services.len(), n);
        let analysis = Analysis::of(&project);
        let options = RuleOptions::default();
        let cx = Context {
            project: &project,
            options: &options,
            analysis: &analysis,
            graph: &analysis.graph,
            nginx: &analysis.nginx,
        };
        let rules: Vec<&dyn crate::rules::Rule> = RULES.to_vec();
        let sorted = |o: &HashMap<CapKey, Overflow>| {
            let mut v: Vec<String> = o.iter().map(|(k, o)| format!("{k:?} {o:?}")).collect();
            v.sort();
            v
        };
        let (seq, seq_over) = run_rules(&rules, &cx, false);
        let (par, par_over) = run_rules(&rules, &cx, true);
        let rules_found: std::collections::HashSet<&str> =
            seq.iter().map(|f| f.rule.code).collect();
        assert!(
            rules_found.len() >= 5,
            "too few rules to compare: {rules_found:?}"
        );
        assert!(!seq_over.is_empty(), "the bound was not reached");
        assert_eq!(format!("{seq:?}"), format!("{par:?}"));
        assert_eq!(sorted(&seq_over), sorted(&par_over));
    }

    #[test]
    fn a_file_under_the_cap_is_left_as_it_is() {
        let mut out: Vec<Finding> = (0..MAX_PER_FILE_AND_RULE)
            .rev()
            .map(|i| at(0, i, Severity::Info, false))
            .collect();
        cap_per_file_and_rule(&mut out);
        assert_eq!(out.len(), MAX_PER_FILE_AND_RULE);
        // Not even re-ordered.
        assert_eq!(out[0].primary.start(), MAX_PER_FILE_AND_RULE - 1);
    }

    #[test]
    fn the_rest_becomes_one_finding_as_severe_as_the_worst_left_out() {
        let n = MAX_PER_FILE_AND_RULE;
        // Another file's findings are counted apart: 5 there, none capped.
        let mut out: Vec<Finding> = (0..5).map(|i| at(1, i, Severity::Error, false)).collect();
        // In file 0, in reverse order: the first `n` by position are kept.
        for i in (0..n + 3).rev() {
            let severity = if i == n + 2 {
                Severity::Error
            } else {
                Severity::Info
            };
            out.push(at(0, i * 10, severity, false));
        }
        cap_per_file_and_rule(&mut out);
        assert_eq!(out.len(), n + 1 + 5);
        let summary = out.last().expect("summary");
        assert!(
            summary.message.starts_with("3 more "),
            "{}",
            summary.message
        );
        assert_eq!(summary.primary.start(), n * 10, "at the first left out");
        assert_eq!(summary.severity, Severity::Error);
        assert!(summary.suppressed.is_none());
        let kept_max = out
            .iter()
            .filter(|f| f.primary.file == FileId(0) && !std::ptr::eq(*f, summary))
            .map(|f| f.primary.start())
            .max();
        assert_eq!(kept_max, Some((n - 1) * 10));
    }

    #[test]
    fn the_rest_counts_as_suppressed_only_when_all_of_it_is() {
        let n = MAX_PER_FILE_AND_RULE;
        let mut all: Vec<Finding> = (0..n + 2)
            .map(|i| at(0, i, Severity::Warning, i >= n))
            .collect();
        cap_per_file_and_rule(&mut all);
        assert!(all.last().is_some_and(|s| s.suppressed.is_some()));

        let mut mixed: Vec<Finding> = (0..n + 2)
            .map(|i| at(0, i, Severity::Warning, i == n))
            .collect();
        cap_per_file_and_rule(&mut mixed);
        let s = mixed.last().expect("summary");
        assert!(s.suppressed.is_none());
        assert_eq!(s.severity, Severity::Warning);
    }

    /// Sinks filled one per service and appended in order keep and count what one
    /// sink filled service after service keeps and counts.
    #[test]
    fn appended_sinks_keep_what_one_sink_keeps() {
        // Per service: how many findings, in which file (two files, one bound each).
        let services = [
            (3, 0),
            (990, 0),
            (20, 0),
            (1500, 0),
            (5, 1),
            (1200, 1),
            (7, 0),
        ];
        let finding = |s: usize, i: usize, file: u32| {
            let severity = if (s, i) == (3, 1400) {
                Severity::Error
            } else {
                Severity::Info
            };
            at(file, s * 10_000 + i, severity, false)
        };
        let mut one = Findings::new();
        let mut appended = Findings::new();
        for (s, &(n, file)) in services.iter().enumerate() {
            let mut own = Findings::new();
            for i in 0..n {
                one.push(finding(s, i, file));
                own.push(finding(s, i, file));
            }
            appended.append(own);
        }
        let (one, one_over) = one.into_parts();
        let (app, app_over) = appended.into_parts();
        let starts = |v: &[Finding]| v.iter().map(|f| f.primary).collect::<Vec<_>>();
        assert_eq!(starts(&one), starts(&app));
        assert_eq!(one_over.len(), 2);
        for (key, o) in &one_over {
            let a = app_over.get(key).expect("the same overflow");
            assert_eq!(
                (o.first.primary, o.count, o.severity),
                (a.first.primary, a.count, a.severity)
            );
        }
        assert_eq!(app_over.len(), 2);
    }

    #[test]
    fn findings_past_the_bound_are_counted_in_the_summary_not_kept() {
        let extra = 500;
        let mut sink = Findings::new();
        for i in 0..Findings::MAX_KEPT + extra {
            let severity = if i == Findings::MAX_KEPT + 7 {
                Severity::Error
            } else {
                Severity::Info
            };
            assert_eq!(
                sink.full(FileId(0), RULES[0].meta()),
                i >= Findings::MAX_KEPT
            );
            sink.push(at(0, i, severity, false));
        }
        // Another file has a bound of its own.
        sink.push(at(1, 0, Severity::Info, false));
        assert!(!sink.full(FileId(1), RULES[0].meta()));
        let (mut out, overflow) = sink.into_parts();
        assert_eq!(out.len(), Findings::MAX_KEPT + 1);
        let o = overflow
            .get(&(FileId(0), RULES[0].meta().code))
            .expect("overflow");
        assert_eq!((o.count, o.severity), (extra, Severity::Error));
        assert_eq!(o.first.primary.start(), Findings::MAX_KEPT);

        cap_per_file_and_rule_with(&mut out, overflow);
        assert_eq!(out.len(), MAX_PER_FILE_AND_RULE + 1 + 1);
        let summary = out.last().expect("summary");
        let left_out = Findings::MAX_KEPT + extra - MAX_PER_FILE_AND_RULE;
        assert!(
            summary.message.starts_with(&format!("{left_out} more ")),
            "{}",
            summary.message
        );
        assert_eq!(summary.primary.start(), MAX_PER_FILE_AND_RULE);
        assert_eq!(summary.severity, Severity::Error);
    }
}
