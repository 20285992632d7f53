//! safetensors load/save (model weights and datasets) with a string metadata map, and a bounded gunzip.
//!
//! The format: an 8-byte little-endian header length `N`, a JSON header of `N` bytes (padded with spaces to a
//! multiple of 8) mapping each tensor name to `{dtype, shape, data_offsets}` plus an optional `__metadata__`
//! string map, then the tensors' little-endian bytes back to back. Parsing and validation (offsets contiguous,
//! sizes matching shapes, header well-formed) are done by the `safetensors` crate; saving is done here so the
//! output is byte-stable: tensors sorted by name, JSON keys sorted, no timestamps. Saved files load in Python's
//! `safetensors` as well.
//!
//! Nothing here panics on bad bytes: truncated, corrupt or mislabelled input gives an [`Error`].

use std::collections::BTreeMap;
use std::io::Read;

use safetensors::tensor::{Dtype, SafeTensors};

use crate::error::{Error, Result};

/// A dense f32 tensor, row-major (C order).
#[derive(Debug, Clone, PartialEq)]
pub struct Tensor {
    /// Extent of each axis; the empty shape is a scalar (one element).
    pub shape: Vec<usize>,
    /// `shape.iter().product()` values, row-major.
    pub data: Vec<f32>,
}

impl Tensor {
    /// Number of elements, `shape.iter().product()` (1 for a scalar).
    pub fn len(&self) -> usize {
        self.data.len()
    }

    /// True if the tensor has no elements (some axis is 0).
    pub fn is_empty(&self) -> bool {
        self.data.is_empty()
    }
}

/// Serialises f32 tensors and a metadata map as safetensors bytes.
///
/// `tensors` are `(name, shape, data)` with `data.len() == shape.iter().product()`, data row-major; they are
/// written sorted by name, as dtype `F32`, little-endian. `metadata` becomes the `__metadata__` string map (omitted
/// when empty). The output depends only on the inputs (byte-stable).
///
/// Errors: [`Error::Model`] for an empty or duplicate name, or the reserved name `__metadata__`; [`Error::Shape`]
/// when a data length does not match its shape (or the element count overflows).
pub fn save_f32(tensors: &[(&str, &[usize], &[f32])], metadata: &BTreeMap<String, String>) -> Result<Vec<u8>> {
    let mut sorted: Vec<&(&str, &[usize], &[f32])> = tensors.iter().collect();
    sorted.sort_by(|a, b| a.0.cmp(b.0));
    for pair in sorted.windows(2) {
        if pair[0].0 == pair[1].0 {
            return Err(Error::Model(format!("tensor name `{}` appears twice", pair[0].0)));
        }
    }

    let mut header = serde_json::Map::new();
    if !metadata.is_empty() {
        let m: serde_json::Map<String, serde_json::Value> =
            metadata.iter().map(|(k, v)| (k.clone(), serde_json::Value::String(v.clone()))).collect();
        header.insert("__metadata__".to_string(), serde_json::Value::Object(m));
    }
    let mut offset = 0usize;
    for (name, shape, data) in &sorted {
        if name.is_empty() || *name == "__metadata__" {
            return Err(Error::Model(format!("`{name}` is not a valid tensor name")));
        }
        let n = shape
            .iter()
            .try_fold(1usize, |acc, &d| acc.checked_mul(d))
            .ok_or_else(|| Error::shape("save_f32", format!("tensor `{name}`: shape {shape:?} overflows")))?;
        if n != data.len() {
            return Err(Error::shape(
                "save_f32",
                format!("tensor `{name}`: shape {shape:?} needs {n} values, got {}", data.len()),
            ));
        }
        let end = offset + 4 * n;
        header.insert(
            (*name).to_string(),
            serde_json::json!({ "dtype": "F32", "shape": shape, "data_offsets": [offset, end] }),
        );
        offset = end;
    }

    let mut head = serde_json::to_vec(&serde_json::Value::Object(header))
        .map_err(|e| Error::Model(format!("cannot encode the safetensors header: {e}")))?;
    head.resize(head.len().next_multiple_of(8), b' ');

    let mut out = Vec::with_capacity(8 + head.len() + offset);
    out.extend_from_slice(&(head.len() as u64).to_le_bytes());
    out.extend_from_slice(&head);
    for (_, _, data) in &sorted {
        for v in data.iter() {
            out.extend_from_slice(&v.to_le_bytes());
        }
    }
    Ok(out)
}

