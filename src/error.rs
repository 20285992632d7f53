//! One error type for the whole crate. The wasm facades turn it into a `JsError` whose message is shown on the page,
//! so every message says what went wrong and, where it can, what to do next.

use thiserror::Error;

/// Everything that can go wrong in Paperlab's library code.
#[derive(Debug, Error)]
pub enum Error {
    /// Two tensors whose shapes do not fit together, e.g. `matmul: inputs 3x4 and 5x6 are not compatible`.
    #[error("{op}: {detail}")]
    Shape { op: &'static str, detail: String },

    /// A value outside the range an operation accepts (epsilon < 0, a probability > 1, an unknown name, ...).
    #[error("{what} is out of range: {detail}")]
    Range { what: &'static str, detail: String },

    /// A file (model weights, dataset) that cannot be parsed: truncated, corrupt, or of the wrong kind.
    #[error("cannot read {what}: {detail}")]
    Format { what: String, detail: String },

    /// A tensor is missing from a model file, or has the wrong dtype or shape.
    #[error("model file: {0}")]
    Model(String),

    /// Native file system errors (CLI only).
    #[error("i/o: {0}")]
    Io(#[from] std::io::Error),
}

/// `Result` with [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// A shape error from one cold helper, so the hot paths stay small.
    #[cold]
    pub fn shape(op: &'static str, detail: impl Into<String>) -> Self {
        Error::Shape { op, detail: detail.into() }
    }

    /// A range error.
    #[cold]
    pub fn range(what: &'static str, detail: impl Into<String>) -> Self {
        Error::Range { what, detail: detail.into() }
    }

    /// A format error for the named file or payload.
    #[cold]
    pub fn format(what: impl Into<String>, detail: impl Into<String>) -> Self {
        Error::Format { what: what.into(), detail: detail.into() }
    }
}
