//! SELFIES against the `selfies` 2.2.0 package: fixtures written by `scripts/molecules_reference.py` (MOSES
//! molecules and edge cases encoded; random SELFIES decoded), a property test that random SELFIES always decode,
//! and a fuzz of the decoder and encoder with arbitrary strings (never a panic).

use std::io::Read;

use paperlab::labs::molecules::selfies::{decode, encode, robust_alphabet, split_selfies};
use paperlab::nn::Rng;

fn fixture(name: &str) -> Vec<Vec<String>> {
    let path = format!("{}/tests/fixtures/molecules/{name}", env!("CARGO_MANIFEST_DIR"));
    let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e} (run scripts/molecules_reference.py)"));
    let mut text = String::new();
    flate2::read::GzDecoder::new(&bytes[..]).read_to_string(&mut text).expect("gzip text");
    text.lines().filter(|l| !l.starts_with('#')).map(|l| l.split('\t').map(str::to_string).collect()).collect()
}

/// Prints the first mismatches and the match rate; fails below `min_rate`.
fn report(what: &str, mismatches: &[String], total: usize, min_rate: f64) {
    let rate = 1.0 - mismatches.len() as f64 / total as f64;
    println!("{what}: {} of {total} match the package ({:.2}%)", total - mismatches.len(), 100.0 * rate);
    for m in mismatches.iter().take(10) {
        println!("  {m}");
    }
    assert!(rate >= min_rate, "{what}: match rate {rate:.4} below {min_rate}");
}

#[test]
fn encoder_matches_package_on_moses_and_edge_cases() {
    let rows = fixture("encode.tsv.gz");
    assert!(rows.len() > 3000, "expected > 3000 fixture rows, found {}", rows.len());
    let mut bad = Vec::new();
    for r in &rows {
        let (smiles, want) = (&r[0], &r[1]);
        let got = encode(smiles).unwrap_or_else(|_| "ERR".to_string());
        if &got != want {
            bad.push(format!("{smiles}: package {want}, ours {got}"));
        }
    }
    report("encoder", &bad, rows.len(), 1.0);
}

#[test]
fn decoder_matches_package_on_random_selfies() {
    let rows = fixture("decode.tsv.gz");
    assert!(rows.len() >= 5000);
    let mut bad = Vec::new();
    for r in &rows {
        let got = decode(&r[0]).unwrap_or_else(|e| format!("ERR {e}"));
        if got != r[1] {
            bad.push(format!("{}: package {}, ours {got}", r[0], r[1]));
        }
    }
    report("decoder", &bad, rows.len(), 1.0);
}

#[test]
fn round_trip_of_moses_molecules_decodes_to_the_package_string() {
    // decode(encode(s)) equals what the package's decoder makes of the package's encoding (both fixtures agree
    // with the package, so this is the package's own round trip).
    let rows = fixture("encode.tsv.gz");
    for r in rows.iter().filter(|r| r[1] != "ERR").take(500) {
        let ours = decode(&encode(&r[0]).unwrap()).unwrap();
        let theirs = decode(&r[1]).unwrap();
        assert_eq!(ours, theirs, "{}", r[0]);
    }
}

fn random_selfies(rng: &mut Rng, alphabet: &[String], max_len: usize) -> String {
    let n = 1 + rng.below(max_len);
    (0..n).map(|_| alphabet[rng.below(alphabet.len())].as_str()).collect()
}

#[test]
fn hundred_thousand_random_selfies_decode() {
    // Any string over the robust alphabet is a molecule (RDKit validity of the package's decodings of 100,000 such
    // strings is in tests/fixtures/molecules/summary.json; the page checks ours with MinimalLib).
    let mut alphabet = robust_alphabet();
    alphabet.extend(["[N+1]", "[O-1]", "[nop]", "[13C]", "[C@@H1]", "[/C]", "[\\C]", "[-/Ring1]", "[Fe]"].map(String::from));
    let mut rng = Rng::new(7);
    let mut atoms = 0usize;
    for i in 0..100_000 {
        let s = random_selfies(&mut rng, &alphabet, 60);
        let smi = decode(&s).unwrap_or_else(|e| panic!("string {i} '{s}' failed: {e}"));
        atoms += smi.chars().filter(|c| c.is_ascii_uppercase()).count();
    }
    assert!(atoms > 100_000, "decodings look empty: {atoms} atoms in 100,000 strings");
}

#[test]
fn fuzz_decoder_and_encoder_never_panic() {
    // Arbitrary strings: pieces of symbols, brackets, digits, unicode. Errors are fine, panics are not.
    let pieces = [
        "[", "]", "[C]", "[Branch1]", "[Ring2]", "[=Branch3]", "[#Ring1]", ".", "=", "#", "(", ")", "1", "%1", "%12", "+",
        "-", "@", "H", "c", "n", "[nH]", "[O-]", "Cl", "Br", "é", "日", "\u{0}", "[ch]", "[ng]", "[eps]", "[Branch9]",
        "[C+99999999999999999999]", "[999999999999999999999C]", "[CH9]", "/", "\\", ":", "*", "$", "[=Ring3]", " ",
    ];
    let mut rng = Rng::new(99);
    let t0 = std::time::Instant::now();
    let mut n = 0;
    // A fixed number of cases (not a time budget), so the run is reproducible.
    while n < 200_000 {
        let k = rng.below(30);
        let s: String = (0..k).map(|_| pieces[rng.below(pieces.len())]).collect();
        let _ = decode(&s);
        let _ = encode(&s);
        let _ = split_selfies(&s);
        n += 1;
    }
    // Deep nesting must be refused, not overflow the stack.
    let deep = "[C][Branch1][C]".repeat(5000) + "[C]";
    let _ = decode(&deep);
    let deep_smiles = "C(".repeat(5000) + "C" + &")".repeat(5000);
    let _ = encode(&deep_smiles);
    println!("fuzzed {n} strings in {:.1} s", t0.elapsed().as_secs_f64());
}

#[test]
fn bad_smiles_gives_a_message() {
    for s in ["", "C(", "C)", "C1CC", "Xx", "C==C", "[C", "c1cccc1"] {
        let e = encode(s).expect_err(s).to_string();
        assert!(e.contains("SMILES"), "{s}: {e}");
    }
}
