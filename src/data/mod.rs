//! Loaders for the shipped datasets.
