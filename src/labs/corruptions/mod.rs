//! Common corruptions and perturbations: ImageNet-C and ImageNet-P, for images of any size from 28x28 up.
//!
//! Paper: Hendrycks & Dietterich, "Benchmarking Neural Network Robustness to Common Corruptions and Perturbations"
//! (ICLR 2019; arXiv:1903.12261). Section 3 defines the 15 corruptions (noise: Gaussian, shot, impulse; blur:
//! defocus, frosted glass, motion, zoom; weather: snow, frost, fog, brightness; digital: contrast, elastic,
//! pixelate, JPEG) at five severities each, plus four held-out ones (speckle noise, Gaussian blur, spatter,
//! saturate); section 4 defines the Corruption Error `CE^f_c = (sum_s E^f_{s,c}) / (sum_s E^AlexNet_{s,c})`, its
//! mean over the 15 corruptions (mCE), the relative CE (errors minus the clean error), and the flip probability of
//! a perturbation sequence with its mean over perturbations normalised by a baseline (mFR).
//!
//! Parameters follow two references, chosen per image by [`Tables::for_size`]:
//! - [`Tables::ImageNet`]: the PyPI package `imagecorruptions` 1.1.2 (which generalises the ImageNet-C code of
//!   `make_imagenet_c.py` to any size), for images larger than 64 px;
//! - [`Tables::Cifar`]: the tables of `make_cifar_c.py` (CIFAR-10-C), for images of at most 64 px on their longer
//!   side (the 28x28 digits of the robustness benchmark), with the image side in place of the hard-coded 32.
//!
//! Images are [`Image`]: `h x w x c` interleaved f32 in 0..=255 (c = 3 for RGB, 1 for grayscale). Every
//! corruption returns values already truncated to integers, as the reference's final `np.uint8(...)` does.
//! Randomness comes from the seeded [`Rng`]: the same seed gives the same corruption natively and in wasm, but not
//! numpy's numbers; `tests/corruptions_match.rs` therefore compares the deterministic part (given the same random
//! draws, see [`Draws`]) or statistics, per corruption (the table in `docs/labs/corruptions.md`).
//!
//! Legend: H height, W width, C channels (1 or 3), S severity (1..=5).

use crate::error::{Error, Result};
use crate::nn::Rng;

pub mod bench;
mod blur;
mod digital;
pub mod filters;
pub mod noise;
pub mod perturb;
#[cfg(not(target_arch = "wasm32"))]
pub mod ship;
mod weather;

pub use blur::motion_blur_plane;
pub use weather::plasma_fractal;

/// Smallest side accepted, in pixels (the digits are 28x28).
pub const MIN_SIDE: usize = 28;
/// Largest image accepted, in pixels (w * h): 20 megapixels.
pub const MAX_PIXELS: usize = 20_000_000;
/// Images whose longer side is at most this use the CIFAR-10-C tables.
pub const SMALL_SIDE: usize = 64;

/// An image: `h * w * c` f32 values in 0..=255, row-major, channels interleaved (`data[(y*w + x)*c + k]`).
#[derive(Clone, Debug, PartialEq)]
pub struct Image {
    /// Width in pixels.
    pub w: usize,
    /// Height in pixels.
    pub h: usize,
    /// Channels: 1 (grayscale) or 3 (RGB).
    pub c: usize,
    /// `h * w * c` values in 0..=255.
    pub data: Vec<f32>,
}

impl Image {
    /// An image from interleaved data.
    ///
    /// # Errors
    /// [`Error::Shape`] if `data.len() != w*h*c`, `c` is not 1 or 3, a side is below [`MIN_SIDE`] or the image has
    /// more than [`MAX_PIXELS`] pixels.
    pub fn new(w: usize, h: usize, c: usize, data: Vec<f32>) -> Result<Self> {
        if c != 1 && c != 3 {
            return Err(Error::shape("image", format!("{c} channels; use 1 (grayscale) or 3 (RGB)")));
        }
        check_size(w, h)?;
        if data.len() != w * h * c {
            return Err(Error::shape("image", format!("{w}x{h}x{c} needs {} values, got {}", w * h * c, data.len())));
        }
        Ok(Image { w, h, c, data })
    }

