//! SELFIES (Krenn et al., 2020), the string representation in which every string decodes to a molecule, written to
//! match the reference package `selfies` 2.2.0 symbol for symbol: its default semantic constraints (bonding
//! capacities), its derivation rules for atoms, branches and rings, its SMILES reader and writer, and its
//! kekulisation (including the order in which it visits unmatched atoms, so that the Kekulé structure, and hence
//! the SELFIES string, is the same one the package writes).
//!
//! This is a string grammar, not chemistry: validity, canonical SMILES and every property come from RDKit
//! (MinimalLib in the browser, the `rdkit` wheel in the reference script). The SMILES reader here only reads what
//! the `selfies` package reads (it is the package's own small parser, needed to write SELFIES).
//!
//! Known differences from the package, all on inputs no chemistry program writes: digits and letters are ASCII only
//! (Python's `isdigit`/`\d` also accept other Unicode digits); charges and isotopes longer than 18 digits are
//! rejected; branches nested deeper than [`MAX_DEPTH`] are rejected (Python stops near the same depth with a
//! `RecursionError`).
//!
//! Bond orders are kept in half units (single 2, aromatic 3, double 4, triple 6) so that aromatic bond counts are
//! exact integers.

use std::collections::HashMap;

use crate::error::{Error, Result};

/// Deepest branch nesting the decoder and encoder follow.
pub const MAX_DEPTH: usize = 900;

/// The 118 element symbols the package accepts.
const ELEMENTS: [&str; 118] = [
    "H", "He", "Li", "Be", "B", "C", "N", "O", "F", "Ne", "Na", "Mg", "Al", "Si", "P", "S", "Cl", "Ar", "K", "Ca",
    "Sc", "Ti", "V", "Cr", "Mn", "Fe", "Co", "Ni", "Cu", "Zn", "Ga", "Ge", "As", "Se", "Br", "Kr", "Rb", "Sr", "Y",
    "Zr", "Nb", "Mo", "Tc", "Ru", "Rh", "Pd", "Ag", "Cd", "In", "Sn", "Sb", "Te", "I", "Xe", "Cs", "Ba", "Hf", "Ta",
    "W", "Re", "Os", "Ir", "Pt", "Au", "Hg", "Tl", "Pb", "Bi", "Po", "At", "Rn", "Fr", "Ra", "Rf", "Db", "Sg", "Bh",
    "Hs", "Mt", "Ds", "Rg", "Cn", "Fl", "Lv", "La", "Ce", "Pr", "Nd", "Pm", "Sm", "Eu", "Gd", "Tb", "Dy", "Ho", "Er",
    "Tm", "Yb", "Lu", "Ac", "Th", "Pa", "U", "Np", "Pu", "Am", "Cm", "Bk", "Cf", "Es", "Fm", "Md", "No", "Lr", "Nh",
    "Mc", "Ts", "Og",
];

/// The package's ELEMENTS set has 114 entries: it lacks Nh, Mc, Ts, Og.
fn is_element(s: &str) -> bool {
    ELEMENTS[..114].contains(&s)
}

const ORGANIC: [&str; 10] = ["B", "C", "N", "O", "S", "P", "F", "Cl", "Br", "I"];

/// Elements that may be aromatic, with their allowed valences and valence electrons (package constants).
fn aromatic_valences(e: &str) -> Option<(&'static [i64], i64)> {
    Some(match e {
        "B" | "Al" => (&[3], 3),
        "C" | "Si" => (&[4], 4),
        "N" | "P" | "As" => (&[3, 5], 5),
        "O" | "S" | "Se" | "Te" => (&[2, 4], 6),
        _ => return None,
    })
}

/// The package's `INDEX_ALPHABET`: the 16 symbols that stand for hexadecimal digits after a branch or ring symbol.
pub const INDEX_ALPHABET: [&str; 16] = [
    "[C]", "[Ring1]", "[Ring2]", "[Branch1]", "[=Branch1]", "[#Branch1]", "[Branch2]", "[=Branch2]", "[#Branch2]",
    "[O]", "[N]", "[=N]", "[=C]", "[#C]", "[S]", "[P]",
];

/// Bonding capacity under the package's `default` semantic constraints, for `element` with `charge`.
pub fn bonding_capacity(element: &str, charge: i64) -> i64 {
    let key = if charge == 0 { element.to_string() } else { format!("{element}{charge:+}") };
    match key.as_str() {
        "H" | "F" | "Cl" | "Br" | "I" => 1,
        "B" => 3,
        "B+1" => 2,
        "B-1" => 4,
        "O" => 2,
        "O+1" => 3,
        "O-1" => 1,
        "N" => 3,
        "N+1" => 4,
        "N-1" => 2,
        "C" => 4,
        "C+1" => 3,
        "C-1" => 3,
        "P" => 5,
        "P+1" => 4,
        "P-1" => 6,
        "S" => 6,
        "S+1" => 5,
        "S-1" => 5,
        _ => 8,
    }
}

/// The package's semantically robust alphabet under the default constraints (its `get_semantic_robust_alphabet`),
/// sorted: atoms `[E]`, `[=E]`, `[#E]` wherever the bond order fits the capacity, the ring and branch symbols of
/// length 1-3, and the index symbols.
pub fn robust_alphabet() -> Vec<String> {
    let keys = [
        ("H", 1), ("F", 1), ("Cl", 1), ("Br", 1), ("I", 1), ("B", 3), ("B+1", 2), ("B-1", 4), ("O", 2), ("O+1", 3),
        ("O-1", 1), ("N", 3), ("N+1", 4), ("N-1", 2), ("C", 4), ("C+1", 3), ("C-1", 3), ("P", 5), ("P+1", 4),
        ("P-1", 6), ("S", 6), ("S+1", 5), ("S-1", 5),
    ];
    let mut out: Vec<String> = Vec::new();
    for (a, c) in keys {
        for (b, m) in [("", 1), ("=", 2), ("#", 3)] {
            if m <= c {
                out.push(format!("[{b}{a}]"));
            }
        }
    }
    for i in 1..4 {
        out.push(format!("[Ring{i}]"));
        out.push(format!("[=Ring{i}]"));
        out.push(format!("[Branch{i}]"));
        out.push(format!("[=Branch{i}]"));
        out.push(format!("[#Branch{i}]"));
    }
    out.extend(INDEX_ALPHABET.iter().map(|s| s.to_string()));
    out.sort();
    out.dedup();
    out
}

