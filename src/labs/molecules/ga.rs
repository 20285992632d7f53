//! The genetic algorithm with a discriminator (GA+D) of the paper, sec. 3 and the reference code
//! (`aspuru-guzik-group/GA`, `core_GA.py`, `generation_props.py`, `evolution_functions.py`).
//!
//! One generation g (population of N SELFIES strings, their SMILES m):
//! 1. Fitness (paper eq. 1): F(m) = J(m) + beta * D(m), with the penalised logP of sec. 4.1
//!    J(m) = logP~(m) - SA~(m) - RingPenalty~(m), each term standardised with the ZINC mean and standard deviation
//!    the reference code uses ([`ZINC_STATS`]); RingPenalty = max(0, largest ring size - 6). In generation 1, D = 0.
//! 2. Selection: the molecules are ranked by F (best first); the molecule at rank r is *replaced* with probability
//!    p(r) = 1 / (1 + exp(-0.02 N (r - 0.2 N) / N)) (a Fermi function centred at the top 20%,
//!    `apply_generation_cutoff`), else kept.
//! 3. Each replaced slot gets a mutation of a kept molecule chosen uniformly: with probability 1/2 one random
//!    symbol of [`MUTATION_ALPHABET`] is inserted at a random position, else one symbol is replaced; the mutation is
//!    redrawn until its SMILES is valid (RDKit) and its canonical SMILES is at most `max_len` characters
//!    (81 in the reference code) (`mutations_random_grin`).
//! 4. D is trained on the new population (label 0, or 1 when a molecule is in the reference set) and as many
//!    molecules drawn from the reference set (label 1): 10 full-batch Adam steps.
//!
//! Adaptive beta (paper sec. 4.2, "time-dependent" discriminator; reference code `impose_time_adapted_pen`):
//! beta is 0 (the base beta) except in generations after `adaptive_after` (100 in the reference code) where the best
//! J has not changed for 5 generations: then beta = 1000 for that generation, so that long-surviving molecules,
//! which D has learnt to recognise, lose their place.
//!
//! The chemistry (validity, canonical SMILES, logP, SA, ring sizes, descriptors, fingerprints) comes from a
//! [`Chemistry`] implementation; the GA asks for it in batches ([`Ga::needs`] / [`Ga::provide`]) so that in the
//! browser RDKit MinimalLib can answer from JavaScript between steps. All randomness comes from one seeded RNG: a run
//! is a function of its settings, its seed and the chemistry's answers.

use std::collections::{HashMap, HashSet};

use serde::{Deserialize, Serialize};

use super::discriminator::{Discriminator, Standardizer};
use super::selfies;
use crate::error::{Error, Result};
use crate::nn::Rng;

/// ZINC means and standard deviations of (logP, SA, RingPenalty) from the reference code
/// (`obtained_standardized_properties` in `generation_props.py`).
pub const ZINC_STATS: [(f64, f64); 3] = [
    (2.4729421499641497, 1.4157879815362406),
    (3.0470797085649894, 0.830643172314514),
    (0.038131530820234766, 0.2240274735210179),
];

/// The reference code's mutation alphabet in `selfies` 2.x spelling (`[Branch1_1]` is now `[Branch1]`,
/// `[Branch1_2]` `[=Branch1]`, `[Branch1_3]` `[#Branch1]`), including its benzene fragment as one "symbol".
pub const MUTATION_ALPHABET: [&str; 21] = [
    "[Branch1]", "[=Branch1]", "[#Branch1]", "[epsilon]", "[Ring1]", "[Ring2]", "[Branch2]", "[=Branch2]", "[#Branch2]",
    "[F]", "[O]", "[=O]", "[N]", "[=N]", "[#N]", "[C]", "[=C]", "[#C]", "[S]", "[=S]",
    "[C][=C][C][=C][C][=C][Ring1][=Branch1]",
];

/// The chemistry of one molecule, as RDKit computes it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Props {
    /// Canonical SMILES.
    pub canonical: String,
    /// Crippen logP.
    pub logp: f64,
    /// Synthetic accessibility score (1 easy .. 10 hard).
    pub sa: f64,
    /// Size of the largest ring in RDKit's ring info (0 without rings).
    pub largest_ring: u32,
    /// Descriptors shown to D; every molecule must have the same number.
    pub descriptors: Vec<f32>,
    /// A bit fingerprint (e.g. Morgan radius 2) as bytes, for diversity; may be empty.
    #[serde(default)]
    pub fingerprint: Vec<u8>,
}