    /// An image from an `ndarray` of shape H x W x C (values 0..=255; C = 1 or 3), the crate's shaped-data type at
    /// module boundaries; the checks of [`Image::new`] apply.
    ///
    /// # Errors
    /// As [`Image::new`].
    pub fn from_array(a: ndarray::ArrayView3<f32>) -> Result<Self> {
        let (h, w, c) = a.dim();
        Image::new(w, h, c, a.iter().copied().collect())
    }

    /// The image as an H x W x C `ndarray` view of its data (no copy).
    ///
    /// # Errors
    /// [`Error::Shape`] if the fields were changed so that `data` no longer holds `h * w * c` values.
    pub fn view(&self) -> Result<ndarray::ArrayView3<'_, f32>> {
        crate::nd::view("image", &self.data, (self.h, self.w, self.c))
    }

    /// An image from bytes (`h*w*c` values 0..=255).
    ///
    /// # Errors
    /// As [`Image::new`].
    pub fn from_u8(w: usize, h: usize, c: usize, bytes: &[u8]) -> Result<Self> {
        Image::new(w, h, c, bytes.iter().map(|&b| f32::from(b)).collect())
    }

    /// The values as bytes, truncated towards zero after clipping to 0..=255 (numpy's `np.uint8` of a clipped array).
    pub fn to_u8(&self) -> Vec<u8> {
        self.data.iter().map(|&v| v.clamp(0.0, 255.0) as u8).collect()
    }

    /// RGBA bytes for a canvas `putImageData` (`h*w*4`; gray is replicated, alpha 255).
    pub fn to_rgba8(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.w * self.h * 4);
        for p in self.data.chunks_exact(self.c) {
            let (r, g, b) = if self.c == 3 { (p[0], p[1], p[2]) } else { (p[0], p[0], p[0]) };
            out.extend_from_slice(&[r.clamp(0.0, 255.0) as u8, g.clamp(0.0, 255.0) as u8, b.clamp(0.0, 255.0) as u8, 255]);
        }
        out
    }

    /// Channel `k` as its own `h*w` plane.
    pub fn plane(&self, k: usize) -> Vec<f32> {
        self.data.iter().skip(k).step_by(self.c).copied().collect()
    }

    /// An image from `c` planes of `h*w` values each (no size checks: for internal use on checked sizes).
    pub(crate) fn from_planes(w: usize, h: usize, planes: &[Vec<f32>]) -> Self {
        let c = planes.len();
        let mut data = vec![0.0; w * h * c];
        for (k, p) in planes.iter().enumerate() {
            for (i, &v) in p.iter().enumerate() {
                data[i * c + k] = v;
            }
        }
        Image { w, h, c, data }
    }

    /// Applies `f` to every plane and reassembles the image.
    pub(crate) fn map_planes(&self, mut f: impl FnMut(&[f32]) -> Vec<f32>) -> Self {
        let planes: Vec<Vec<f32>> = (0..self.c).map(|k| f(&self.plane(k))).collect();
        Image::from_planes(self.w, self.h, &planes)
    }

    /// The same image with 3 channels (gray replicated).
    pub fn to_rgb(&self) -> Image {
        if self.c == 3 {
            return self.clone();
        }
        let data = self.data.iter().flat_map(|&v| [v, v, v]).collect();
        Image { w: self.w, h: self.h, c: 3, data }
    }

    /// Grayscale by the luma weights the reference uses for its grayscale branches (0.2989 R + 0.5870 G + 0.1140 B);
    /// a 1-channel image is returned as is.
    pub fn to_gray(&self) -> Image {
        if self.c == 1 {
            return self.clone();
        }
        let data = self.data.chunks_exact(3).map(|p| 0.2989 * p[0] + 0.5870 * p[1] + 0.1140 * p[2]).collect();
        Image { w: self.w, h: self.h, c: 1, data }
    }

    /// Clips to 0..=255 and truncates to integers, in place (the reference's final `np.uint8`).
    pub(crate) fn quantize(mut self) -> Self {
        for v in &mut self.data {
            *v = v.clamp(0.0, 255.0).trunc();
        }
        self
    }
}

