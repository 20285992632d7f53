//! safetensors load/save with a metadata map (placeholder; filled in with the model format).
