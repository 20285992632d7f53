//! The corruptions lab's native numbers: `cargo run --release --example corruptions [n_digits] [n_flip]`.
//! Prints the 15 x 5 grid's time on the 224x224 chelsea crop and the robustness table of the shipped digit models.
//! With `--grid` it only times the grid (`make bench`); with `--cells` every cell on one thread; with `--json FILE` it only runs the benchmark and writes the page's precomputed result there
//! (`www/data/corruptions-bench.json`).

use paperlab::labs::corruptions::ship::{chelsea224, robustness_json, robustness_table, time_cells, time_grid, time_grid_flat};
use paperlab::labs::corruptions::FrostPictures;

fn main() -> paperlab::Result<()> {
    let root = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let args: Vec<usize> = std::env::args().skip(1).filter_map(|a| a.parse().ok()).collect();
    let (n, n_flip) = (args.first().copied().unwrap_or(2000), args.get(1).copied().unwrap_or(500));
    let argv: Vec<String> = std::env::args().collect();
    if let Some(i) = argv.iter().position(|a| a == "--json") {
        let path = argv.get(i + 1).ok_or_else(|| paperlab::Error::range("--json", "needs a file name"))?;
        let (json, table) = robustness_json(&root, n, n_flip, 2019)?;
        std::fs::write(path, json)?;
        println!("wrote {path}\n\n{table}");
        return Ok(());
    }
    let img = chelsea224(&root)?;
    let frost = FrostPictures::load_dir(&root.join("www/data/frost"))?;
    if argv.iter().any(|a| a == "--cells") {
        println!("ms per cell (fastest of 3), 224x224, native, 1 thread; severities 1..5");
        let cells = time_cells(&img, &frost, 3)?;
        for (name, ms) in &cells {
            println!("  {name:18} {}", ms.iter().map(|m| format!("{m:6.2}")).collect::<Vec<_>>().join(" "));
        }
        println!("  sum {:.1} ms", cells.iter().flat_map(|(_, m)| m.iter()).sum::<f64>());
        return Ok(());
    }
    let flat = (0..3).map(|_| time_grid_flat(&img, &frost)).collect::<paperlab::Result<Vec<f64>>>()?;
    println!("15 x 5 grid on 224x224 in one call (75 cells longest first), native, {} thread(s): {:.3} s (fastest of 3)", paperlab::par::threads(), flat.iter().copied().fold(f64::INFINITY, f64::min));
    let (total, per) = time_grid(&img, &frost)?;
    println!("15 x 5 grid on 224x224, native, {} thread(s): {total:.3} s", paperlab::par::threads());
    for (name, s) in per {
        println!("  {name:18} {:.1} ms", 1000.0 * s);
    }
    if argv.iter().any(|a| a == "--grid") {
        return Ok(());
    }
    println!("\n{}", robustness_table(&root, n, n_flip, 2019)?);
    Ok(())
}
