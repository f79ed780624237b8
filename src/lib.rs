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
