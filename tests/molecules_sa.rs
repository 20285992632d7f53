//! SA score against RDKit's `Contrib/SA_Score/sascorer.py` on 400 MOSES molecules (fixture written by
//! `scripts/molecules_reference.py`): the exact formula on the sparse Morgan counts, and the browser's substitute on
//! 2048-bit folded Morgan bits (equal to the script's substitute; its distance to `sascorer.py` is reported).

use std::io::Read;

use paperlab::labs::molecules::sa::{sa_exact, sa_folded, SaParts};

fn rows() -> Vec<Vec<String>> {
    let path = format!("{}/tests/fixtures/molecules/sa.tsv.gz", env!("CARGO_MANIFEST_DIR"));
    let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let mut t = String::new();
    flate2::read::GzDecoder::new(&bytes[..]).read_to_string(&mut t).unwrap();
    t.lines().filter(|l| !l.starts_with('#')).map(|l| l.split('\t').map(String::from).collect()).collect()
}

fn list(s: &str) -> Vec<usize> {
    s.split(',').filter(|x| !x.is_empty()).map(|x| x.parse().unwrap()).collect()
}

fn table() -> Vec<f64> {
    let path = format!("{}/www/data/molecules/sa_folded_2048.json", env!("CARGO_MANIFEST_DIR"));
    let v: serde_json::Value = serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();
    v["scores"].as_array().unwrap().iter().map(|x| x.as_f64().unwrap()).collect()
}

#[test]
fn exact_formula_equals_sascorer() {
    let rows = rows();
    assert_eq!(rows.len(), 400);
    let mut worst: f64 = 0.0;
    for r in &rows {
        let frags: Vec<(u32, f64)> = r[2]
            .split(',')
            .map(|t| {
                let p: Vec<&str> = t.split(':').collect();
                (p[1].parse().unwrap(), p[2].parse().unwrap())
            })
            .collect();
        let parts = SaParts { atoms: r[4].parse().unwrap(), chiral: r[5].parse().unwrap(), spiro: r[7].parse().unwrap(), bridgeheads: r[8].parse().unwrap(), ring_sizes: list(&r[9]) };
        let want: f64 = r[1].parse().unwrap();
        let got = sa_exact(&frags, &parts);
        if (got - want).abs() > 1e-9 {
            println!("{}: sascorer {want}, ours {got}", r[0]);
        }
        worst = worst.max((got - want).abs());
    }
    assert!(worst < 1e-9, "max |difference| {worst:e}");
}

#[test]
fn folded_substitute_equals_the_script_and_is_near_sascorer() {
    let rows = rows();
    let t = table();
    assert_eq!(t.len(), 2048);
    let (mut worst, mut mae, mut max_abs) = (0.0f64, 0.0f64, 0.0f64);
    let mut chiral_differs = 0;
    for r in &rows {
        // The substitute counts stereocentres as MinimalLib does (NumAtomStereoCenters), column 6.
        let parts = SaParts { atoms: r[4].parse().unwrap(), chiral: r[6].parse().unwrap(), spiro: r[7].parse().unwrap(), bridgeheads: r[8].parse().unwrap(), ring_sizes: list(&r[9]) };
        chiral_differs += (r[5] != r[6]) as usize;
        let got = sa_folded(&list(&r[3]), &t, &parts);
        let script: f64 = r[10].parse().unwrap();
        // The table is stored with 6 decimals.
        worst = worst.max((got - script).abs());
        let truth: f64 = r[1].parse().unwrap();
        mae += (got - truth).abs() / rows.len() as f64;
        max_abs = max_abs.max((got - truth).abs());
    }
    println!("substitute vs sascorer.py on {} molecules: mean |diff| {mae:.3}, max {max_abs:.3}; chiral counts differ on {chiral_differs}", rows.len());
    assert!(worst < 1e-5, "substitute differs from the script's by {worst:e}");
    assert!(mae < 0.25, "substitute drifted: mean |diff| {mae}");
}
