//! Rules that read variables and `.env` files.

pub mod env_example_drift;
pub mod placeholder_secret;
pub mod undefined_variable;
