//! The port behaviour of well-known products lives in `knowledge/images.toml`
//! (`[[ports]]`); this names its types for the port analysis.

pub(super) use crate::knowledge::{ArgsOnly, PortProduct as Product, VarForm};
