//! The synthetic accessibility score SA of Ertl & Schuffenhauer (J. Cheminf. 1:8, 2009) as RDKit's
//! `Contrib/SA_Score/sascorer.py` computes it (the version with the fingerprint-density correction), which the
//! paper's fitness uses (sec. 4.1, penalised logP).
//!
//! SA = scale(fragment score + complexity + density), where
//! - fragment score = sum over the Morgan (radius 2) environments of a molecule of table[id] * count / sum of counts
//!   (an id missing from the table scores -4);
//! - complexity = -(n^1.005 - n) - log10(chiral + 1) - log10(spiro + 1) - log10(bridgeheads + 1)
//!   - log10(2) [if any ring has more than 8 atoms], n = atoms of the graph;
//! - density = 0.5 ln(n / distinct ids) when n exceeds the number of distinct ids;
//! - scale(x) = 11 - (x + 5) / 6.5 * 9, then 8 + ln(s - 8) above 8, clamped to [1, 10].
//!
//! RDKit MinimalLib (the browser) gives no sparse Morgan ids, only folded bit vectors without counts, so the ids
//! are hashed here ([`morgan_counts`]) from the molecular graph MinimalLib's `get_json` gives, the way RDKit's
//! Morgan generator does (radius 2, connectivity invariants with ring membership, bond types, no chirality,
//! redundant environments dropped). The fragment table is RDKit's whole `fpscores.pkl.gz`
//! ([`FragmentTable`], shipped as `www/data/molecules/sa_fpscores.bin`). Checked in `tests/molecules_sa.rs`: the
//! ids and counts equal the RDKit wheel's and [`sa_of_graph`] equals `sascorer.py` on 400 MOSES molecules and 73 small
//! and unusual ones (methane, water, ions, single atoms, isotopes, macrocycles, spiro and bridged systems).

use std::collections::HashSet;

use crate::error::{Error, Result};

/// The counts SA needs besides the fragment term.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct SaParts {
    /// Atoms of the graph (RDKit `GetNumAtoms`: heavy atoms plus any hydrogens kept as atoms, e.g. isotopes).
    pub atoms: usize,
    /// Chiral centres (assigned or not).
    pub chiral: usize,
    /// Spiro atoms (RDKit `CalcNumSpiroAtoms`).
    pub spiro: usize,
    /// Bridgehead atoms (RDKit `CalcNumBridgeheadAtoms`).
    pub bridgeheads: usize,
    /// Sizes of the rings of RDKit's ring info.
    pub ring_sizes: Vec<usize>,
}

/// SA from the fragment score and the other terms; `distinct` is the number of distinct Morgan ids.
/// Returns 10 (hardest) for a molecule without atoms or ids.
pub fn sa_from_parts(fragment_score: f64, parts: &SaParts, distinct: usize) -> f64 {
    if parts.atoms == 0 || distinct == 0 {
        return 10.0;
    }
    let n = parts.atoms as f64;
    let macro_pen = if parts.ring_sizes.iter().any(|&r| r > 8) { 2f64.log10() } else { 0.0 };
    let complexity = 0.0
        - (n.powf(1.005) - n)
        - (parts.chiral as f64 + 1.0).log10()
        - (parts.spiro as f64 + 1.0).log10()
        - (parts.bridgeheads as f64 + 1.0).log10()
        - macro_pen;
    let density = if parts.atoms > distinct { (n / distinct as f64).ln() * 0.5 } else { 0.0 };
    let raw = fragment_score + complexity + density;
    let (lo, hi) = (-4.0, 2.5);
    let mut s = 11.0 - (raw - lo + 1.0) / (hi - lo) * 9.0;
    if s > 8.0 {
        s = 8.0 + (s + 1.0 - 9.0).ln();
    }
    s.clamp(1.0, 10.0)
}

