//! SL303 `placeholder-secret`: a secret-looking key has a placeholder value.
//!
//! Read where a value reaches a container: the project's `.env`, the services'
//! `env_file`s, and literal values and defaults in `environment:`. Templates
//! (`.env.example`) are skipped unless a service uses one as its `env_file`:
//! placeholders are what a template is for. No output holds the value.

use foldhash::{HashMap, HashMapExt, HashSet, HashSetExt};

pub use crate::analysis::secrets::values::{is_placeholder, is_secret_setting, weakness, Weakness};
use crate::compose::stack::{EnvRole, Project};
use crate::finding::{Finding, Findings};
use crate::parse::interpolate::Lookup;
use crate::parse::interpolate::{Op, VarUse};
use crate::parse::yaml::NodeRef;
use crate::rules::env::{entry, env_file_readers, file_name, templates};
use crate::rules::{Category, Context, Rule, RuleMeta};
use crate::severity::Severity;
use crate::source::Span;

pub struct PlaceholderSecret;

pub static META: RuleMeta = RuleMeta {
    code: "SL303",
    name: "placeholder-secret",
    severity: Severity::Warning,
    category: Category::Security,
    summary: "A secret-looking key has a placeholder, well-known or guessable value",
    fix: crate::finding::FixAvailability::None,
};

const HELP: &str =
    "generate a real value, e.g. with `openssl rand -hex 32`, and keep it out of version control";

/// A template's file name (`.env.example`, `app.env.sample`): placeholders are
/// its purpose.
fn template_name(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    crate::compose::discover::ENV_TEMPLATES.contains(&lower.as_str())
        || ["example", "sample", "template", "dist"]
            .iter()
            .any(|w| lower.contains(w))
}

impl Rule for PlaceholderSecret {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &Context<'_>, out: &mut Findings) {
        let p = cx.project;
        let extra = |v: &str| cx.options.is_extra_placeholder(v);
        let mut reported: HashSet<Span> = HashSet::new();
        let uses = cx.analysis.tree_uses();
        let mut uses_by_name: HashMap<&str, Vec<Span>> = HashMap::new();
        for u in uses {
            if let Some(span) = u.use_.span {
                uses_by_name
                    .entry(u.use_.name.as_str())
                    .or_default()
                    .push(span);
            }
        }
        // One finding per variable and default text: the other places that
        // fall back to the same default are its related spans.
        let mut same_default = SameDefault::default();
        // The env files whose own secret-looking keys are checked below.
        let mut checked_files: HashSet<crate::source::FileId> = HashSet::new();

        // The env files whose values reach compose or a container.
        for e in &p.env_files {
            let readers = env_file_readers(p, e);
            let checked = match &e.role {
                EnvRole::Project | EnvRole::Service(_) => true,
                EnvRole::Template | EnvRole::TemplateOf(_) => !readers.is_empty(),
                EnvRole::Standalone => !template_name(&file_name(p, e.env.file)),
            };
            if !checked {
                continue;
            }
            checked_files.insert(e.env.file);
            let fname = file_name(p, e.env.file);
            for en in &e.env.parsed.entries {
                if !is_secret_setting(&en.key)
                    || en.is_inherited()
                    || (en.expand && en.value.contains('$'))
                {
                    continue;
                }
                let Some(weak) = weakness(&[&en.key], &en.value, extra(&en.value)) else {
                    continue;
                };
                if !reported.insert(en.value_span) {
                    continue;
                }
                let key = &en.key;
                let mut f = Finding::new(
                    &META,
                    en.value_span,
                    format!("`{key}` has {} in {fname}", weak.phrase()),
                )
                .label(weak.label())
                .help(HELP)
                .place(format!("env.{key}"));
                for (svc, at) in &readers {
                    f = f.related(*at, format!("the env_file of `{svc}`"));
                }
                if e.role == EnvRole::Project {
                    for span in uses_by_name.get(key.as_str()).into_iter().flatten() {
                        f = f.related(*span, "compose substitutes it here");
                    }
                }
                out.push(f);
            }
        }