/// Checks a size against [`MIN_SIDE`] and [`MAX_PIXELS`].
///
/// # Errors
/// [`Error::Shape`] with what to do.
pub fn check_size(w: usize, h: usize) -> Result<()> {
    if w < MIN_SIDE || h < MIN_SIDE {
        return Err(Error::shape(
            "image",
            format!("{w}x{h} is too small: corruptions need at least {MIN_SIDE}x{MIN_SIDE} pixels; use a larger image"),
        ));
    }
    if w.saturating_mul(h) > MAX_PIXELS {
        return Err(Error::shape(
            "image",
            format!("{w}x{h} has more than 20 megapixels; scale it down first"),
        ));
    }
    Ok(())
}

/// Decodes a PNG or JPEG file into an RGB [`Image`] (grayscale files become 1-channel images; alpha is dropped).
///
/// # Errors
/// [`Error::Format`] for another file type, a truncated or corrupt file, or a CMYK JPEG; [`Error::Shape`] for an
/// image below 28x28 or above 20 megapixels (checked from the header, before decoding the pixels).
pub fn decode(bytes: &[u8]) -> Result<Image> {
    use image::{ColorType, ImageDecoder, ImageFormat, ImageReader};
    use std::io::Cursor;
    let fmt = image::guess_format(bytes).map_err(|_| {
        Error::format("image", "not a PNG or JPEG file (unrecognised header); choose a .png or .jpg picture")
    })?;
    if fmt != ImageFormat::Png && fmt != ImageFormat::Jpeg {
        return Err(Error::format("image", format!("{fmt:?} is not supported; choose a PNG or JPEG picture")));
    }
    if fmt == ImageFormat::Jpeg && is_cmyk_jpeg(bytes) {
        return Err(Error::format("image", "a CMYK JPEG; save it as RGB (sRGB) and try again"));
    }
    let reader = ImageReader::with_format(Cursor::new(bytes), fmt);
    let dec = reader.into_decoder().map_err(|e| Error::format("image", format!("{e}; the file may be truncated")))?;
    let (w, h) = dec.dimensions();
    check_size(w as usize, h as usize)?;
    let color = dec.color_type();
    let img = image::DynamicImage::from_decoder(dec)
        .map_err(|e| Error::format("image", format!("{e}; the file may be truncated or corrupt")))?;
    let (w, h) = (w as usize, h as usize);
    match color {
        ColorType::L8 | ColorType::L16 | ColorType::La8 | ColorType::La16 => {
            Image::from_u8(w, h, 1, img.to_luma8().as_raw())
        }
        _ => Image::from_u8(w, h, 3, img.to_rgb8().as_raw()),
    }
}

/// True if a JPEG's start-of-frame declares 4 components (CMYK or YCCK).
fn is_cmyk_jpeg(b: &[u8]) -> bool {
    let mut i = 2;
    while i + 9 < b.len() {
        if b[i] != 0xFF {
            i += 1;
            continue;
        }
        let m = b[i + 1];
        if (0xC0..=0xCF).contains(&m) && m != 0xC4 && m != 0xC8 && m != 0xCC {
            return b[i + 9] == 4;
        }
        if m == 0xD8 || (0xD0..=0xD7).contains(&m) || m == 0x01 || m == 0xFF {
            i += if m == 0xFF { 1 } else { 2 };
            continue;
        }
        let len = usize::from(b[i + 2]) << 8 | usize::from(b[i + 3]);
        i += 2 + len;
    }
    false
}

/// Which parameter tables a corruption uses.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Tables {
    /// `imagecorruptions` 1.1.2 (ImageNet-C's tables, generalised to any size).
    ImageNet,
    /// `make_cifar_c.py` (CIFAR-10-C's tables), for small images.
    Cifar,
}

impl Tables {
    /// [`Tables::Cifar`] when the longer side is at most [`SMALL_SIDE`] (64 px), else [`Tables::ImageNet`].
    pub fn for_size(w: usize, h: usize) -> Tables {
        if w.max(h) <= SMALL_SIDE {
            Tables::Cifar
        } else {
            Tables::ImageNet
        }
    }
    /// Index into a `[imagenet, cifar]` pair.
    fn pick<T: Copy>(self, pair: [[T; 5]; 2], severity: usize) -> T {
        pair[match self {
            Tables::ImageNet => 0,
            Tables::Cifar => 1,
        }][severity - 1]
    }
}

