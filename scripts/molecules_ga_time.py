"""Times the reference GA+D generation loop (aspuru-guzik-group/GA, folder 4.1/GA: core_GA.py,
generation_props.py, evolution_functions.py, discriminator.py) in Python on this machine, for comparison with the
molecules lab in the browser (scripts/molecules-runs.mjs) on the same population size and generations.

This is a minimal re-statement of the reference's generation loop, written from reading it, not its code:
  1. fitness of the population: for the distinct SMILES, Crippen logP, SA (RDKit Contrib sascorer.py) and the ring
     penalty, and the reference's 51 RDKit features for D, each computed in worker processes (the reference starts
     one process per chunk, with Manager dictionaries, for every property in every generation; here one Pool serves
     the whole run, which only makes the Python side faster); J standardised with the ZINC means/sds; F = J + beta*D
     (D = 0 in generation 1);
  2. ranking, the Fermi cut-off 1 / (1 + exp(-0.02 (r - 0.2 N))) for replacing rank r, and mutations of random
     survivors: insert or replace one symbol of the reference's alphabet, redrawn until the selfies decoder and RDKit
     give a valid canonical SMILES of at most 81 characters;
  3. D trained for 10 full-batch Adam steps (lr 1e-3, weight decay 1e-4, BCE) on the new population (label 0) and as
     many random reference molecules (label 1), with their 51 features computed in the worker processes again.
D (51 -> 100 -> 10 -> 1, sigmoids) is written in numpy here: PyTorch's only x86-64 Linux wheels on PyPI are CUDA
builds (torch 2.5.1 pulls about 3 GB of nvidia-* wheels), over this project's install limit. D is a small part of
the reference's time (a few thousand multiply-adds per molecule against RDKit's descriptors and SA).
The reference set is the lab's MOSES file (www/data/molecules/moses_ref.smi) instead of the reference's ZINC file.

  python -m venv .venv-mol && .venv-mol/bin/pip install -r scripts/requirements-molecules-ga.txt
  nice -n 10 .venv-mol/bin/python scripts/molecules_ga_time.py --population 100 --generations 40 --beta 0

Prints the wall time, population slots scored per second (N x generations / s) and the molecules RDKit evaluated.
Not part of make test.
"""
import argparse
import multiprocessing
import os
import sys
import time

import numpy as np
import selfies
from rdkit import Chem, RDConfig, RDLogger
from rdkit.Chem import Descriptors

sys.path.append(os.path.join(RDConfig.RDContribDir, "SA_Score"))
import sascorer  # noqa: E402

RDLogger.DisableLog("rdApp.*")

# The reference's ZINC statistics (generation_props.obtained_standardized_properties).
LOGP_MEAN, LOGP_SD = 2.4729421499641497, 1.4157879815362406
SA_MEAN, SA_SD = 3.0470797085649894, 0.830643172314514
RP_MEAN, RP_SD = 0.038131530820234766, 0.2240274735210179
# The reference's mutation alphabet (selfies < 2 spelling, as its code uses).
ALPHABET = ["[Branch1_1]", "[Branch1_2]", "[Branch1_3]", "[epsilon]", "[Ring1]", "[Ring2]", "[Branch2_1]",
            "[Branch2_2]", "[Branch2_3]", "[F]", "[O]", "[=O]", "[N]", "[=N]", "[#N]", "[C]", "[=C]", "[#C]", "[S]",
            "[=S]", "[C][=C][C][=C][C][=C][Ring1][Branch1_1]"]
FEATURE_NAMES = ["BalabanJ", "HallKierAlpha", "NumAliphaticCarbocycles", "NumAliphaticHeterocycles",
                 "NumAliphaticRings", "NumAromaticCarbocycles", "NumAromaticHeterocycles", "NumAromaticRings",
                 "NumHAcceptors", "NumHDonors", "NumHeteroatoms", "NumRadicalElectrons", "NumSaturatedCarbocycles",
                 "NumSaturatedHeterocycles", "NumSaturatedRings", "NumValenceElectrons", "RingCount"]
MAX_LEN = 81
ROT = Chem.MolFromSmarts("*-&!@*")


def canonical(smi):
    """Canonical SMILES (no stereo) or None."""
    mol = Chem.MolFromSmiles(smi)
    return None if mol is None else Chem.MolToSmiles(mol, isomericSmiles=False, canonical=True)


def consecutive_doubles(mol):
    prev, n = None, 0
    for b in mol.GetBonds():
        t = b.GetBondType()
        if prev == t and t == Chem.BondType.DOUBLE:
            n += 1
        prev = t
    return n