// ------------------------------------------------------------------------------------------------------------------
// The molecular graph (the package's MolecularGraph)
// ------------------------------------------------------------------------------------------------------------------

#[derive(Clone, Debug)]
struct Atom {
    element: String,
    aromatic: bool,
    /// Decimal digits without leading zeros (Python's `str(int(...))`).
    isotope: Option<String>,
    chirality: Option<&'static str>,
    /// `None` for organic-subset atoms written without brackets.
    h_count: Option<i64>,
    charge: i64,
}

impl Atom {
    fn organic(element: &str, aromatic: bool) -> Atom {
        Atom { element: element.to_string(), aromatic, isotope: None, chirality: None, h_count: None, charge: 0 }
    }
    fn capacity(&self) -> i64 {
        bonding_capacity(&self.element, self.charge) - self.h_count.unwrap_or(0)
    }
    fn invert_chirality(&mut self) {
        self.chirality = match self.chirality {
            Some("@") => Some("@@"),
            Some("@@") => Some("@"),
            c => c,
        };
    }
}

#[derive(Clone, Debug)]
struct Bond {
    src: usize,
    dst: usize,
    /// Half units: 2 single, 3 aromatic, 4 double, 6 triple.
    order2: i64,
    stereo: Option<char>,
    ring: bool,
}

#[derive(Default)]
struct Graph {
    roots: Vec<usize>,
    atoms: Vec<Atom>,
    bonds: Vec<Bond>,
    bond_map: HashMap<(usize, usize), usize>,
    adj: Vec<Vec<Option<usize>>>,
    counts2: Vec<i64>,
    ring_flags: Vec<bool>,
    /// The delocalisation subgraph, an insertion-ordered map atom -> aromatic neighbours.
    ds_order: Vec<usize>,
    ds: HashMap<usize, Vec<usize>>,
}

impl Graph {
    fn len(&self) -> usize {
        self.atoms.len()
    }
    fn has_bond(&self, a: usize, b: usize) -> bool {
        let (a, b) = if a > b { (b, a) } else { (a, b) };
        self.bond_map.contains_key(&(a, b))
    }
    fn ds_entry(&mut self, a: usize) -> &mut Vec<usize> {
        if !self.ds.contains_key(&a) {
            self.ds_order.push(a);
        }
        self.ds.entry(a).or_default()
    }
    fn add_atom(&mut self, atom: Atom, root: bool) -> usize {
        let i = self.len();
        if root {
            self.roots.push(i);
        }
        let arom = atom.aromatic;
        self.atoms.push(atom);
        self.adj.push(Vec::new());
        self.counts2.push(0);
        self.ring_flags.push(false);
        if arom {
            self.ds_entry(i);
        }
        i
    }
    fn put_bond(&mut self, bond: Bond, pos: Option<usize>) {
        let (s, d) = (bond.src, bond.dst);
        let id = self.bonds.len();
        self.bonds.push(bond);
        self.bond_map.insert((s, d), id);
        let out = &mut self.adj[s];
        match pos {
            None => out.push(Some(id)),
            Some(p) if p == out.len() => out.push(Some(id)),
            Some(p) if p < out.len() && out[p].is_none() => out[p] = Some(id),
            Some(p) => out.insert(p.min(out.len()), Some(id)),
        }
    }
    fn add_bond(&mut self, src: usize, dst: usize, order2: i64, stereo: Option<char>) {
        self.put_bond(Bond { src, dst, order2, stereo, ring: false }, None);
        self.counts2[src] += order2;
        self.counts2[dst] += order2;
        if order2 == 3 {
            self.ds_entry(src).push(dst);
            self.ds_entry(dst).push(src);
        }
    }
    fn add_placeholder(&mut self, src: usize) -> usize {
        self.adj[src].push(None);
        self.adj[src].len() - 1
    }
    #[allow(clippy::too_many_arguments)]
    fn add_ring_bond(&mut self, a: usize, b: usize, order2: i64, sa: Option<char>, sb: Option<char>, pa: Option<usize>, pb: Option<usize>) {
        self.put_bond(Bond { src: a, dst: b, order2, stereo: sa, ring: true }, pa);
        self.put_bond(Bond { src: b, dst: a, order2, stereo: sb, ring: true }, pb);
        self.counts2[a] += order2;
        self.counts2[b] += order2;
        self.ring_flags[a] = true;
        self.ring_flags[b] = true;
        if order2 == 3 {
            self.ds_entry(a).push(b);
            self.ds_entry(b).push(a);
        }
    }
    fn update_bond_order(&mut self, a: usize, b: usize, new2: i64) {
        let (a, b) = if a > b { (b, a) } else { (a, b) };
        let Some(&ab) = self.bond_map.get(&(a, b)) else { return };
        let old = self.bonds[ab].order2;
        if new2 == old {
            return;
        }
        self.bonds[ab].order2 = new2;
        if self.bonds[ab].ring {
            if let Some(&ba) = self.bond_map.get(&(b, a)) {
                self.bonds[ba].order2 = new2;
            }
        }
        self.counts2[a] += new2 - old;
        self.counts2[b] += new2 - old;
    }
    fn out_bonds(&self, a: usize) -> Vec<usize> {
        self.adj[a].iter().flatten().copied().collect()
    }

    // --- kekulisation (the package's algorithm after R. L. Apodaca) ---

    fn prune_from_ds(&self, node: usize) -> Result<bool> {
        let adj = &self.ds[&node];
        if adj.is_empty() {
            return Ok(true);
        }
        let atom = &self.atoms[node];
        let Some((valences, val_e)) = aromatic_valences(&atom.element) else {
            return Err(Error::range("SMILES", format!("{} cannot take part in an aromatic bond", atom.element)));
        };
        let c2 = self.counts2[node];
        // int(bond_count - 0.5 * len(adj)); the count is never below the adjacent aromatic bonds' half.
        let mut used = (c2 - adj.len() as i64).div_euclid(2);
        match atom.h_count {
            None => Ok(valences.contains(&used)),
            Some(h) => {
                let valence = valences[valences.len() - 1] - atom.charge;
                used += h;
                let bound = atom.charge.max(0) + h + c2.div_euclid(2) + (c2 % 2);
                let radical = (val_e - bound).max(0) % 2;
                let free = valence - used - radical;
                if valences.iter().any(|v| used == v - atom.charge) {
                    Ok(true)
                } else {
                    Ok(!(free >= 0 && free % 2 != 0))
                }
            }
        }
    }

