//! Facts derived once per project and shared by every rule: what each service
//! runs, which NGINX files its proxy loads (with their scopes and targets), and
//! the dependency graph. Reads the model; knows nothing of rules or findings'
//! presentation.

pub mod graph;
pub mod identity;
pub mod nginx;
pub mod ports;
pub mod secrets;

use crate::compose::stack::Project;

/// Everything the rules read besides the model, computed once per project.
pub struct Analysis<'a> {
    /// The NGINX configs of each proxy, with their scopes and targets.
    pub nginx: Vec<nginx::Group<'a>>,
    /// The dependency graph.
    pub graph: graph::StackGraph,
}

impl<'a> Analysis<'a> {
    pub fn of(p: &'a Project) -> Self {
        let nginx = nginx::analyze(p);
        let graph = graph::StackGraph::build_with(p, &nginx);
        Analysis { nginx, graph }
    }
}
