//! The rule registry. One rule per file; each file holds its metadata and logic,
//! and `rules/<name>.md` at the repository root holds its documentation.

pub use crate::finding::{Category, RuleMeta};
/// SL002 and SL003 are reported by the suppression pass, which names them here.
pub use invalid_suppression::META as INVALID_SUPPRESSION;
pub use unused_suppression::META as UNUSED_SUPPRESSION;

pub mod compose;
pub mod env;
pub mod graph;
pub mod hardening;
pub mod invalid_suppression;
pub mod nginx;
pub mod options;
pub mod parse_error;
pub mod security;
pub mod unused_suppression;

use crate::analysis::graph::StackGraph;
use crate::analysis::nginx::Group;
use crate::analysis::Analysis;
use crate::compose::model::Service;
use crate::compose::stack::Project;
use crate::finding::Findings;
pub use options::RuleOptions;

/// What a rule reads: the project, and the options the configuration gives it.
pub struct Context<'a> {
    pub project: &'a Project,
    pub options: &'a RuleOptions,
    /// The project's dependency graph ([`Analysis::graph`]).
    pub graph: &'a StackGraph,
    /// Every fact derived once for the project (ports, on first use).
    pub analysis: &'a Analysis<'a>,
    /// The NGINX configs of each proxy ([`Analysis::nginx`]).
    pub nginx: &'a [Group<'a>],
}

impl Context<'_> {
    /// Runs `each` on every service of the project (with its index in the model),
    /// its findings kept as if pushed in service order. On a large stack the
    /// services are shared out on the thread pool, a chunk at a time: a rule that
    /// reads every service's commands otherwise ran alone on one core after the
    /// other rules had finished. Each service of a chunk then fills a sink of its
    /// own (so [`Findings::full`] speaks for that service only), merged in order
    /// before the next chunk runs: no more than a chunk's findings past the bound
    /// are ever held.
    pub fn each_service<F>(&self, out: &mut Findings, each: F)
    where
        F: Fn(usize, &Service, &mut Findings) + Sync,
    {
        const CHUNK: usize = 256;
        let services = &self.project.model.services;
        if services.len() < crate::PARALLEL_SERVICES {
            for (i, svc) in services.iter().enumerate() {
                each(i, svc, out);
            }
            return;
        }
        use rayon::prelude::*;
        for (c, chunk) in services.chunks(CHUNK).enumerate() {
            let found: Vec<Findings> = chunk
                .par_iter()
                .enumerate()
                .map(|(j, svc)| {
                    let mut found = Findings::new();
                    each(c * CHUNK + j, svc, &mut found);
                    found
                })
                .collect();
            for f in found {
                out.append(f);
            }
        }
    }
}

