//! Rules that read the dependency graph of the stack (`crate::analysis::graph`).

pub mod depends_on_cycle;
pub mod depends_on_unhealthy;
pub mod proxy_starts_before_target;
pub mod proxy_target_unreachable;
pub mod undeclared_resource;
pub mod unknown_service_reference;
