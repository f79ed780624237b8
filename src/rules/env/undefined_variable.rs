//! SL301 `undefined-variable`: a variable without a default has no value.
//!
//! One finding per variable: the fix is one line in `.env` whatever the number of
//! uses, so every other use is a related span of the same finding.

use foldhash::{HashMap, HashMapExt, HashSet, HashSetExt};

use crate::analysis::uses::Step;
use crate::compose::stack::{EnvRole, Project};
use crate::finding::{Finding, Findings};
use crate::parse::interpolate::{Op, VarUse};
use crate::rules::env::{entry, file_name, file_start, project_envs, templates};
use crate::rules::{Category, Context, Rule, RuleMeta};
use crate::severity::Severity;
use crate::source::Span;

pub struct UndefinedVariable;

pub static META: RuleMeta = RuleMeta {
    code: "SL301",
    name: "undefined-variable",
    severity: Severity::Warning,
    category: Category::Correctness,
    summary: "A variable without a default has no value",
    fix: crate::finding::FixAvailability::None,
};

/// Set for every run of compose: compose itself defines the project name, and
/// every shell that starts compose exports these (`UID` and `GID` are not
/// exported by bash, so they are not here).
const ALWAYS_SET: [&str; 7] = [
    "COMPOSE_PROJECT_NAME",
    "HOME",
    "PWD",
    "USER",
    "PATH",
    "SHELL",
    "LOGNAME",
];

/// One use that has no value, and where in the merged tree it sits (none for a
/// value that an override replaced).
struct Missing<'a> {
    use_: &'a VarUse,
    span: Span,
    path: Option<&'a [Step<'a>]>,
}

impl Missing<'_> {
    fn required(&self) -> bool {
        matches!(self.use_.op, Op::Required { .. })
    }
}

impl Rule for UndefinedVariable {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &Context<'_>, out: &mut Findings) {
        let p = cx.project;
        if p.tree.is_none() {
            return;
        }
        let envs = project_envs(p);
        let templates = templates(p);
        if !knows_the_variables(p, envs.is_empty() && templates.is_empty()) {
            return;
        }

        // Uses of the merged tree, then uses only in values an override replaced:
        // compose interpolated those too, but only a required one stops it.
        let live = cx.analysis.tree_uses();
        let live_spans: HashSet<Span> = live.iter().filter_map(|u| u.use_.span).collect();
        // Each use once (by span), its first reading; the uses with a value are
        // set aside as they come (most of a large stack's), not gathered first.
        let mut missing: Vec<Missing> = Vec::new();
        let mut failing: Vec<Span> = Vec::new();
        let mut seen = HashSet::new();
        fn note<'a>(m: Missing<'a>, missing: &mut Vec<Missing<'a>>, failing: &mut Vec<Span>) {
            if m.required() && !m.use_.defined {
                failing.push(m.span);
            }
            if has_no_value(m.use_) && !ALWAYS_SET.contains(&m.use_.name.as_str()) {
                missing.push(m);
            }
        }
        for u in live {
            if let Some(span) = u.use_.span {
                if seen.insert(span) {
                    let m = Missing {
                        use_: u.use_,
                        span,
                        path: Some(&u.path),
                    };
                    note(m, &mut missing, &mut failing);
                }
            }
        }
        for u in p.each_var_use() {
            if let Some(span) = u.span {
                if !live_spans.contains(&span)
                    && matches!(u.op, Op::Required { .. })
                    && seen.insert(span)
                {
                    let m = Missing {
                        use_: u,
                        span,
                        path: None,
                    };
                    note(m, &mut missing, &mut failing);
                }
            }
        }
        // A variable read inside the message of a failing `${X:?...}` only
        // shapes compose's error text: X is the finding.
        let inside_failing = Enclosing::new(failing.into_iter());
        missing.retain(|m| !inside_failing.encloses(&m.span));
        // Without a .env, the template is the contract: what it declares will be set.
        if envs.is_empty() {
            missing.retain(|m| !templates.iter().any(|t| entry(t, &m.use_.name).is_some()));
        }
        missing.sort_by_key(|m| (m.span.file, m.span.start()));

        let mut order: Vec<&str> = Vec::new();
        let mut by_name: HashMap<&str, Vec<&Missing>> = HashMap::new();
        for m in &missing {
            let name = m.use_.name.as_str();
            let list = by_name.entry(name).or_default();
            if list.is_empty() {
                order.push(name);
            }
            list.push(m);
        }

        for name in order {
            let uses = &by_name[name];
            let Some(primary) = uses.iter().find(|m| m.required()).or(uses.first()) else {
                continue;
            };
            out.push(finding(p, name, primary, uses, &envs, &templates));
        }
    }
}