/// A check over one project. Each rule lives in a file of its own, next to its tests.
pub trait Rule: Sync {
    fn meta(&self) -> &'static RuleMeta;
    fn check(&self, cx: &Context<'_>, out: &mut Findings);
}

/// Every rule, in code order.
pub static RULES: &[&dyn Rule] = &[
    &parse_error::ParseError,
    // SL002, SL003: their findings come from the suppression post-pass.
    &invalid_suppression::InvalidSuppression,
    &unused_suppression::UnusedSuppression,
    &compose::invalid_compose::InvalidCompose,
    &compose::healthcheck_port_mismatch::HealthcheckPortMismatch,
    &compose::internal_port_published::InternalPortPublished,
    &compose::missing_resource_limits::MissingResourceLimits,
    &graph::depends_on_cycle::DependsOnCycle,
    &graph::unknown_service_reference::UnknownServiceReference,
    &graph::depends_on_unhealthy::DependsOnUnhealthy,
    &graph::undeclared_resource::UndeclaredResource,
    &compose::healthcheck_tool_missing::HealthcheckToolMissing,
    &compose::duplicate_host_port::DuplicateHostPort,
    &compose::duplicate_container_name::DuplicateContainerName,
    &compose::memory_setting_exceeds_limit::MemorySettingExceedsLimit,
    &compose::workers_exceed_memory::WorkersExceedMemory,
    &env::debug_in_production::DebugInProduction,
    &nginx::static_upstream_without_resolver::StaticUpstreamWithoutResolver,
    &nginx::resolver_not_used::ResolverNotUsed,
    &nginx::nginx_config_not_loaded::NginxConfigNotLoaded,
    &nginx::proxy_target_unknown::ProxyTargetUnknown,
    &nginx::proxy_port_mismatch::ProxyPortMismatch,
    &graph::proxy_target_unreachable::ProxyTargetUnreachable,
    &graph::proxy_starts_before_target::ProxyStartsBeforeTarget,
    &nginx::add_header_dropped::AddHeaderDropped,
    &nginx::missing_security_headers::MissingSecurityHeaders,
    &nginx::http_not_redirected::HttpNotRedirected,
    &env::undefined_variable::UndefinedVariable,
    &env::env_example_drift::EnvExampleDrift,
    &env::placeholder_secret::PlaceholderSecret,
    &env::hardcoded_secret::HardcodedSecret,
    &env::env_file_committed::EnvFileCommitted,
    &security::docker_socket_mounted::DockerSocketMounted,
    &security::privileged_container::PrivilegedContainer,
    &security::host_namespace::HostNamespace,
    &security::dangerous_capability::DangerousCapability,
    &security::sensitive_host_mount::SensitiveHostMount,
    &security::security_profile_disabled::SecurityProfileDisabled,
    &security::image_not_pinned::ImageNotPinned,
    &hardening::no_new_privileges_missing::NoNewPrivilegesMissing,
    &hardening::capabilities_not_dropped::CapabilitiesNotDropped,
    &hardening::writable_root_filesystem::WritableRootFilesystem,
    &hardening::runs_as_root::RunsAsRoot,
    &hardening::image_not_digest_pinned::ImageNotDigestPinned,
];

pub fn all() -> impl Iterator<Item = &'static RuleMeta> {
    RULES.iter().map(|r| r.meta())
}

/// A rule by its name (`missing-resource-limits`) or code (`SL103`), any case.
pub fn lookup(name_or_code: &str) -> Option<&'static RuleMeta> {
    all().find(|m| {
        m.name.eq_ignore_ascii_case(name_or_code) || m.code.eq_ignore_ascii_case(name_or_code)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn names_and_codes_are_unique_and_well_formed() {
        let mut names = HashSet::new();
        let mut codes = HashSet::new();
        for m in all() {
            assert!(names.insert(m.name), "duplicate name {}", m.name);
            assert!(codes.insert(m.code), "duplicate code {}", m.code);
            assert!(
                m.name.chars().all(|c| c.is_ascii_lowercase() || c == '-'),
                "{} is not kebab-case",
                m.name
            );
            assert!(
                m.code.len() == 5
                    && m.code.starts_with("SL")
                    && m.code[2..].chars().all(|c| c.is_ascii_digit()),
                "{} is not SLnnn",
                m.code
            );
        }
    }

    #[test]
    fn every_rule_has_a_page_and_every_page_a_rule() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("rules");
        for m in all() {
            let page = dir.join(format!("{}.md", m.name));
            let text = std::fs::read_to_string(&page)
                .unwrap_or_else(|_| panic!("rules/{}.md is missing", m.name));
            for section in [
                "## What it does",
                "## Why is this bad?",
                "## Example",
                "## Use instead",
            ] {
                assert!(
                    text.contains(section),
                    "rules/{}.md lacks `{section}`",
                    m.name
                );
            }
            assert!(
                text.contains(m.code),
                "rules/{}.md does not name its code",
                m.name
            );
        }
        for entry in std::fs::read_dir(&dir).unwrap() {
            let name = entry.unwrap().file_name().to_string_lossy().into_owned();
            if let Some(stem) = name.strip_suffix(".md") {
                assert!(
                    lookup(stem).is_some(),
                    "rules/{name} documents no registered rule"
                );
            }
        }
    }
}
