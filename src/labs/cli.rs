//! Helpers the native training commands (`paperlab train <lab>`) share.

use std::path::Path;

/// The value after `name` in a command line (`--out DIR` gives `Some("DIR")`); `None` when the flag is absent or
/// has no value after it.
pub fn flag<'a>(rest: &[&'a str], name: &str) -> Option<&'a str> {
    rest.iter().position(|a| *a == name).and_then(|i| rest.get(i + 1).copied())
}

/// With `--only ID`, the entries of the other models, kept from the manifest already at `manifest` (its `models`
/// array, every entry whose `id` is not `ID`), so retraining one model leaves the others' numbers in place. Empty
/// without `--only`, or when there is no readable manifest yet.
pub fn kept_entries(manifest: &Path, only: Option<&str>) -> Vec<serde_json::Value> {
    match (only, std::fs::read(manifest)) {
        (Some(o), Ok(b)) => serde_json::from_slice::<serde_json::Value>(&b)
            .ok()
            .and_then(|v| v["models"].as_array().cloned())
            .unwrap_or_default()
            .into_iter()
            .filter(|e| e["id"].as_str() != Some(o))
            .collect(),
        _ => Vec::new(),
    }
}