impl Props {
    /// RingPenalty = max(0, largest ring - 6).
    pub fn ring_penalty(&self) -> f64 {
        (self.largest_ring as f64 - 6.0).max(0.0)
    }
    /// J(m): standardised logP - SA - RingPenalty (the paper's penalised logP with ZINC standardisation).
    pub fn j(&self) -> f64 {
        let z = |v: f64, (m, s): (f64, f64)| (v - m) / s;
        z(self.logp, ZINC_STATS[0]) - z(self.sa, ZINC_STATS[1]) - z(self.ring_penalty(), ZINC_STATS[2])
    }
}

/// Chemistry supplied from outside the GA. `evaluate` returns one entry per SMILES: `None` when RDKit cannot
/// read it.
pub trait Chemistry {
    /// # Errors
    /// Whatever the implementation cannot do; the GA passes it on.
    fn evaluate(&mut self, smiles: &[String]) -> Result<Vec<Option<Props>>>;
}

/// Settings of a run (the page's controls and the reference code's constants).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct GaConfig {
    /// Population size N (500 in the paper).
    pub population: usize,
    /// Generations to run (100 in the reference code; 1000 for the adaptive experiment).
    pub generations: usize,
    /// beta in F = J + beta * D.
    pub beta: f64,
    /// Time-adaptive beta (sec. 4.2).
    pub adaptive: bool,
    /// Adaptive beta may switch on only after this generation (100 in the reference code).
    pub adaptive_after: usize,
    /// Generations of unchanged best J that switch it on (5).
    pub adaptive_patience: usize,
    /// beta while switched on (1000).
    pub adaptive_beta: f64,
    /// Longest canonical SMILES a mutation may produce (81).
    pub max_len: usize,
    /// Adam steps of D per generation (10).
    pub disc_steps: usize,
    /// Redraws of one mutation before the slot keeps its parent (the reference code redraws without limit).
    pub max_tries: usize,
    /// Seed of every random choice.
    pub seed: u64,
    /// SMILES of the starting molecules (methane in the paper).
    pub start: Vec<String>,
}

impl Default for GaConfig {
    fn default() -> Self {
        GaConfig {
            population: 500,
            generations: 100,
            beta: 0.0,
            adaptive: false,
            adaptive_after: 100,
            adaptive_patience: 5,
            adaptive_beta: 1000.0,
            max_len: 81,
            disc_steps: 10,
            max_tries: 100,
            seed: 0,
            start: vec!["C".into()],
        }
    }
}

impl GaConfig {
    /// Checks ranges.
    ///
    /// # Errors
    /// [`Error::Range`] naming the setting and its allowed range.
    pub fn validate(&self) -> Result<()> {
        if !(2..=5000).contains(&self.population) {
            return Err(Error::range("population", format!("{} is not in 2..=5000", self.population)));
        }
        if !(1..=100_000).contains(&self.generations) {
            return Err(Error::range("generations", format!("{} is not in 1..=100000", self.generations)));
        }
        if !self.beta.is_finite() || !self.adaptive_beta.is_finite() {
            return Err(Error::range("beta", "must be a finite number"));
        }
        if self.max_len < 1 || self.max_tries < 1 {
            return Err(Error::range("max_len / max_tries", "must be at least 1"));
        }
        if self.start.is_empty() {
            return Err(Error::range("start", "give at least one starting SMILES (e.g. C)"));
        }
        Ok(())
    }
}

/// One molecule of the population.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Member {
    pub selfies: String,
    /// The SMILES the SELFIES decodes to (what is sent to the chemistry).
    pub smiles: String,
}

/// A molecule with its numbers, for the page's gallery.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Scored {
    pub smiles: String,
    pub selfies: String,
    pub fitness: f64,
    pub j: f64,
    pub logp: f64,
    pub sa: f64,
    pub ring_penalty: f64,
    pub d: f64,
}