/// SA from sparse Morgan counts: `frags` holds `(count, table score)` per distinct id (score -4 when the id is not in
/// the table).
pub fn sa_exact(frags: &[(u32, f64)], parts: &SaParts) -> f64 {
    let nf: f64 = frags.iter().map(|&(c, _)| c as f64).sum();
    if nf == 0.0 {
        return 10.0;
    }
    let score1 = frags.iter().map(|&(c, s)| s * c as f64).sum::<f64>() / nf;
    sa_from_parts(score1, parts, frags.len())
}

/// RDKit's fragment-score table (`fpscores.pkl.gz`): a score per Morgan id, -4 for ids it does not hold.
#[derive(Clone, Debug, Default)]
pub struct FragmentTable {
    /// Ids in increasing order.
    ids: Vec<u32>,
    /// Per id, the index of its score in `scores`.
    group: Vec<u16>,
    scores: Vec<f64>,
}

impl FragmentTable {
    /// Reads `sa_fpscores.bin` (written by `scripts/molecules_reference.py`, `write_fpscores`): `SAFP`, u32 version 1,
    /// u32 groups, then per group i32 score × 10⁴, u32 ids and the ids' increasing gaps as LEB128 varints
    /// (little-endian). Errors on any other content.
    pub fn from_bytes(b: &[u8]) -> Result<Self> {
        let bad = |d: &str| Error::format("SA fragment table (sa_fpscores.bin)", format!("{d}; rewrite it with scripts/molecules_reference.py"));
        let mut pos = 0usize;
        let u32le = |pos: &mut usize| -> Result<u32> {
            let s = b.get(*pos..*pos + 4).ok_or_else(|| bad("truncated"))?;
            *pos += 4;
            Ok(u32::from_le_bytes([s[0], s[1], s[2], s[3]]))
        };
        if b.get(..4) != Some(b"SAFP".as_slice()) {
            return Err(bad("no SAFP header"));
        }
        pos += 4;
        if u32le(&mut pos)? != 1 {
            return Err(bad("unknown version"));
        }
        let groups = u32le(&mut pos)? as usize;
        if groups > u16::MAX as usize {
            return Err(bad("too many score groups"));
        }
        let mut pairs: Vec<(u32, u16)> = Vec::new();
        let mut scores = Vec::with_capacity(groups);
        for g in 0..groups {
            scores.push(u32le(&mut pos)? as i32 as f64 / 10000.0);
            let n = u32le(&mut pos)? as usize;
            let mut id = 0u64;
            for _ in 0..n {
                let (mut gap, mut shift) = (0u64, 0u32);
                loop {
                    let x = *b.get(pos).ok_or_else(|| bad("truncated ids"))?;
                    pos += 1;
                    gap |= ((x & 0x7F) as u64) << shift;
                    shift += 7;
                    if x & 0x80 == 0 {
                        break;
                    }
                    if shift > 35 {
                        return Err(bad("varint too long"));
                    }
                }
                id += gap;
                let id32 = u32::try_from(id).map_err(|_| bad("id beyond 32 bits"))?;
                pairs.push((id32, g as u16));
            }
        }
        if pos != b.len() {
            return Err(bad("trailing bytes"));
        }
        pairs.sort_by_key(|p| p.0);
        pairs.dedup_by_key(|p| p.0);
        Ok(FragmentTable { ids: pairs.iter().map(|p| p.0).collect(), group: pairs.iter().map(|p| p.1).collect(), scores })
    }

    /// Fragment ids in the table.
    pub fn len(&self) -> usize {
        self.ids.len()
    }

    /// Whether the table holds no ids.
    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }

    /// The score of Morgan id `id` (-4 when the table does not hold it, as in `sascorer.py`).
    pub fn score(&self, id: u32) -> f64 {
        match self.ids.binary_search(&id) {
            Ok(i) => self.scores[self.group[i] as usize],
            Err(_) => -4.0,
        }
    }
}