/// Whether this project is where compose reads the variables of its files.
/// Not for a fragment that another stack includes (the including project is
/// checked with the right variables), nor for a lone non-default compose file
/// (`overrides/compose.https.yaml`) without any env file beside it (it is
/// combined with a base elsewhere, with that directory's .env), nor when the
/// compose file sits in another directory (through `COMPOSE_FILE`) that has a
/// `.env` of its own, which docker compose reads too.
fn knows_the_variables(p: &Project, no_env_at_all: bool) -> bool {
    // An env file outside the project was not read: a value may be there.
    if p.included_by.is_some() || p.vars_unknown {
        return false;
    }
    let Some(&base) = p.compose_files.first() else {
        return false;
    };
    let base_path = &p.sources.get(base).path;
    let default_name = base_path.file_name().is_some_and(|n| {
        crate::compose::discover::COMPOSE_NAMES.contains(&n.to_string_lossy().as_ref())
    });
    if no_env_at_all && !default_name {
        return false;
    }
    let abs = |path: &std::path::Path| {
        let joined = match crate::paths::cwd() {
            Some(c) if !path.is_absolute() => c.join(path),
            _ => path.to_path_buf(),
        };
        crate::paths::normalize_path(&joined)
    };
    if let Some(base_dir) = base_path.parent().map(abs) {
        let unread = base_dir.join(".env");
        if base_dir != abs(&p.dir)
            && unread.is_file()
            && !p
                .env_files
                .iter()
                .any(|e| abs(&p.sources.get(e.env.file).path) == unread)
        {
            return false;
        }
    }
    true
}

/// Whether the operator of `u` needs a value it does not have. Defaults and
/// alternatives never do.
fn has_no_value(u: &VarUse) -> bool {
    match u.op {
        Op::Plain | Op::Required { .. } => !u.defined,
        Op::Default { .. } | Op::Alternative { .. } => false,
    }
}

/// A set of spans that nest or are disjoint (the `${...}` of one value), to
/// ask in log time whether one of them strictly encloses a given span.
struct Enclosing {
    /// Sorted by (file, start), with the largest end so far within each file.
    spans: Vec<(Span, usize)>,
}

impl Enclosing {
    fn new(spans: impl Iterator<Item = Span>) -> Self {
        let mut sorted: Vec<Span> = spans.collect();
        sorted.sort_by_key(|s| (s.file, s.start()));
        let mut out: Vec<(Span, usize)> = Vec::with_capacity(sorted.len());
        for s in sorted {
            let max_end = match out.last() {
                Some((prev, end)) if prev.file == s.file => (*end).max(s.end()),
                _ => s.end(),
            };
            out.push((s, max_end));
        }
        Enclosing { spans: out }
    }

    /// Whether a span that starts before `inner` (in its file) reaches past its end.
    fn encloses(&self, inner: &Span) -> bool {
        let idx = self
            .spans
            .partition_point(|(s, _)| (s.file, s.start()) < (inner.file, inner.start()));
        idx > 0
            && self
                .spans
                .get(idx - 1)
                .is_some_and(|(s, end)| s.file == inner.file && *end >= inner.end())
    }
}

