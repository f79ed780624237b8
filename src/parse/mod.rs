//! Parsers: each turns one file's text into a spanned tree plus diagnostics.
//! None of them panics on input; problems come back as [`crate::finding::ParseDiag`].

pub mod dockerfile;
pub mod env;
pub mod interpolate;
pub mod nginx;
pub mod shell;
pub mod yaml;
