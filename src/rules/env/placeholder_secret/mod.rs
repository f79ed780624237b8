//! SL303 `placeholder-secret`: a secret-looking key has a placeholder value.
//!
//! Read where a value reaches a container: the project's `.env`, the services'
//! `env_file`s, and literal values and defaults in `environment:`. Templates
//! (`.env.example`) are skipped unless a service uses one as its `env_file`:
//! placeholders are what a template is for. No output holds the value.

use std::collections::{HashMap, HashSet};

use crate::analysis::secrets::is_secret_key;
use crate::analysis::secrets::unquote;
use crate::compose::stack::{EnvRole, Project};
use crate::finding::{Finding, Findings};
use crate::parse::interpolate::Lookup;
use crate::parse::interpolate::{Op, VarUse};
use crate::parse::yaml::Node;
use crate::rules::env::{entry, env_file_readers, file_name, templates, tree_uses};
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
};

const HELP: &str =
    "generate a real value, e.g. with `openssl rand -hex 32`, and keep it out of version control";

/// The last word of a key that makes it a setting *about* a secret, not the
/// secret: `PASSWORD_RESET_URL`, `JWT_SECRET_FILE`, `TOKEN_EXPIRE_MINUTES`.
const NOT_A_SECRET: [&str; 50] = [
    // people, not secrets: `PASSWORD_RESET_USERS`, `TOKEN_ADMIN_EMAILS`
    "users",
    "admins",
    "emails",
    "owners",
    "recipients",
    "login",
    "url",
    "uri",
    "urls",
    "host",
    "hostname",
    "port",
    "user",
    "username",
    "name",
    "file",
    "path",
    "dir",
    "expiry",
    "expires",
    "expire",
    "expiration",
    "ttl",
    "timeout",
    "length",
    "len",
    "algorithm",
    "alg",
    "enabled",
    "enable",
    "disabled",
    "minutes",
    "seconds",
    "hours",
    "days",
    "lifetime",
    "type",
    "mode",
    "id",
    "email",
    "issuer",
    "audience",
    "header",
    "prefix",
    "endpoint",
    "policy",
    "min",
    "max",
    "size",
    "version",
];

/// A secret-looking key as this rule reads it: [`is_secret_key`] (which output
/// masking uses, and so errs on the side of masking) without the keys that
/// name a setting about a secret.
pub(crate) fn is_secret_setting(key: &str) -> bool {
    if !is_secret_key(key) {
        return false;
    }
    let lower = key.to_ascii_lowercase();
    let last = lower
        .rsplit(|c: char| !c.is_ascii_alphanumeric())
        .find(|w| !w.is_empty())
        .unwrap_or("");
    // `STORAGE_ACCESS_KEY`, `MINIO_ACCESS_KEY`: the S3 access key is the
    // account's name; its secret is the `*_SECRET_KEY` beside it.
    let access_key_id = (lower.ends_with("access_key") || lower.ends_with("accesskey"))
        && !lower.contains("secret");
    !NOT_A_SECRET.contains(&last) && !access_key_id
}

/// Whether `value` is a placeholder that someone was meant to replace:
/// `change_me`, `change_this_to_a_secure_password`, `your_api_key_here`,
/// `<token>`, `xxx`, `sk-...`, `example`, `TODO`. Weak but real values
/// (`postgres`, `admin123`) are not placeholders.
pub fn is_placeholder(value: &str) -> bool {
    let v = unquote(value);
    if v.is_empty() || v.contains("://") || v.starts_with('/') {
        return false;
    }
    // `<your key>`, `[token]`
    if v.len() > 2
        && ((v.starts_with('<') && v.ends_with('>')) || (v.starts_with('[') && v.ends_with(']')))
    {
        return true;
    }
    // A shortened example (`sk-proj-...`, `ghp_…`), or only dots.
    if v.contains("...") || v.contains('…') {
        return true;
    }
    if v.len() >= 3 && v.chars().all(|c| c == '*') {
        return true;
    }
    let lower = v.to_ascii_lowercase();
    let tokens: Vec<&str> = lower
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|t| !t.is_empty())
        .collect();
    let joined: String = tokens.concat();
    // `xxx`, `XXXX-XXXX-XXXX`
    if joined.len() >= 3 && joined.chars().all(|c| c == 'x') {
        return true;
    }
    const WHOLE: [&str; 11] = [
        "secret",
        "password",
        "passwd",
        "todo",
        "tbd",
        "fixme",
        "example",
        "placeholder",
        "changeme",
        "changeit",
        "replaceme",
    ];
    if WHOLE.contains(&joined.as_str()) {
        return true;
    }
    const PREFIXES: [&str; 7] = [
        "changeme",
        "changethis",
        "changeit",
        "replaceme",
        "replacethis",
        "replacewith",
        "pleasechange",
    ];
    if PREFIXES.iter().any(|p| joined.starts_with(p)) {
        return true;
    }
    // `please_change_me`, `must-change-this`
    if tokens.windows(2).any(|w| {
        matches!(w[0], "change" | "replace") && matches!(w[1], "me" | "this" | "it" | "with")
    }) {
        return true;
    }
    match tokens.as_slice() {
        // `your_api_key`, `your-secret-here`
        ["your", _, ..] => return true,
        // `todo: generate`, `fixme`
        ["todo" | "fixme" | "tbd", ..] => return true,
        // `generated_key_here`, `put_token_here`
        [_, .., "here"] => return true,
        _ => {}
    }
    if let Some(rest) = joined.strip_prefix("your") {
        if ["password", "secret", "token", "key", "apikey", "api"]
            .iter()
            .any(|w| rest.starts_with(w))
        {
            return true;
        }
    }
    tokens
        .iter()
        .any(|t| matches!(*t, "example" | "placeholder"))
}

