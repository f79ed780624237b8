//! SL304 `hardcoded-secret`: a secret written in a file that is committed: a
//! literal value (or a `${VAR:-fallback}`) of a secret-looking key in a
//! service's `environment` or build `args`, a password in a connection URL,
//! or an `Authorization` header with credentials in an NGINX config.
//! Placeholders and values known to others are placeholder-secret's (SL303).
//! No output holds the value.

use std::collections::HashSet;

use crate::analysis::secrets::values::{
    is_placeholder, is_secret_setting, sets_no_secret, url_password, weakness,
};
use crate::finding::{Finding, Findings};
use crate::parse::yaml::NodeRef;
use crate::rules::{Category, Context, Rule, RuleMeta};
use crate::severity::Severity;
use crate::source::Span;

pub struct HardcodedSecret;

pub static META: RuleMeta = RuleMeta {
    code: "SL304",
    name: "hardcoded-secret",
    severity: Severity::Warning,
    category: Category::Security,
    summary: "A secret is written in a committed file: compose environment, build args, a URL or an NGINX header",
    fix: crate::finding::FixAvailability::None,
};

const HELP: &str = "move the value out of the file: `${VAR:?}` with VAR in a git-ignored .env, or a compose `secrets:` entry read from a file";

impl Rule for HardcodedSecret {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &Context<'_>, out: &mut Findings) {
        let p = cx.project;
        let known = |keys: &[&str], v: &str| {
            weakness(keys, v, cx.options.is_extra_placeholder(v)).is_some()
        };
        let mut reported: HashSet<Span> = HashSet::new();
        let services = p
            .root()
            .and_then(|t| t.get("services"))
            .and_then(NodeRef::as_map)
            .unwrap_or_default();
        for (sk, svc) in services {
            let Some(sname) = sk.as_str() else { continue };
            let lists = [
                ("environment", svc.get("environment")),
                ("build args", svc.get("build").and_then(|b| b.get("args"))),
            ];
            for (what, list) in lists {
                let Some(map) = list.and_then(NodeRef::as_map) else {
                    continue;
                };
                for (k, v) in map {
                    let (Some(key), Some(s), Some(value)) = (k.as_str(), v.as_scalar(), v.as_str())
                    else {
                        continue;
                    };
                    // Only a finding needs it (it was a tenth of this rule's work).
                    let place = || format!("services.{sname}.{}.{key}", what.replace(' ', "."));
                    // A password in a connection URL, whatever the key.
                    if let Some(range) = url_password(value).filter(|_| s.vars.is_empty()) {
                        let span =
                            crate::compose::merge::sub_span(v, &p.sources, range.start, range.end);
                        let password = &value[range];
                        // Weak or not: placeholder-secret does not read URLs.
                        let placeholder =
                            is_placeholder(password) || cx.options.is_extra_placeholder(password);
                        if span != v.span() && !placeholder && reported.insert(span) {
                            out.push(
                                Finding::new(
                                    &META,
                                    span,
                                    format!("`{key}` of service `{sname}` has a connection URL with its password written in the compose file"),
                                )
                                .label("password in the URL")
                                .help("build the URL from variables (`postgres://app:${DB_PASSWORD:?}@db/app`) and set them in a git-ignored .env")
                                .place(place()),
                            );
                        }
                        continue;
                    }
                    if !is_secret_setting(key) {
                        continue;
                    }
                    if s.vars.is_empty() {
                        if sets_no_secret(value) || known(&[key], value) {
                            continue;
                        }
                        if reported.insert(v.span()) {
                            out.push(
                                Finding::new(
                                    &META,
                                    v.span(),
                                    format!("`{key}` of service `{sname}` is written in the compose file ({what}): the secret is committed with it"),
                                )
                                .label("a literal secret")
                                .help(HELP)
                                .place(place()),
                            );
                        }
                        continue;
                    }
                    // `${SECRET_KEY:-s3cr3t}`: the fallback is the secret wherever
                    // the variable is unset.
                    for u in s.vars.iter() {
                        let Some(uspan) = u.span else { continue };
                        let text = p.sources.get(uspan.file).slice(&uspan);
                        let Some(dspan) = u.default_span(text, uspan) else {
                            continue;
                        };
                        let fallback = p.sources.get(dspan.file).slice(&dspan);
                        if fallback.contains('$')
                            || sets_no_secret(fallback)
                            || known(&[key, &u.name], fallback)
                            || !reported.insert(dspan)
                        {
                            continue;
                        }
                        let mut f = Finding::new(
                            &META,
                            dspan,
                            format!("`{key}` of service `{sname}` falls back to a secret written in the compose file when `{}` is unset", u.name),
                        )
                        .label("a hard-coded fallback")
                        .help(format!("drop the fallback: `${{{}:?}}` makes compose refuse to start without the variable; {HELP}", u.name))
                        .place(place());
                        if u.defined {
                            if let Some(src) = u.source {
                                f = f.related(src, format!("`{}` is set here, so the fallback is not used on this machine", u.name));
                            }
                        }
                        out.push(f);
                    }
                }
            }
        }
        // Passwords on a command line: the service's command (or its
        // Dockerfile's CMD) and its healthcheck.
        for svc in &p.model.services {
            let running = cx.analysis.running(svc);
            let test = p
                .service_node(&svc.name.value)
                .and_then(|n| n.get("healthcheck"))
                .and_then(|h| h.get("test"));
            let probe = test
                .filter(|t| may_name_password_option(*t))
                .and_then(|t| crate::analysis::ports::CommandSrc::of_healthcheck(t, &p.sources))
                .map(|cmd| cmd.invocations())
                .unwrap_or_default();
            for inv in running.iter().chain(&probe) {
                for (span, option, value) in option_secrets(inv) {
                    // Only where the value is written as it is: not through a
                    // variable, and the span is exactly the value.
                    let written = p.sources.get(span.file).slice(&span);
                    if written.trim_matches(['"', '\'']) != value
                        || value.contains('$')
                        || sets_no_secret(&value)
                        || known(&["password"], &value)
                        || !reported.insert(span)
                    {
                        continue;
                    }
                    let file = p.sources.get(span.file).path.file_name().map_or_else(
                        || "the compose file".to_string(),
                        |n| n.to_string_lossy().into_owned(),
                    );
                    out.push(
                        Finding::new(
                            &META,
                            span,
                            format!(
                                "`{}` passes a password to `{}` on its command line (`{option}`), written in {file}: it is committed with the file, and any process on the host can read it",
                                svc.name.value, inv.prog
                            ),
                        )
                        .label("a literal password")
                        .help(format!("take it from a variable set in a git-ignored .env: `{}`", match option.as_str() {
                            "-p" => "-p${DB_PASSWORD:?}".to_string(),
                            // mysql reads `--password VALUE` as a prompt and a database name.
                            "--password" => "--password=${PASSWORD:?}".to_string(),
                            o => format!("{o} ${{PASSWORD:?}}"),
                        }))
                        .place(format!("services.{}.command", svc.name.value)),
                    );
                }
            }
        }
        for cfg in &p.nginx {
            for visit in cfg.parsed.find_all("proxy_set_header") {
                let d = visit.directive;
                let (Some(name), Some(value)) = (d.args.first(), d.args.get(1)) else {
                    continue;
                };
                if !name.value.eq_ignore_ascii_case("authorization") || value.value.contains('$') {
                    continue;
                }
                let mut words = value.value.split_whitespace();
                let (Some(scheme), Some(cred)) = (words.next(), words.next()) else {
                    continue;
                };
                if !matches!(
                    scheme.to_ascii_lowercase().as_str(),
                    "bearer" | "basic" | "token"
                ) || known(&["authorization"], cred)
                    || !reported.insert(value.span)
                {
                    continue;
                }
                out.push(
                    Finding::new(
                        &META,
                        value.span,
                        format!("this `Authorization` header holds {scheme} credentials written in the NGINX config: they are committed with it"),
                    )
                    .label("literal credentials")
                    .help("keep the credentials out of the config: render it from a template with an environment variable (the official image's /etc/nginx/templates/ and envsubst), or mount the snippet that holds them from a git-ignored file")
                    .place("nginx.proxy_set_header"),
                );
            }
        }
    }
}