    fn kekulize(&mut self) -> Result<bool> {
        if self.ds_order.is_empty() {
            return Ok(true);
        }
        let mut kept: Vec<usize> = Vec::new();
        for &n in &self.ds_order {
            if !self.prune_from_ds(n)? {
                kept.push(n);
            }
        }
        kept.sort_unstable();
        let label: HashMap<usize, usize> = kept.iter().enumerate().map(|(i, &n)| (n, i)).collect();
        let pruned: Vec<Vec<usize>> =
            kept.iter().map(|n| self.ds[n].iter().filter_map(|a| label.get(a).copied()).collect()).collect();
        let Some(matching) = perfect_matching(&pruned) else { return Ok(false) };
        let order = self.ds_order.clone();
        for &node in &order {
            let adj = self.ds[&node].clone();
            for a in adj {
                self.update_bond_order(node, a, 2);
            }
            self.atoms[node].aromatic = false;
        }
        for (i, m) in matching.iter().enumerate() {
            if let Some(j) = m {
                self.update_bond_order(kept[i], kept[*j], 4);
            }
        }
        self.ds_order.clear();
        self.ds.clear();
        Ok(true)
    }
}

// ------------------------------------------------------------------------------------------------------------------
// Perfect matching, with CPython's set order for the unmatched nodes
// ------------------------------------------------------------------------------------------------------------------

/// The iteration order of a CPython 3 `set` of small non-negative ints (hash(i) = i), built by adding keys one by
/// one, with `discard` and `pop`: the package picks its next augmenting-path root with `set.pop()`, and a different
/// root can give a different (equally valid) Kekulé structure.
struct PySet {
    /// `None` empty, `Some(None)` dummy (deleted), `Some(Some(k))` active.
    table: Vec<Option<Option<usize>>>,
    fill: usize,
    used: usize,
    finger: usize,
}

impl PySet {
    const LINEAR_PROBES: usize = 9;
    fn new() -> Self {
        PySet { table: vec![None; 8], fill: 0, used: 0, finger: 0 }
    }
    fn mask(&self) -> usize {
        self.table.len() - 1
    }
    fn slot_for(table: &[Option<Option<usize>>], key: usize) -> usize {
        let mask = table.len() - 1;
        let mut perturb = key;
        let mut i = key & mask;
        loop {
            if table[i].is_none() {
                return i;
            }
            if i + Self::LINEAR_PROBES <= mask {
                for j in 1..=Self::LINEAR_PROBES {
                    if table[i + j].is_none() {
                        return i + j;
                    }
                }
            }
            perturb >>= 5;
            i = (i.wrapping_mul(5).wrapping_add(1).wrapping_add(perturb)) & mask;
        }
    }
    fn add(&mut self, key: usize) {
        // Keys are distinct and no dummies exist while the set is built, so the first empty slot of the probe
        // sequence is where CPython puts the key.
        let i = Self::slot_for(&self.table, key);
        self.table[i] = Some(Some(key));
        self.fill += 1;
        self.used += 1;
        if self.fill * 5 >= self.mask() * 3 {
            let minused = if self.used > 50000 { self.used * 2 } else { self.used * 4 };
            let mut size = 8;
            while size <= minused {
                size <<= 1;
            }
            let mut t = vec![None; size];
            for k in self.table.iter().flatten().flatten() {
                let j = Self::slot_for(&t, *k);
                t[j] = Some(Some(*k));
            }
            self.table = t;
            self.fill = self.used;
        }
    }
    fn discard(&mut self, key: usize) {
        if let Some(e) = self.table.iter_mut().find(|e| **e == Some(Some(key))) {
            *e = Some(None);
            self.used -= 1;
        }
    }
    fn pop(&mut self) -> Option<usize> {
        if self.used == 0 {
            return None;
        }
        let mask = self.mask();
        let mut i = self.finger & mask;
        loop {
            if let Some(Some(k)) = self.table[i] {
                self.table[i] = Some(None);
                self.used -= 1;
                self.finger = i + 1;
                return Some(k);
            }
            i = if i + 1 > mask { 0 } else { i + 1 };
        }
    }
}

fn greedy_matching(g: &[Vec<usize>]) -> Vec<Option<usize>> {
    use std::cmp::Reverse;
    use std::collections::BinaryHeap;
    let mut matching = vec![None; g.len()];
    let mut free: Vec<i64> = g.iter().map(|a| a.len() as i64).collect();
    let mut heap: BinaryHeap<Reverse<(i64, usize)>> = (0..g.len()).map(|i| Reverse((free[i], i))).collect();
    while let Some(Reverse((_, node))) = heap.pop() {
        if matching[node].is_some() || free[node] == 0 {
            continue;
        }
        let Some(&mate) = g[node].iter().find(|&&i| matching[i].is_none()) else { continue };
        matching[node] = Some(mate);
        matching[mate] = Some(node);
        for &a in g[node].iter().chain(g[mate].iter()) {
            free[a] -= 1;
            if matching[a].is_none() && free[a] > 0 {
                heap.push(Reverse((free[a], a)));
            }
        }
    }
    matching
}

fn augmenting_path(g: &[Vec<usize>], root: usize, matching: &[Option<usize>]) -> Option<Vec<usize>> {
    let mut parents: Vec<Option<(Option<usize>, Option<usize>)>> = vec![None; g.len()];
    parents[root] = Some((None, None));
    let mut queue = std::collections::VecDeque::from([root]);
    let mut other = None;
    while let Some(node) = queue.pop_front() {
        for &adj in &g[node] {
            match matching[adj] {
                None => {
                    if adj != root {
                        parents[adj] = Some((Some(node), Some(adj)));
                        other = Some(adj);
                        break;
                    }
                }
                Some(mate) => {
                    if parents[mate].is_none() {
                        parents[mate] = Some((Some(node), Some(adj)));
                        queue.push_back(mate);
                    }
                }
            }
        }
        if other.is_some() {
            break;
        }
    }
    let mut node = other?;
    let mut path = Vec::new();
    while node != root {
        let (p, a) = parents[node]?;
        path.push(a?);
        path.push(p?);
        node = p?;
    }
    Some(path)
}

fn perfect_matching(g: &[Vec<usize>]) -> Option<Vec<Option<usize>>> {
    let mut matching = greedy_matching(g);
    let mut unmatched = PySet::new();
    for (i, m) in matching.iter().enumerate() {
        if m.is_none() {
            unmatched.add(i);
        }
    }
    while let Some(root) = unmatched.pop() {
        let path = augmenting_path(g, root, &matching)?;
        for p in path.chunks(2) {
            matching[p[0]] = Some(p[1]);
            matching[p[1]] = Some(p[0]);
        }
        unmatched.discard(path[0]);
        unmatched.discard(path[path.len() - 1]);
    }
    Some(matching)
}