/// The 19 corruptions, in the reference's order (the 15 of ImageNet-C, then the 4 held-out ones).
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub enum Corruption {
    /// Additive Gaussian noise (sensor noise in low light).
    GaussianNoise,
    /// Poisson (shot) noise.
    ShotNoise,
    /// Salt-and-pepper noise.
    ImpulseNoise,
    /// Disk-kernel blur (out of focus).
    DefocusBlur,
    /// Frosted glass: blur, local pixel shuffling, blur.
    GlassBlur,
    /// Motion blur along a random direction (ImageMagick's kernel).
    MotionBlur,
    /// Zoom blur: the mean of zoomed copies.
    ZoomBlur,
    /// Snow flakes (a thresholded, zoomed, motion-blurred noise layer) over a washed-out image.
    Snow,
    /// A frost picture blended over the image.
    Frost,
    /// Plasma-fractal fog.
    Fog,
    /// Brightness: V + c in HSV.
    Brightness,
    /// Contrast: shrink towards the channel means.
    Contrast,
    /// Elastic transform: a smoothed random displacement field.
    ElasticTransform,
    /// Pixelate: box downscale, nearest upscale.
    Pixelate,
    /// JPEG compression at a low quality.
    JpegCompression,
    /// Multiplicative Gaussian noise (held out).
    SpeckleNoise,
    /// Gaussian blur (held out).
    GaussianBlur,
    /// Water or mud spatter (held out).
    Spatter,
    /// Saturation: S * a + b in HSV (held out).
    Saturate,
}

impl Corruption {
    /// All 19, in the reference's order.
    pub const ALL: [Corruption; 19] = [
        Corruption::GaussianNoise,
        Corruption::ShotNoise,
        Corruption::ImpulseNoise,
        Corruption::DefocusBlur,
        Corruption::GlassBlur,
        Corruption::MotionBlur,
        Corruption::ZoomBlur,
        Corruption::Snow,
        Corruption::Frost,
        Corruption::Fog,
        Corruption::Brightness,
        Corruption::Contrast,
        Corruption::ElasticTransform,
        Corruption::Pixelate,
        Corruption::JpegCompression,
        Corruption::SpeckleNoise,
        Corruption::GaussianBlur,
        Corruption::Spatter,
        Corruption::Saturate,
    ];

    /// The 15 ImageNet-C corruptions (the ones mCE averages over).
    pub fn common() -> &'static [Corruption] {
        &Self::ALL[..15]
    }

    /// The reference's name (`gaussian_noise`, ..., `jpeg_compression`, `speckle_noise`, ...).
    pub fn name(self) -> &'static str {
        use Corruption::*;
        match self {
            GaussianNoise => "gaussian_noise",
            ShotNoise => "shot_noise",
            ImpulseNoise => "impulse_noise",
            DefocusBlur => "defocus_blur",
            GlassBlur => "glass_blur",
            MotionBlur => "motion_blur",
            ZoomBlur => "zoom_blur",
            Snow => "snow",
            Frost => "frost",
            Fog => "fog",
            Brightness => "brightness",
            Contrast => "contrast",
            ElasticTransform => "elastic_transform",
            Pixelate => "pixelate",
            JpegCompression => "jpeg_compression",
            SpeckleNoise => "speckle_noise",
            GaussianBlur => "gaussian_blur",
            Spatter => "spatter",
            Saturate => "saturate",
        }
    }

    /// The paper's name ("Gaussian Noise", ..., "JPEG").
    pub fn title(self) -> &'static str {
        use Corruption::*;
        match self {
            GaussianNoise => "Gaussian Noise",
            ShotNoise => "Shot Noise",
            ImpulseNoise => "Impulse Noise",
            DefocusBlur => "Defocus Blur",
            GlassBlur => "Glass Blur",
            MotionBlur => "Motion Blur",
            ZoomBlur => "Zoom Blur",
            Snow => "Snow",
            Frost => "Frost",
            Fog => "Fog",
            Brightness => "Brightness",
            Contrast => "Contrast",
            ElasticTransform => "Elastic",
            Pixelate => "Pixelate",
            JpegCompression => "JPEG",
            SpeckleNoise => "Speckle Noise",
            GaussianBlur => "Gaussian Blur",
            Spatter => "Spatter",
            Saturate => "Saturate",
        }
    }

    /// The corruption with the reference's name.
    ///
    /// # Errors
    /// [`Error::Range`] listing the valid names.
    pub fn from_name(s: &str) -> Result<Corruption> {
        Self::ALL.iter().copied().find(|c| c.name() == s).ok_or_else(|| {
            let names: Vec<&str> = Self::ALL.iter().map(|c| c.name()).collect();
            Error::range("corruption", format!("'{s}' is not one of {}", names.join(", ")))
        })
    }
}