/// Options whose value (the next word, or after `=`) is a password, for any program.
const PASSWORD_OPTIONS: [&str; 4] = ["--requirepass", "--masterauth", "--password", "--passwd"];

/// redis-cli's password option (the next word).
const REDIS_CLI_PASSWORD: &str = "-a";

/// The MySQL and MariaDB clients' password option, with the password attached.
const MYSQL_PASSWORD: &str = "-p";

/// Whether the words of `test` may hold an option [`option_secrets`] reads: one
/// of its options is in the text, however quoted. Most healthchecks hold none,
/// and are then not split into programs a second time (the port rule splits them).
fn may_name_password_option(test: NodeRef<'_>) -> bool {
    fn holds(s: &str) -> bool {
        // Quotes, and backslashes with the line break they may join, can sit
        // anywhere in a shell word (`-"p"secret`, or `-\\` at a line's end and
        // `pSECRET` on the next): the bytes are read without them. Dropping more
        // only lets more through. Every option begins with `-`: only there is
        // each compared, without a copy of the text.
        let mut bytes = s
            .bytes()
            .filter(|b| !matches!(b, b'"' | b'\'' | b'\\' | b'\n' | b'\r'));
        while let Some(b) = bytes.next() {
            if b == b'-'
                && password_options().any(|o| {
                    let rest = &o.as_bytes()[1..];
                    bytes.clone().take(rest.len()).eq(rest.iter().copied())
                })
            {
                return true;
            }
        }
        false
    }
    match test.as_seq() {
        Some(items) => items.iter().filter_map(|i| i.as_str()).any(holds),
        None => test.as_str().is_some_and(holds),
    }
}

