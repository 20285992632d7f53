//! Thin `#[wasm_bindgen]` facades, one per lab: typed arrays in and out, `Result<_, JsError>` with the library's
//! messages. No math lives here.

pub mod _template;
pub mod bagnet;
pub mod bench;
pub mod blindspot;
pub mod compressive;
pub mod corruptions;
pub mod lottery;
pub mod molecules;
pub mod onlstm;
pub mod roll;
pub mod ucb;
pub mod verify;

use wasm_bindgen::prelude::*;

#[cfg(feature = "parallel")]
pub use wasm_bindgen_rayon::init_thread_pool;

/// Routes Rust panics to `console.error` with a stack, once. Called by every lab constructor too.
#[wasm_bindgen]
pub fn init_panic_hook() {
    console_error_panic_hook::set_once();
}

/// Threads the parallel loops use: rayon's pool size in the threaded build, 1 in the single-thread build.
#[wasm_bindgen]
pub fn backend_threads() -> usize {
    crate::par::threads()
}

/// Which lane implementation this module was built with (`"simd128"`, `"simd128+relaxed"` or `"scalar"`).
#[wasm_bindgen]
pub fn backend_lanes() -> String {
    crate::kernels::lanes().to_string()
}

/// Test builds only (feature `test-hooks`): panics with `message`, exactly as a bug in a lab's Rust code would. With
/// `panic = abort` the instance traps (`unreachable`) after the panic hook printed "panicked at …" and `message`
/// with `console.error`; the engine worker then reports the crash and starts a fresh instance. Never returns.
#[cfg(feature = "test-hooks")]
#[wasm_bindgen(js_name = testPanic)]
pub fn test_panic(message: &str) {
    console_error_panic_hook::set_once();
    panic!("{message}");
}

// The typed records the facades return as JS objects (named by their `unchecked_return_type`), in
// pkg/paperlab.d.ts; checked against the real values by tests/wasm/types.rs.
#[wasm_bindgen(typescript_custom_section)]
const RESULT_TYPES: &str = include_str!("results.d.ts");

pub(crate) fn js_err(e: crate::Error) -> JsError {
    JsError::new(&e.to_string())
}

/// An RGBA picture (H x W x 4 bytes) as a browser `ImageData` (web-sys), made in the worker and posted to the page,
/// which paints it with `putImageData` and does no per-pixel work. The bytes are copied into a fresh, unshared
/// `Uint8ClampedArray`: `ImageData` refuses a view on the shared memory of the threaded build.
pub(crate) fn image_data(img: &ndarray::Array3<u8>) -> Result<web_sys::ImageData, JsError> {
    let (h, w, c) = img.dim();
    let bytes = img.as_slice().filter(|_| c == 4).ok_or_else(|| JsError::new("a picture must be height x width x 4 bytes (RGBA), row-major"))?;
    let arr = js_sys::Uint8ClampedArray::new_with_length(bytes.len() as u32);
    arr.copy_from(bytes);
    web_sys::ImageData::new_with_js_u8_clamped_array_and_sh(&arr, w as u32, h as u32)
        .map_err(|e| JsError::new(&format!("could not make a {w} x {h} ImageData: {e:?}")))
}

/// A small typed record to a plain JS object (serde-wasm-bindgen; maps as objects, not `Map`s).
pub(crate) fn to_js<T: serde::Serialize>(v: &T) -> Result<JsValue, JsError> {
    v.serialize(&serde_wasm_bindgen::Serializer::json_compatible())
        .map_err(|e| JsError::new(&format!("could not encode a result: {e}")))
}
