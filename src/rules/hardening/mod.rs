//! Hardening rules: settings that shrink what a compromised service can do.
//! Off until selected (`--select hardening`): most stacks set none of them, and
//! a service may need what they take away.

pub mod capabilities_not_dropped;
pub mod image_not_digest_pinned;
pub mod no_new_privileges_missing;
pub mod runs_as_root;
pub mod writable_root_filesystem;
