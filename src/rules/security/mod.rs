//! Rules about what a service may do to its host: namespaces, capabilities,
//! mounts, security profiles and what it pulls.

pub mod dangerous_capability;
pub mod docker_socket_mounted;
pub mod host_namespace;
pub mod image_not_pinned;
pub mod privileged_container;
pub mod security_profile_disabled;
pub mod sensitive_host_mount;