def features(smi):
    """The reference's 51 features: 17 RDKit descriptors, 8 atom-count ratios to carbon, 4 bond-type fractions,
    ring fragments (count, triple bonds, consecutive doubles, sizes 3..20) and consecutive double bonds."""
    mol = Chem.MolFromSmiles(smi)
    f = [getattr(Descriptors, n)(mol) for n in FEATURE_NAMES]
    n_atoms = mol.GetNumAtoms()
    n_h = Chem.AddHs(mol).GetNumAtoms() - n_atoms
    count = {z: 0 for z in (6, 7, 16, 8, 17, 35, 9)}
    for a in mol.GetAtoms():
        if a.GetAtomicNum() in count:
            count[a.GetAtomicNum()] += 1
    c = count[6] or 0.0001
    f += [n_atoms / c, n_h / c] + [count[z] / c for z in (7, 16, 8, 17, 35, 9)]
    bonds = [b.GetBondType() for b in mol.GetBonds()]
    nb = len(bonds)
    kinds = (Chem.BondType.SINGLE, Chem.BondType.DOUBLE, Chem.BondType.TRIPLE, Chem.BondType.AROMATIC)
    f += [sum(t == k for t in bonds) / nb for k in kinds] if nb else [0, 0, 0, 0]
    rot = mol.GetSubstructMatches(ROT)
    rings = None
    if rot:
        idx = [mol.GetBondBetweenAtoms(i, j).GetIdx() for i, j in rot]
        frag = Chem.MolToSmiles(Chem.FragmentOnBonds(mol, idx, addDummies=False))
        rings = [s for s in frag.split(".") if "1" in s]
    if rings:
        f += [len(rings), sum(s.count("#") for s in rings)]
        ring_mols = [Chem.MolFromSmiles(s) for s in rings]
        ring_mols = [m for m in ring_mols if m is not None]
        f.append(sum(consecutive_doubles(m) for m in ring_mols))
        f += [sum(m.GetNumAtoms() == k for m in ring_mols) for k in range(3, 21)]
    else:
        f += [0, 0] + [0] * 19
    f.append(consecutive_doubles(mol))
    return np.array(f, dtype=np.float64)


def props(smi):
    """(logP, SA, ring penalty, 51 features) of one SMILES."""
    mol = Chem.MolFromSmiles(smi)
    rings = mol.GetRingInfo().AtomRings()
    largest = max((len(r) for r in rings), default=0)
    return Descriptors.MolLogP(mol), sascorer.calculateScore(mol), max(0, largest - 6), features(smi)


def mutate(sf, rng):
    """The reference's mutation: insert (p = 1/2) or replace one symbol, redrawn until valid; also returns tries."""
    chars = list(selfies.split_selfies(sf))
    tries = 0
    while True:
        tries += 1
        sym = ALPHABET[rng.integers(len(ALPHABET))]
        if rng.random() < 0.5:
            i = rng.integers(len(chars) + 1)
            new = chars[:i] + [sym] + chars[i:]
        else:
            i = rng.integers(len(chars))
            new = chars[:i] + [sym] + chars[i + 1:]
        cand = "".join(new)
        try:
            smi = canonical(selfies.decoder(cand))
        except Exception:  # the reference treats any decoder error as an invalid mutation
            smi = None
        if smi and len(smi) <= MAX_LEN:
            return cand, smi, tries


