//! The compose model: loading (override files, include, extends), merging, and the
//! typed view the rules read.

pub mod base;
pub mod discover;
pub mod env;
pub mod git;
pub mod load;
pub mod merge;
pub mod model;
pub mod proxy;
pub mod schema;
pub mod schema_view;
pub mod stack;