/// Random draws that decide a corruption's geometry, recorded so a test can replay the reference's draws.
/// `None` fields are drawn from the [`Rng`].
#[derive(Copy, Clone, Debug, Default, PartialEq)]
pub struct Draws {
    /// Motion blur's angle in degrees (reference: uniform in [-45, 45)).
    pub angle: Option<f32>,
    /// Frost: which picture (0..5), and the crop's top row and left column in the rescaled picture.
    pub frost: Option<(usize, usize, usize)>,
}

/// The frost pictures (`www/data/frost/frost1.png` ... `frost6.jpg`, from `imagecorruptions`), decoded to RGB.
#[derive(Clone, Debug)]
pub struct FrostPictures(pub Vec<Image>);

/// Names of the six frost pictures, in the reference's order (only the first five are ever drawn, as there).
pub const FROST_FILES: [&str; 6] = ["frost1.png", "frost2.png", "frost3.png", "frost4.jpg", "frost5.jpg", "frost6.jpg"];

impl FrostPictures {
    /// Decodes the pictures from their file bytes, in [`FROST_FILES`] order (at least 5 needed).
    ///
    /// # Errors
    /// [`Error::Format`] if a file does not decode or fewer than 5 are given.
    pub fn from_files(files: &[&[u8]]) -> Result<Self> {
        if files.len() < 5 {
            return Err(Error::format("frost pictures", format!("need 5 (frost1..frost5), got {}", files.len())));
        }
        let mut v = Vec::new();
        for (i, f) in files.iter().enumerate() {
            let img = decode(f).map_err(|e| Error::format(format!("frost picture {}", FROST_FILES[i]), e.to_string()))?;
            v.push(img.to_rgb());
        }
        Ok(FrostPictures(v))
    }

    /// Loads them from `dir` (native only).
    ///
    /// # Errors
    /// [`Error::Io`] or [`Error::Format`].
    #[cfg(not(target_arch = "wasm32"))]
    pub fn load_dir(dir: &std::path::Path) -> Result<Self> {
        let bytes: Vec<Vec<u8>> = FROST_FILES.iter().map(|f| std::fs::read(dir.join(f))).collect::<std::io::Result<_>>()?;
        let refs: Vec<&[u8]> = bytes.iter().map(|b| b.as_slice()).collect();
        Self::from_files(&refs)
    }
}

/// Checks a severity.
///
/// # Errors
/// [`Error::Range`] unless 1..=5.
pub fn check_severity(severity: usize) -> Result<()> {
    if !(1..=5).contains(&severity) {
        return Err(Error::range("severity", format!("{severity}; use 1, 2, 3, 4 or 5")));
    }
    Ok(())
}

/// Corrupts `img` with `corruption` at `severity` (1..=5), drawing randomness from `rng`.
///
/// `frost` is needed only for [`Corruption::Frost`]. Returns an image of the same size and channels, values
/// integers in 0..=255.
///
/// # Errors
/// [`Error::Range`] for a severity outside 1..=5 or frost without pictures; [`Error::Shape`] for a bad image.
pub fn corrupt(img: &Image, corruption: Corruption, severity: usize, tables: Tables, rng: &mut Rng, frost: Option<&FrostPictures>) -> Result<Image> {
    corrupt_with(img, corruption, severity, tables, rng, frost, Draws::default())
}

/// The five severities of `corruption` on `img` (a row of the 15 x 5 grid), severity `s` drawn from
/// `Rng::new(seed)` exactly as a single `corrupt(img, corruption, s, tables, &mut Rng::new(seed), frost)` would, so
/// a row equals five single calls. The severities run in parallel where threads exist ([`crate::par`]).
///
/// # Errors
/// As [`corrupt`] (the first failing severity's error).
pub fn corrupt_severities(img: &Image, corruption: Corruption, tables: Tables, seed: u64, frost: Option<&FrostPictures>) -> Result<Vec<Image>> {
    crate::par::map_range(5, |k| corrupt(img, corruption, k + 1, tables, &mut Rng::new(seed), frost)).into_iter().collect()
}