/// What one generation measured (the reference code's logged quantities, plus diversity).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct GenStats {
    /// 1-based, as in the reference code.
    pub generation: usize,
    /// beta used for this generation's fitness.
    pub beta: f64,
    pub best_fitness: f64,
    pub mean_fitness: f64,
    /// Best and mean J (fitness without D).
    pub best_j: f64,
    pub mean_j: f64,
    pub best_logp: f64,
    pub mean_logp: f64,
    pub min_sa: f64,
    pub mean_sa: f64,
    pub mean_ring_penalty: f64,
    pub mean_d: f64,
    /// D's loss before its last training step this generation (NaN before training).
    pub disc_loss: f64,
    /// Mean pairwise Tanimoto distance of the population's fingerprints (NaN without fingerprints).
    pub diversity: f64,
    /// Mean Tanimoto distance from each molecule to its nearest reference molecule (NaN without fingerprints).
    pub ref_distance: f64,
    /// Distinct molecules (canonical SMILES) seen so far.
    pub unique_seen: usize,
    /// Molecules the chemistry has evaluated so far.
    pub evaluated: usize,
    /// The best few molecules of this generation, best first.
    pub top: Vec<Scored>,
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum Phase {
    /// Reference set and starting molecules need chemistry.
    Init,
    /// The population needs its fitness.
    Score,
    /// Mutations for the replaced slots are waiting for their chemistry.
    Mutate,
    Done,
}

/// The GA state. Drive it with [`Ga::needs`], [`Ga::provide`] and [`Ga::step`] (or [`run_generation`]).
pub struct Ga {
    pub cfg: GaConfig,
    rng: Rng,
    phase: Phase,
    /// Current population (N).
    pub pop: Vec<Member>,
    cache: HashMap<String, Option<Props>>,
    reference: Vec<String>,
    ref_canon: HashSet<String>,
    disc: Option<Discriminator>,
    generation: usize,
    best_j_history: Vec<f64>,
    seen: HashSet<String>,
    evaluated: usize,
    history: Vec<GenStats>,
    // Mutation round state: slot -> (parent selfies, tries); proposals: slot -> member.
    slots: Vec<(usize, String, usize)>,
    proposals: Vec<(usize, Member)>,
    next_pop: Vec<Member>,
    last_loss: f64,
}

/// How many molecules [`GenStats::top`] lists.
pub const TOP: usize = 12;

impl Ga {
    /// A run from `cfg` with `reference` SMILES (the reference set D learns, e.g. a MOSES subset).
    ///
    /// # Errors
    /// [`Error::Range`] from [`GaConfig::validate`], for an empty reference set, or a starting SMILES that cannot be
    /// written as SELFIES (the message says why).
    pub fn new(cfg: GaConfig, reference: Vec<String>) -> Result<Self> {
        cfg.validate()?;
        if reference.is_empty() {
            return Err(Error::range("reference set", "is empty; D needs reference molecules"));
        }
        let mut rng = Rng::new(cfg.seed);
        let mut starts = Vec::new();
        for s in &cfg.start {
            let sf = selfies::encode(s.trim())?;
            let smi = selfies::decode(&sf)?;
            starts.push(Member { selfies: sf, smiles: smi });
        }
        let pop = (0..cfg.population).map(|_| starts[rng.below(starts.len())].clone()).collect();
        Ok(Ga {
            rng,
            phase: Phase::Init,
            pop,
            cache: HashMap::new(),
            reference,
            ref_canon: HashSet::new(),
            disc: None,
            generation: 0,
            best_j_history: Vec::new(),
            seen: HashSet::new(),
            evaluated: 0,
            history: Vec::new(),
            slots: Vec::new(),
            proposals: Vec::new(),
            next_pop: Vec::new(),
            last_loss: f64::NAN,
            cfg,
        })
    }

    /// Generations finished so far.
    pub fn generation(&self) -> usize {
        self.generation
    }

    /// True once `generations` generations are done.
    pub fn finished(&self) -> bool {
        self.phase == Phase::Done
    }

    /// Statistics of every finished generation.
    pub fn history(&self) -> &[GenStats] {
        &self.history
    }

    /// Distinct SMILES the GA is waiting for (in a fixed order); empty when [`Ga::step`] can go on.
    pub fn needs(&self) -> Vec<String> {
        let mut want: Vec<&String> = match self.phase {
            Phase::Init => self.reference.iter().chain(self.pop.iter().map(|m| &m.smiles)).collect(),
            Phase::Score => self.pop.iter().map(|m| &m.smiles).collect(),
            Phase::Mutate => self.proposals.iter().map(|(_, m)| &m.smiles).collect(),
            Phase::Done => Vec::new(),
        };
        let mut seen = HashSet::new();
        want.retain(|s| !self.cache.contains_key(*s) && seen.insert(*s));
        want.into_iter().cloned().collect()
    }