// ------------------------------------------------------------------------------------------------------------------
// SMILES reading (the package's parser) and writing
// ------------------------------------------------------------------------------------------------------------------

fn bond_of(c: Option<char>) -> (i64, Option<char>) {
    match c {
        Some('=') => (4, None),
        Some('#') => (6, None),
        Some(':') => (3, None),
        Some('/') => (2, Some('/')),
        Some('\\') => (2, Some('\\')),
        _ => (2, None),
    }
}

fn is_bond_char(c: char) -> bool {
    matches!(c, '-' | '/' | '\\' | ':' | '=' | '#')
}

#[derive(Clone, Copy, PartialEq)]
enum TokKind {
    Atom,
    Branch,
    Ring,
    Dot,
}

struct Tok<'a> {
    bond: Option<char>,
    kind: TokKind,
    text: &'a str,
    start: usize,
}

fn smiles_err(smiles: &str, reason: impl Into<String>, at: usize) -> Error {
    Error::format("SMILES", format!("{} at character {at} of '{smiles}' (write it as RDKit would, e.g. 'CCO' or 'c1ccccc1')", reason.into()))
}

fn tokenize_smiles(s: &str) -> Result<Vec<Tok<'_>>> {
    let b = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'.' {
            out.push(Tok { bond: None, kind: TokKind::Dot, text: &s[i..i + 1], start: i });
            i += 1;
            continue;
        }
        let mut bond = None;
        if is_bond_char(b[i] as char) {
            bond = Some(b[i] as char);
            i += 1;
        }
        if i == b.len() {
            return Err(smiles_err(s, "hanging bond", i - 1));
        }
        let c = b[i];
        let (kind, end) = if c.is_ascii_alphabetic() {
            let two = &b[i..(i + 2).min(b.len())];
            (TokKind::Atom, if two == b"Br" || two == b"Cl" { i + 2 } else { i + 1 })
        } else if c == b'[' {
            match s[i + 1..].find(']') {
                Some(r) => (TokKind::Atom, i + 1 + r + 1),
                None => return Err(smiles_err(s, "hanging bracket [", i)),
            }
        } else if c == b'(' || c == b')' {
            if bond.is_some() {
                return Err(smiles_err(s, "hanging bond", i - 1));
            }
            (TokKind::Branch, i + 1)
        } else if c.is_ascii_digit() {
            (TokKind::Ring, i + 1)
        } else if c == b'%' {
            let ok = b.len() >= i + 3 && b[i + 1].is_ascii_digit() && b[i + 2].is_ascii_digit();
            if !ok {
                return Err(smiles_err(s, "invalid ring number after '%'", i));
            }
            (TokKind::Ring, i + 3)
        } else {
            let ch = s[i..].chars().next().unwrap_or('?');
            return Err(smiles_err(s, format!("unrecognized symbol '{ch}'"), i));
        };
        out.push(Tok { bond, kind, text: &s[i..end], start: i });
        i = end;
    }
    Ok(out)
}

/// Reads a bracketed SMILES atom `[isotope element chirality Hn charge :class]` as the package's regular expression
/// does; `None` when it does not fit.
fn smiles_bracket_atom(sym: &str) -> Option<Atom> {
    let inner = sym.strip_prefix('[')?.strip_suffix(']')?;
    let b = inner.as_bytes();
    if !inner.is_ascii() {
        return None;
    }
    let mut i = 0;
    while i < b.len() && b[i].is_ascii_digit() {
        i += 1;
    }
    let isotope = if i == 0 { None } else { Some(strip_zeros(&inner[..i])?) };
    if i >= b.len() || !b[i].is_ascii_alphabetic() {
        return None;
    }
    let es = i;
    i += 1;
    if i < b.len() && b[i].is_ascii_lowercase() {
        i += 1;
    }
    let element_raw = &inner[es..i];
    let mut nat = 0;
    while i < b.len() && b[i] == b'@' && nat < 2 {
        i += 1;
        nat += 1;
    }
    let chirality = match nat {
        0 => None,
        1 => Some("@"),
        _ => Some("@@"),
    };
    let mut h = 0;
    if i < b.len() && b[i] == b'H' {
        i += 1;
        h = 1;
        if i < b.len() && b[i].is_ascii_digit() {
            h = (b[i] - b'0') as i64;
            i += 1;
        }
    }
    let mut charge = 0i64;
    if i < b.len() && (b[i] == b'+' || b[i] == b'-') {
        let sign = b[i];
        let cs = i;
        let mut j = i + 1;
        while j < b.len() && b[j] == sign {
            j += 1;
        }
        let mut k = i + 1;
        while k < b.len() && b[k].is_ascii_digit() {
            k += 1;
        }
        if k > i + 1 {
            charge = parse_small(&inner[i + 1..k])?;
            i = k;
        } else {
            charge = (j - cs) as i64;
            i = j;
        }
        if sign == b'-' {
            charge = -charge;
        }
    }
    if i < b.len() && b[i] == b':' {
        let mut k = i + 1;
        while k < b.len() && b[k].is_ascii_digit() {
            k += 1;
        }
        if k == i + 1 {
            return None;
        }
        i = k;
    }
    if i != b.len() {
        return None;
    }
    let lower = element_raw.chars().all(|c| c.is_ascii_lowercase());
    let aromatic = lower && ["b", "al", "c", "si", "n", "p", "as", "o", "s", "se", "te"].contains(&element_raw);
    let element = capitalize(element_raw);
    if !is_element(&element) {
        return None;
    }
    Some(Atom { element, aromatic, isotope, chirality, h_count: Some(h), charge })
}

fn capitalize(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_ascii_uppercase().to_string() + &c.as_str().to_ascii_lowercase(),
        None => String::new(),
    }
}

fn strip_zeros(d: &str) -> Option<String> {
    if d.len() > 18 {
        return None;
    }
    let t = d.trim_start_matches('0');
    Some(if t.is_empty() { "0".to_string() } else { t.to_string() })
}

fn parse_small(d: &str) -> Option<i64> {
    if d.len() > 18 {
        return None;
    }
    d.parse().ok()
}

fn smiles_atom(sym: &str) -> Option<Atom> {
    if sym.starts_with('[') && sym.ends_with(']') && sym.len() >= 2 {
        return smiles_bracket_atom(sym);
    }
    if ORGANIC.contains(&sym) {
        return Some(Atom::organic(sym, false));
    }
    if ["b", "c", "n", "o", "s", "p"].contains(&sym) {
        return Some(Atom::organic(&sym.to_ascii_uppercase(), true));
    }
    None
}

