//! Which services share a network namespace with another container, where
//! `localhost` reaches the other container's ports too.

use std::collections::HashSet;

use crate::compose::stack::Project;

/// For each service of the model, in its order: whether it shares its network
/// namespace with another container. It does when it joins one
/// (`network_mode: host`, `service:x`, `container:x`) or when another service
/// joins it (`network_mode: service:<its name>` or `container:<its container_name>`).
///
/// Linear: every `network_mode` is gathered once and each service looks itself
/// up; asking every service about each one was quadratic.
pub fn shared_namespaces(p: &Project) -> Vec<bool> {
    let services = &p.model.services;
    let mut joined_services: HashSet<&str> = HashSet::new();
    let mut joined_containers: HashSet<&str> = HashSet::new();
    for s in services {
        crate::steps::step();
        let Some(m) = &s.network_mode else { continue };
        let m = m.value.trim();
        if let Some(name) = m.strip_prefix("service:") {
            joined_services.insert(name);
        } else if let Some(name) = m.strip_prefix("container:") {
            joined_containers.insert(name);
        }
    }
    services
        .iter()
        .map(|s| {
            if let Some(m) = &s.network_mode {
                let m = m.value.trim();
                if m == "host" || m.starts_with("service:") || m.starts_with("container:") {
                    return true;
                }
            }
            crate::steps::step();
            joined_services.contains(s.name.value.as_str())
                || s.uncommon().container_name.iter().any(|c| {
                    crate::steps::step();
                    joined_containers.contains(c.value.as_str())
                })
        })
        .collect()
}
