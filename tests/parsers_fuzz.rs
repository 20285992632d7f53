//! Every parser of shipped or uploaded bytes against hostile input: random bytes and mutations of the real shipped
//! files (bit flips, truncations, insertions, a header length field set to 4 GiB and to u64::MAX, a gzip length
//! trailer claiming 4 GiB). Each call must return `Ok` or an error — never panic — and never allocate more than a
//! stated cap: a counting allocator in this test binary records the peak live bytes of every call.
//!
//! Parsers: `io::load` (safetensors), `io::gunzip` (bounded), `Mlp::from_safetensors` (verify / lottery models),
//! the onlstm LM, the compressive model, `Mnist::from_gz_bytes`, `gunzip_text` and the character vocabulary.
//! Budget: `PAPERLAB_FUZZ_SECS` (default 10 s; `make fuzz` runs longer). Inputs are seeded, so a failure reproduces.
#![cfg(not(target_arch = "wasm32"))]

use std::alloc::{GlobalAlloc, Layout, System};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::cell::Cell;
use std::time::{Duration, Instant};

use paperlab::nn::Rng;

/// Counts the live bytes of the thread that allocates: the native tests are one binary whose tests run on several
/// threads at once, and only the fuzzing thread's own allocations are the parser's. (Bytes freed on another thread
/// than the one that allocated them move the counters of both; the parsers here run on the calling thread.)
struct Counting;
thread_local! {
    static LIVE: Cell<isize> = const { Cell::new(0) };
    static PEAK: Cell<isize> = const { Cell::new(0) };
}

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, l: Layout) -> *mut u8 {
        let p = unsafe { System.alloc(l) };
        if !p.is_null() {
            // try_with: a thread's own locals are gone while it exits; those allocations are not counted.
            let _ = LIVE.try_with(|live| {
                let now = live.get() + l.size() as isize;
                live.set(now);
                let _ = PEAK.try_with(|peak| peak.set(peak.get().max(now)));
            });
        }
        p
    }
    unsafe fn dealloc(&self, p: *mut u8, l: Layout) {
        unsafe { System.dealloc(p, l) };
        let _ = LIVE.try_with(|live| live.set(live.get() - l.size() as isize));
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

/// Extra bytes a parser may hold at once beyond a few copies of its input: the largest shipped model decoded to f32
/// is well under this.
const CAP: usize = 64 << 20;

type Parser = (&'static str, fn(&[u8]));

fn parsers() -> Vec<Parser> {
    vec![
        ("io::load", |b| {
            if let Ok(l) = paperlab::io::load(b) {
                for n in l.names() {
                    let _ = l.f32(n);
                    let _ = l.u8(n);
                }
            }
        }),
        ("io::gunzip", |b| drop(paperlab::io::gunzip(b, 1 << 20))),
        ("Mlp::from_safetensors", |b| drop(paperlab::nn::Mlp::from_safetensors(b))),
        ("onlstm Lm::from_safetensors", |b| drop(paperlab::labs::onlstm::model::Lm::from_safetensors(b))),
        ("compressive Model::from_safetensors", |b| drop(paperlab::labs::compressive::Model::from_safetensors(b))),
        ("Mnist::from_gz_bytes", |b| drop(paperlab::data::mnist::Mnist::from_gz_bytes(b))),
        ("gunzip_text + Vocab", |b| {
            let _ = paperlab::data::text::gunzip_text(b);
            if let Ok(v) = paperlab::data::text::Vocab::from_text(b) {
                let _ = v.encode(b);
                let _ = v.decode(b);
            }
        }),
    ]
}

fn shipped(path: &str) -> Vec<u8> {
    std::fs::read(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(path)).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn mutate(rng: &mut Rng, seed: &[u8]) -> Vec<u8> {
    let mut b = seed.to_vec();
    match rng.below(7) {
        0 => b.truncate(rng.below(b.len().max(1))),
        1 => {
            for _ in 0..1 + rng.below(8) {
                let i = rng.below(b.len().max(1));
                if let Some(x) = b.get_mut(i) {
                    *x ^= 1 << rng.below(8);
                }
            }
        }
        2 if b.len() >= 8 => b[..8].copy_from_slice(&(4u64 << 30).to_le_bytes()),
        3 if b.len() >= 8 => b[..8].copy_from_slice(&u64::MAX.to_le_bytes()),
        4 => {
            // A byte run inside the JSON header (or anywhere in a small file).
            let i = rng.below(b.len().clamp(1, 400));
            let junk: Vec<u8> = (0..1 + rng.below(16)).map(|_| rng.below(256) as u8).collect();
            b.splice(i.min(b.len())..i.min(b.len()), junk);
        }
        5 if b.len() >= 4 => {
            // gzip's ISIZE trailer: claim 4 GiB of output.
            let n = b.len();
            b[n - 4..].copy_from_slice(&u32::MAX.to_le_bytes());
        }
        _ => b = (0..rng.below(2048)).map(|_| rng.below(256) as u8).collect(),
    }
    b
}

#[test]
fn hostile_bytes_are_errors_never_panics_or_huge_allocations() {
    let budget = Duration::from_secs(std::env::var("PAPERLAB_FUZZ_SECS").ok().and_then(|s| s.parse().ok()).unwrap_or(10));
    // Seeds: real files of every format (small ones whole; the big ones' first 64 KiB keep the header intact).
    let mut seeds: Vec<Vec<u8>> = vec![
        shipped("www/models/verify/mlp-natural.safetensors"),
        shipped("www/models/onlstm/lstm.safetensors"),
        shipped("www/models/compressive/xl.safetensors"),
        shipped("www/data/mnist-10k.safetensors.gz")[..65536].to_vec(),
        shipped("www/data/moby-dick-200k.txt.gz")[..32768].to_vec(),
        shipped("www/models/lottery/vision-masks.safetensors.gz"),
    ];
    seeds.push(paperlab::io::save_f32(&[("w", &[2, 3], &[1.0, 2.0, 3.0, 4.0, 5.0, 6.0])], &Default::default()).unwrap());
    let parsers = parsers();
    let t0 = Instant::now();
    let mut rng = Rng::new(20261201);
    let mut runs = vec![0usize; parsers.len()];
    let mut worst = vec![0usize; parsers.len()];
    while t0.elapsed() < budget || runs.iter().sum::<usize>() < 200 {
        let pick = rng.below(seeds.len());
        let input = mutate(&mut rng, &seeds[pick]);
        for (k, (name, parse)) in parsers.iter().enumerate() {
            let base = LIVE.with(Cell::get);
            PEAK.with(|p| p.set(base));
            let r = catch_unwind(AssertUnwindSafe(|| parse(&input)));
            let extra = (PEAK.with(Cell::get) - base).max(0) as usize;
            assert!(r.is_ok(), "{name} panicked on {} bytes starting {:02x?}", input.len(), &input[..input.len().min(32)]);
            assert!(extra <= CAP + 8 * input.len(), "{name} allocated {extra} bytes on a {}-byte input", input.len());
            worst[k] = worst[k].max(extra);
            runs[k] += 1;
        }
    }
    for (k, (name, _)) in parsers.iter().enumerate() {
        eprintln!("fuzz {name}: {} inputs, peak extra allocation {} KiB", runs[k], worst[k] >> 10);
    }
    eprintln!("fuzz: {:.0} inputs/s over all parsers", runs[0] as f64 / t0.elapsed().as_secs_f64());
}
