//! `paperlab train roll`: trains the digit models (placeholder until the digits step).

use crate::error::Result;

/// The CLI.
///
/// # Errors
/// None yet.
pub fn train_cli(_rest: &[&str]) -> Result<()> {
    Ok(())
}
