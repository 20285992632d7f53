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

/// Runs `f(i)` for every `i` in `0..n` with the calling thread taking part, for short parallel regions that are
/// entered again and again (the GEMM's blocks of C).
///
/// Tasks are handed out one at a time from a shared counter, so a thread that starts late (a pool thread still
/// waking up) simply takes fewer of them; the caller never waits for a thread to wake, only for tasks already
/// running to finish. After a region the helper threads keep polling for the next one for a short while
/// ([`LINGER`]) before they give their pool thread back, so a loop of parallel calls does not pay a wake-up per
/// call (the cost that made a 128³ product slower on 2 threads than on 1 in the browser, where waking a Web Worker
/// takes tens of microseconds). The caller plus `threads() - 1` helpers run at once.
///
/// `f` must not panic (a panicking task would leave the caller waiting): callers check their inputs first.
/// Without feature `parallel` this is a plain loop.
pub fn run_tasks<F>(n: usize, f: F)
where
    F: Fn(usize) + Sync + Send,
{
    #[cfg(feature = "parallel")]
    {
        let helpers = threads().saturating_sub(1).min(n.saturating_sub(1));
        if helpers == 0 {
            (0..n).for_each(f);
        } else {
            shared::run(n, helpers, &f);
        }
    }
    #[cfg(not(feature = "parallel"))]
    {
        (0..n).for_each(f);
    }
}

/// How long a helper keeps polling for the next region before returning its thread to the pool: ~0.3 ms.
#[cfg(feature = "parallel")]
pub const LINGER: std::time::Duration = std::time::Duration::from_micros(300);

#[cfg(feature = "parallel")]
mod shared {
    use std::sync::atomic::{AtomicUsize, Ordering::*};
    use std::sync::{Arc, Mutex};

    /// One parallel region. `f` points at the caller's closure; it is dereferenced only by a thread that claimed a
    /// task index `< n`, and the caller does not return before every claimed task is done, so it is alive then.
    struct Job {
        next: AtomicUsize,
        done: AtomicUsize,
        n: usize,
        f: *const (dyn Fn(usize) + Sync),
    }
    // SAFETY: `f` is Sync and only used under the claim rule above.
    unsafe impl Send for Job {}
    unsafe impl Sync for Job {}

    impl Job {
        /// Runs tasks until none are left; returns how many this thread ran.
        fn work(&self) -> usize {
            let mut ran = 0;
            loop {
                let i = self.next.fetch_add(1, AcqRel);
                if i >= self.n {
                    return ran;
                }
                // SAFETY: claim rule (see `Job`).
                unsafe { (*self.f)(i) };
                self.done.fetch_add(1, Release);
                ran += 1;
            }
        }
    }

    /// The newest region, for helpers that are still polling. `GEN` changes whenever it does.
    static CURRENT: Mutex<Option<Arc<Job>>> = Mutex::new(None);
    static GEN: AtomicUsize = AtomicUsize::new(0);
    /// Helpers polling for work right now.
    static LINGERING: AtomicUsize = AtomicUsize::new(0);

    pub(super) fn run(n: usize, helpers: usize, f: &(dyn Fn(usize) + Sync)) {
        // SAFETY: the lifetime is erased only for the duration of this call (see `Job`).
        let f: *const (dyn Fn(usize) + Sync) = unsafe { std::mem::transmute(f) };
        let job = Arc::new(Job { next: AtomicUsize::new(0), done: AtomicUsize::new(0), n, f });
        *CURRENT.lock().unwrap_or_else(|e| e.into_inner()) = Some(job.clone());
        GEN.fetch_add(1, Release);
        let waiting = LINGERING.load(Acquire);
        for _ in waiting.min(helpers)..helpers {
            rayon::spawn(helper);
        }
        job.work();
        while job.done.load(Acquire) < n {
            std::hint::spin_loop();
        }
        let mut cur = CURRENT.lock().unwrap_or_else(|e| e.into_inner());
        if cur.as_ref().is_some_and(|j| Arc::ptr_eq(j, &job)) {
            *cur = None;
        }
    }

    fn take() -> Option<Arc<Job>> {
        CURRENT.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// A pool thread's share: work on the current region, then poll for the next one for about `LINGER`.
    fn helper() {
        LINGERING.fetch_add(1, AcqRel);
        let mut seen = usize::MAX;
        let mut idle = Clock::start();
        loop {
            let g = GEN.load(Acquire);
            if g != seen {
                seen = g;
                if let Some(job) = take() {
                    if job.work() > 0 {
                        idle = Clock::start();
                    }
                }
            }
            if idle.expired() {
                break;
            }
            std::hint::spin_loop();
        }
        LINGERING.fetch_sub(1, AcqRel);
    }

    /// Native: wall time. wasm32 has no clock in std, so there the budget is a number of polls (each an atomic load,
    /// a few nanoseconds), sized to about the same time.
    struct Clock {
        #[cfg(not(target_arch = "wasm32"))]
        t0: std::time::Instant,
        #[cfg(target_arch = "wasm32")]
        polls: u32,
    }

    impl Clock {
        fn start() -> Self {
            #[cfg(not(target_arch = "wasm32"))]
            {
                Clock { t0: std::time::Instant::now() }
            }
            #[cfg(target_arch = "wasm32")]
            {
                Clock { polls: 0 }
            }
        }
        fn expired(&mut self) -> bool {
            #[cfg(not(target_arch = "wasm32"))]
            {
                self.t0.elapsed() >= super::LINGER
            }
            #[cfg(target_arch = "wasm32")]
            {
                self.polls += 1;
                self.polls >= 100_000
            }
        }
    }
}
