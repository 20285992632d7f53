//! The synthetic accessibility score SA of Ertl & Schuffenhauer (J. Cheminf. 1:8, 2009) as RDKit's
//! `Contrib/SA_Score/sascorer.py` computes it (the version with the fingerprint-density correction), which the
//! paper's fitness uses (sec. 4.1, penalised logP).
//!
//! SA = scale(fragment score + complexity + density), where
//! - fragment score = sum over the Morgan (radius 2) environments of a molecule of table[id] * count / sum of counts
//!   (an id missing from the table scores -4);
//! - complexity = -(n^1.005 - n) - log10(chiral + 1) - log10(spiro + 1) - log10(bridgeheads + 1)
//!   - log10(2) [if any ring has more than 8 atoms], n = heavy atoms;
//! - density = 0.5 ln(n / distinct ids) when n exceeds the number of distinct ids;
//! - scale(x) = 11 - (x + 5) / 6.5 * 9, then 8 + ln(s - 8) above 8, clamped to [1, 10].
//!
//! [`sa_exact`] takes the sparse Morgan counts with their table scores: it equals `sascorer.py` to 1e-12 (checked on
//! 400 MOSES molecules). RDKit MinimalLib (the browser) does not expose the sparse 32-bit Morgan ids, only folded bit
//! vectors without counts, so the page uses [`sa_folded`]: the fragment table folded to 2048 bits (the highest
//! score among the ids that fold onto a bit; `www/data/molecules/sa_folded_2048.json`), averaged over the molecule's
//! on bits with count 1 each, and MinimalLib's `NumAtomStereoCenters` for the chiral count. On the 400 molecules it
//! differs from `sascorer.py` by 0.19 on average (at most 0.57, SA is on a 1-10 scale).

/// The counts SA needs besides the fragment term.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct SaParts {
    /// Heavy atoms.
    pub atoms: usize,
    /// Chiral centres (assigned or not).
    pub chiral: usize,
    pub spiro: usize,
    pub bridgeheads: usize,
    /// Sizes of the rings of RDKit's ring info.
    pub ring_sizes: Vec<usize>,
}

/// SA from the fragment score and the other terms; `distinct` is the number of distinct Morgan ids (or on bits).
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

/// SA from folded Morgan bits (the browser's substitute): `on_bits` index `table` (2048 entries); a bit outside the
/// table scores -4.
pub fn sa_folded(on_bits: &[usize], table: &[f64], parts: &SaParts) -> f64 {
    if on_bits.is_empty() {
        return 10.0;
    }
    let score1 = on_bits.iter().map(|&b| table.get(b).copied().unwrap_or(-4.0)).sum::<f64>() / on_bits.len() as f64;
    sa_from_parts(score1, parts, on_bits.len())
}
