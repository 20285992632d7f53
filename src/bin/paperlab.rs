//! Paperlab's native command line: trains the shipped models, re-evaluates them, and times the kernels. It only
//! dispatches: each lab's commands live in `src/labs/<lab>/ship.rs` (or its `train_cli`).
//!
//! ```text
//! paperlab train verify [--out DIR] [--only ID] [--quick]   train the verify lab's models, write weights + manifest
//! paperlab eval verify [--dir DIR] [--write]                re-evaluate them, compare with (or rewrite) the manifest
//! paperlab train ucb | lottery | compressive | onlstm | roll [...] the other labs' shipped models (see each lab's docs)
//! paperlab eval onlstm [--write]                            re-evaluate the onlstm models on the test sentences
//! paperlab bench                                            GEMM GFLOP/s of our kernel at the sizes the labs use
//! ```
//! Options are parsed strictly: an unknown option or a value that does not parse is an error.

// The CLI is native only (it reads and writes files). Cargo still builds this target when it builds wasm
// integration tests, so on wasm32 it is an empty program.
#[cfg(target_arch = "wasm32")]
fn main() {}

#[cfg(not(target_arch = "wasm32"))]
fn main() {
    use paperlab::labs;
    let args: Vec<String> = std::env::args().skip(1).collect();
    let r = match args.iter().map(String::as_str).collect::<Vec<_>>().as_slice() {
        ["train", "verify", rest @ ..] => labs::verify::ship::train_cli(rest),
        ["eval", "verify", rest @ ..] => labs::verify::ship::eval_cli(rest),
        ["train", "ucb", rest @ ..] => labs::ucb::train_cli(rest),
        ["train", "lottery", rest @ ..] => labs::lottery::ship::train_cli(rest),
        ["train", "compressive", rest @ ..] => labs::compressive::train::train_cli(rest),
        ["train", "onlstm", rest @ ..] => labs::onlstm::ship::train_cli(rest),
        ["train", "bagnet", rest @ ..] => labs::bagnet::ship::train_cli(rest),
        ["eval", "onlstm", rest @ ..] => labs::onlstm::ship::eval_cli(rest),
        ["train", "roll", rest @ ..] => labs::roll::ship::train_cli(rest),
        ["bench", "roll", rest @ ..] => labs::roll::ship::bench_cli(rest),
        ["train", "blindspot", rest @ ..] => labs::blindspot::ship::train_cli(rest),
        ["eval", "blindspot", rest @ ..] => labs::blindspot::ship::eval_cli(rest),
        ["bench"] => labs::cli::gemm_bench(),
        _ => {
            eprintln!("usage: paperlab train <verify|ucb|lottery|compressive|onlstm|bagnet> [OPTIONS] | paperlab eval <verify|onlstm> [OPTIONS] | paperlab bench");
            std::process::exit(2);
        }
    };
    if let Err(e) = r {
        eprintln!("error: {e}");
        std::process::exit(1);
    }
}
