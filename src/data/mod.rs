//! Loaders for the shipped datasets (see `www/data/README.md` for where each file comes from).

pub mod fashion;
pub mod mnist;
pub mod text;
