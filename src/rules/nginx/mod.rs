//! Rules that read the NGINX configs of the stack together with its compose model.

pub mod nginx_config_not_loaded;
pub mod proxy_port_mismatch;
pub mod proxy_target_unknown;
pub mod resolver_not_used;
pub mod static_upstream_without_resolver;