/// A parsed safetensors buffer; borrows the bytes it was parsed from. Tensors are copied out on request.
pub struct Loaded<'a> {
    st: SafeTensors<'a>,
    metadata: BTreeMap<String, String>,
}

impl std::fmt::Debug for Loaded<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Loaded").field("tensors", &self.names()).field("metadata", &self.metadata).finish()
    }
}

/// Parses safetensors bytes (not gzipped; see [`gunzip`]).
///
/// Errors: [`Error::Format`] (`what` = "safetensors file") when the bytes are truncated, the header is not valid
/// JSON, offsets are not contiguous or do not match shapes and dtypes, or the buffer length is wrong.
pub fn load(bytes: &[u8]) -> Result<Loaded<'_>> {
    let st = SafeTensors::deserialize(bytes).map_err(|e| Error::format("safetensors file", format!("{e:?}")))?;
    // `SafeTensors` does not expose the metadata map; read it from the (already validated) header.
    let (_, meta) =
        SafeTensors::read_metadata(bytes).map_err(|e| Error::format("safetensors file", format!("{e:?}")))?;
    let metadata = meta.metadata().as_ref().map(|m| m.iter().map(|(k, v)| (k.clone(), v.clone())).collect());
    Ok(Loaded { st, metadata: metadata.unwrap_or_default() })
}

impl<'a> Loaded<'a> {
    /// Tensor names, sorted.
    pub fn names(&self) -> Vec<&str> {
        let mut n = self.st.names();
        n.sort_unstable();
        n
    }

    /// The `__metadata__` map (empty when the file has none).
    pub fn metadata(&self) -> &BTreeMap<String, String> {
        &self.metadata
    }

    /// Shape and dtype name (`"F32"`, `"U8"`, ...) of tensor `name`.
    ///
    /// Errors: [`Error::Model`] when there is no such tensor.
    pub fn info(&self, name: &str) -> Result<(Vec<usize>, String)> {
        let view = self.view(name)?;
        Ok((view.shape().to_vec(), format!("{:?}", view.dtype())))
    }

    fn view(&self, name: &str) -> Result<safetensors::tensor::TensorView<'a>> {
        self.st
            .tensor(name)
            .map_err(|_| Error::Model(format!("no tensor `{name}` (the file has: {})", self.names().join(", "))))
    }

    /// Tensor `name` as f32 values, row-major.
    ///
    /// Errors: [`Error::Model`] when the tensor is missing or its dtype is not `F32`.
    pub fn f32(&self, name: &str) -> Result<Tensor> {
        let view = self.view(name)?;
        if view.dtype() != Dtype::F32 {
            return Err(Error::Model(format!("tensor `{name}` has dtype {:?}, expected F32", view.dtype())));
        }
        let data = view.data().chunks_exact(4).map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]])).collect();
        Ok(Tensor { shape: view.shape().to_vec(), data })
    }

    /// Tensor `name` as bytes: `(shape, data)`, data row-major, `shape.iter().product()` bytes.
    ///
    /// Errors: [`Error::Model`] when the tensor is missing or its dtype is not `U8`.
    pub fn u8(&self, name: &str) -> Result<(Vec<usize>, Vec<u8>)> {
        let view = self.view(name)?;
        if view.dtype() != Dtype::U8 {
            return Err(Error::Model(format!("tensor `{name}` has dtype {:?}, expected U8", view.dtype())));
        }
        Ok((view.shape().to_vec(), view.data().to_vec()))
    }
}