    /// Stores the chemistry's answers for `smiles` (same order as `props`).
    ///
    /// # Errors
    /// [`Error::Shape`] when the lengths differ or descriptor counts disagree.
    pub fn provide(&mut self, smiles: &[String], props: Vec<Option<Props>>) -> Result<()> {
        if smiles.len() != props.len() {
            return Err(Error::shape("Ga::provide", format!("{} SMILES but {} answers", smiles.len(), props.len())));
        }
        for (s, p) in smiles.iter().zip(props) {
            if let (Some(p), Some(d)) = (&p, &self.disc) {
                if p.descriptors.len() != d.inputs {
                    return Err(Error::shape("Ga::provide", format!("{s}: {} descriptors, expected {}", p.descriptors.len(), d.inputs)));
                }
            }
            self.evaluated += 1;
            self.cache.insert(s.clone(), p);
        }
        Ok(())
    }

    fn props(&self, smiles: &str) -> Option<&Props> {
        self.cache.get(smiles).and_then(|p| p.as_ref())
    }

    /// Advances until chemistry is needed or a generation has finished. Returns `Some(stats)` when a generation
    /// finished.
    ///
    /// # Errors
    /// [`Error::Range`] when a starting molecule or every reference molecule is invalid; errors of D.
    pub fn step(&mut self) -> Result<Option<GenStats>> {
        loop {
            if !self.needs().is_empty() {
                return Ok(None);
            }
            match self.phase {
                Phase::Done => return Ok(None),
                Phase::Init => self.init_disc()?,
                Phase::Score => self.score_and_select()?,
                Phase::Mutate => {
                    if let Some(stats) = self.accept_mutations()? {
                        return Ok(Some(stats));
                    }
                }
            }
        }
    }

    fn init_disc(&mut self) -> Result<()> {
        for m in &self.pop {
            if self.props(&m.smiles).is_none() {
                return Err(Error::range("start", format!("RDKit cannot read the starting molecule '{}'", m.smiles)));
            }
        }
        let good: Vec<String> = self.reference.iter().filter(|s| self.props(s).is_some()).cloned().collect();
        if good.is_empty() {
            return Err(Error::range("reference set", "RDKit could read none of the reference molecules"));
        }
        self.reference = good;
        self.ref_canon = self.reference.iter().filter_map(|s| self.props(s).map(|p| p.canonical.clone())).collect();
        let inputs = self.props(&self.reference[0]).map(|p| p.descriptors.len()).unwrap_or(0);
        let mut x = Vec::new();
        for s in &self.reference {
            let d = &self.cache[s].as_ref().expect("filtered").descriptors;
            if d.len() != inputs {
                return Err(Error::shape("reference descriptors", format!("{s} has {} descriptors, expected {inputs}", d.len())));
            }
            x.extend_from_slice(d);
        }
        let mut drng = Rng::new(self.cfg.seed ^ 0xD15C);
        let mut disc = Discriminator::new(inputs, &mut drng)?;
        disc.set_standardizer(Standardizer::fit(crate::nd::view("reference descriptors", &x, (x.len() / inputs, inputs))?));
        self.disc = Some(disc);
        self.phase = Phase::Score;
        Ok(())
    }

    /// The beta of the generation being scored, given the best J of every generation so far (this one included).
    pub fn beta_for(cfg: &GaConfig, generation: usize, best_j_history: &[f64]) -> f64 {
        if cfg.adaptive && generation > cfg.adaptive_after && best_j_history.len() >= cfg.adaptive_patience {
            let tail = &best_j_history[best_j_history.len() - cfg.adaptive_patience..];
            if tail.iter().all(|&v| v == tail[0]) {
                return cfg.adaptive_beta;
            }
        }
        cfg.beta
    }

    fn descriptors_of(&self, smiles: &[&str]) -> Vec<f32> {
        smiles.iter().flat_map(|s| self.props(s).map(|p| p.descriptors.clone()).unwrap_or_default()).collect()
    }