/// One atom of a molecular graph, with what RDKit's Morgan atom invariants use.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct MorganAtom {
    /// Atomic number (1 for a hydrogen kept as an atom).
    pub z: u32,
    /// Hydrogens on the atom that are not atoms of the graph (MinimalLib `get_json` `impHs`; RDKit
    /// `GetTotalNumHs(includeNeighbors=False)`).
    pub hs: u32,
    /// Formal charge.
    pub charge: i32,
    /// Mass number, 0 for the natural isotope mixture.
    pub isotope: u32,
    /// In at least one ring of RDKit's ring info.
    pub in_ring: bool,
}

/// A bond: its two atoms and RDKit's bond type number (1 single, 2 double, 3 triple, 12 aromatic).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct MorganBond {
    pub a: usize,
    pub b: usize,
    pub kind: u32,
}

/// boost's `hash_combine` as RDKit's portable copy has it (32 bits).
fn hash_combine(seed: &mut u32, v: u32) {
    *seed ^= v.wrapping_add(0x9e37_79b9).wrapping_add(*seed << 6).wrapping_add(*seed >> 2);
}

/// Standard atomic weight (RDKit's periodic table) and exact masses of the common isotopes, for RDKit's
/// `int(mass - atomic weight)` invariant. Other isotopes use their mass number as mass; elements beyond the table
/// count as the natural mixture (both are approximations: such atoms never occur in the GA, whose alphabet has no
/// isotopes).
fn delta_mass(z: u32, isotope: u32) -> i32 {
    if isotope == 0 {
        return 0;
    }
    const WEIGHT: [f64; 36] = [
        0.0, 1.008, 4.003, 6.941, 9.012, 10.812, 12.011, 14.007, 15.999, 18.998, 20.18, 22.99, 24.305, 26.982, 28.086,
        30.974, 32.067, 35.453, 39.948, 39.098, 40.078, 44.956, 47.867, 50.942, 51.996, 54.938, 55.845, 58.933, 58.693,
        63.546, 65.39, 69.723, 72.61, 74.922, 78.96, 79.904,
    ];
    const EXACT: [(u32, u32, f64); 12] = [
        (1, 2, 2.014_101_778), (1, 3, 3.016_049_278), (6, 11, 11.011_433_6), (6, 13, 13.003_354_838), (6, 14, 14.003_241_988),
        (7, 15, 15.000_108_898), (8, 17, 16.999_131_76), (8, 18, 17.999_161_0), (9, 18, 18.000_938), (15, 32, 31.973_907_27),
        (16, 34, 33.967_867), (16, 35, 34.969_032_16),
    ];
    let Some(&w) = WEIGHT.get(z as usize) else { return 0 };
    let mass = EXACT.iter().find(|e| e.0 == z && e.1 == isotope).map_or(isotope as f64, |e| e.2);
    (mass - w) as i32
}

/// RDKit's Morgan connectivity invariant of each atom (`getConnectivityInvariants` with ring membership): the
/// hash of (atomic number, total degree, total H count, formal charge, delta mass, [1 if in a ring]).
pub fn atom_invariants(atoms: &[MorganAtom], bonds: &[MorganBond]) -> Vec<u32> {
    let mut degree = vec![0u32; atoms.len()];
    let mut h_nbrs = vec![0u32; atoms.len()];
    for bd in bonds {
        degree[bd.a] += 1;
        degree[bd.b] += 1;
        h_nbrs[bd.a] += (atoms[bd.b].z == 1) as u32;
        h_nbrs[bd.b] += (atoms[bd.a].z == 1) as u32;
    }
    atoms
        .iter()
        .enumerate()
        .map(|(i, a)| {
            let mut parts = vec![a.z, degree[i] + a.hs, a.hs + h_nbrs[i], a.charge as u32, delta_mass(a.z, a.isotope) as u32];
            if a.in_ring {
                parts.push(1);
            }
            let mut seed = 0u32;
            for p in parts {
                hash_combine(&mut seed, p);
            }
            seed
        })
        .collect()
}