fn smiles_to_graph(smiles: &str) -> Result<Graph> {
    if smiles.is_empty() {
        return Err(smiles_err(smiles, "empty SMILES", 0));
    }
    let toks = tokenize_smiles(smiles)?;
    let mut g = Graph::default();
    let mut pos = 0;
    while pos < toks.len() {
        pos = derive_fragment(&mut g, smiles, &toks, pos)?;
    }
    Ok(g)
}

/// One dot-separated fragment from `toks[pos..]`; returns the position after its dot.
fn derive_fragment(g: &mut Graph, smiles: &str, toks: &[Tok<'_>], mut pos: usize) -> Result<usize> {
    let start_len = g.len();
    let mut prev: Vec<Option<usize>> = vec![None];
    let mut branches: Vec<usize> = Vec::new();
    // ring label -> (token index, atom, placeholder position), in insertion order
    let mut rings: Vec<(String, usize, usize, usize)> = Vec::new();
    let mut chain_start = true;
    let mut last_start = None;
    while pos < toks.len() {
        let t = &toks[pos];
        pos += 1;
        last_start = Some(t.start);
        let p = *prev.last().unwrap_or(&None);
        match t.kind {
            TokKind::Dot => break,
            TokKind::Atom => {
                let atom = smiles_atom(t.text).ok_or_else(|| smiles_err(smiles, format!("invalid atom symbol '{}'", t.text), t.start))?;
                let arom = atom.aromatic;
                let idx = g.add_atom(atom, p.is_none());
                if let Some(pa) = p {
                    let (mut o, st) = bond_of(t.bond);
                    if g.atoms[pa].aromatic && arom && t.bond.is_none() {
                        o = 3;
                    }
                    g.add_bond(pa, idx, o, st);
                }
                if let Some(last) = prev.last_mut() {
                    *last = Some(idx);
                }
                chain_start = false;
            }
            _ if chain_start => return Err(smiles_err(smiles, "SMILES chain begins with non-atom", t.start)),
            TokKind::Branch => {
                if t.text == "(" {
                    branches.push(t.start);
                    prev.push(p);
                    chain_start = true;
                } else {
                    if branches.pop().is_none() {
                        return Err(smiles_err(smiles, "hanging ')' bracket", t.start));
                    }
                    prev.pop();
                }
            }
            TokKind::Ring => {
                let Some(pa) = p else { return Err(smiles_err(smiles, "ring number before any atom", t.start)) };
                if let Some(k) = rings.iter().position(|r| r.0 == t.text) {
                    let (_, lt, la, lpos) = rings.remove(k);
                    make_ring_bond(g, smiles, &toks[lt], la, lpos, t, pa)?;
                } else {
                    let lpos = g.add_placeholder(pa);
                    rings.push((t.text.to_string(), pos - 1, pa, lpos));
                }
            }
        }
    }
    if g.len() == start_len {
        let at = last_start.map(|s| s as i64 - 1).unwrap_or(smiles.len() as i64 - 1);
        return Err(smiles_err(smiles, "empty SMILES fragment", at.max(0) as usize));
    }
    if let Some(&b) = branches.last() {
        return Err(smiles_err(smiles, "hanging '(' bracket", b));
    }
    if let Some(r) = rings.last() {
        return Err(smiles_err(smiles, format!("hanging ring number '{}'", r.0), toks[r.1].start));
    }
    Ok(pos)
}

fn make_ring_bond(g: &mut Graph, smiles: &str, lt: &Tok<'_>, la: usize, lpos: usize, rt: &Tok<'_>, ra: usize) -> Result<()> {
    if g.has_bond(la, ra) {
        return Err(smiles_err(smiles, "ring bond specified between already-bonded atoms", lt.start));
    }
    let mut pair = (lt.bond, rt.bond);
    if pair.0.is_none() {
        pair = (pair.1, pair.0);
    }
    let stereo = |c: Option<char>| matches!(c, Some('/') | Some('\\'));
    if !(pair.0 == pair.1 || pair.1.is_none() || (stereo(pair.0) && stereo(pair.1))) {
        return Err(smiles_err(smiles, "mismatched ring bonds", lt.start));
    }
    let (mut lo, ls) = bond_of(lt.bond);
    let (mut ro, rs) = bond_of(rt.bond);
    if g.atoms[la].aromatic && g.atoms[ra].aromatic && pair == (None, None) {
        lo = 3;
        ro = 3;
    }
    if la == ra {
        return Err(smiles_err(smiles, "ring bond from an atom to itself", lt.start));
    }
    g.add_ring_bond(la, ra, lo.max(ro), ls, rs, Some(lpos), None);
    Ok(())
}

fn atom_to_smiles(a: &Atom, brackets: bool) -> String {
    if a.isotope.is_none() && a.chirality.is_none() && a.h_count.is_none() && a.charge == 0 {
        return a.element.clone();
    }
    let mut s = String::new();
    if brackets {
        s.push('[');
    }
    if let Some(i) = &a.isotope {
        s.push_str(i);
    }
    s.push_str(&a.element);
    if let Some(c) = a.chirality {
        s.push_str(c);
    }
    let h = a.h_count.unwrap_or(0);
    if h != 0 {
        s.push('H');
        s.push_str(&h.to_string());
    } else if a.isotope.is_none() && a.chirality.is_none() && a.h_count == Some(0) && a.charge == 0 && ORGANIC.contains(&a.element.as_str()) {
        s.push_str("H0");
    }
    if a.charge != 0 {
        s.push_str(&format!("{:+}", a.charge));
    }
    if brackets {
        s.push(']');
    }
    s
}

fn bond_to_smiles(b: &Bond) -> &'static str {
    match b.order2 {
        2 => match b.stereo {
            Some('/') => "/",
            Some('\\') => "\\",
            _ => "",
        },
        4 => "=",
        6 => "#",
        _ => "",
    }
}