/// Well-known secret values, compared with the whole value (quotes removed,
/// case ignored). Sources: the most common passwords of public breach lists
/// (`123456`, `qwerty`, `letmein`, `admin`, ...); the values that official
/// images document or ship as their default: postgres' `docker run` example
/// (`mysecretpassword`), mysql's and mariadb's (`my-secret-pw`), wordpress'
/// (`examplepass`), pgadmin's (`SuperSecret`), MinIO's root credentials
/// (`minioadmin`), RabbitMQ's `guest`, Neo4j's `neo4j`, Grafana's and
/// Keycloak's `admin`. Kept as data in one place: add a value here, with its
/// source.
const KNOWN_VALUES: [&str; 39] = [
    // common passwords
    "123456",
    "1234567",
    "12345678",
    "123456789",
    "1234567890",
    "12345",
    "1234",
    "111111",
    "000000",
    "654321",
    "qwerty",
    "qwerty123",
    "abc123",
    "letmein",
    "welcome",
    "iloveyou",
    "password1",
    "password123",
    "passw0rd",
    "p@ssw0rd",
    "p@ssword",
    "pass",
    "admin",
    "admin123",
    "administrator",
    "root",
    "toor",
    "test",
    "test123",
    "supersecret",
    "changeme!",
    // image documentation and defaults
    "mysecretpassword",
    "my-secret-pw",
    "examplepass",
    "supersecretpassword",
    "minioadmin",
    "guest",
    "neo4j",
    "secret123",
];

/// Words that add nothing to a value made of its key's own words
/// (`app-secret-key`, `my_dev_key`, `insecure-dev-key`).
const FILLER: [&str; 18] = [
    "app",
    "secret",
    "password",
    "pass",
    "my",
    "default",
    "dev",
    "development",
    "local",
    "test",
    "testing",
    "key",
    "the",
    "for",
    "insecure",
    "unsafe",
    "docker",
    "compose",
];

/// Why the value of a secret-looking key is known to others.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Weakness {
    /// A placeholder meant to be replaced (`changeme`, `<token>`).
    Placeholder,
    /// A well-known value: a common password or an image's documented default.
    KnownValue,
    /// Made of the words of its own key (`SECRET_KEY=app-secret-key`).
    OwnName,
}

impl Weakness {
    /// "`KEY` has {phrase}": never the value itself.
    fn phrase(self) -> &'static str {
        match self {
            Weakness::Placeholder => "a placeholder value",
            Weakness::KnownValue => {
                "a well-known value (a common password or an image's documented default)"
            }
            Weakness::OwnName => "a value made of the words of its own name",
        }
    }

    fn label(self) -> &'static str {
        match self {
            Weakness::Placeholder => "placeholder value",
            Weakness::KnownValue => "well-known value",
            Weakness::OwnName => "guessable from the key's name",
        }
    }

    /// "falls back to {default_phrase}".
    fn default_phrase(self) -> &'static str {
        match self {
            Weakness::Placeholder => "a placeholder default",
            Weakness::KnownValue => {
                "a well-known default (a common password or an image's documented default)"
            }
            Weakness::OwnName => "a default made of the words of its own name",
        }
    }

    fn default_label(self) -> &'static str {
        match self {
            Weakness::Placeholder => "placeholder default",
            Weakness::KnownValue => "well-known default",
            Weakness::OwnName => "default guessable from the name",
        }
    }
}

