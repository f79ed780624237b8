//! SL105 `unknown-service-reference`: a reference to a service the stack does not define.

use crate::analysis::graph::EdgeKind;
use crate::finding::{Finding, Findings};
use crate::rules::{Category, Context, Rule, RuleMeta};
use crate::severity::Severity;

pub struct UnknownServiceReference;

pub static META: RuleMeta = RuleMeta {
    code: "SL105",
    name: "unknown-service-reference",
    severity: Severity::Error,
    category: Category::Correctness,
    summary: "depends_on, links, extends, network_mode or volumes_from names a service that does not exist",
    fix: crate::finding::FixAvailability::None,
};

impl Rule for UnknownServiceReference {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &Context<'_>, out: &mut Findings) {
        let p = cx.project;
        // A fragment's services and resources are completed by the stack around it.
        if p.is_fragment() {
            return;
        }
        for d in &cx.graph.dangling {
            // `required: false` lets compose skip a dependency it cannot find.
            if matches!(
                d.kind,
                EdgeKind::DependsOn {
                    required: false,
                    ..
                }
            ) {
                continue;
            }
            // A name that comes from a variable nobody set cannot be judged.
            if d.name.is_empty() {
                continue;
            }
            let key = match d.kind {
                EdgeKind::DependsOn { .. } => "depends_on",
                EdgeKind::Link => "links",
                EdgeKind::Extends => "extends",
                EdgeKind::NetworkMode => "network_mode",
                EdgeKind::VolumesFrom => "volumes_from",
                _ => "a reference",
            };
            let names = p.model.services.iter().map(|s| s.name.value.as_str());
            let near = match out.full(d.span.file, &META) {
                true => None,
                false => crate::names::nearest(&d.name, names),
            };
            let mut f = Finding::new(
                &META,
                d.span,
                format!(
                    "`{}` names `{}` in `{key}`, but the stack has no service `{}`",
                    d.from, d.name, d.name
                ),
            )
            .label("no such service")
            .place(format!("services.{}.{key}", d.from));
            f = match near.and_then(|n| p.model.service(n)) {
                Some(s) => f
                    .help(format!("did you mean `{}`?", s.name.value))
                    .related(s.name.span, format!("`{}` is defined here", s.name.value)),
                None => f.help("define the service, or remove the reference"),
            };
            out.push(f);
        }
    }
}