        // `environment:` of each service in the merged tree.
        let services = p
            .root()
            .and_then(|t| t.get("services"))
            .and_then(NodeRef::as_map)
            .unwrap_or_default();
        for (sk, svc) in services {
            let Some(sname) = sk.as_str() else { continue };
            let Some(env) = svc.get("environment").and_then(NodeRef::as_map) else {
                continue;
            };
            for (k, v) in env {
                let Some(key) = k.as_str() else { continue };
                if !is_secret_setting(key) {
                    continue;
                }
                // Through `as_str` and a slice: the scalar's storage may change.
                let (Some(s), Some(value)) = (v.as_scalar(), v.as_str()) else {
                    continue;
                };
                let vars = s.vars;
                let place = format!("services.{sname}.environment.{key}");
                if vars.is_empty() {
                    let Some(weak) = weakness(&[key], value, extra(value)) else {
                        continue;
                    };
                    if reported.insert(v.span()) {
                        out.push(
                            Finding::new(
                                &META,
                                v.span(),
                                format!("`{key}` of service `{sname}` has {}", weak.phrase()),
                            )
                            .label(weak.label())
                            .help(HELP)
                            .place(place),
                        );
                    }
                    continue;
                }
                // Only a value made of one `${...}`: then the weak value came
                // whole from its default or from the variable's value.
                let [u] = vars else { continue };
                let Some(uspan) = u.span else { continue };
                if u.range.start != 0 {
                    continue;
                }
                let Some(weak) = weakness(&[key, &u.name], value, extra(value)) else {
                    continue;
                };
                let target = Target {
                    key,
                    service: sname,
                    value,
                    place: &place,
                    weak,
                };
                if let Some(f) = via_variable(p, &target, u, uspan, &checked_files) {
                    if reported.insert(f.primary) {
                        match u.op {
                            Op::Default { .. } if !u.defined => {
                                same_default.push(p, &u.name, f, out)
                            }
                            _ => {
                                out.push(f);
                            }
                        }
                    }
                }
            }
        }

        // A weak default of a secret-looking variable anywhere else in compose
        // (`command: redis-server --requirepass ${REDIS_PASSWORD:-redis}`): with
        // the variable unset, that default is the secret.
        for pu in uses {
            let u = pu.use_;
            let (Op::Default { .. }, false, Some(uspan)) = (&u.op, u.defined, u.span) else {
                continue;
            };
            if !is_secret_setting(&u.name) {
                continue;
            }
            let Some(default) = default_span(p, u, uspan) else {
                continue;
            };
            let text = p.sources.get(default.file).slice(&default);
            let Some(weak) = weakness(&[&u.name], text, extra(text)) else {
                continue;
            };
            if !reported.insert(default) {
                continue;
            }
            let var = &u.name;
            let f = Finding::new(
                &META,
                default,
                format!(
                    "`{var}` falls back to {} while it has no value",
                    weak.default_phrase()
                ),
            )
            .label(weak.default_label())
            .related(uspan, format!("used when `{var}` is unset or empty"))
            .help(fallback_help(var))
            .place(crate::analysis::uses::dotted(&pu.path));
            same_default.push(p, var, with_template_note(p, f, var), out);
        }
    }
}

/// The findings on defaults so far, by variable and default text, as indexes
/// into the rule's output.
#[derive(Default)]
struct SameDefault(HashMap<(String, String), usize>);

impl SameDefault {
    /// Pushes `f` (on a default of `var`), or adds its default as a related
    /// span of the finding on the same variable with the same default.
    fn push(&mut self, p: &Project, var: &str, f: Finding, out: &mut Findings) {
        let text = p.sources.get(f.primary.file).slice(&f.primary).to_string();
        let key = (var.to_string(), text);
        match self.0.get(&key).and_then(|&i| out.get_mut(i)) {
            Some(kept) => kept.related.push(crate::finding::Label {
                span: f.primary,
                message: format!("the same default of `{var}` here"),
            }),
            None => {
                if let Some(i) = out.push(f) {
                    self.0.insert(key, i);
                }
            }
        }
    }
}

