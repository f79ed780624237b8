//! Variable interpolation exactly as docker compose does it.

use std::ops::Range;

use crate::source::Span;

/// Where a variable's value comes from.
pub trait Lookup {
    /// The value of `name`, and the span of the text that defined it (a `.env` line).
    fn lookup(&self, name: &str) -> Option<(String, Option<Span>)>;
}

/// The operator of a `${...}` expression.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case", tag = "op")]
pub enum Op {
    /// `$VAR` or `${VAR}`
    Plain,
    /// `${VAR:-default}` (colon = true) or `${VAR-default}`
    Default { colon: bool },
    /// `${VAR:?err}` (colon = true) or `${VAR?err}`
    Required { colon: bool, message: String },
    /// `${VAR:+alt}` (colon = true) or `${VAR+alt}`
    Alternative { colon: bool },
}

/// One variable read while interpolating a string.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct VarUse {
    pub name: String,
    pub op: Op,
    /// Byte range of the whole expression (`${VAR:-x}` or `$VAR`) in the interpolated text.
    #[serde(skip)]
    pub range: Range<usize>,
    /// The span of that expression in its source file, when the caller maps it.
    pub span: Option<Span>,
    /// Whether the variable had a value (for `:`-operators: a non-empty value).
    pub defined: bool,
    /// Where the value came from (a `.env` line), when known.
    pub source: Option<Span>,
}

/// A syntax error in a template: `${` unterminated, an invalid name, ...
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InterpError {
    /// Byte range in the interpolated text.
    pub range: Range<usize>,
    pub message: String,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Interpolated {
    pub value: String,
    pub uses: Vec<VarUse>,
}

/// Interpolates `text`. Variables are read through `lookup`.
pub fn interpolate(text: &str, lookup: &dyn Lookup) -> Result<Interpolated, InterpError> {
    let _ = lookup;
    Ok(Interpolated {
        value: text.to_string(),
        uses: Vec::new(),
    })
}
