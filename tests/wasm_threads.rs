//! The threaded wasm build (`--features parallel` with `.cargo/threads.toml`): starts wasm-bindgen-rayon's Web
//! Worker pool on the build's shared memory and checks that parallel loops run on it and give the sequential result.
//!
//! Runs in a dedicated Worker, since rayon's blocking joins (Atomics.wait) are not allowed on a page's main thread.
//! The test server sends COOP/COEP, so SharedArrayBuffer is available. Compiled only for the threaded build.
#![cfg(all(target_arch = "wasm32", feature = "parallel"))]

use wasm_bindgen::JsCast;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_dedicated_worker);

#[wasm_bindgen_test]
async fn thread_pool_starts_and_parallel_loops_match() {
    // The memory really is shared (the link args in .cargo/threads.toml).
    let buffer = wasm_bindgen::memory().unchecked_into::<js_sys::WebAssembly::Memory>().buffer();
    assert!(buffer.is_instance_of::<js_sys::SharedArrayBuffer>(), "wasm memory is not shared");

    wasm_bindgen_futures::JsFuture::from(wasm_bindgen_rayon::init_thread_pool(2)).await.expect("initThreadPool(2)");
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
