//! SL305 `env-file-committed`: an env file that holds real secret values is
//! tracked by git, or the work tree's `.gitignore` files do not ignore it.
//!
//! Git's facts come from the loader ([`crate::compose::git`], which reads the
//! index and the `.gitignore` files, never runs git). Templates are not read:
//! they are meant to be committed. A file with only placeholders, references
//! (`${OTHER}`) or empty values is no leak. Outside a work tree: silent.
//! No output holds a value.

use std::collections::HashMap;

use crate::analysis::secrets::values::{
    is_placeholder, is_secret_setting, sets_no_secret, url_password, weakness,
};
use crate::compose::stack::EnvGit;
use crate::finding::{Finding, Findings};
use crate::rules::env::file_name;
use crate::rules::{Category, Context, Rule, RuleMeta};
use crate::severity::Severity;

pub struct EnvFileCommitted;

pub static META: RuleMeta = RuleMeta {
    code: "SL305",
    name: "env-file-committed",
    severity: Severity::Warning,
    category: Category::Security,
    summary:
        "An env file with real secret values is tracked by git, or .gitignore does not ignore it",
    fix: crate::finding::FixAvailability::None,
};

impl Rule for EnvFileCommitted {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &Context<'_>, out: &mut Findings) {
        let p = cx.project;
        for e in &p.env_files {
            let Some(git) = p.git.get(&e.env.file) else {
                continue;
            };
            let tracked = git.tracked == Some(true);
            if !tracked && git.ignored {
                continue;
            }
            // The entries compose keeps (the last of each key) with a value
            // that is a secret: not a placeholder, known value or reference.
            let entries = &e.env.parsed.entries;
            let last: HashMap<&str, usize> = entries
                .iter()
                .enumerate()
                .map(|(i, en)| (en.key.as_str(), i))
                .collect();
            let extra = |v: &str| cx.options.is_extra_placeholder(v);
            let mut secrets = Vec::new();
            for (i, en) in entries.iter().enumerate() {
                if last.get(en.key.as_str()) != Some(&i)
                    || en.is_inherited()
                    || (en.expand && en.value.contains('$'))
                {
                    continue;
                }
                // A URL is a secret by its password, whatever the key: a
                // `DATABASE_URL` with one is, a Sentry DSN (a public key) is not.
                let secret = if en.value.contains("://") {
                    url_password(&en.value).is_some_and(|r| {
                        let pw = &en.value[r];
                        !is_placeholder(pw) && !extra(pw)
                    })
                } else {
                    is_secret_setting(&en.key)
                        && !sets_no_secret(&en.value)
                        && weakness(&[&en.key], &en.value, extra(&en.value)).is_none()
                };
                if secret {
                    secrets.push(en);
                }
            }
            let Some(first) = secrets.first() else {
                continue;
            };
            let name = file_name(p, e.env.file);
            let path = crate::paths::slash(&p.sources.get(e.env.file).path);
            let keys = match secrets.len() {
                1 => format!("`{}`", first.key),
                n => format!("`{}` and {} more", first.key, n - 1),
            };
            let (message, help) = describe(git, &name, &path, &keys);
            let mut f = Finding::new(&META, first.key_span, message)
                .label("a secret in a committed file")
                .help(help)
                .place(format!("env.{}", first.key));
            for en in &secrets[1..] {
                f = f.related(en.key_span, "another secret in the file");
            }
            if let Some(pattern) = git.pattern {
                let says = if git.ignored {
                    "this pattern ignores the file, but ignoring does not untrack a file git already has"
                } else {
                    "this pattern un-ignores the file"
                };
                f = f.related(pattern, says);
            }
            out.push(f);
        }
    }
}

/// The message and help for what git says of the file.
fn describe(git: &EnvGit, name: &str, path: &str, keys: &str) -> (String, String) {
    if git.tracked == Some(true) {
        (
            format!("{name} is tracked by git and holds secrets ({keys}): every clone of the repository has them"),
            format!("stop tracking it (`git rm --cached {path}`), add it to .gitignore and commit a template without values (`{name}.example`); rotate the secrets, they stay in the history"),
        )
    } else if git.pattern.is_some() {
        (
            format!("{name} holds secrets ({keys}) and a `!` pattern of .gitignore un-ignores it: `git add .` would commit them"),
            format!("drop the `!` pattern so that `{name}` is ignored, and commit a template without values (`{name}.example`) instead"),
        )
    } else {
        (
            format!("{name} holds secrets ({keys}) and .gitignore does not ignore it: `git add .` would commit them"),
            format!("add `{name}` to the .gitignore of the repository and commit a template without values (`{name}.example`) instead"),
        )
    }
}
