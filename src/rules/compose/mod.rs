//! Rules that read the compose model alone.

pub mod duplicate_container_name;
pub mod duplicate_host_port;
pub mod healthcheck_port_mismatch;
pub mod healthcheck_tool_missing;
pub mod internal_port_published;
pub mod invalid_compose;
pub mod memory_setting_exceeds_limit;
pub mod missing_resource_limits;
pub mod workers_exceed_memory;
