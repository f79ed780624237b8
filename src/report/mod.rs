//! From findings to a result: one lint pass with suppressions and incident
//! merging (`check`), inline suppression comments (`suppress`), the
//! configuration file (`config`) and the embedded rule pages (`docs`). The
//! formats themselves are in `crate::output`.

pub mod check;
pub mod config;
pub mod docs;
pub mod fix;
pub mod suppress;
