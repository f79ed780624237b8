//! The compose model.