class D:
    """51 -> 100 -> 10 -> 1 with sigmoids, BCE, Adam (lr 1e-3, weight decay 1e-4 added to the gradient, as torch's
    Adam does); PyTorch's default uniform(-1/sqrt(fan_in), 1/sqrt(fan_in)) initialisation."""

    def __init__(self, rng, sizes=(51, 100, 10, 1)):
        self.p = []
        for a, b in zip(sizes[:-1], sizes[1:]):
            k = 1 / np.sqrt(a)
            self.p += [rng.uniform(-k, k, (a, b)), rng.uniform(-k, k, b)]
        self.m = [np.zeros_like(x) for x in self.p]
        self.v = [np.zeros_like(x) for x in self.p]
        self.t = 0

    def forward(self, x):
        acts = [x]
        for i in range(0, len(self.p), 2):
            x = 1 / (1 + np.exp(-np.clip(x @ self.p[i] + self.p[i + 1], -500, 500)))
            acts.append(x)
        return acts

    def predict(self, x):
        return self.forward(x)[-1][:, 0]

    def train(self, x, y, steps=10, lr=1e-3, wd=1e-4, b1=0.9, b2=0.999, eps=1e-8):
        y = y.reshape(-1, 1)
        for _ in range(steps):
            acts = self.forward(x)
            out = np.clip(acts[-1], 1e-12, 1 - 1e-12)
            delta = (out - y) / (out * (1 - out)) / len(y) * acts[-1] * (1 - acts[-1])
            grads = [None] * len(self.p)
            for li in range(len(self.p) // 2 - 1, -1, -1):
                grads[2 * li] = acts[li].T @ delta
                grads[2 * li + 1] = delta.sum(0)
                if li:
                    delta = (delta @ self.p[2 * li].T) * acts[li] * (1 - acts[li])
            self.t += 1
            for i, g in enumerate(grads):
                g = g + wd * self.p[i]
                self.m[i] = b1 * self.m[i] + (1 - b1) * g
                self.v[i] = b2 * self.v[i] + (1 - b2) * g * g
                mh = self.m[i] / (1 - b1 ** self.t)
                vh = self.v[i] / (1 - b2 ** self.t)
                self.p[i] -= lr * mh / (np.sqrt(vh) + eps)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--population", type=int, default=100)
    ap.add_argument("--generations", type=int, default=40)
    ap.add_argument("--beta", type=float, default=0.0)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--processes", type=int, default=multiprocessing.cpu_count(), help="the reference: cpu_count()")
    ap.add_argument("--ref", default=os.path.join(os.path.dirname(__file__), "..", "www", "data", "molecules", "moses_ref.smi"))
    a = ap.parse_args()
    rng = np.random.default_rng(a.seed)
    with open(a.ref) as fh:
        reference = [s.split()[0] for s in fh if s.strip() and not s.startswith("#")]
    ref_set = set(reference)
    n = a.population
    start = selfies.encoder("C")
    pop_sf, pop_smi = [start] * n, [canonical("C")] * n
    disc = D(rng)
    evaluated = tries_total = 0
    t0 = time.perf_counter()
    with multiprocessing.Pool(a.processes) as pool:
        for gen in range(1, a.generations + 1):
            uniq = list(set(pop_smi))
            res = dict(zip(uniq, pool.map(props, uniq, chunksize=max(1, len(uniq) // a.processes))))
            evaluated += len(uniq)
            logp = np.array([res[s][0] for s in pop_smi])
            sa = np.array([res[s][1] for s in pop_smi])
            rp = np.array([res[s][2] for s in pop_smi])
            j = (logp - LOGP_MEAN) / LOGP_SD - (sa - SA_MEAN) / SA_SD - (rp - RP_MEAN) / RP_SD
            d = np.zeros(n) if gen == 1 else disc.predict(np.stack([res[s][3] for s in pop_smi]))
            order = np.argsort(j + a.beta * d)[::-1]
            sf_o = [pop_sf[i] for i in order]
            smi_o = [pop_smi[i] for i in order]
            prob = 1 / (1 + np.exp(-0.02 * (np.arange(n) - 0.2 * n)))
            replace = rng.random(n) < prob
            keep = np.flatnonzero(~replace)
            if keep.size == 0:
                keep = np.array([0])
            new_sf, new_smi = [], []
            for r in range(n):
                if replace[r]:
                    sf, smi, tries = mutate(sf_o[rng.choice(keep)], rng)
                    tries_total += tries
                    new_sf.append(sf)
                    new_smi.append(smi)
                else:
                    new_sf.append(sf_o[r])
                    new_smi.append(smi_o[r])
            pop_sf, pop_smi = new_sf, new_smi
            ref_pick = [reference[i] for i in rng.integers(len(reference), size=n)]
            data = pop_smi + ref_pick
            du = list(set(data))
            feats = dict(zip(du, pool.map(features, du, chunksize=max(1, len(du) // a.processes))))
            evaluated += len(du)
            x = np.stack([feats[s] for s in data])
            y = np.array([1.0 if s in ref_set else 0.0 for s in pop_smi] + [1.0] * n)
            perm = rng.permutation(len(data))
            disc.train(x[perm], y[perm])
            print(f"generation {gen}: best J {j.max():.3f}, mean J {j.mean():.3f}, {time.perf_counter() - t0:.1f} s", flush=True)
    dt = time.perf_counter() - t0
    print(f"N = {n}, {a.generations} generations, beta {a.beta}, {a.processes} processes: {dt:.1f} s; "
          f"{n * a.generations / dt:.1f} population slots scored per second; "
          f"{evaluated} molecules evaluated by RDKit ({evaluated / dt:.1f}/s) and {tries_total} mutation attempts decoded")


if __name__ == "__main__":
    main()
