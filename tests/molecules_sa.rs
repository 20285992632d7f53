//! SA score against RDKit's `Contrib/SA_Score/sascorer.py` on 400 MOSES molecules and 73 small and unusual ones
//! (methane, water, ions, single atoms, isotopes, macrocycles, spiro and bridged systems; fixture written by
//! `scripts/molecules_reference.py` with the RDKit wheel): the Morgan ids and counts hashed from the molecular graph
//! equal the wheel's sparse fingerprint, the shipped fragment table gives the pickle's scores, and SA from the graph
//! equals `sascorer.py`.

use std::io::Read;

use paperlab::labs::molecules::sa::{morgan_counts, sa_exact, sa_of_graph, FragmentTable, MorganAtom, MorganBond, SaParts};

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

/// Column 2: `id:count:score` per distinct id.
fn sparse(r: &[String]) -> Vec<(u32, u32, f64)> {
    r[2].split(',')
        .map(|t| {
            let p: Vec<&str> = t.split(':').collect();
            (p[0].parse().unwrap(), p[1].parse().unwrap(), p[2].parse().unwrap())
        })
        .collect()
}

/// Columns 11 and 12: the molecular graph.
fn graph(r: &[String]) -> (Vec<MorganAtom>, Vec<MorganBond>) {
    let atoms = r[11]
        .split(';')
        .map(|t| {
            let p: Vec<i64> = t.split(':').map(|x| x.parse().unwrap()).collect();
            MorganAtom { z: p[0] as u32, hs: p[1] as u32, charge: p[2] as i32, isotope: p[3] as u32, in_ring: p[4] == 1 }
        })
        .collect();
    let bonds = r.get(12).map_or("", |s| s.as_str()).split(';').filter(|t| !t.is_empty())
        .map(|t| {
            let p: Vec<usize> = t.split(':').map(|x| x.parse().unwrap()).collect();
            MorganBond { a: p[0], b: p[1], kind: p[2] as u32 }
        })
        .collect();
    (atoms, bonds)
}

/// Stereocentres as MinimalLib counts them (`NumAtomStereoCenters`, column 6), as the page does.
fn parts(r: &[String]) -> SaParts {
    SaParts { atoms: r[4].parse().unwrap(), chiral: r[6].parse().unwrap(), spiro: r[7].parse().unwrap(), bridgeheads: r[8].parse().unwrap(), ring_sizes: list(&r[9]) }
}

fn table() -> FragmentTable {
    let path = format!("{}/www/data/molecules/sa_fpscores.bin", env!("CARGO_MANIFEST_DIR"));
    FragmentTable::from_bytes(&std::fs::read(path).unwrap()).unwrap()
}

#[test]
fn exact_formula_equals_sascorer() {
    let rows = rows();
    assert_eq!(rows.len(), 473);
    let mut worst: f64 = 0.0;
    for r in &rows {
        let frags: Vec<(u32, f64)> = sparse(r).iter().map(|&(_, c, s)| (c, s)).collect();
        let p = SaParts { chiral: r[5].parse().unwrap(), ..parts(r) };
        let want: f64 = r[1].parse().unwrap();
        let got = sa_exact(&frags, &p);
        if (got - want).abs() > 1e-9 {
            println!("{}: sascorer {want}, ours {got}", r[0]);
        }
        worst = worst.max((got - want).abs());
    }
    assert!(worst < 1e-9, "max |difference| {worst:e}");
}

#[test]
fn morgan_ids_from_the_graph_equal_rdkit() {
    let mut bad = Vec::new();
    for r in &rows() {
        let (atoms, bonds) = graph(r);
        let got = morgan_counts(&atoms, &bonds, 2).unwrap();
        let want: Vec<(u32, u32)> = sparse(r).iter().map(|&(id, c, _)| (id, c)).collect();
        if got != want {
            bad.push(format!("{}: RDKit {want:?}\n    ours {got:?}", r[0]));
        }
    }
    assert!(bad.is_empty(), "{} of the molecules differ, first:\n{}", bad.len(), bad.iter().take(5).cloned().collect::<Vec<_>>().join("\n"));
}

#[test]
fn shipped_table_holds_the_pickles_scores() {
    let t = table();
    assert_eq!(t.len(), 705_292);
    for r in &rows() {
        for (id, _, s) in sparse(r) {
            assert_eq!(t.score(id), s, "{}: id {id}", r[0]);
        }
    }
    assert!(FragmentTable::from_bytes(b"SAFP\x01\x00\x00\x00").is_err());
    assert!(FragmentTable::from_bytes(b"nope").is_err());
    let mut b = std::fs::read(format!("{}/www/data/molecules/sa_fpscores.bin", env!("CARGO_MANIFEST_DIR"))).unwrap();
    b.truncate(b.len() - 3);
    assert!(FragmentTable::from_bytes(&b).is_err());
}

#[test]
fn sa_of_the_graph_equals_sascorer_on_small_and_edge_molecules() {
    let t = table();
    let rows = rows();
    let (mut max_abs, mut sum, mut max_edge) = (0.0f64, 0.0f64, 0.0f64);
    let mut old_max_edge = 0.0f64;
    for (k, r) in rows.iter().enumerate() {
        let (atoms, bonds) = graph(r);
        let got = sa_of_graph(&atoms, &bonds, &parts(r), &t).unwrap();
        let want: f64 = r[1].parse().unwrap();
        let d = (got - want).abs();
        if d > 1e-9 {
            println!("{}: sascorer {want}, ours {got}", r[0]);
        }
        max_abs = max_abs.max(d);
        sum += d;
        if k >= 400 {
            max_edge = max_edge.max(d);
            old_max_edge = old_max_edge.max((r[10].parse::<f64>().unwrap() - want).abs());
        }
    }
    let methane = rows.iter().find(|r| r[0] == "C").unwrap();
    let (a, b) = graph(methane);
    let sa_methane = sa_of_graph(&a, &b, &parts(methane), &t).unwrap();
    println!(
        "SA from the graph vs sascorer.py on {} molecules: max |diff| {max_abs:.2e}, mean {:.2e}; on the 73 edge molecules max {max_edge:.2e} \
         (the old folded-bit substitute: {old_max_edge:.2}); methane {sa_methane:.4}",
        rows.len(),
        sum / rows.len() as f64
    );
    assert!(max_abs < 1e-9, "max |difference| {max_abs:e}");
    assert!((sa_methane - 7.3284).abs() < 1e-3);
}

#[test]
fn a_bond_to_a_missing_atom_is_an_error() {
    let atoms = [MorganAtom { z: 6, hs: 3, ..Default::default() }];
    assert!(morgan_counts(&atoms, &[MorganBond { a: 0, b: 1, kind: 1 }], 2).is_err());
    assert_eq!(morgan_counts(&[], &[], 2).unwrap(), vec![]);
}