/// The lowercase words of a key or value: split on anything but letters and
/// digits, and where a lowercase letter meets an uppercase one (`SuperSecret`).
fn words(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut prev_lower = false;
    for c in text.chars() {
        if !c.is_ascii_alphanumeric() {
            if !cur.is_empty() {
                out.push(std::mem::take(&mut cur));
            }
            prev_lower = false;
            continue;
        }
        if c.is_ascii_uppercase() && prev_lower && !cur.is_empty() {
            out.push(std::mem::take(&mut cur));
        }
        prev_lower = c.is_ascii_lowercase() || c.is_ascii_digit();
        cur.push(c.to_ascii_lowercase());
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

/// Whether `word` is a concatenation of `dict` words (`secretkey`), and whether
/// one of them is a word of the key (`own`), not only filler.
fn segments(word: &str, own: &[String]) -> Option<bool> {
    let n = word.len();
    // best[i]: `word[..i]` splits into dictionary words; Some(uses_own).
    let mut best: Vec<Option<bool>> = vec![None; n + 1];
    best[0] = Some(false);
    for i in 0..n {
        let Some(used) = best[i] else { continue };
        let rest = &word[i..];
        for w in own.iter().map(String::as_str) {
            if !w.is_empty() && rest.starts_with(w) {
                best[i + w.len()] = Some(true);
            }
        }
        for w in FILLER {
            if rest.starts_with(w) {
                let j = i + w.len();
                best[j] = Some(best[j] == Some(true) || used);
            }
        }
    }
    best[n]
}

/// Whether `value` holds a list or an email address (`alice,bob`,
/// `admin@example.com`): names of people, not a secret.
fn names_people(value: &str) -> bool {
    value.contains(',')
        || value
            .split_once('@')
            .is_some_and(|(user, host)| !user.is_empty() && host.contains('.'))
}

/// How the value of the secret-looking `keys` (the key and the variable that
/// feeds it) is weak, if it is.
pub fn weakness(keys: &[&str], value: &str, extra: bool) -> Option<Weakness> {
    let v = unquote(value);
    if names_people(v) {
        return None;
    }
    if is_placeholder(value) || extra {
        return Some(Weakness::Placeholder);
    }
    if v.is_empty() || v.contains('$') {
        return None;
    }
    let lower = v.to_ascii_lowercase();
    if KNOWN_VALUES.contains(&lower.as_str()) {
        return Some(Weakness::KnownValue);
    }
    let own: Vec<String> = keys.iter().flat_map(|k| words(k)).collect();
    let vw = words(v);
    // Only letters: `secret-key-2024` mixes in something of its own.
    if vw.is_empty()
        || vw
            .iter()
            .any(|w| !w.chars().all(|c| c.is_ascii_lowercase()))
    {
        return None;
    }
    let mut uses_own = false;
    for w in &vw {
        uses_own |= segments(w, &own)?;
    }
    uses_own.then_some(Weakness::OwnName)
}

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
        let uses = p.tree.as_ref().map(tree_uses).unwrap_or_default();
        let mut uses_by_name: HashMap<&str, Vec<Span>> = HashMap::new();
        for u in &uses {
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
            .tree
            .as_ref()
            .and_then(|t| t.get("services"))
            .and_then(Node::as_map)
            .unwrap_or(&[]);
        for (sk, svc) in services {
            let Some(sname) = sk.as_str() else { continue };
            let Some(env) = svc.get("environment").and_then(Node::as_map) else {
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
                let vars = &s.vars[..];
                let place = format!("services.{sname}.environment.{key}");
                if vars.is_empty() {
                    let Some(weak) = weakness(&[key], value, extra(value)) else {
                        continue;
                    };
                    if reported.insert(v.span) {
                        out.push(
                            Finding::new(
                                &META,
                                v.span,
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
        for pu in &uses {
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
            .place(crate::rules::env::dotted(&pu.path));
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
    let raw = p.sources.get(uspan.file).slice(&uspan);
    let op = match u.op {
        Op::Default { colon: true } => ":-",
        Op::Default { colon: false } => "-",
        _ => return None,
    };
    let start = 2 + u.name.len();
    if !raw.get(start..)?.starts_with(op) || !raw.ends_with('}') {
        return None;
    }
    let from = start + op.len();
    let to = raw.len() - 1;
    (from < to).then(|| uspan.sub(from, to))
}

#[cfg(test)]
mod tests;
