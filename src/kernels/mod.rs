//! The hot loops.