/// Every option [`option_secrets`] reads.
fn password_options() -> impl Iterator<Item = &'static str> {
    PASSWORD_OPTIONS
        .into_iter()
        .chain([REDIS_CLI_PASSWORD, MYSQL_PASSWORD])
}

/// The values of password options in one invocation, as source spans, with
/// the option: `--requirepass`/`--masterauth` (redis, valkey), `--password`
/// and `--passwd` (any program), redis-cli's `-a`, and the attached `-pSECRET`
/// of the MySQL and MariaDB clients (`-p` alone prompts). A value produced
/// by an unset variable is not read.
fn option_secrets(inv: &crate::analysis::ports::Invocation) -> Vec<(Span, String, String)> {
    let mysql = matches!(
        inv.prog.as_str(),
        "mysql" | "mysqladmin" | "mysqldump" | "mariadb" | "mariadb-admin" | "mariadb-dump"
    );
    let mut out = Vec::new();
    let args = &inv.args;
    for (i, a) in args.iter().enumerate() {
        let w = a.s.as_str();
        let (option, range) = match w.split_once('=') {
            Some((opt, v)) if PASSWORD_OPTIONS.contains(&opt) => {
                (opt, (opt.len() + 1, opt.len() + 1 + v.len()))
            }
            _ => match w {
                // The MySQL clients take `--password`'s value only after `=`.
                "--password" | "--passwd" if mysql => continue,
                _ if PASSWORD_OPTIONS.contains(&w) => {
                    let Some(next) = args.get(i + 1).filter(|n| !n.s.starts_with('-')) else {
                        continue;
                    };
                    if !next.any_taint() && !next.is_empty() {
                        out.push((next.full_span(), w.to_string(), next.s.to_string()));
                    }
                    continue;
                }
                REDIS_CLI_PASSWORD if inv.prog == "redis-cli" => {
                    if let Some(next) = args.get(i + 1).filter(|n| !n.any_taint() && !n.is_empty())
                    {
                        out.push((next.full_span(), w.to_string(), next.s.to_string()));
                    }
                    continue;
                }
                _ if mysql
                    && w.len() > MYSQL_PASSWORD.len()
                    && w.starts_with(MYSQL_PASSWORD)
                    && !w.starts_with("--") =>
                {
                    (MYSQL_PASSWORD, (MYSQL_PASSWORD.len(), w.len()))
                }
                _ => continue,
            },
        };
        if range.1 > range.0 && !a.tainted(range.0, range.1) {
            out.push((
                a.span(range.0, range.1),
                option.to_string(),
                w[range.0..range.1].to_string(),
            ));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The filter compares only where a `-` is: every option must begin with one.
    #[test]
    fn every_password_option_begins_with_a_dash() {
        assert!(password_options().count() >= 6);
        for o in password_options() {
            assert!(o.len() > 1 && o.starts_with('-'), "{o}");
        }
    }

    /// The filter lets through every healthcheck in which `option_secrets` finds
    /// a password, quoted in any way, and stops the usual probes.
    #[test]
    fn healthchecks_without_a_password_option_are_not_split() {
        // (test, passes the filter, a password is found in it)
        let tests = [
            (
                r#"["CMD", "redis-cli", "-a", "Xq7tp2Lm9wR4zK8", "ping"]"#,
                true,
                true,
            ),
            (
                r#"["CMD-SHELL", "mysqladmin ping -h localhost -uroot -pRt8kLm2Qz"]"#,
                true,
                true,
            ),
            (r#"mysqladmin ping -"p"Rt8kLm2Qz"#, true, true),
            (r#"mysqladmin ping '-p'Rt8kLm2Qz"#, true, true),
            (r#"mysqladmin ping \-\pRt8kLm2Qz"#, true, true),
            // A line continuation inside the option (YAML `\\` and `\n`).
            (r#""mysqladmin ping -uroot -\\\npRt8kLm2Qz""#, true, true),
            // (A shell reads `\` then a carriage return as that character, not a
            // continuation: no option, but the filter lets it through.)
            (r#""mysqladmin ping -uroot -\\\r\npRt8kLm2Qz""#, true, false),
            (
                r#"sh -c 'redis-server --requirepass "Xq7tp2Lm9wR4zK8" --test-memory 1'"#,
                true,
                true,
            ),
            (
                r#"valkey-cli --masterauth=Xq7tp2Lm9wR4zK8 ping"#,
                true,
                true,
            ),
            (
                r#"sh -c "mysql --password=Xq7tp2Lm9wR4zK8 -e 'select 1'""#,
                true,
                true,
            ),
            // Let through, then found to hold none.
            (
                r#"["CMD", "redis-cli", "--pass", "x", "ping"]"#,
                true,
                false,
            ),
            (
                r#"["CMD", "curl", "-f", "http://localhost:8000/health"]"#,
                false,
                false,
            ),
            (
                r#"["CMD-SHELL", "pg_isready -U postgres -d app"]"#,
                false,
                false,
            ),
            (
                r#"wget -q --spider http://127.0.0.1:8080/ || exit 1"#,
                false,
                false,
            ),
            (r#"["CMD", "redis-cli", "ping"]"#, false, false),
        ];
        for (test, passes, holds) in tests {
            let p = crate::compose::stack::project_of_text(&format!(
                "services:\n  s:\n    image: x\n    healthcheck:\n      test: {test}\n"
            ));
            let Some(node) = p
                .service_node("s")
                .and_then(|n| n.get("healthcheck"))
                .and_then(|h| h.get("test"))
            else {
                panic!("{test}: no test node");
            };
            assert_eq!(may_name_password_option(node), passes, "{test}");
            let found = crate::analysis::ports::CommandSrc::of_healthcheck(node, &p.sources)
                .map(|c| c.invocations())
                .unwrap_or_default()
                .iter()
                .any(|inv| !option_secrets(inv).is_empty());
            assert_eq!(found, holds, "{test}");
        }
    }

    #[test]
    fn url_passwords() {
        let pw = |u: &str| url_password(u).map(|r| u[r].to_string());
        assert_eq!(pw("postgres://app:pa55@db/app").as_deref(), Some("pa55"));
        assert_eq!(
            pw("redis://:s3cret@cache:6379/0").as_deref(),
            Some("s3cret")
        );
        assert_eq!(pw("postgres://app@db/app"), None);
        assert_eq!(pw("postgres://app:${DB_PASSWORD}@db/app"), None);
        assert_eq!(pw("http://example.com/a:b@c"), None);
        assert_eq!(pw("amqp://guest:@mq"), None);
        assert_eq!(pw("no url"), None);
    }

    #[test]
    fn values_that_set_no_secret() {
        for v in [
            "true",
            "False",
            "0",
            "3600",
            "/run/secrets/db",
            "./secrets/db",
            "",
        ] {
            assert!(sets_no_secret(v), "{v}");
        }
        for v in ["s3cr3t-Value", "12345678901234", "hunter2"] {
            assert!(!sets_no_secret(v), "{v}");
        }
    }
}
