//! `ndarray` at module boundaries: the public functions of [`crate::nn`] (and of new labs) take shaped views
//! (`ArrayView2` for B x I activations, `ArrayView4` for B x C x H x W images) and return owned arrays, so a shape
//! travels with its buffer and a wrong one is an [`Error::Shape`] at the call, not an index panic deep in a loop.
//!
//! The kernels keep their flat slices and strides: a view in standard (row-major) layout is handed to them without a
//! copy ([`slice_of`]); any other layout is copied once into standard layout first. Results are built from the
//! kernels' output vectors without a copy (`Array::from_shape_vec`), and [`into_vec`] gives the vector back. So the
//! only cost of the boundary is the shape check (measured in `examples/nd_boundary.rs`, `make bench`).
//!
//! The helpers here turn flat buffers (the labs' storage, safetensors tensors, typed arrays from the page) into
//! views with a message that names the operation when the length does not fit.

use ndarray::{Array, ArrayView, ArrayViewMut, CowArray, Dimension, IntoDimension};

use crate::error::{Error, Result};

impl From<ndarray::ShapeError> for Error {
    fn from(e: ndarray::ShapeError) -> Self {
        Error::shape("ndarray", e.to_string())
    }
}

fn dims_text(d: &[usize]) -> String {
    d.iter().map(usize::to_string).collect::<Vec<_>>().join("x")
}

/// A read-only view of `data` with shape `dims` (row-major), e.g. `view(op, &x, (batch, 784))`.
///
/// # Errors
/// [`Error::Shape`] naming `op` when `data.len()` is not the product of `dims`.
pub fn view<'a, Sh: IntoDimension>(op: &'static str, data: &'a [f32], dims: Sh) -> Result<ArrayView<'a, f32, Sh::Dim>> {
    let d = dims.into_dimension();
    if d.size_checked() != Some(data.len()) {
        return Err(Error::shape(op, format!("expected {} = {} values, got {}", dims_text(d.slice()), d.size(), data.len())));
    }
    Ok(ArrayView::from_shape(d, data)?)
}

/// A mutable view of `data` with shape `dims` (row-major), for gradients accumulated in place.
///
/// # Errors
/// [`Error::Shape`] naming `op` when `data.len()` is not the product of `dims`.
pub fn view_mut<'a, Sh: IntoDimension>(op: &'static str, data: &'a mut [f32], dims: Sh) -> Result<ArrayViewMut<'a, f32, Sh::Dim>> {
    let d = dims.into_dimension();
    if d.size_checked() != Some(data.len()) {
        return Err(Error::shape(op, format!("expected {} = {} values, got {}", dims_text(d.slice()), d.size(), data.len())));
    }
    Ok(ArrayViewMut::from_shape(d, data)?)
}

/// An owned array of shape `dims` over `data` without copying it.
///
/// # Errors
/// [`Error::Shape`] naming `op` when `data.len()` is not the product of `dims`.
pub fn array<Sh: IntoDimension>(op: &'static str, data: Vec<f32>, dims: Sh) -> Result<Array<f32, Sh::Dim>> {
    let d = dims.into_dimension();
    if d.size_checked() != Some(data.len()) {
        return Err(Error::shape(op, format!("expected {} = {} values, got {}", dims_text(d.slice()), d.size(), data.len())));
    }
    Ok(Array::from_shape_vec(d, data)?)
}

/// The row-major values of an owned array, without copying when it is already in standard layout.
pub fn into_vec<D: Dimension>(a: Array<f32, D>) -> Vec<f32> {
    if !a.is_standard_layout() {
        return a.iter().copied().collect();
    }
    let n = a.len();
    let (mut v, off) = a.into_raw_vec_and_offset();
    // Standard layout: the n elements are contiguous from the offset (0 unless the array was sliced).
    let o = off.unwrap_or(0);
    if o > 0 {
        v.drain(..o);
    }
    v.truncate(n);
    v
}

/// The view in standard (row-major) layout: borrowed when it already is, copied once otherwise.
pub fn standard<'a, D: Dimension>(a: ArrayView<'a, f32, D>) -> CowArray<'a, f32, D> {
    if a.is_standard_layout() {
        CowArray::from(a)
    } else {
        CowArray::from(a.as_standard_layout().into_owned())
    }
}

/// The contiguous row-major slice of a mutable array or view (an output or a gradient written in place).
///
/// # Errors
/// [`Error::Shape`] naming `op` if it is not in standard layout (a transposed or sliced view).
pub fn slice_mut<'b, S: ndarray::DataMut<Elem = f32>, D: Dimension>(op: &'static str, a: &'b mut ndarray::ArrayBase<S, D>) -> Result<&'b mut [f32]> {
    a.as_slice_mut().ok_or_else(|| Error::shape(op, "an output or gradient buffer is not row-major"))
}

/// The contiguous row-major slice of a standard-layout array (see [`standard`]).
///
/// # Errors
/// [`Error::Shape`] if the array is not in standard layout (cannot happen for the result of [`standard`]).
pub fn slice_of<'b, D: Dimension>(op: &'static str, a: &'b CowArray<'_, f32, D>) -> Result<&'b [f32]> {
    a.as_slice().ok_or_else(|| Error::shape(op, "an input is not in row-major layout"))
}
