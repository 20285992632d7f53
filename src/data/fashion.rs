//! Fashion-MNIST (Xiao, Rasul & Vollgraf 2017): the 12,000-image subset shipped as
//! `www/data/fashion-12k.safetensors.gz`.
//!
//! The file holds the first 10,000 images of the real Fashion-MNIST training set (`train`) and the first 2,000 of the
//! real test set (`test`), taken from Debian's `dataset-fashion-mnist` package by `scripts/make-fashion.mjs` (see
//! `www/data/README.md`). The layout is the MNIST file's (U8 `train.images` `[n, 784]`, `train.labels` `[n]`, ...),
//! so parsing is [`Mnist::from_gz_bytes`]'s; images are 28x28 bytes, 0 = background; labels are classes 0..=9 named by
//! [`CLASS_NAMES`].

use crate::data::mnist::{Mnist, Split};
use crate::error::{Error, Result};

/// Images in the shipped train split (the first 10,000 of the real training set).
pub const N_TRAIN: usize = 10_000;
/// Images in the shipped test split (the first 2,000 of the real test set).
pub const N_TEST: usize = 2000;
/// Path of the shipped file, relative to the repository root (also the URL path the front end fetches).
pub const DEFAULT_PATH: &str = "www/data/fashion-12k.safetensors.gz";
/// The ten classes, in label order.
pub const CLASS_NAMES: [&str; 10] = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"];

/// The shipped Fashion-MNIST subset.
#[derive(Debug, Clone, PartialEq)]
pub struct Fashion {
    /// The train split (10,000 images in the shipped file).
    pub train: Split,
    /// The test split (2,000 images in the shipped file).
    pub test: Split,
}

impl Fashion {
    /// Parses the gzipped safetensors file (the bytes of `fashion-12k.safetensors.gz`); any split sizes are accepted.
    ///
    /// Errors: as [`Mnist::from_gz_bytes`] (not gzip, not safetensors, a missing tensor, wrong shapes, a label >= 10).
    pub fn from_gz_bytes(gz: &[u8]) -> Result<Fashion> {
        let m = Mnist::from_gz_bytes(gz).map_err(|e| Error::format("Fashion-MNIST file", e.to_string()))?;
        Ok(Fashion { train: m.train, test: m.test })
    }

    /// The shipped subset, read from [`DEFAULT_PATH`] under `CARGO_MANIFEST_DIR`. Native only (in wasm the front end
    /// fetches the file and calls [`Fashion::from_gz_bytes`]).
    ///
    /// Errors: [`Error::Io`] when the file cannot be read, else as [`Fashion::from_gz_bytes`].
    pub fn load_default() -> Result<Fashion> {
        let path = default_path();
        let bytes = std::fs::read(&path)
            .map_err(|e| Error::Io(std::io::Error::new(e.kind(), format!("{}: {e}", path.display()))))?;
        Self::from_gz_bytes(&bytes)
    }
}

/// Absolute path of the shipped file: `CARGO_MANIFEST_DIR/www/data/fashion-12k.safetensors.gz`.
pub fn default_path() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(DEFAULT_PATH)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(not(target_arch = "wasm32"))]
    #[test]
    fn shipped_file_loads_with_known_contents() {
        let f = Fashion::load_default().unwrap();
        assert_eq!((f.train.n, f.test.n), (N_TRAIN, N_TEST));
        // Class counts, first labels, pixel sums and FNV-1a hashes as printed by `node scripts/make-fashion.mjs`,
        // which reads the Debian package's IDX files independently of this crate.
        assert_eq!(f.train.class_counts(), [942, 1027, 1016, 1019, 974, 989, 1021, 1022, 990, 1000]);
        assert_eq!(f.test.class_counts(), [200, 203, 214, 190, 219, 195, 197, 200, 194, 188]);
        assert_eq!(f.train.labels[..10], [9, 0, 0, 3, 0, 2, 7, 2, 5, 5]);
        assert_eq!(f.test.labels[..10], [9, 2, 1, 1, 6, 1, 4, 6, 5, 7]);
        let sum = |v: &[u8]| v.iter().map(|&b| u64::from(b)).sum::<u64>();
        assert_eq!(sum(&f.train.images), 572_388_787);
        assert_eq!(sum(&f.test.images), 114_763_281);
        let fnv = |b: &[u8]| b.iter().fold(0x811c_9dc5u32, |h, &x| (h ^ u32::from(x)).wrapping_mul(0x0100_0193));
        assert_eq!(fnv(&f.train.images), 3_368_062_804);
        assert_eq!(fnv(&f.test.images), 1_011_643_918);
        assert_eq!(fnv(&f.train.labels), 2_802_155_272);
        assert_eq!(fnv(&f.test.labels), 265_449_853);
    }

    #[test]
    fn bad_bytes_are_errors_naming_the_file() {
        let err = Fashion::from_gz_bytes(b"nope").unwrap_err().to_string();
        assert!(err.contains("Fashion-MNIST file"), "{err}");
    }
}