    fn score_and_select(&mut self) -> Result<()> {
        let gen = self.generation + 1;
        let n = self.pop.len();
        let smiles: Vec<&str> = self.pop.iter().map(|m| m.smiles.as_str()).collect();
        let props: Vec<Props> = smiles
            .iter()
            .map(|s| self.props(s).cloned().ok_or_else(|| Error::range("population", format!("'{s}' has no chemistry"))))
            .collect::<Result<_>>()?;
        let d: Vec<f64> = if gen == 1 {
            vec![0.0; n]
        } else {
            let x = self.descriptors_of(&smiles);
            let disc = self.disc.as_ref().expect("initialised");
            disc.predict(crate::nd::view("descriptors", &x, (x.len() / disc.inputs, disc.inputs))?)?.into_iter().map(f64::from).collect()
        };
        let j: Vec<f64> = props.iter().map(Props::j).collect();
        let best_j = j.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
        self.best_j_history.push(best_j);
        let beta = Self::beta_for(&self.cfg, gen, &self.best_j_history);
        let f: Vec<f64> = j.iter().zip(&d).map(|(j, d)| j + beta * d).collect();
        let mut order: Vec<usize> = (0..n).collect();
        order.sort_by(|&a, &b| f[b].total_cmp(&f[a]).then(a.cmp(&b)));

        for p in &props {
            self.seen.insert(p.canonical.clone());
        }
        let mean = |v: &[f64]| v.iter().sum::<f64>() / v.len() as f64;
        let logp: Vec<f64> = props.iter().map(|p| p.logp).collect();
        let sa: Vec<f64> = props.iter().map(|p| p.sa).collect();
        let rp: Vec<f64> = props.iter().map(Props::ring_penalty).collect();
        let fps: Vec<&[u8]> = props.iter().map(|p| p.fingerprint.as_slice()).collect();
        let ref_fps: Vec<&[u8]> = self.reference.iter().filter_map(|s| self.props(s)).map(|p| p.fingerprint.as_slice()).collect();
        let top = order
            .iter()
            .take(TOP)
            .map(|&i| Scored {
                smiles: props[i].canonical.clone(),
                selfies: self.pop[i].selfies.clone(),
                fitness: f[i],
                j: j[i],
                logp: logp[i],
                sa: sa[i],
                ring_penalty: rp[i],
                d: d[i],
            })
            .collect();
        let stats = GenStats {
            generation: gen,
            beta,
            best_fitness: f[order[0]],
            mean_fitness: mean(&f),
            best_j,
            mean_j: mean(&j),
            best_logp: logp.iter().cloned().fold(f64::NEG_INFINITY, f64::max),
            mean_logp: mean(&logp),
            min_sa: sa.iter().cloned().fold(f64::INFINITY, f64::min),
            mean_sa: mean(&sa),
            mean_ring_penalty: mean(&rp),
            mean_d: mean(&d),
            disc_loss: self.last_loss,
            diversity: diversity(&fps),
            ref_distance: nearest_distance(&fps, &ref_fps),
            unique_seen: self.seen.len(),
            evaluated: self.evaluated,
            top,
        };
        self.history.push(stats);

        // Selection (apply_generation_cutoff) in rank space.
        let mut keep = Vec::new();
        let mut replace = Vec::new();
        for r in 0..n {
            if (self.rng.uniform() as f64) < replace_probability(r, n) {
                replace.push(r);
            } else {
                keep.push(r);
            }
        }
        if keep.is_empty() {
            // Tiny populations only: the best molecule always survives.
            replace.retain(|&r| r != 0);
            keep.push(0);
        }
        let ranked: Vec<Member> = order.iter().map(|&i| self.pop[i].clone()).collect();
        self.next_pop = ranked.clone();
        self.slots.clear();
        self.proposals.clear();
        for &r in &replace {
            let parent = ranked[keep[self.rng.below(keep.len())]].selfies.clone();
            self.slots.push((r, parent, 0));
        }
        self.propose_all()?;
        self.phase = Phase::Mutate;
        Ok(())
    }

    fn propose_all(&mut self) -> Result<()> {
        self.proposals.clear();
        for k in 0..self.slots.len() {
            let parent = self.slots[k].1.clone();
            let sf = mutate(&parent, &mut self.rng)?;
            let smiles = selfies::decode(&sf)?;
            self.slots[k].2 += 1;
            self.proposals.push((self.slots[k].0, Member { selfies: sf, smiles }));
        }
        Ok(())
    }