fn graph_to_smiles(g: &Graph) -> String {
    let mut frags = Vec::new();
    let mut ring_log: HashMap<(usize, usize), usize> = HashMap::new();
    for &root in &g.roots {
        let mut out = String::new();
        let mut stack: Vec<(usize, usize, bool)> = vec![(root, 0, false)];
        while let Some(&mut (curr, bi, closing)) = stack.last_mut() {
            let bonds = g.out_bonds(curr);
            if bi == 0 {
                out.push_str(&atom_to_smiles(&g.atoms[curr], true));
            }
            if bi < bonds.len() {
                stack.last_mut().expect("non-empty").1 += 1;
                let b = &g.bonds[bonds[bi]];
                if b.ring {
                    out.push_str(bond_to_smiles(b));
                    let ends = (b.src.min(b.dst), b.src.max(b.dst));
                    let n = ring_log.len() + 1;
                    let r = *ring_log.entry(ends).or_insert(n);
                    if r >= 10 {
                        out.push('%');
                    }
                    out.push_str(&r.to_string());
                } else {
                    let branch = bi < bonds.len() - 1;
                    if branch {
                        out.push('(');
                    }
                    out.push_str(bond_to_smiles(b));
                    stack.push((b.dst, 0, branch));
                }
            } else {
                stack.pop();
                if closing {
                    out.push(')');
                }
            }
        }
        frags.push(out);
    }
    frags.join(".")
}

// ------------------------------------------------------------------------------------------------------------------
// SELFIES -> SMILES
// ------------------------------------------------------------------------------------------------------------------

/// Splits a SELFIES string into its symbols as the package's `split_selfies` does (text before the first `[` is
/// skipped; each symbol runs from where the previous one ended to the next `]`).
///
/// # Errors
/// [`Error::Format`] for a `[` without a closing `]`.
pub fn split_selfies(s: &str) -> Result<Vec<&str>> {
    let mut out = Vec::new();
    let Some(mut left) = s.find('[') else { return Ok(out) };
    while left < s.len() {
        let from = left + s[left..].chars().next().map(char::len_utf8).unwrap_or(1);
        let Some(r) = s.get(from..).and_then(|t| t.find(']')) else {
            return Err(Error::format("SELFIES", format!("malformed SELFIES string, hanging '[' bracket in '{s}'")));
        };
        let right = from + r;
        out.push(&s[left..=right]);
        left = right + 1;
        if s[left..].starts_with('.') {
            out.push(".");
            left += 1;
        }
    }
    Ok(out)
}

/// Number of symbols (the package's `len_selfies`: `[` count plus `.` count).
pub fn len_selfies(s: &str) -> usize {
    s.matches('[').count() + s.matches('.').count()
}

fn char_slice_is(sym: &str, from_end: usize, to_end: usize, want: &str) -> bool {
    // Python's sym[-from_end:-to_end] on code points.
    let cs: Vec<char> = sym.chars().collect();
    let n = cs.len() as i64;
    let a = (n - from_end as i64).max(0) as usize;
    let b = (n - to_end as i64).max(0) as usize;
    if a >= b {
        return want.is_empty();
    }
    cs[a..b].iter().collect::<String>() == want
}

fn branch_symbol(sym: &str) -> Option<(i64, usize)> {
    let (order, rest) = if let Some(r) = sym.strip_prefix("[=") {
        (4, r)
    } else if let Some(r) = sym.strip_prefix("[#") {
        (6, r)
    } else {
        (2, sym.strip_prefix('[')?)
    };
    match rest {
        "Branch1]" => Some((order, 1)),
        "Branch2]" => Some((order, 2)),
        "Branch3]" => Some((order, 3)),
        _ => None,
    }
}

fn ring_symbol(sym: &str) -> Option<(i64, usize, (Option<char>, Option<char>))> {
    let inner = sym.strip_prefix('[')?.strip_suffix(']')?;
    let pos = inner.find("Ring")?;
    let (pre, tail) = (&inner[..pos], &inner[pos + 4..]);
    let l = match tail {
        "1" => 1,
        "2" => 2,
        "3" => 3,
        _ => return None,
    };
    let st = |c: char| match c {
        '/' => Some('/'),
        '\\' => Some('\\'),
        _ => None,
    };
    let cs: Vec<char> = pre.chars().collect();
    match cs.as_slice() {
        [] => Some((2, l, (None, None))),
        ['='] => Some((4, l, (None, None))),
        ['#'] => Some((6, l, (None, None))),
        [a, b] if "-/\\".contains(*a) && "-/\\".contains(*b) && !(*a == '-' && *b == '-') => Some((2, l, (st(*a), st(*b)))),
        _ => None,
    }
}

/// Reads a SELFIES atom symbol as the package's `SELFIES_ATOM_PATTERN` does: `[bond isotope Element @/@@ Hd ±charge]`.
fn selfies_atom(sym: &str) -> Option<((i64, Option<char>), Atom)> {
    let inner = sym.strip_prefix('[')?.strip_suffix(']')?;
    if !inner.is_ascii() {
        return None;
    }
    let b = inner.as_bytes();
    let mut i = 0;
    let bond_char = if i < b.len() && matches!(b[i], b'=' | b'#' | b'/' | b'\\') {
        i += 1;
        Some(b[0] as char)
    } else {
        None
    };
    let bond = bond_of(bond_char);
    let body = &inner[i..];
    let iso_start = i;
    while i < b.len() && b[i].is_ascii_digit() {
        i += 1;
    }
    let iso = &inner[iso_start..i];
    if i >= b.len() || !b[i].is_ascii_uppercase() {
        return None;
    }
    let es = i;
    i += 1;
    if i < b.len() && b[i].is_ascii_lowercase() {
        i += 1;
    }
    let element = &inner[es..i];
    let mut nat = 0;
    while i < b.len() && b[i] == b'@' && nat < 2 {
        i += 1;
        nat += 1;
    }
    let mut h = 0;
    if i + 1 < b.len() && b[i] == b'H' && b[i + 1].is_ascii_digit() {
        h = (b[i + 1] - b'0') as i64;
        i += 2;
    }
    let mut charge = 0;
    if i < b.len() && (b[i] == b'+' || b[i] == b'-') {
        let mut k = i + 1;
        while k < b.len() && (b'1'..=b'9').contains(&b[k]) {
            k += 1;
        }
        if k == i + 1 {
            return None;
        }
        charge = parse_small(&inner[i + 1..k])?;
        if b[i] == b'-' {
            charge = -charge;
        }
        i = k;
    }
    if i != b.len() {
        return None;
    }
    if ORGANIC.contains(&body) {
        return Some((bond, Atom::organic(element, false)));
    }
    if !is_element(element) {
        return None;
    }
    let isotope = if iso.is_empty() { None } else { Some(strip_zeros(iso)?) };
    let chirality = match nat {
        0 => None,
        1 => Some("@"),
        _ => Some("@@"),
    };
    let atom = Atom { element: element.to_string(), aromatic: false, isotope, chirality, h_count: Some(h), charge };
    if atom.capacity() < 0 {
        return None;
    }
    Some((bond, atom))
}

