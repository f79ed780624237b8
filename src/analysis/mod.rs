//! Facts derived once per project and shared by every rule: what each service
//! runs, which NGINX files its proxy loads (with their scopes and targets), and
//! the dependency graph. Reads the model; knows nothing of rules or findings'
//! presentation.

pub mod graph;
pub mod identity;
pub mod nginx;
pub mod ports;
pub mod secrets;

use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::OnceLock;

use crate::compose::model::Service;
use crate::compose::stack::Project;

/// Everything the rules read besides the model, computed once per project.
pub struct Analysis<'a> {
    project: &'a Project,
    /// The NGINX configs of each proxy, with their scopes and targets.
    pub nginx: Vec<nginx::Group<'a>>,
    /// The dependency graph.
    pub graph: graph::StackGraph,
    /// The ports each service listens on, by name: read on first use, then shared.
    listening: HashMap<&'a str, OnceLock<ports::Listening>>,
}

impl<'a> Analysis<'a> {
    pub fn of(p: &'a Project) -> Self {
        let nginx = nginx::analyze(p);
        let graph = graph::StackGraph::build_with(p, &nginx);
        let listening = p
            .model
            .services
            .iter()
            .map(|s| (s.name.value.as_str(), OnceLock::new()))
            .collect();
        Analysis {
            project: p,
            nginx,
            graph,
            listening,
        }
    }

    /// The ports `svc` listens on ([`ports::listening`]), computed once per service.
    pub fn listening(&self, svc: &Service) -> Cow<'_, ports::Listening> {
        match self.listening.get(svc.name.value.as_str()) {
            Some(cell) => Cow::Borrowed(cell.get_or_init(|| ports::listening(self.project, svc))),
            // Not a service of this project: nothing to share.
            None => Cow::Owned(ports::listening(self.project, svc)),
        }
    }
}