    fn acceptable(&self, m: &Member) -> bool {
        match self.props(&m.smiles) {
            Some(p) => !p.canonical.is_empty() && p.canonical.chars().count() <= self.cfg.max_len,
            None => false,
        }
    }

    fn accept_mutations(&mut self) -> Result<Option<GenStats>> {
        // Accept the good proposals; redraw the rest (from the same parent) until max_tries.
        let mut still = Vec::new();
        let proposals = std::mem::take(&mut self.proposals);
        for ((slot, parent, tries), (_, m)) in std::mem::take(&mut self.slots).into_iter().zip(proposals) {
            if self.acceptable(&m) {
                self.next_pop[slot] = m;
            } else if tries >= self.cfg.max_tries {
                let smiles = selfies::decode(&parent)?;
                self.next_pop[slot] = Member { selfies: parent, smiles };
            } else {
                still.push((slot, parent, tries));
            }
        }
        self.slots = still;
        if !self.slots.is_empty() {
            self.propose_all()?;
            return Ok(None);
        }
        self.pop = std::mem::take(&mut self.next_pop);
        self.train_disc()?;
        self.generation += 1;
        self.phase = if self.generation >= self.cfg.generations { Phase::Done } else { Phase::Score };
        Ok(self.history.last().cloned())
    }

    fn train_disc(&mut self) -> Result<()> {
        let n = self.pop.len();
        let mut smiles: Vec<String> = self.pop.iter().map(|m| m.smiles.clone()).collect();
        let mut y: Vec<f32> = smiles
            .iter()
            .map(|s| if self.props(s).is_some_and(|p| self.ref_canon.contains(&p.canonical)) { 1.0 } else { 0.0 })
            .collect();
        for _ in 0..n {
            smiles.push(self.reference[self.rng.below(self.reference.len())].clone());
            y.push(1.0);
        }
        let refs: Vec<&str> = smiles.iter().map(String::as_str).collect();
        let x = self.descriptors_of(&refs);
        let steps = self.cfg.disc_steps;
        let disc = self.disc.as_mut().expect("initialised");
        let losses = disc.train(crate::nd::view("descriptors", &x, (x.len() / disc.inputs, disc.inputs))?, ndarray::aview1(&y), steps)?;
        self.last_loss = losses.last().map(|&l| l as f64).unwrap_or(f64::NAN);
        Ok(())
    }
}

/// Probability that the molecule at rank `r` (0 = best) of `n` is replaced (`apply_generation_cutoff`).
pub fn replace_probability(r: usize, n: usize) -> f64 {
    let pos = r as f64 - 0.2 * n as f64;
    1.0 / (1.0 + (-0.02 * n as f64 * pos / n as f64).exp())
}

/// One mutation of `selfies` (`mutations_random_grin`): with probability 1/2 insert a random symbol of
/// [`MUTATION_ALPHABET`] at a random position (0..=len), else replace a random symbol.
///
/// # Errors
/// [`Error::Format`] when `selfies` is malformed.
pub fn mutate(selfies: &str, rng: &mut Rng) -> Result<String> {
    let chars = selfies::split_selfies(selfies)?;
    let insert = rng.uniform() < 0.5 || chars.is_empty();
    let sym = MUTATION_ALPHABET[rng.below(MUTATION_ALPHABET.len())];
    let mut out: Vec<&str> = chars.clone();
    if insert {
        let i = rng.below(chars.len() + 1);
        out.insert(i, sym);
    } else {
        let i = rng.below(chars.len());
        out[i] = sym;
    }
    Ok(out.concat())
}

/// 1 - |a & b| / |a | b| on bit fingerprints (0 for two empty ones); counts 64 bits at a time.
pub fn tanimoto_distance(a: &[u8], b: &[u8]) -> f64 {
    let (mut inter, mut uni) = (0u32, 0u32);
    let (ca, cb) = (a.chunks_exact(8), b.chunks_exact(8));
    let (ra, rb) = (ca.remainder(), cb.remainder());
    for (x, y) in ca.zip(cb) {
        let (x, y) = (u64::from_le_bytes(x.try_into().expect("8 bytes")), u64::from_le_bytes(y.try_into().expect("8 bytes")));
        inter += (x & y).count_ones();
        uni += (x | y).count_ones();
    }
    for (x, y) in ra.iter().zip(rb) {
        inter += (x & y).count_ones();
        uni += (x | y).count_ones();
    }
    if uni == 0 {
        0.0
    } else {
        1.0 - inter as f64 / uni as f64
    }
}

