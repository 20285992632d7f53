//! The threaded wasm build (`--features parallel` with `.cargo/threads.toml`): starts wasm-bindgen-rayon's Web
//! Worker pool on the build's shared memory and checks that parallel loops run on it and give the sequential result.
//!
//! Runs in a dedicated Worker, since rayon's blocking joins (Atomics.wait) are not allowed on a page's main thread.
//! The test server sends COOP/COEP, so SharedArrayBuffer is available. Compiled only for the threaded build.
#![cfg(all(target_arch = "wasm32", feature = "parallel"))]

use wasm_bindgen::JsCast;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_dedicated_worker);

/// Starts the 2-Worker pool once per module (the tests share one instance; a second start would fail).
async fn start_pool() {
    static STARTED: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);
    if !STARTED.swap(true, std::sync::atomic::Ordering::SeqCst) {
        wasm_bindgen_futures::JsFuture::from(wasm_bindgen_rayon::init_thread_pool(2)).await.expect("initThreadPool(2)");
    }
}

#[wasm_bindgen_test]
async fn thread_pool_starts_and_parallel_loops_match() {
    // The memory really is shared (the link args in .cargo/threads.toml).
    let buffer = wasm_bindgen::memory().unchecked_into::<js_sys::WebAssembly::Memory>().buffer();
    assert!(buffer.is_instance_of::<js_sys::SharedArrayBuffer>(), "wasm memory is not shared");

    start_pool().await;
    assert_eq!(paperlab::par::threads(), 2);

    // Work lands on more than one Worker and the results equal a plain loop's.
    let ids = paperlab::par::map_range(64, |i| {
        let mut acc = 0u64;
        for k in 0..20_000u64 {
            acc = acc.wrapping_mul(6364136223846793005).wrapping_add(k ^ i as u64);
        }
        (acc, rayon::current_thread_index())
    });
    let seq: Vec<u64> = (0..64)
        .map(|i| {
            let mut acc = 0u64;
            for k in 0..20_000u64 {
                acc = acc.wrapping_mul(6364136223846793005).wrapping_add(k ^ i as u64);
            }
            acc
        })
        .collect();
    assert_eq!(ids.iter().map(|p| p.0).collect::<Vec<_>>(), seq);
    assert!(ids.iter().all(|p| p.1.is_some()), "parallel work ran outside the pool");

    let mut data = vec![0u32; 10_000];
    paperlab::par::for_each_chunk_mut(&mut data, 1000, |c, chunk| {
        for (j, v) in chunk.iter_mut().enumerate() {
            *v = (c * 1000 + j) as u32 * 3;
        }
    });
    assert!(data.iter().enumerate().all(|(i, &v)| v == i as u32 * 3));
}

#[wasm_bindgen_test]
async fn gemm_on_the_pool_is_bit_identical_to_one_thread() {
    use paperlab::kernels::gemm::{gemm, gemm_naive, MatRef};
    start_pool().await;
    // Shapes above the parallel threshold; each also computed one row at a time (too small to go parallel). A row's
    // elements are summed in the same order either way, so the two must agree bit for bit. Three rounds, so the
    // helpers still polling from the previous product pick up the next one.
    for round in 0..3u64 {
        for &(m, k, n) in &[(256usize, 256usize, 256usize), (8, 517, 3000), (129, 1000, 131)] {
            let a: Vec<f32> = (0..m * k).map(|i| ((i as u64 * 7919 + round) % 1000) as f32 / 500.0 - 1.0).collect();
            let b: Vec<f32> = (0..k * n).map(|i| ((i as u64 * 104_729) % 997) as f32 / 498.5 - 1.0).collect();
            let mut c = vec![f32::NAN; m * n];
            gemm(1.0, MatRef::new(&a, m, k), MatRef::new(&b, k, n), 0.0, &mut c, n, 1).unwrap();
            let mut rows = vec![f32::NAN; m * n];
            for i in 0..m {
                gemm(1.0, MatRef::new(&a[i * k..(i + 1) * k], 1, k), MatRef::new(&b, k, n), 0.0, &mut rows[i * n..(i + 1) * n], n, 1)
                    .unwrap();
            }
            assert!(c.iter().zip(&rows).all(|(x, y)| x.to_bits() == y.to_bits()), "{m}x{k}x{n}: threads changed the result");
            let mut r = vec![0.0; m * n];
            gemm_naive(1.0, MatRef::new(&a, m, k), MatRef::new(&b, k, n), 0.0, &mut r, n, 1).unwrap();
            let tol = 1e-4 * (k as f32).sqrt();
            assert!(c.iter().zip(&r).all(|(x, y)| (x - y).abs() <= tol * (1.0 + y.abs())), "{m}x{k}x{n}: differs from the plain twin");
        }
    }
}