/// Estimated cost of one cell of the grid, relative units (milliseconds for a 224x224 RGB photo, ImageNet tables,
/// native, one thread), used only to order the cells of [`corrupt_grid`] longest first. Measured with
/// `cargo run --profile fast-test --example corruptions -- --cells`; a wrong estimate only costs balance, never
/// correctness.
pub fn cell_cost(corruption: Corruption, severity: usize) -> f32 {
    use Corruption::*;
    let s = severity.clamp(1, 5) - 1;
    let row: [f32; 5] = match corruption {
        GaussianNoise => [1.6; 5],
        ShotNoise => [3.0, 3.0, 2.6, 2.2, 2.0],
        ImpulseNoise => [0.8; 5],
        SpeckleNoise => [1.6; 5],
        DefocusBlur => [4.0, 5.0, 8.0, 11.0, 14.0],
        GlassBlur => [3.0, 3.5, 6.0, 6.0, 6.0],
        MotionBlur => [2.0, 3.0, 3.0, 3.0, 4.0],
        ZoomBlur => [2.5, 3.5, 2.5, 3.0, 2.5],
        Snow => [4.0; 5],
        Frost => [3.0; 5],
        Fog => [1.5; 5],
        Brightness => [1.0; 5],
        Contrast => [0.4; 5],
        ElasticTransform => [3.0; 5],
        Pixelate => [0.8; 5],
        JpegCompression => [1.5; 5],
        GaussianBlur => [1.0, 1.5, 2.0, 2.5, 3.5],
        Spatter => [3.0; 5],
        Saturate => [1.0; 5],
    };
    row[s]
}

/// Several rows of the 15 x 5 grid in one call: `out[i][s - 1]` is `corruptions[i]` at severity `s`, each exactly
/// as [`corrupt_severities`] (so as a single [`corrupt`] with `Rng::new(seed)`). The `5 * corruptions.len()` cells
/// are one flat list handed to the threads longest first ([`cell_cost`], greedy list scheduling through
/// [`crate::par::run_tasks`]), so two threads share the work evenly instead of a row waiting for its slowest
/// severity.
///
/// # Errors
/// As [`corrupt`] (the first failing cell's error, in row order).
pub fn corrupt_grid(img: &Image, corruptions: &[Corruption], tables: Tables, seed: u64, frost: Option<&FrostPictures>) -> Result<Vec<Vec<Image>>> {
    let n = 5 * corruptions.len();
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_by(|&a, &b| cell_cost(corruptions[b / 5], b % 5 + 1).total_cmp(&cell_cost(corruptions[a / 5], a % 5 + 1)));
    let slots: Vec<std::sync::Mutex<Option<Result<Image>>>> = (0..n).map(|_| std::sync::Mutex::new(None)).collect();
    crate::par::run_tasks(n, |t| {
        let cell = order[t];
        let r = corrupt(img, corruptions[cell / 5], cell % 5 + 1, tables, &mut Rng::new(seed), frost);
        if let Ok(mut slot) = slots[cell].lock() {
            *slot = Some(r);
        }
    });
    let mut cells = slots.into_iter().map(|m| m.into_inner().ok().flatten().unwrap_or_else(|| Err(Error::range("grid", "a cell was not computed"))));
    (0..corruptions.len()).map(|_| cells.by_ref().take(5).collect::<Result<Vec<_>>>()).collect()
}