/// Mean pairwise Tanimoto distance (NaN when fingerprints are missing or fewer than two).
pub fn diversity(fps: &[&[u8]]) -> f64 {
    if fps.len() < 2 || fps.iter().any(|f| f.is_empty()) {
        return f64::NAN;
    }
    let mut s = 0.0;
    let mut k = 0usize;
    for i in 0..fps.len() {
        for j in i + 1..fps.len() {
            s += tanimoto_distance(fps[i], fps[j]);
            k += 1;
        }
    }
    s / k as f64
}

/// Mean over `fps` of the Tanimoto distance to the nearest of `refs` (NaN when fingerprints are missing).
pub fn nearest_distance(fps: &[&[u8]], refs: &[&[u8]]) -> f64 {
    if fps.is_empty() || refs.is_empty() || fps.iter().chain(refs).any(|f| f.is_empty()) {
        return f64::NAN;
    }
    let s: f64 = fps.iter().map(|a| refs.iter().map(|b| tanimoto_distance(a, b)).fold(f64::INFINITY, f64::min)).sum();
    s / fps.len() as f64
}

/// Runs `ga` until its next generation finishes (or it is done), asking `chem` for chemistry.
///
/// # Errors
/// From the chemistry and from [`Ga::step`].
pub fn run_generation(ga: &mut Ga, chem: &mut dyn Chemistry) -> Result<Option<GenStats>> {
    loop {
        let need = ga.needs();
        if !need.is_empty() {
            let p = chem.evaluate(&need)?;
            ga.provide(&need, p)?;
        }
        if ga.finished() {
            return Ok(None);
        }
        if let Some(s) = ga.step()? {
            return Ok(Some(s));
        }
    }
}

/// NOT CHEMISTRY: a stand-in [`Chemistry`] computed from the SMILES string alone, for tests and benchmarks of the GA
/// machinery where RDKit is not available (native tests, the lean wasm test). "logP" counts carbons and halogens
/// against N and O, "SA" grows with branches and ring closures, the "largest ring" is read from ring-closure
/// digits, the descriptors are symbol counts and the fingerprint hashes character trigrams. The numbers mean
/// nothing chemically; the page always uses RDKit.
#[derive(Clone, Debug, Default)]
pub struct StandInChemistry {
    /// SMILES it refuses (answers `None`), to exercise the redraw path.
    pub reject_longer_than: Option<usize>,
}

impl Chemistry for StandInChemistry {
    fn evaluate(&mut self, smiles: &[String]) -> Result<Vec<Option<Props>>> {
        Ok(smiles.iter().map(|s| self.one(s)).collect())
    }
}

impl StandInChemistry {
    fn one(&self, s: &str) -> Option<Props> {
        if self.reject_longer_than.is_some_and(|n| s.len() > n) || s.is_empty() {
            return None;
        }
        let count = |c: char| s.chars().filter(|&x| x == c).count() as f64;
        let carbons = count('C') - s.matches("Cl").count() as f64;
        let halo = count('F') + s.matches("Cl").count() as f64 + s.matches("Br").count() as f64;
        let logp = 0.5 * carbons + 0.4 * halo - 0.8 * (count('N') + count('O')) + 0.2 * count('S');
        let sa = 1.5 + 0.3 * count('(') + 0.4 * s.chars().filter(|c| c.is_ascii_digit()).count() as f64 + 0.05 * s.len() as f64;
        let mut largest = 0u32;
        for d in '1'..='9' {
            let idx: Vec<usize> = s.match_indices(d).map(|(i, _)| i).collect();
            for w in idx.chunks(2) {
                if w.len() == 2 {
                    let atoms = s[w[0]..w[1]].chars().filter(|c| c.is_ascii_uppercase()).count() as u32;
                    largest = largest.max(atoms);
                }
            }
        }
        let descriptors = vec![
            carbons as f32, count('N') as f32, count('O') as f32, halo as f32, count('S') as f32, count('=') as f32,
            count('#') as f32, count('(') as f32, s.len() as f32,
        ];
        let mut fp = vec![0u8; 64];
        let b = s.as_bytes();
        for w in b.windows(3.min(b.len())) {
            let h = w.iter().fold(2166136261u32, |h, &x| (h ^ x as u32).wrapping_mul(16777619));
            fp[(h as usize / 8) % 64] |= 1 << (h % 8);
        }
        Some(Props { canonical: s.to_string(), logp, sa, largest_ring: largest, descriptors, fingerprint: fp })
    }
}

