//! SL107 `undeclared-resource`: a named volume, network, secret or config the top level does not declare.

use std::collections::HashSet;

use crate::compose::model::{MountKind, TopLevel};
use crate::finding::{Finding, Findings};
use crate::rules::{Category, Context, Rule, RuleMeta};
use crate::severity::Severity;
use crate::source::Span;

pub struct UndeclaredResource;

pub static META: RuleMeta = RuleMeta {
    code: "SL107",
    name: "undeclared-resource",
    severity: Severity::Error,
    category: Category::Correctness,
    summary: "A service uses a named volume, network, secret or config that the top level does not declare",
    fix: crate::finding::FixAvailability::None,
};

/// A kind of resource: its declarations, and their names for lookups.
type Kind<'a> = (&'a [TopLevel], HashSet<&'a str>);

fn names(list: &[TopLevel]) -> HashSet<&str> {
    list.iter().map(|t| t.name.value.as_str()).collect()
}

impl Rule for UndeclaredResource {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &Context<'_>, out: &mut Findings) {
        let p = cx.project;
        // A fragment's services and resources are completed by the stack around it.
        if p.is_fragment() {
            return;
        }
        let m = &p.model;
        let kinds: [Kind; 4] = [
            (&m.networks, names(&m.networks)),
            (&m.volumes, names(&m.volumes)),
            (&m.secrets, names(&m.secrets)),
            (&m.configs, names(&m.configs)),
        ];
        let [networks, volumes, secrets, configs] = &kinds;
        for svc in &m.services {
            let name = &svc.name.value;
            let mut uses: Vec<(&str, &str, Span, &Kind)> = Vec::new();
            if svc.network_mode.is_none() {
                for n in &svc.networks {
                    if n.name.value != "default" {
                        uses.push(("network", &n.name.value, n.name.span, networks));
                    }
                }
            }
            for v in &svc.volumes {
                if let (MountKind::Volume, Some(src)) = (v.kind, &v.source) {
                    uses.push(("volume", &src.value, src.span, volumes));
                }
            }
            for s in &svc.uncommon().secrets {
                uses.push(("secret", &s.value, s.span, secrets));
            }
            for c in &svc.uncommon().configs {
                uses.push(("config", &c.value, c.span, configs));
            }
            for (kind, res, span, (list, declared)) in uses {
                // An empty name is an unset variable: not ours to judge.
                if res.is_empty() || declared.contains(res) {
                    continue;
                }
                let section = format!("{kind}s");
                let near = match out.full(span.file, &META) {
                    true => None,
                    false => crate::names::nearest(res, list.iter().map(|t| t.name.value.as_str())),
                };
                let mut f = Finding::new(
                    &META,
                    span,
                    format!(
                        "`{name}` uses the {kind} `{res}`, which the top-level `{section}:` does not declare: docker compose refuses the project (\"service \\\"{name}\\\" refers to undefined {kind} {res}\")"
                    ),
                )
                .label(format!("undeclared {kind}"))
                .place(format!("services.{name}.{section}.{res}"));
                f = match near.and_then(|n| list.iter().find(|t| t.name.value == n)) {
                    Some(t) => f
                        .help(format!("did you mean `{}`?", t.name.value))
                        .related(t.span, format!("`{}` is declared here", t.name.value)),
                    None => f.help(format!("declare it under the top-level `{section}:` key")),
                };
                out.push(f);
            }
        }
    }
}
