//! The compose model: loading (override files, include, extends), merging, and the
//! typed view the rules read.

pub mod base;
pub mod load;
pub mod merge;
pub mod model;
pub mod schema;