/// [`corrupt`] with some random draws fixed (see [`Draws`]).
///
/// # Errors
/// As [`corrupt`].
pub fn corrupt_with(
    img: &Image,
    corruption: Corruption,
    severity: usize,
    tables: Tables,
    rng: &mut Rng,
    frost: Option<&FrostPictures>,
    draws: Draws,
) -> Result<Image> {
    check_severity(severity)?;
    if (img.c != 1 && img.c != 3) || img.data.len() != img.w * img.h * img.c {
        return Err(Error::shape("corrupt", format!("{}x{}x{} image with {} values", img.w, img.h, img.c, img.data.len())));
    }
    check_size(img.w, img.h)?;
    use Corruption::*;
    let s = severity;
    let t = tables;
    let out = match corruption {
        GaussianNoise => noise::gaussian_noise(img, t.pick([[0.08, 0.12, 0.18, 0.26, 0.38], [0.04, 0.06, 0.08, 0.09, 0.10]], s), rng),
        ShotNoise => noise::shot_noise(img, t.pick([[60.0, 25.0, 12.0, 5.0, 3.0], [500.0, 250.0, 100.0, 75.0, 50.0]], s), rng),
        ImpulseNoise => noise::impulse_noise(img, t.pick([[0.03, 0.06, 0.09, 0.17, 0.27], [0.01, 0.02, 0.03, 0.05, 0.07]], s), rng),
        SpeckleNoise => noise::speckle_noise(img, t.pick([[0.15, 0.2, 0.35, 0.45, 0.6], [0.06, 0.1, 0.12, 0.16, 0.2]], s), rng),
        GaussianBlur => blur::gaussian_blur(img, t.pick([[1.0, 2.0, 3.0, 4.0, 6.0], [0.4, 0.6, 0.7, 0.8, 1.0]], s)),
        GlassBlur => blur::glass_blur(
            img,
            t.pick(
                [
                    [(0.7, 1, 2), (0.9, 2, 1), (1.0, 2, 3), (1.1, 3, 2), (1.5, 4, 2)],
                    [(0.05, 1, 1), (0.25, 1, 1), (0.4, 1, 1), (0.25, 1, 2), (0.4, 1, 2)],
                ],
                s,
            ),
            rng,
        ),
        DefocusBlur => blur::defocus_blur(
            img,
            t.pick([[(3.0, 0.1), (4.0, 0.5), (6.0, 0.5), (8.0, 0.5), (10.0, 0.5)], [(0.3, 0.4), (0.4, 0.5), (0.5, 0.6), (1.0, 0.2), (1.5, 0.1)]], s),
        ),
        MotionBlur => {
            let (radius, sigma) =
                t.pick([[(10.0, 3.0), (15.0, 5.0), (15.0, 8.0), (15.0, 12.0), (20.0, 15.0)], [(6.0, 1.0), (6.0, 1.5), (6.0, 2.0), (8.0, 2.0), (9.0, 2.5)]], s);
            let angle = draws.angle.unwrap_or_else(|| rng.uniform_in(-45.0, 45.0));
            blur::motion_blur(img, radius, sigma, angle, t)
        }
        ZoomBlur => {
            let (step, n) = t.pick([[(0.01, 12), (0.01, 16), (0.02, 11), (0.02, 13), (0.03, 11)], [(0.01, 7), (0.01, 12), (0.01, 16), (0.01, 21), (0.01, 26)]], s);
            let zooms: Vec<f64> = (0..n).map(|i| 1.0 + i as f64 * step).collect();
            blur::zoom_blur(img, &zooms, t)
        }
        Snow => weather::snow(
            img,
            t.pick(
                [
                    [
                        [0.1, 0.3, 3.0, 0.5, 10.0, 4.0, 0.8],
                        [0.2, 0.3, 2.0, 0.5, 12.0, 4.0, 0.7],
                        [0.55, 0.3, 4.0, 0.9, 12.0, 8.0, 0.7],
                        [0.55, 0.3, 4.5, 0.85, 12.0, 8.0, 0.65],
                        [0.55, 0.3, 2.5, 0.85, 12.0, 12.0, 0.55],
                    ],
                    [
                        [0.1, 0.2, 1.0, 0.6, 8.0, 3.0, 0.95],
                        [0.1, 0.2, 1.0, 0.5, 10.0, 4.0, 0.9],
                        [0.15, 0.3, 1.75, 0.55, 10.0, 4.0, 0.9],
                        [0.25, 0.3, 2.25, 0.6, 12.0, 6.0, 0.85],
                        [0.3, 0.3, 1.25, 0.65, 14.0, 12.0, 0.8],
                    ],
                ],
                s,
            ),
            t,
            rng,
        ),
        Frost => {
            let pics = frost.ok_or_else(|| Error::range("frost", "needs the frost pictures (www/data/frost/); load them first"))?;
            weather::frost(img, t.pick([[(1.0, 0.4), (0.8, 0.6), (0.7, 0.7), (0.65, 0.7), (0.6, 0.75)], [(1.0, 0.2), (1.0, 0.3), (0.9, 0.4), (0.85, 0.4), (0.75, 0.45)]], s), t, pics, rng, draws.frost)?
        }
        Fog => weather::fog(img, t.pick([[(1.5, 2.0), (2.0, 2.0), (2.5, 1.7), (2.5, 1.5), (3.0, 1.4)], [(0.2, 3.0), (0.5, 3.0), (0.75, 2.5), (1.0, 2.0), (1.5, 1.75)]], s), rng),
        Spatter => weather::spatter(
            img,
            t.pick(
                [
                    [[0.65, 0.3, 4.0, 0.69, 0.6, 0.0], [0.65, 0.3, 3.0, 0.68, 0.6, 0.0], [0.65, 0.3, 2.0, 0.68, 0.5, 0.0], [0.65, 0.3, 1.0, 0.65, 1.5, 1.0], [0.67, 0.4, 1.0, 0.65, 1.5, 1.0]],
                    [[0.62, 0.1, 0.7, 0.7, 0.5, 0.0], [0.65, 0.1, 0.8, 0.7, 0.5, 0.0], [0.65, 0.3, 1.0, 0.69, 0.5, 0.0], [0.65, 0.1, 0.7, 0.69, 0.6, 1.0], [0.65, 0.1, 0.5, 0.68, 0.6, 1.0]],
                ],
                s,
            ),
            rng,
        ),
        Brightness => digital::brightness(img, t.pick([[0.1, 0.2, 0.3, 0.4, 0.5], [0.05, 0.1, 0.15, 0.2, 0.3]], s)),
        Contrast => digital::contrast(img, t.pick([[0.4, 0.3, 0.2, 0.1, 0.05], [0.75, 0.5, 0.4, 0.3, 0.15]], s)),
        Saturate => digital::saturate(img, t.pick([[(0.3, 0.0), (0.1, 0.0), (2.0, 0.0), (5.0, 0.1), (20.0, 0.2)], [(0.3, 0.0), (0.1, 0.0), (1.5, 0.0), (2.0, 0.1), (2.5, 0.2)]], s)),
        JpegCompression => digital::jpeg(img, t.pick([[25, 18, 15, 10, 7], [80, 65, 58, 50, 40]], s))?,
        Pixelate => digital::pixelate(img, t.pick([[0.6, 0.5, 0.4, 0.3, 0.25], [0.95, 0.9, 0.85, 0.75, 0.65]], s), t),
        ElasticTransform => match t {
            Tables::ImageNet => digital::elastic_imagenet(img, [12.5, 16.25, 21.25, 25.0, 30.0][s - 1], rng),
            Tables::Cifar => {
                let side = img.h.min(img.w) as f64;
                let c = [(0.0, 0.0, 0.08), (0.05, 0.2, 0.07), (0.08, 0.06, 0.06), (0.1, 0.04, 0.05), (0.1, 0.03, 0.03)][s - 1];
                digital::elastic_cifar(img, (side * c.0, side * c.1, side * c.2), rng)
            }
        },
    };
    Ok(out.quantize())
}

