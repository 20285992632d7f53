//! The only place that knows whether threads exist. With feature `parallel` the helpers here run on rayon's pool
//! (native threads, or Web Workers in the threaded wasm build); without it they are plain loops. Every caller
//! splits work into independent chunks that write disjoint outputs, so results are bit-identical either way.

/// Runs `f(i, chunk)` for each `chunk_len`-sized chunk of `data` (the last may be shorter), in parallel where
/// threads exist. `chunk_len` must be > 0.
pub fn for_each_chunk_mut<T: Send, F>(data: &mut [T], chunk_len: usize, f: F)
where
    F: Fn(usize, &mut [T]) + Sync + Send,
{
    assert!(chunk_len > 0, "for_each_chunk_mut: chunk_len must be > 0");
    #[cfg(feature = "parallel")]
    {
        use rayon::prelude::*;
        data.par_chunks_mut(chunk_len).enumerate().for_each(|(i, c)| f(i, c));
    }
    #[cfg(not(feature = "parallel"))]
    {
        data.chunks_mut(chunk_len).enumerate().for_each(|(i, c)| f(i, c));
    }
}

/// Maps `f` over `0..n`, in parallel where threads exist, and returns the results in order.
pub fn map_range<R: Send, F>(n: usize, f: F) -> Vec<R>
where
    F: Fn(usize) -> R + Sync + Send,
{
    #[cfg(feature = "parallel")]
    {
        use rayon::prelude::*;
        (0..n).into_par_iter().map(f).collect()
    }
    #[cfg(not(feature = "parallel"))]
    {
        (0..n).map(f).collect()
    }
}

/// Number of threads parallel loops use (1 without feature `parallel`).
pub fn threads() -> usize {
    #[cfg(feature = "parallel")]
    {
        rayon::current_num_threads()
    }
    #[cfg(not(feature = "parallel"))]
    {
        1
    }
}

/// Runs `f(i)` for every `i` in `0..n`, in parallel where threads exist. `f` must only touch data that no other
/// index touches.
pub fn for_each_index<F>(n: usize, f: F)
where
    F: Fn(usize) + Sync + Send,
{
    #[cfg(feature = "parallel")]
    {
        use rayon::prelude::*;
        (0..n).into_par_iter().for_each(f);
    }
    #[cfg(not(feature = "parallel"))]
    {
        (0..n).for_each(f);
    }
}