/// What the page's chemistry worker reads off RDKit MinimalLib for one molecule (a record from JavaScript).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RdkitMol {
    /// `get_smiles()`.
    pub canonical: String,
    /// `CrippenClogP` of `get_descriptors()`.
    pub logp: f64,
    /// `NumAtomStereoCenters`.
    pub stereo_centers: usize,
    /// `NumSpiroAtoms`.
    pub spiro: usize,
    /// `NumBridgeheadAtoms`.
    pub bridgeheads: usize,
    /// Ring sizes of `get_json()`'s `atomRings`.
    pub ring_sizes: Vec<usize>,
    /// The molecular graph of `get_json()`, 5 numbers per atom: atomic number, `impHs`, charge, isotope (0 for
    /// none), 1 if the atom is in one of `atomRings` else 0.
    pub graph_atoms: Vec<i32>,
    /// 3 numbers per bond of `get_json()`: its two atoms and RDKit's bond type (`bo`, 12 for `aromaticBonds`).
    pub graph_bonds: Vec<u32>,
    /// On bits of `get_morgan_fp_as_uint8array({radius: 2, nBits: 2048})`.
    pub morgan_bits: Vec<usize>,
    /// Descriptors for D (a fixed list of `get_descriptors()` entries chosen by the page).
    pub descriptors: Vec<f32>,
}

/// Morgan fingerprint length the page asks MinimalLib for (diversity and distances).
pub const MORGAN_BITS: usize = 2048;

impl RdkitMol {
    /// The molecular graph as [`super::sa::MorganAtom`]s and [`super::sa::MorganBond`]s; errors on lengths that
    /// are not multiples of 5 and 3 or on negative atomic numbers, H counts or isotopes.
    pub fn graph(&self) -> Result<(Vec<super::sa::MorganAtom>, Vec<super::sa::MorganBond>)> {
        if self.graph_atoms.len() % 5 != 0 || self.graph_bonds.len() % 3 != 0 {
            return Err(Error::format("molecular graph", format!("{}: graph_atoms needs 5 numbers per atom, graph_bonds 3 per bond", self.canonical)));
        }
        let mut atoms = Vec::with_capacity(self.graph_atoms.len() / 5);
        for a in self.graph_atoms.chunks(5) {
            if a[0] < 0 || a[1] < 0 || a[3] < 0 {
                return Err(Error::format("molecular graph", format!("{}: negative atomic number, H count or isotope", self.canonical)));
            }
            atoms.push(super::sa::MorganAtom { z: a[0] as u32, hs: a[1] as u32, charge: a[2], isotope: a[3] as u32, in_ring: a[4] != 0 });
        }
        let bonds = self.graph_bonds.chunks(3).map(|b| super::sa::MorganBond { a: b[0] as usize, b: b[1] as usize, kind: b[2] }).collect();
        Ok((atoms, bonds))
    }

    /// [`Props`] with SA from the molecular graph ([`super::sa::sa_of_graph`], RDKit's fragment `table`) and the
    /// Morgan bits as a 256-byte fingerprint. Errors on a malformed graph.
    pub fn props(&self, table: &super::sa::FragmentTable) -> Result<Props> {
        let parts = super::sa::SaParts {
            atoms: self.graph_atoms.len() / 5,
            chiral: self.stereo_centers,
            spiro: self.spiro,
            bridgeheads: self.bridgeheads,
            ring_sizes: self.ring_sizes.clone(),
        };
        let (atoms, bonds) = self.graph()?;
        let mut fp = vec![0u8; MORGAN_BITS / 8];
        for &b in self.morgan_bits.iter().filter(|&&b| b < MORGAN_BITS) {
            fp[b / 8] |= 1 << (b % 8);
        }
        Ok(Props {
            canonical: self.canonical.clone(),
            logp: self.logp,
            sa: super::sa::sa_of_graph(&atoms, &bonds, &parts, table)?,
            largest_ring: self.ring_sizes.iter().copied().max().unwrap_or(0) as u32,
            descriptors: self.descriptors.clone(),
            fingerprint: fp,
        })
    }
}
