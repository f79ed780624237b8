//! SL113 `debug-in-production`: a debug switch is on in a service (or stack)
//! that says it runs in production.

use crate::compose::model::Service;
use crate::compose::stack::EnvRole;
use crate::finding::{Finding, Findings};
use crate::parse::shell::Invocation;
use crate::rules::env::entry;
use crate::rules::{Category, Context, Rule, RuleMeta};
use crate::severity::Severity;
use crate::source::Span;

pub struct DebugInProduction;

pub static META: RuleMeta = RuleMeta {
    code: "SL113",
    name: "debug-in-production",
    severity: Severity::Warning,
    category: Category::Security,
    summary: "A debug switch is on in a service or stack that says it is production",
    fix: crate::finding::FixAvailability::None,
};

/// Variables that name the environment a program runs in.
const ENV_KEYS: &[&str] = &[
    "ENVIRONMENT",
    "APP_ENV",
    "APP_ENVIRONMENT",
    "FLASK_ENV",
    "NODE_ENV",
    "RAILS_ENV",
    "RACK_ENV",
    "DJANGO_ENV",
    "ENV",
];

/// Variables that turn a framework's debug mode on when true.
const DEBUG_KEYS: &[&str] = &[
    "DEBUG",
    "FLASK_DEBUG",
    "DJANGO_DEBUG",
    "APP_DEBUG",
    "RAILS_DEBUG",
];

fn is_production(v: &str) -> bool {
    matches!(
        v.trim().to_ascii_lowercase().as_str(),
        "production" | "prod"
    )
}

fn is_development(v: &str) -> bool {
    matches!(
        v.trim().to_ascii_lowercase().as_str(),
        "development" | "dev"
    )
}

fn is_on(v: &str) -> bool {
    matches!(
        v.trim().to_ascii_lowercase().as_str(),
        "1" | "true" | "yes" | "on"
    )
}

/// A debug switch that is on: what it is, and where.
struct Switch {
    what: String,
    span: Span,
}

/// `flask run --debug`, `flask --debug run`, `uvicorn ... --reload` in what
/// the container runs (entrypoint, command or the Dockerfile's CMD).
fn command_switches(running: &[Invocation], out: &mut Vec<Switch>) {
    for inv in running {
        let (flag, what) = match inv.prog.as_str() {
            "flask" => (
                "--debug",
                "`flask --debug` (the Werkzeug debugger runs code sent to it)",
            ),
            "uvicorn" => (
                "--reload",
                "`uvicorn --reload` (a development server that watches its files)",
            ),
            _ => continue,
        };
        if let Some(arg) = inv.args.iter().find(|a| a.s == flag) {
            out.push(Switch {
                what: what.into(),
                span: arg.full_span(),
            });
        }
    }
}

impl Rule for DebugInProduction {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &Context<'_>, out: &mut Findings) {
        let p = cx.project;
        // The stack's own statement: the project's `.env`.
        let stack_prod = p
            .env_files
            .iter()
            .filter(|e| e.role == EnvRole::Project)
            .find_map(|e| {
                ENV_KEYS.iter().find_map(|k| {
                    entry(e, k)
                        .filter(|en| is_production(&en.value))
                        .map(|en| (k.to_string(), en.value_span))
                })
            });
        for svc in &p.model.services {
            if !svc.runs_as_written() {
                continue;
            }
            check_service(cx, svc, stack_prod.as_ref(), out);
        }
    }
}

fn check_service(
    cx: &Context<'_>,
    svc: &Service,
    stack_prod: Option<&(String, Span)>,
    out: &mut Findings,
) {
    let env = cx.analysis.runtime_env(svc);
    let service_prod = ENV_KEYS.iter().find_map(|k| {
        let (v, span) = env.get(k)?;
        is_production(v?).then(|| (k.to_string(), span))
    });
    let (prod_key, prod_span, whose) = match (service_prod, stack_prod) {
        (Some((k, s)), _) => (k, s, "the service"),
        (None, Some((k, s))) => (k.clone(), *s, "the stack's .env"),
        (None, None) => return,
    };
    let mut switches = Vec::new();
    for k in DEBUG_KEYS {
        if let Some((Some(v), span)) = env.get(k) {
            if is_on(v) {
                switches.push(Switch {
                    what: format!("`{k}={}`", v.trim()),
                    span,
                });
            }
        }
    }
    for k in ENV_KEYS {
        if let Some((Some(v), span)) = env.get(k) {
            if is_development(v) {
                switches.push(Switch {
                    what: format!("`{k}={}`", v.trim()),
                    span,
                });
            }
        }
    }
    command_switches(&cx.analysis.running(svc), &mut switches);
    let name = &svc.name.value;
    for s in switches {
        out.push(
            Finding::new(
                &META,
                s.span,
                format!("`{name}` runs with {} although {whose} says it is production (`{prod_key}`)", s.what),
            )
            .label("debug on")
            .related(prod_span, "production is said here")
            .help("turn the debug switch off for production (a development override file, `compose.override.yaml`, is the place for it)")
            .place(format!("services.{name}")),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values() {
        assert!(is_production("production") && is_production(" Prod "));
        assert!(!is_production("staging"));
        assert!(is_on("1") && is_on("True") && !is_on("0") && !is_on("false"));
        assert!(is_development("development") && !is_development("production"));
    }
}