fn index_code(sym: Option<&str>) -> usize {
    sym.and_then(|s| INDEX_ALPHABET.iter().position(|c| *c == s)).unwrap_or(0)
}

fn selfies_from_index(mut index: usize) -> Vec<&'static str> {
    if index == 0 {
        return vec![INDEX_ALPHABET[0]];
    }
    let mut v = Vec::new();
    while index > 0 {
        v.push(INDEX_ALPHABET[index % 16]);
        index /= 16;
    }
    v.reverse();
    v
}

struct Decoder<'a> {
    syms: Vec<&'a str>,
    pos: usize,
    g: Graph,
    /// (left atom, right atom, half-unit order, stereo pair)
    rings: Vec<(usize, usize, i64, (Option<char>, Option<char>))>,
    whole: &'a str,
}

fn decode_err(whole: &str, sym: &str) -> Error {
    Error::format("SELFIES", format!("invalid symbol '{sym}' in '{whole}' (use symbols such as [C], [=O], [Branch1], [Ring1])"))
}

impl<'a> Decoder<'a> {
    fn next(&mut self) -> Option<&'a str> {
        let s = self.syms.get(self.pos).copied();
        if s.is_some() {
            self.pos += 1;
        }
        s
    }

    fn read_index(&mut self, n: usize) -> usize {
        let mut q = 0usize;
        let mut syms = Vec::with_capacity(n);
        for _ in 0..n {
            syms.push(self.next());
        }
        for (i, s) in syms.iter().rev().enumerate() {
            q += index_code(*s) * 16usize.pow(i as u32);
        }
        q
    }

    /// The package's `_derive_mol_from_symbols`; returns the number of symbols it consumed.
    fn derive(&mut self, max_derive: Option<usize>, init_state: i64, root: Option<usize>, depth: usize) -> Result<usize> {
        if depth > MAX_DEPTH {
            return Err(Error::format("SELFIES", format!("branches nested deeper than {MAX_DEPTH} in '{}'", self.whole)));
        }
        let within = |n: usize| max_derive.is_none_or(|m| n < m);
        let mut n_derived = 0usize;
        let mut state: Option<i64> = Some(init_state);
        let mut prev = root;
        while let Some(st) = state {
            if !within(n_derived) {
                break;
            }
            let Some(sym) = self.next() else { break };
            n_derived += 1;
            let next_state: Option<i64>;
            if char_slice_is(sym, 4, 2, "ch") {
                let (btype, n) = branch_symbol(sym).ok_or_else(|| decode_err(self.whole, sym))?;
                let btype = btype / 2;
                if st <= 1 {
                    next_state = Some(st);
                } else {
                    let binit = (st - 1).min(btype);
                    next_state = Some(st - binit);
                    let q = self.read_index(n);
                    let sub = self.derive(Some(q + 1), binit, prev, depth + 1)?;
                    n_derived += n + sub;
                }
            } else if char_slice_is(sym, 4, 2, "ng") {
                let (rtype, n, stereo) = ring_symbol(sym).ok_or_else(|| decode_err(self.whole, sym))?;
                let rtype = rtype / 2;
                if st == 0 {
                    next_state = Some(st);
                } else {
                    let order = rtype.min(st);
                    let left = st - order;
                    next_state = if left == 0 { None } else { Some(left) };
                    let q = self.read_index(n);
                    n_derived += n;
                    let Some(p) = prev else { return Err(decode_err(self.whole, sym)) };
                    let lidx = p.saturating_sub(q + 1);
                    self.rings.push((lidx, p, order * 2, stereo));
                }
            } else if sym.contains("eps") {
                next_state = if st == 0 { Some(0) } else { None };
            } else {
                let ((order2, stereo), atom) = selfies_atom(sym).ok_or_else(|| decode_err(self.whole, sym))?;
                let cap = atom.capacity();
                let mut order = if st == 0 { 0 } else { order2 / 2 };
                order = order.min(st).min(cap);
                let left = cap - order;
                next_state = if left == 0 { None } else { Some(left) };
                if order == 0 {
                    if st == 0 {
                        let i = self.g.add_atom(atom, true);
                        prev = Some(i);
                    } else {
                        // The package moves on to an atom it never adds; the chain then ends (no bonds left).
                        prev = None;
                    }
                } else {
                    let i = self.g.add_atom(atom, false);
                    if let Some(p) = prev {
                        self.g.add_bond(p, i, order * 2, stereo);
                    }
                    prev = Some(i);
                }
            }
            match next_state {
                None => break,
                s => state = s,
            }
        }
        while within(n_derived) {
            if self.next().is_none() {
                break;
            }
            n_derived += 1;
        }
        Ok(n_derived)
    }

    fn form_rings(&mut self) {
        let mut made = vec![0usize; self.g.len()];
        let rings = std::mem::take(&mut self.rings);
        for (l, r, order2, (ls, rs)) in rings {
            if l == r {
                continue;
            }
            let lfree = self.g.atoms[l].capacity() * 2 - self.g.counts2[l];
            let rfree = self.g.atoms[r].capacity() * 2 - self.g.counts2[r];
            if lfree <= 0 || rfree <= 0 {
                continue;
            }
            let order2 = order2.min(lfree).min(rfree);
            if self.g.has_bond(l, r) {
                let id = self.g.bond_map[&(l, r)];
                let new2 = (order2 + self.g.bonds[id].order2).min(6);
                self.g.update_bond_order(l, r, new2);
            } else {
                self.g.add_ring_bond(l, r, order2, ls, rs, Some(made[l]), Some(made[r]));
                made[l] += 1;
                made[r] += 1;
            }
        }
    }
}

/// Translates a SELFIES string into SMILES, as `selfies.decoder` 2.2.0 does with the default constraints.
///
/// # Errors
/// [`Error::Format`] naming the first symbol the grammar does not know (e.g. `[Xx]`, `[Branch4]`), or a `[` that is
/// never closed.
pub fn decode(selfies: &str) -> Result<String> {
    let mut d = Decoder { syms: Vec::new(), pos: 0, g: Graph::default(), rings: Vec::new(), whole: selfies };
    for frag in selfies.split('.') {
        d.syms = split_selfies(frag)?.into_iter().filter(|s| *s != "[nop]").collect();
        d.pos = 0;
        d.derive(None, 0, None, 0)?;
    }
    d.form_rings();
    Ok(graph_to_smiles(&d.g))
}