/// The sparse Morgan fingerprint of RDKit's generator (`GetMorganGenerator(radius)` then
/// `GetSparseCountFingerprint`): `(id, count)` per distinct environment id, ids increasing. Layer 0 is every atom's
/// invariant; layer l + 1 hashes (l, the atom's id, its sorted (bond type, neighbour id) pairs); an environment whose
/// set of bonds was already seen (in this or an earlier layer) is dropped and its atom stops growing.
/// Errors on a bond to an atom that does not exist.
pub fn morgan_counts(atoms: &[MorganAtom], bonds: &[MorganBond], radius: usize) -> Result<Vec<(u32, u32)>> {
    let n = atoms.len();
    if let Some(bd) = bonds.iter().find(|bd| bd.a >= n || bd.b >= n || bd.a == bd.b) {
        return Err(Error::format("molecular graph", format!("bond {}-{} in a graph of {n} atoms", bd.a, bd.b)));
    }
    let words = bonds.len().div_ceil(64).max(1);
    let mut adj: Vec<Vec<(usize, usize)>> = vec![Vec::new(); n];
    for (k, bd) in bonds.iter().enumerate() {
        adj[bd.a].push((k, bd.b));
        adj[bd.b].push((k, bd.a));
    }
    let mut cur = atom_invariants(atoms, bonds);
    let mut ids: Vec<u32> = cur.clone();
    let mut nbh = vec![vec![0u64; words]; n];
    let mut dead = vec![false; n];
    let mut seen: HashSet<Vec<u64>> = HashSet::new();
    for layer in 0..radius {
        let mut round = nbh.clone();
        let mut next = vec![0u32; n];
        let mut found: Vec<(Vec<u64>, u32, usize)> = Vec::new();
        for i in 0..n {
            if dead[i] {
                continue;
            }
            if adj[i].is_empty() {
                dead[i] = true;
                continue;
            }
            let mut pairs: Vec<(i32, u32)> = Vec::with_capacity(adj[i].len());
            for &(k, o) in &adj[i] {
                round[i][k / 64] |= 1 << (k % 64);
                for w in 0..words {
                    round[i][w] |= nbh[o][w];
                }
                pairs.push((bonds[k].kind as i32, cur[o]));
            }
            pairs.sort_unstable();
            let mut inv = layer as u32;
            hash_combine(&mut inv, cur[i]);
            for (bt, v) in pairs {
                let mut h = 0u32;
                hash_combine(&mut h, bt as u32);
                hash_combine(&mut h, v);
                hash_combine(&mut inv, h);
            }
            next[i] = inv;
            found.push((round[i].clone(), inv, i));
        }
        // Equal bond sets: the smallest (id, atom) is kept, as RDKit's sort of (bonds, id, atom) does.
        found.sort_unstable();
        for (bits, inv, i) in found {
            if seen.contains(&bits) {
                dead[i] = true;
            } else {
                ids.push(inv);
                seen.insert(bits);
            }
        }
        cur = next;
        nbh = round;
    }
    ids.sort_unstable();
    let mut out: Vec<(u32, u32)> = Vec::new();
    for id in ids {
        match out.last_mut() {
            Some(last) if last.0 == id => last.1 += 1,
            _ => out.push((id, 1)),
        }
    }
    Ok(out)
}

/// SA of a molecular graph: Morgan ids by [`morgan_counts`] (radius 2), scored with `table`; `parts.atoms` is
/// replaced by the graph's atom count.
pub fn sa_of_graph(atoms: &[MorganAtom], bonds: &[MorganBond], parts: &SaParts, table: &FragmentTable) -> Result<f64> {
    let counts = morgan_counts(atoms, bonds, 2)?;
    let frags: Vec<(u32, f64)> = counts.iter().map(|&(id, c)| (c, table.score(id))).collect();
    Ok(sa_exact(&frags, &SaParts { atoms: atoms.len(), ..parts.clone() }))
}
