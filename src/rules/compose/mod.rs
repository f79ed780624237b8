//! Rules that read the compose model alone.

pub mod missing_resource_limits;
