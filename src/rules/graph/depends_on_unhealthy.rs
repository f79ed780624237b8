//! SL106 `depends-on-unhealthy`: waiting for a service to be healthy when it has no healthcheck.

use petgraph::visit::EdgeRef;

use crate::analysis::graph::EdgeKind;
use crate::compose::model::Service;
use crate::compose::stack::Project;
use crate::finding::{Finding, Findings};
use crate::rules::{Category, Context, Rule, RuleMeta};
use crate::severity::Severity;
use crate::source::Span;

pub struct DependsOnUnhealthy;

pub static META: RuleMeta = RuleMeta {
    code: "SL106",
    name: "depends-on-unhealthy",
    severity: Severity::Error,
    category: Category::Correctness,
    summary: "condition: service_healthy waits on a service that has no healthcheck",
    fix: crate::finding::FixAvailability::None,
};

/// Why `svc` can never become healthy, with the span that shows it; `None` when it
/// has (or may have) a healthcheck.
fn never_healthy(p: &Project, svc: &Service) -> Option<(String, Span)> {
    if let Some(h) = &svc.healthcheck {
        if h.disabled() {
            let span = h.test.as_ref().map(|t| t.span).unwrap_or(h.span);
            return Some(("its healthcheck is disabled".into(), span));
        }
        if h.test.is_some() {
            return None;
        }
        // Timings only: the test comes from the image, if it has one.
    }
    if svc.build.is_some() {
        let (_, df) = p.dockerfiles.get(svc.name.value.as_str())?;
        // `FROM base` inherits the HEALTHCHECK of stage `base`.
        let has = crate::compose::base::final_instructions(df)
            .iter()
            .any(|stage| stage.iter().any(|i| i.name == "HEALTHCHECK"));
        return (!has).then(|| {
            (
                "it has no healthcheck (none in compose, no HEALTHCHECK in its Dockerfile)".into(),
                svc.name.span,
            )
        });
    }
    let image = svc.image.as_ref()?;
    let repo = &crate::compose::base::base_image(p, svc)?.image.path;
    crate::knowledge::ships_without_healthcheck(repo).then(|| {
        (
            format!("it has no healthcheck (none in compose, and the `{repo}` image defines none)"),
            image.span,
        )
    })
}

impl Rule for DependsOnUnhealthy {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &Context<'_>, out: &mut Findings) {
        let p = cx.project;
        let g = &cx.graph.graph;
        for e in g.edge_references() {
            let EdgeKind::DependsOn {
                condition,
                required: true,
                ..
            } = &e.weight().kind
            else {
                continue;
            };
            if condition != "service_healthy" {
                continue;
            }
            let (from, to) = (&g[e.source()].name, &g[e.target()].name);
            let Some(target) = p.model.service(to) else {
                continue;
            };
            let Some((why, evidence)) = never_healthy(p, target) else {
                continue;
            };
            out.push(
                Finding::new(
                    &META,
                    e.weight().span,
                    format!(
                        "`{from}` waits for `{to}` to be healthy, but {why}: docker compose stops with \"dependency failed to start: container {to} has no healthcheck configured\""
                    ),
                )
                .label("waits for `service_healthy`")
                .related(evidence, format!("`{to}` never reports healthy"))
                .help(format!(
                    "give `{to}` a healthcheck (e.g. `test: [\"CMD-SHELL\", \"...\"]`), or wait with `condition: service_started`"
                ))
                .place(format!("services.{from}.depends_on.{to}")),
            );
        }
    }
}