/// How to fix a weak default of `var`.
fn fallback_help(var: &str) -> String {
    format!(
        "set `{var}` in .env to a real value and drop the default (`${{{var}:?}}` makes compose refuse to start without it); {HELP}"
    )
}

/// A template that lists `var` is evidence the default is meant to be
/// replaced, and that a deployment which never copied it runs with the default.
fn with_template_note(p: &Project, f: Finding, var: &str) -> Finding {
    let Some((tpl, en)) = templates(p)
        .into_iter()
        .find_map(|t| entry(t, var).map(|en| (t, en)))
    else {
        return f;
    };
    let tname = file_name(p, tpl.env.file);
    f.related(
        en.key_span,
        format!("{tname} lists `{var}`: until .env sets it, the default is used"),
    )
}

/// A secret-looking key of a service's `environment:` and its final value.
struct Target<'a> {
    key: &'a str,
    service: &'a str,
    value: &'a str,
    place: &'a str,
    weak: Weakness,
}

/// A weak value that reached `key` through the variable `u`: from its
/// default (`${DB_PASSWORD:-changeme}` while DB_PASSWORD is unset), or from
/// the env line that set the variable: a `.env` key whose own name does not
/// look secret, or any key of an env file that the first pass does not read
/// (an `include`'s `env_file`). A secret-looking key of a checked file is
/// reported on its own line already. A default is not reported once an env
/// file sets the variable: the value of that line is what runs, and it is
/// checked instead.
fn via_variable(
    p: &Project,
    target: &Target,
    u: &VarUse,
    uspan: Span,
    checked_files: &HashSet<crate::source::FileId>,
) -> Option<Finding> {
    let Target {
        key,
        service: sname,
        value,
        place,
        weak,
    } = *target;
    let var = &u.name;
    match (&u.op, u.defined) {
        (Op::Default { .. }, false) => {
            let default = default_span(p, u, uspan)?;
            // The whole value is the default, written out (no nested `${...}`).
            if p.sources.get(default.file).slice(&default) != value {
                return None;
            }
            let f = Finding::new(
                &META,
                default,
                format!(
                    "`{key}` of service `{sname}` falls back to {} while `{var}` has no value",
                    weak.default_phrase()
                ),
            )
            .label(weak.default_label())
            .related(uspan, format!("used when `{var}` is unset or empty"))
            .help(fallback_help(var))
            .place(place.to_string());
            Some(with_template_note(p, f, var))
        }
        (Op::Plain | Op::Default { .. } | Op::Required { .. }, true) => {
            let source = u.source?;
            // A secret-looking key of a checked env file is reported on its line.
            if source.is_empty() || (checked_files.contains(&source.file) && is_secret_setting(var))
            {
                return None;
            }
            // The whole value is the variable's (the text of its line, for a
            // variable of an include's env_file, which the project's vars lack).
            let line_value = p.sources.get(source.file).slice(&source);
            let own = p.vars.lookup(var).map(|(v, _)| v);
            let unquoted = ['\'', '"']
                .iter()
                .find_map(|q| line_value.strip_prefix(*q).and_then(|r| r.strip_suffix(*q)))
                .unwrap_or(line_value);
            if own.as_deref() != Some(value) && unquoted != value {
                return None;
            }
            let fname = file_name(p, source.file);
            Some(
                Finding::new(
                    &META,
                    source,
                    format!(
                        "`{key}` of service `{sname}` gets {} from `{var}` in {fname}",
                        weak.phrase()
                    ),
                )
                .label(weak.label())
                .related(uspan, format!("`{key}` takes the value of `{var}` here"))
                .help(HELP)
                .place(place.to_string()),
            )
        }
        _ => None,
    }
}

/// The span of the default text of `${VAR:-default}` / `${VAR-default}`.
fn default_span(p: &Project, u: &VarUse, uspan: Span) -> Option<Span> {
    u.default_span(p.sources.get(uspan.file).slice(&uspan), uspan)
}

#[cfg(test)]
mod tests;
