//! SL302 `env-example-drift`: an env file and its template disagree on their
//! keys. Every env file is paired with its own template: the project's `.env`
//! (or `--env-file`) with `.env.example` and the like, a service's `env_file`
//! `.env.docker` with `.env.docker.example`, `.sample`, `.template`, `.dist`
//! or `example.env.docker`.

use std::collections::HashSet;

use crate::compose::stack::{EnvFileInfo, EnvRole, Project};
use crate::finding::{Edit, Finding, Findings, Fix};
use crate::rules::env::{env_file_readers, file_name, file_start, project_envs, templates};
use crate::rules::{Category, Context, Rule, RuleMeta};
use crate::severity::Severity;
use crate::source::Span;

pub struct EnvExampleDrift;

pub static META: RuleMeta = RuleMeta {
    code: "SL302",
    name: "env-example-drift",
    severity: Severity::Warning,
    category: Category::Correctness,
    summary: "An env file and its template disagree on their keys",
    fix: crate::finding::FixAvailability::Sometimes,
};

/// Keys that configure the local docker / compose client (`COMPOSE_PROFILES`,
/// `DOCKER_HOST`): they belong to one machine's `.env`, not to the template.
fn machine_local(key: &str) -> bool {
    key.starts_with("COMPOSE_") || key.starts_with("DOCKER_")
}

/// Keys that a comment of `text` mentions as `KEY=` or `# KEY`: a key someone
/// commented out on purpose.
fn commented_keys(text: &str) -> HashSet<String> {
    let mut out = HashSet::new();
    for line in text.lines() {
        let Some(rest) = line.trim_start().strip_prefix('#') else {
            continue;
        };
        let rest = rest.trim_start();
        let rest = rest.strip_prefix("export ").unwrap_or(rest).trim_start();
        let key: String = rest
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'))
            .collect();
        if key.is_empty() {
            continue;
        }
        let after = rest[key.len()..].trim_start();
        if after.starts_with('=') || after.is_empty() {
            out.insert(key);
        }
    }
    out
}

impl Rule for EnvExampleDrift {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &Context<'_>, out: &mut Findings) {
        let p = cx.project;
        // Each env file with a template of its own (`.env.docker` beside
        // `.env.docker.example`) is compared with that template alone.
        let mut paired = Vec::new();
        for e in &p.env_files {
            if !matches!(e.role, EnvRole::Project | EnvRole::Service(_)) {
                continue;
            }
            // The first in precedence order, as for the project's templates.
            let own = p
                .env_files
                .iter()
                .find(|t| t.role == EnvRole::TemplateOf(e.env.file));
            if let Some(t) = own {
                paired.push(e.env.file);
                compare(p, &[e], t, out);
            }
        }
        // The project's `.env` (or `--env-files`) and the project's template.
        // One template: the first in precedence order. A second template is
        // usually for something else (production, another tool), and comparing
        // .env with each would report the same key twice.
        let envs: Vec<&EnvFileInfo> = project_envs(p)
            .into_iter()
            .filter(|e| !paired.contains(&e.env.file))
            .collect();
        if let (Some(template), false) = (templates(p).into_iter().next(), envs.is_empty()) {
            compare(p, &envs, template, out);
        }
    }
}

/// Reports the keys of `template` missing from `envs` (warning) and the keys
/// of `envs` the template lacks (info).
fn compare(p: &Project, envs: &[&EnvFileInfo], template: &EnvFileInfo, out: &mut Findings) {
    let Some(first_env) = envs.first() else {
        return;
    };
    let tname = file_name(p, template.env.file);
    let ename = file_name(p, first_env.env.file);

    let env_keys: HashSet<&str> = envs
        .iter()
        .flat_map(|e| e.env.parsed.entries.iter().map(|en| en.key.as_str()))
        .collect();
    let env_commented: HashSet<String> = envs
        .iter()
        .flat_map(|e| commented_keys(&p.sources.get(e.env.file).text))
        .collect();
    let tpl_keys: HashSet<&str> = template
        .env
        .parsed
        .entries
        .iter()
        .map(|en| en.key.as_str())
        .collect();
    let tpl_commented = commented_keys(&p.sources.get(template.env.file).text);
    // The services that read these files as their `env_file`: a key missing
    // there is missing in their containers.
    let readers: Vec<(String, Span)> = envs.iter().flat_map(|e| env_file_readers(p, e)).collect();

    let mut reported = HashSet::new();
    for en in &template.env.parsed.entries {
        let key = en.key.as_str();
        if env_keys.contains(key) || env_commented.contains(key) || !reported.insert(key) {
            continue;
        }
        let mut f = Finding::new(
            &META,
            en.key_span,
            format!("`{key}` is in {tname} but not in {ename}"),
        )
        .label(format!("declared in {tname}"))
        .help(format!(
            "add `{key}=` with its value to {ename}, or remove it from {tname} if nothing reads it any more"
        ))
        .place(format!("env.{key}"));
        for e in envs {
            f = f.related(
                file_start(e.env.file),
                format!("`{key}` is not among the keys of this file"),
            );
        }
        for (svc, at) in &readers {
            f = f.related(*at, format!("`{svc}` reads {ename} here"));
        }
        out.push(f);
    }

    let mut reported = HashSet::new();
    for e in envs {
        for en in &e.env.parsed.entries {
            let key = en.key.as_str();
            if tpl_keys.contains(key)
                || tpl_commented.contains(key)
                || machine_local(key)
                || !reported.insert(key)
            {
                continue;
            }
            let ename = file_name(p, e.env.file);
            out.push(
                Finding::new(
                    &META,
                    en.key_span,
                    format!("`{key}` is set in {ename} but not declared in {tname}"),
                )
                .severity(Severity::Info)
                .label(format!("only in {ename}"))
                .related(
                    file_start(template.env.file),
                    format!("`{key}` is not among the keys of this template"),
                )
                .help(format!(
                    "declare `{key}=` in {tname} (without the value) so the next person knows to set it"
                ))
                .place(format!("env.{key}"))
                .fix(declare_in(p, template, key)),
            );
        }
    }
}

/// The fix: `KEY=` (no value: nothing secret is copied) appended to the
/// template, on a line of its own. Safe: a template is read by people.
fn declare_in(p: &Project, template: &EnvFileInfo, key: &str) -> Fix {
    let text = &p.sources.get(template.env.file).text;
    let end = text.len();
    // After a last line without its newline, each key starts a line of its own.
    let replacement = if text.is_empty() || text.ends_with('\n') {
        format!("{key}=\n")
    } else {
        format!("\n{key}=")
    };
    Fix::safe(
        format!("declare `{key}=` in {}", file_name(p, template.env.file)),
        vec![Edit {
            span: Span::new(template.env.file, end, end),
            replacement,
        }],
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commented_out_keys() {
        let keys = commented_keys(
            "# SMTP_PASSWORD=\n#export A_B = 1\n  #  C\n# a sentence here\nD=1\n#\n",
        );
        for k in ["SMTP_PASSWORD", "A_B", "C"] {
            assert!(keys.contains(k), "{k}");
        }
        assert!(!keys.contains("D"));
        assert!(!keys.contains("a"));
    }
}
