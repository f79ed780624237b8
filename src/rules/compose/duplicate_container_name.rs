//! SL110 `duplicate-container-name`: two services that run together share a
//! `container_name`, or a service with a `container_name` runs more than one container.

use std::collections::HashMap;

use crate::finding::{Finding, Findings};
use crate::rules::{Category, Context, Rule, RuleMeta};
use crate::severity::Severity;

pub struct DuplicateContainerName;

pub static META: RuleMeta = RuleMeta {
    code: "SL110",
    name: "duplicate-container-name",
    severity: Severity::Error,
    category: Category::Correctness,
    summary: "Two services share a container_name, or a service with one has several replicas",
    fix: crate::finding::FixAvailability::None,
};

/// How many earlier services of one name are compared with a later one: enough
/// for profiles that split them, bounded for a hostile file.
const MAX_COMPARED: usize = 16;

impl Rule for DuplicateContainerName {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &Context<'_>, out: &mut Findings) {
        let services = &cx.project.model.services;
        // Only names of one file are compared (see duplicate-host-port: a second
        // file is often an alternative to the base, not an overlay).
        let mut by_name: HashMap<(crate::source::FileId, &str), Vec<usize>> = HashMap::new();
        for (i, svc) in services.iter().enumerate() {
            let Some(cn) = svc.uncommon().container_name.as_ref() else {
                continue;
            };
            if !svc.runs_as_written() {
                continue;
            }
            let value = cn.value.trim();
            // An empty name is a variable without a value: compose names it itself.
            if value.is_empty() {
                continue;
            }
            let name = &svc.name.value;
            let replicas = svc.isolation.as_deref().and_then(|iso| {
                [&iso.replicas, &iso.scale]
                    .into_iter()
                    .flatten()
                    .find(|r| r.value.trim().parse::<u64>().is_ok_and(|n| n > 1))
            });
            if let Some(r) = replicas {
                out.push(
                    Finding::new(
                        &META,
                        cn.span,
                        format!("`{name}` sets `container_name: {value}` and asks for {} replicas: compose refuses the project (`can't set container_name and {name} as container name must be unique`)", r.value.trim()),
                    )
                    .label("one name")
                    .related(r.span, "more than one replica")
                    .help("remove `container_name` (compose names each replica `<project>-<service>-<n>`), or run one replica")
                    .place(format!("services.{name}.container_name")),
                );
            }
            let earlier = by_name.entry((cn.span.file, value)).or_default();
            let clash = earlier
                .iter()
                .take(MAX_COMPARED)
                .find(|&&j| services[j].runs_with(svc));
            if let Some(&j) = clash {
                let other = &services[j];
                let Some(other_cn) = other.uncommon().container_name.as_ref() else {
                    continue;
                };
                out.push(
                    Finding::new(
                        &META,
                        cn.span,
                        format!(
                            "`{name}` and `{}` both set `container_name: {value}`: the second to be created fails, its name already in use",
                            other.name.value
                        ),
                    )
                    .label("name already taken")
                    .related(other_cn.span, format!("`{}` takes it first", other.name.value))
                    .help("give each service its own container_name, or remove it and let compose name the containers")
                    .place(format!("services.{name}.container_name")),
                );
            }
            earlier.push(i);
        }
    }
}