// ------------------------------------------------------------------------------------------------------------------
// SMILES -> SELFIES
// ------------------------------------------------------------------------------------------------------------------

fn should_invert(g: &Graph, atom: usize) -> bool {
    let out = g.out_bonds(atom);
    let mut p0 = Vec::new();
    let mut p1 = Vec::new();
    let mut p2 = Vec::new();
    for (i, &b) in out.iter().enumerate() {
        let bd = &g.bonds[b];
        if !bd.ring {
            p2.push(i);
        } else if bd.src < bd.dst {
            p1.push(i);
        } else {
            p0.push(i);
        }
    }
    p1.sort_by_key(|&i| g.bonds[out[i]].dst);
    let perm: Vec<usize> = p0.into_iter().chain(p1).chain(p2).collect();
    let mut count = 0;
    for i in 0..perm.len() {
        for j in i + 1..perm.len() {
            if perm[i] > perm[j] {
                count += 1;
            }
        }
    }
    count % 2 != 0
}

fn bond_selfies(b: Option<&Bond>, show_stereo: bool) -> &'static str {
    match b {
        None => "",
        Some(b) if !show_stereo && b.order2 == 2 => "",
        Some(b) => bond_to_smiles(b),
    }
}

fn ring_bonds_selfies(l: &Bond, r: &Bond) -> String {
    if l.order2 != 2 || (l.stereo.is_none() && r.stereo.is_none()) {
        return bond_selfies(Some(l), false).to_string();
    }
    let mut s = String::new();
    s.push(l.stereo.unwrap_or('-'));
    s.push(r.stereo.unwrap_or('-'));
    s
}

fn fragment_to_selfies(g: &Graph, into_root: Option<usize>, root: usize, depth: usize) -> Result<Vec<String>> {
    if depth > MAX_DEPTH {
        return Err(Error::format("SMILES", format!("branches nested deeper than {MAX_DEPTH}")));
    }
    let mut derived: Vec<String> = Vec::new();
    let (mut into, mut curr) = (into_root, root);
    loop {
        let a = &g.atoms[curr];
        derived.push(format!("[{}{}]", bond_selfies(into.map(|b| &g.bonds[b]), true), atom_to_smiles(a, false)));
        let out = g.out_bonds(curr);
        let mut next = None;
        for (i, &bi) in out.iter().enumerate() {
            let b = &g.bonds[bi];
            if b.ring {
                if b.src < b.dst {
                    continue;
                }
                let rev = &g.bonds[g.bond_map[&(b.dst, b.src)]];
                let q = selfies_from_index(b.src - b.dst - 1);
                derived.push(format!("[{}Ring{}]", ring_bonds_selfies(rev, b), q.len()));
                derived.extend(q.iter().map(|s| s.to_string()));
            } else if i == out.len() - 1 {
                next = Some((bi, b.dst));
            } else {
                let branch = fragment_to_selfies(g, Some(bi), b.dst, depth + 1)?;
                let q = selfies_from_index(branch.len() - 1);
                derived.push(format!("[{}Branch{}]", bond_selfies(Some(b), false), q.len()));
                derived.extend(q.iter().map(|s| s.to_string()));
                derived.extend(branch);
            }
        }
        match (out.last(), next) {
            (None, _) => break,
            (Some(&l), _) if g.bonds[l].ring => break,
            (_, Some((b, d))) => {
                into = Some(b);
                curr = d;
            }
            _ => break,
        }
    }
    Ok(derived)
}

/// Translates SMILES into SELFIES, as `selfies.encoder(smiles, strict=True)` 2.2.0 does: aromatic SMILES are
/// kekulised first, chirality is adjusted for the ring-bond order the decoder will produce, and the atom order of
/// the input is kept.
///
/// # Errors
/// [`Error::Format`] for SMILES the package's reader rejects (with the position), [`Error::Range`] when the
/// aromatic system cannot be kekulised or an atom has more bonds than the default constraints allow (e.g. a
/// five-bonded carbon).
pub fn encode(smiles: &str) -> Result<String> {
    let mut g = smiles_to_graph(smiles)?;
    if !g.kekulize()? {
        return Err(Error::range("SMILES", format!("kekulization failed for '{smiles}' (check the aromatic rings and their [nH] atoms)")));
    }
    for i in 0..g.len() {
        let a = &g.atoms[i];
        if g.counts2[i] > 2 * a.capacity() {
            return Err(Error::range(
                "SMILES",
                format!(
                    "'{smiles}' violates the semantic constraints: {} with {} bond(s), a max. of {} allowed",
                    atom_to_smiles(a, true),
                    g.counts2[i] / 2,
                    a.capacity()
                ),
            ));
        }
    }
    for i in 0..g.len() {
        if g.atoms[i].chirality.is_some() && g.ring_flags[i] && should_invert(&g, i) {
            g.atoms[i].invert_chirality();
        }
    }
    let mut frags = Vec::new();
    for &root in &g.roots.clone() {
        frags.push(fragment_to_selfies(&g, None, root, 0)?.concat());
    }
    Ok(frags.join("."))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn doc_examples() {
        assert_eq!(decode("[C][=C][F]").unwrap(), "C=CF");
        assert_eq!(encode("C=CF").unwrap(), "[C][=C][F]");
        assert_eq!(split_selfies("[C][=C][F].[C]").unwrap(), vec!["[C]", "[=C]", "[F]", ".", "[C]"]);
        assert_eq!(len_selfies("[C][=C][F].[C]"), 5);
    }

    #[test]
    fn pyset_pop_order_matches_cpython() {
        // Printed by CPython 3.11: set(x for x in [3, 9, 1]) pops 9, 3, 1.
        let mut s = PySet::new();
        for k in [3, 9, 1] {
            s.add(k);
        }
        assert_eq!([s.pop(), s.pop(), s.pop(), s.pop()], [Some(9), Some(3), Some(1), None]);
        // set(x for x in [0,2,5,8,11,13,17,21,22]); discard 8; pop; discard 13; pop all -> 0, 2, 5, 11, 17, 21, 22.
        let mut s = PySet::new();
        for k in [0, 2, 5, 8, 11, 13, 17, 21, 22] {
            s.add(k);
        }
        s.discard(8);
        let mut out = vec![s.pop().unwrap()];
        s.discard(13);
        while let Some(k) = s.pop() {
            out.push(k);
        }
        assert_eq!(out, vec![0, 2, 5, 11, 17, 21, 22]);
    }
}