fn finding(
    p: &Project,
    name: &str,
    primary: &Missing,
    uses: &[&Missing],
    envs: &[&crate::compose::stack::EnvFileInfo],
    templates: &[&crate::compose::stack::EnvFileInfo],
) -> Finding {
    let required = primary.required();
    // Lookups use the name; messages quote it.
    let shown = crate::names::shown(name);
    let env_names: Vec<String> = envs.iter().map(|e| file_name(p, e.env.file)).collect();
    let env_list = env_names.join(", ");
    let in_env = envs
        .iter()
        .rev()
        .find_map(|e| entry(e, name).map(|en| (e, en)));
    let declared = templates
        .iter()
        .find_map(|t| entry(t, name).map(|en| (t, en)));

    // Where the variable was looked for, and what was found there.
    let env_too = p.vars.use_process_env;
    let where_ = if !envs.is_empty() {
        match in_env {
            Some((_, en)) if en.is_inherited() => format!(
                "is listed bare in {env_list}, so compose takes it from its own environment, which does not set it"
            ),
            Some(_) => format!("is empty in {env_list}"),
            None if env_too => format!("is not set in {env_list} nor in the environment"),
            None => format!("is not set in {env_list}"),
        }
    } else {
        let env_note = if env_too {
            " and the environment does not set it"
        } else {
            ""
        };
        match templates.first() {
            Some(t) => format!(
                "is not set: the project has no .env{env_note}, and {} does not declare it",
                file_name(p, t.env.file)
            ),
            None => format!("is not set: the project has no .env file{env_note}"),
        }
    };
    let consequence = if required {
        // The message of a secret-looking variable may be the secret itself
        // (`${DB_PASSWORD:?hunter2}`, a default written with the wrong operator);
        // words with spaces between them are a message.
        let quotable =
            |m: &String| m.contains(' ') || !crate::analysis::secrets::is_secret_key(name);
        match required_message(p, primary).filter(quotable) {
            Some(msg) => {
                let msg = crate::names::shown(&msg);
                format!(", and its `?` operator makes compose refuse to start (\"{msg}\")")
            }
            None => ", and its `?` operator makes compose refuse to start".to_string(),
        }
    } else {
        "; compose substitutes an empty string".to_string()
    };
    let message = format!("`{shown}` {where_}{consequence}");

    let mut f = Finding::new(&META, primary.span, message)
        .label(match (required, primary.path.is_none()) {
            (true, true) => "required here, without a value; an override replaces this value, but compose interpolates it first",
            (true, false) => "required here, without a value",
            (false, _) => "no value here",
        })
        .place(format!("variables.{shown}"));
    if required {
        f = f.severity(Severity::Error);
    }
    for m in uses {
        if m.span == primary.span {
            continue;
        }
        let what = if m.path.is_none() {
            "also used here (in a value an override replaces; compose still reads it)"
        } else {
            "also used here"
        };
        f = f.related(m.span, what);
    }
    match in_env {
        Some((_, en)) if en.is_inherited() => {
            f = f.related(en.key_span, "listed without a value");
        }
        Some((_, en)) => {
            f = f.related(en.key_span, "set here, but empty");
        }
        None => {
            for e in envs {
                f = f.related(
                    file_start(e.env.file),
                    format!("`{shown}` is not among the keys of this file"),
                );
            }
        }
    }
    match declared {
        Some((t, en)) => {
            f = f.related(
                en.key_span,
                format!("declared in {}", file_name(p, t.env.file)),
            );
        }
        None if envs.is_empty() => {
            if let Some(t) = templates.first() {
                f = f.related(
                    file_start(t.env.file),
                    format!("`{shown}` is not among the keys of this template"),
                );
            }
        }
        None => {}
    }
    // A common mix-up: a service's env_file feeds the container, not `${...}`.
    for e in &p.env_files {
        if let EnvRole::Service(svc) = &e.role {
            if let Some(en) = entry(e, name) {
                f = f.related(
                    en.key_span,
                    format!(
                        "set in {}, the env_file of `{svc}`: compose reads it for the container, not for `${{...}}` in the compose file",
                        file_name(p, e.env.file)
                    ),
                );
            }
        }
    }

    let mut help = if !envs.is_empty() {
        let first = env_names.first().map(String::as_str).unwrap_or(".env");
        match in_env {
            Some(_) => format!("give `{shown}` a value in {first}"),
            None => format!("add `{shown}=` with its value to {first}"),
        }
    } else if let Some(t) = templates.first() {
        format!(
            "declare `{shown}=` in {} (and set it in your .env)",
            file_name(p, t.env.file)
        )
    } else {
        format!("set `{shown}` in a .env file beside the compose file (and declare it in an .env.example for others)")
    };
    if !required {
        help.push_str(&format!(", or give it a default: `${{{shown}:-value}}`"));
    }
    if shell_variable_of_container(p, name, primary) {
        help.push_str(&format!(
            "; if the container's shell should expand it, write `$${shown}` so compose leaves it alone"
        ));
    }
    f.help(help)
}

/// The error text of a failing `${X:?text}`, when it is plain text written in
/// the compose file (text built from other variables might hold a secret).
fn required_message(p: &Project, m: &Missing) -> Option<String> {
    let Op::Required { message, .. } = &m.use_.op else {
        return None;
    };
    let raw = p.sources.get(m.span.file).slice(&m.span);
    let nested = raw.get(1..).is_none_or(|r| r.contains('$'));
    let msg = message.trim();
    (!msg.is_empty() && !nested).then(|| msg.to_string())
}

/// A use in a service's command, entrypoint or healthcheck, of a name that the
/// service's environment sets: surely meant for the container's shell.
fn shell_variable_of_container(p: &Project, name: &str, m: &Missing) -> bool {
    let Some(path) = &m.path else {
        return false;
    };
    let [root, Step::Key(svc), field, ..] = path else {
        return false;
    };
    if !root.is("services")
        || !["command", "entrypoint", "healthcheck"]
            .iter()
            .any(|f| field.is(f))
    {
        return false;
    }
    // Looked up by name: a scan of the services for each such use was quadratic
    // in a stack whose every healthcheck uses the same shell variable.
    p.model.service(svc).is_some_and(|s| {
        p.environment(svc).any(|(k, _)| k.value == name)
            || s.env_files.iter().any(|r| {
                let shown = crate::paths::display(&r.resolved);
                p.sources.find(&shown).is_some_and(|id| {
                    p.env_files
                        .iter()
                        .any(|e| e.env.file == id && entry(e, name).is_some())
                })
            })
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::FileId;

    #[test]
    fn enclosing_spans_nest() {
        let s = |f, a, b| Span::new(FileId(f), a, b);
        // `${A:?x ${B:?y ${C}} }` and a disjoint `${D:?}` later in the same file.
        let e = Enclosing::new([s(1, 0, 30), s(1, 8, 25), s(1, 40, 46)].into_iter());
        assert!(e.encloses(&s(1, 8, 25)), "B inside A");
        assert!(e.encloses(&s(1, 15, 20)), "C inside B and A");
        assert!(e.encloses(&s(1, 26, 29)), "inside A after B closed");
        assert!(!e.encloses(&s(1, 0, 30)), "A itself");
        assert!(!e.encloses(&s(1, 32, 36)), "between A and D");
        assert!(!e.encloses(&s(1, 40, 46)), "D itself");
        assert!(!e.encloses(&s(2, 10, 12)), "another file");
        assert!(!Enclosing::new(std::iter::empty()).encloses(&s(1, 1, 2)));
    }
}