impl Image {
    /// Downscales (never upscales) so the longer side is at most `max_side` (>= 28), with Pillow's box filter,
    /// keeping the aspect ratio; returns a copy when it already fits. Values are rounded to integers.
    ///
    /// # Errors
    /// [`Error::Range`] if `max_side < 28`; [`Error::Shape`] if the result would be below 28 px on a side.
    pub fn fit(&self, max_side: usize) -> Result<Image> {
        if max_side < MIN_SIDE {
            return Err(Error::range("max_side", format!("{max_side}; use at least {MIN_SIDE}")));
        }
        let long = self.w.max(self.h);
        if long <= max_side {
            return Ok(self.clone());
        }
        let s = max_side as f64 / long as f64;
        let (w, h) = (((self.w as f64 * s).round() as usize).max(1), ((self.h as f64 * s).round() as usize).max(1));
        check_size(w, h).map_err(|_| Error::shape("image", format!("{}x{} would be {w}x{h} at {max_side} px, below {MIN_SIDE} px", self.w, self.h)))?;
        let src = Image { data: self.data.iter().map(|v| v.clamp(0.0, 255.0).round()).collect(), ..self.clone() };
        let planes: Vec<Vec<f32>> = (0..self.c).map(|k| digital::pil_box_resize(&src.plane(k), self.w, self.h, w, h)).collect();
        Ok(Image::from_planes(w, h, &planes))
    }
}
