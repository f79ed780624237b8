//! stacklint: a linter for container stacks. A stack is read into one spanned
//! model (compose files, `.env` files, NGINX configs) and checked by rules that
//! may read several files at once.
#![forbid(unsafe_code)]

pub mod analysis;
pub mod cli;
pub mod compose;
pub mod finding;

pub mod image;
pub mod knowledge;
pub mod memory;
pub mod names;
pub mod output;
pub mod parse;
pub mod paths;
pub mod report;

pub mod rules;
pub mod server;
pub mod severity;
pub mod source;
pub mod steps;

/// From this many services on, the work of one project is split over threads
/// (its services' model, its rules). Below it the projects themselves are the
/// unit of parallel work: splitting a small one costs more than it saves.
pub const PARALLEL_SERVICES: usize = 64;