/// Decompresses gzip data (one or more members), refusing outputs longer than `max_len` bytes.
///
/// Errors: [`Error::Format`] (`what` = "gzip data") for bytes that are not gzip, truncated input, a bad CRC, or an
/// output that would exceed `max_len` (a guard against decompression bombs and wrong files).
pub fn gunzip(bytes: &[u8], max_len: usize) -> Result<Vec<u8>> {
    if bytes.len() < 18 || bytes[0] != 0x1f || bytes[1] != 0x8b {
        return Err(Error::format("gzip data", "not gzip (bad magic bytes or too short)"));
    }
    let mut out = Vec::new();
    let limit = (max_len as u64).saturating_add(1);
    flate2::read::MultiGzDecoder::new(bytes)
        .take(limit)
        .read_to_end(&mut out)
        .map_err(|e| Error::format("gzip data", e.to_string()))?;
    if out.len() > max_len {
        return Err(Error::format("gzip data", format!("decompresses to more than {max_len} bytes")));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn meta() -> BTreeMap<String, String> {
        [("config".to_string(), "{\"hidden\":32}".to_string()), ("lab".to_string(), "verify".to_string())]
            .into_iter()
            .collect()
    }

    #[test]
    fn round_trip_f32_and_metadata() {
        let w: Vec<f32> = (0..6).map(|i| i as f32 * 0.5 - 1.0).collect();
        let b = [f32::MIN_POSITIVE, -0.0, 3.25];
        let s = [7.0f32];
        let bytes = save_f32(&[("w", &[2, 3], &w), ("b", &[3], &b), ("s", &[], &s)], &meta()).unwrap();
        let l = load(&bytes).unwrap();
        assert_eq!(l.names(), vec!["b", "s", "w"]);
        assert_eq!(l.metadata(), &meta());
        assert_eq!(l.f32("w").unwrap(), Tensor { shape: vec![2, 3], data: w.clone() });
        let bt = l.f32("b").unwrap();
        assert_eq!(bt.data.iter().map(|v| v.to_bits()).collect::<Vec<_>>(), b.map(|v| v.to_bits()).to_vec());
        assert_eq!(l.f32("s").unwrap(), Tensor { shape: vec![], data: vec![7.0] });
        assert_eq!(l.info("w").unwrap(), (vec![2, 3], "F32".to_string()));
    }

    #[test]
    fn save_is_byte_stable_and_order_independent() {
        let a = [1.0f32, 2.0];
        let c = [3.0f32];
        let x = save_f32(&[("a", &[2], &a), ("c", &[1], &c)], &meta()).unwrap();
        let y = save_f32(&[("c", &[1], &c), ("a", &[2], &a)], &meta()).unwrap();
        assert_eq!(x, y);
        let n = u64::from_le_bytes(x[..8].try_into().unwrap()) as usize;
        assert_eq!(n % 8, 0);
        assert_eq!(x.len(), 8 + n + 12);
    }

    #[test]
    fn empty_metadata_and_no_tensors() {
        let bytes = save_f32(&[], &BTreeMap::new()).unwrap();
        let l = load(&bytes).unwrap();
        assert!(l.names().is_empty());
        assert!(l.metadata().is_empty());
    }

    #[test]
    fn save_rejects_bad_input() {
        let d = [1.0f32, 2.0, 3.0];
        assert!(matches!(save_f32(&[("w", &[2, 2], &d)], &BTreeMap::new()), Err(Error::Shape { .. })));
        assert!(matches!(save_f32(&[("w", &[3], &d), ("w", &[3], &d)], &BTreeMap::new()), Err(Error::Model(_))));
        assert!(matches!(save_f32(&[("", &[3], &d)], &BTreeMap::new()), Err(Error::Model(_))));
        assert!(matches!(save_f32(&[("__metadata__", &[3], &d)], &BTreeMap::new()), Err(Error::Model(_))));
        assert!(save_f32(&[("w", &[usize::MAX, 2], &d)], &BTreeMap::new()).is_err());
    }

    #[test]
    fn truncated_or_corrupt_bytes_are_errors() {
        let w = [1.0f32; 10];
        let bytes = save_f32(&[("w", &[10], &w)], &meta()).unwrap();
        // Every truncation fails cleanly.
        for cut in 0..bytes.len() {
            assert!(matches!(load(&bytes[..cut]), Err(Error::Format { .. })), "cut at {cut}");
        }
        // Extra trailing bytes.
        let mut long = bytes.clone();
        long.push(0);
        assert!(matches!(load(&long), Err(Error::Format { .. })));
        // A huge header length.
        let mut huge = bytes.clone();
        huge[..8].copy_from_slice(&u64::MAX.to_le_bytes());
        assert!(matches!(load(&huge), Err(Error::Format { .. })));
        // Flipping any header byte never panics (it may still parse if it only touched padding or a value).
        let n = u64::from_le_bytes(bytes[..8].try_into().unwrap()) as usize;
        for i in 8..8 + n {
            for flip in [0x01u8, 0x20, 0x80] {
                let mut bad = bytes.clone();
                bad[i] ^= flip;
                let _ = load(&bad).and_then(|l| l.f32("w").map(|_| ()));
            }
        }
        assert!(load(b"not a safetensors file at all").is_err());
    }

    #[test]
    fn wrong_dtype_and_missing_name_are_clear_errors() {
        let w = [1.0f32; 4];
        let bytes = save_f32(&[("w", &[4], &w)], &BTreeMap::new()).unwrap();
        let l = load(&bytes).unwrap();
        let err = l.u8("w").unwrap_err().to_string();
        assert!(err.contains("dtype F32") && err.contains("expected U8"), "{err}");
        let err = l.f32("nope").unwrap_err().to_string();
        assert!(err.contains("no tensor `nope`") && err.contains("w"), "{err}");
    }

    #[test]
    fn reads_u8_tensors() {
        // Hand-made U8 file, as the dataset script writes them.
        let json = br#"{"x":{"dtype":"U8","shape":[2,3],"data_offsets":[0,6]}}"#;
        let mut head = json.to_vec();
        head.resize(head.len().next_multiple_of(8), b' ');
        let mut bytes = (head.len() as u64).to_le_bytes().to_vec();
        bytes.extend_from_slice(&head);
        bytes.extend_from_slice(&[0, 1, 2, 253, 254, 255]);
        let l = load(&bytes).unwrap();
        assert_eq!(l.u8("x").unwrap(), (vec![2, 3], vec![0, 1, 2, 253, 254, 255]));
        assert!(matches!(l.f32("x"), Err(Error::Model(_))));
    }

    fn gzip(data: &[u8]) -> Vec<u8> {
        use std::io::Write;
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::new(6));
        e.write_all(data).unwrap();
        e.finish().unwrap()
    }

    #[test]
    fn gunzip_round_trip_and_limits() {
        let data: Vec<u8> = (0..10_000u32).map(|i| (i * 7 % 251) as u8).collect();
        let gz = gzip(&data);
        assert_eq!(gunzip(&gz, data.len()).unwrap(), data);
        assert_eq!(gunzip(&gz, usize::MAX).unwrap(), data);
        let err = gunzip(&gz, data.len() - 1).unwrap_err().to_string();
        assert!(err.contains("more than"), "{err}");
        assert_eq!(gunzip(&gzip(b""), 0).unwrap(), Vec::<u8>::new());
    }

    #[test]
    fn gunzip_rejects_corrupt_input() {
        let data = vec![42u8; 5000];
        let gz = gzip(&data);
        assert!(gunzip(b"", 100).is_err());
        assert!(gunzip(&data, 10_000).is_err());
        for cut in 0..gz.len() {
            assert!(gunzip(&gz[..cut], 10_000).is_err(), "cut at {cut}");
        }
        // A flipped byte in the CRC trailer is caught.
        let mut bad = gz.clone();
        let n = bad.len();
        bad[n - 6] ^= 0xff;
        assert!(gunzip(&bad, 10_000).is_err());
        // Flipped bytes anywhere never panic.
        for i in 0..gz.len() {
            let mut bad = gz.clone();
            bad[i] ^= 0x55;
            let _ = gunzip(&bad, 10_000);
        }
    }
}
