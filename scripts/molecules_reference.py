"""Writes the molecules lab's fixtures from the reference packages.

    python3 -m venv .venv-molecules
    .venv-molecules/bin/pip install -r scripts/requirements-molecules.txt   # molsets: add --no-deps
    .venv-molecules/bin/python scripts/molecules_reference.py

Outputs (tests/fixtures/molecules/):
  encode.tsv.gz   SMILES <TAB> selfies.encoder(SMILES) (or ERR): MOSES test molecules as written, their RDKit
               kekulised and randomised forms, and edge cases (charges, isotopes, stereo, dots, [nH]).
  decode.tsv.gz   random SELFIES <TAB> selfies.decoder(SELFIES) <TAB> RDKit canonical SMILES of that output (or ERR).
  sa.tsv.gz    RDKit's SA score (Contrib/SA_Score/sascorer.py) of 400 MOSES molecules and SA_EDGE (tiny molecules,
               single atoms, charges, isotopes, macrocycles, spiro and bridged systems) with what the formula needs:
               the sparse Morgan counts (radius 2) with each fragment's score, the 2048-bit folded Morgan bits,
               atom / stereocentre / spiro / bridgehead counts and ring sizes, the old folded-table substitute, and
               the molecular graph the Morgan ids are hashed from (per atom: atomic number, H count without the H atoms of the graph (as MinimalLib's get_json impHs), formal
               charge, isotope, in a ring; per bond: its atoms and RDKit bond type, 12 = aromatic).
  summary.json counts, and the RDKit validity of 100,000 random SELFIES decoded by the package.
Also writes www/data/molecules/sa_fpscores.bin (the whole fragment-score table, binary: see write_fpscores) and
www/data/molecules/moses_ref.smi (the reference set D learns: 2,000 MOSES test molecules).
"""
import csv, gzip, importlib.metadata, json, math, os, random, sys

import selfies as sf
from rdkit import Chem, RDLogger

RDLogger.DisableLog("rdApp.*")
OUT = os.path.join(os.path.dirname(__file__), "..", "tests", "fixtures", "molecules")
os.makedirs(OUT, exist_ok=True)
rng = random.Random(14)

import importlib.util  # noqa: E402  molsets ships the MOSES data files; importing moses itself needs pandas
MOSES_DIR = importlib.util.find_spec("moses").submodule_search_locations[0]
with gzip.open(os.path.join(MOSES_DIR, "dataset", "data", "test.csv.gz"), "rt") as f:
    moses_smiles = [r["SMILES"] for r in csv.DictReader(f)]

EDGE = [
    "C", "CC", "C=C", "C#N", "[CH4]", "[C]", "[13CH4]", "[2H]C([2H])([2H])[2H]", "[NH4+]", "[O-]C(=O)C",
    "C[N+](C)(C)C", "[Na+].[Cl-]", "CC(=O)[O-].[Na+]", "F/C=C/F", "F/C=C\\F", "C/C=C/1CCCC1", "N[C@@H](C)C(=O)O",
    "N[C@H](C)C(=O)O", "C[C@H]1CC[C@@H](C)CC1", "C1CC[C@H]2CCCC[C@@H]2C1", "c1ccccc1", "c1cc[nH]c1", "c1ccncc1",
    "o1cccc1", "s1cccc1", "c1ccc2ccccc2c1", "c1ccc2[nH]ccc2c1", "Cn1cnc2c1c(=O)n(C)c(=O)n2C", "[Fe+2]", "[Cu]",
    "[se]1cccc1", "O=S(=O)(O)O", "OP(=O)(O)O", "C1CC1", "C12CC1C2", "C1CCCCCCCCCCC1", "CC%10CC%10", "[NH3+]CC([O-])=O",
    "ClC(Cl)(Cl)Cl", "BrC=CBr", "IC#CI", "[B-](F)(F)(F)F", "C[S+](C)C", "C=[N+]=[N-]", "[C-]#[O+]", "O=[N+]([O-])c1ccccc1",
    "C1=CC=CC=C1", "CC(C)(C)c1ccc(O)cc1", "c1ccc(-c2ccccc2)cc1", "[13C@H](F)(Cl)Br", "CCCCC(CC)(CC)CC", "C(C(C(C)))C",
    "C1CC2CCC1C2", "C12C3C4C1C5C2C3C45", "N1C=CC=C1", "[nH]1cccc1", "c1ccc[se]1", "C[Si](C)(C)C", "[Se]", "[SiH4]",
    "CC.CC", "C.C.C", "OC1=CC=CC=C1", "C=1CCCCC1", "C1CCCCC=1", "C#1CCCCC1", "c1cc2ccc3cccc4ccc(c1)c2c34",
    "FC(F)(F)C1=CC=CC=C1", "[CH2]C", "[CH]C", "[O]", "[OH]", "CC[C@](C)(O)CC", "F[C@](Cl)(Br)I", "F[C@@](Cl)(Br)I",
    "C[C@@H]1CCCC[C@H]1O", "O[C@H]1[C@H](O)[C@@H](O)[C@H](O)[C@@H](O)[C@@H]1O", "C/C=C/C=C/C", "C/C=C(/F)\\Cl",
]


def enc(s):
    try:
        return sf.encoder(s)
    except Exception:
        return "ERR"


def main():
    n_moses = 2000
    pick = rng.sample(moses_smiles, n_moses)
    rows = []
    for s in EDGE + pick:
        rows.append(s)
    for s in pick[:600]:
        m = Chem.MolFromSmiles(s)
        k = Chem.Mol(m)
        Chem.Kekulize(k, clearAromaticFlags=True)
        rows.append(Chem.MolToSmiles(k, kekuleSmiles=True))
        rows.append(Chem.MolToSmiles(m, doRandom=True, canonical=False))
    seen, uniq = set(), []
    for s in rows:
        if s not in seen:
            seen.add(s)
            uniq.append(s)
    with gzip.open(os.path.join(OUT, "encode.tsv.gz"), "wt") as f:
        f.write("# smiles\tselfies.encoder(smiles) 2.2.0 (ERR = EncoderError)\n")
        for s in uniq:
            f.write(f"{s}\t{enc(s)}\n")

    alphabet = sorted(sf.get_semantic_robust_alphabet()) + ["[N+1]", "[O-1]", "[=N+1]", "[C-1]", "[nop]", "[13C]",
                                                            "[C@@H1]", "[/C]", "[\\C]", "[-/Ring1]", "[Fe]", "[Na+1]"]

    def random_selfies():
        n = rng.randint(1, 60)
        return "".join(rng.choice(alphabet) for _ in range(n))

    valid = total = 0
    for _ in range(100_000):
        s = random_selfies()
        smi = sf.decoder(s)
        total += 1
        valid += Chem.MolFromSmiles(smi) is not None
    with gzip.open(os.path.join(OUT, "decode.tsv.gz"), "wt") as f:
        f.write("# selfies\tselfies.decoder(selfies) 2.2.0\tRDKit canonical SMILES of it (ERR = RDKit cannot parse)\n")
        for _ in range(5000):
            s = random_selfies()
            smi = sf.decoder(s)
            m = Chem.MolFromSmiles(smi)
            can = "ERR" if m is None else Chem.MolToSmiles(m)
            f.write(f"{s}\t{smi}\t{can}\n")
    summary = {"selfies": importlib.metadata.version("selfies"), "rdkit": Chem.rdBase.rdkitVersion, "encode_rows": len(uniq),
               "random_selfies_checked_by_rdkit": total, "rdkit_valid": valid, "alphabet": alphabet}
    with open(os.path.join(OUT, "summary.json"), "w") as f:
        json.dump(summary, f, indent=1)
    print(json.dumps({k: v for k, v in summary.items() if k != "alphabet"}))


SA_BITS = 2048

# Small and unusual molecules for SA (the GA starts from methane, so its first generations are all tiny).
SA_EDGE = [
    "C", "CC", "CCC", "C=C", "C#C", "C=O", "CO", "O", "N", "S", "F", "Cl", "Br", "[OH-]", "[H]O[H]", "[NH4+]", "[Na+]",
    "[Cl-]", "[Fe]", "[He]", "[O]", "[CH3]", "[CH2]", "[C]", "[13CH4]", "[2H]C([2H])([2H])[2H]", "[18OH2]", "[Na+].[Cl-]",
    "CC(=O)[O-].[Na+]", "C[N+](C)(C)C", "[O-]C(=O)C", "C=[N+]=[N-]", "[C-]#[O+]", "O=[N+]([O-])c1ccccc1", "CC.CC", "C.C",
    "ClCl", "O=C=O", "N#N", "C1CC1", "C1CCC1", "c1ccccc1", "c1ccncc1", "c1cc[nH]c1", "C1CCCCCCCC1", "C1CCCCCCCCCCC1",
    "C1CCCCCCCCCCCCCCCCCCC1", "C1CCCCCCCC2CCCCCCCCC12", "O=C1CCCCCCCCCCCCCCN1", "C1CCC2(CC1)CCCC2", "C1CC11CC1",
    "C1CCC2(C1)CCC1(C2)CCCC1", "C1CC2CCC1C2", "C1CC2CC1C2", "C1C2CC3CC1CC(C2)C3", "C12C3C4C1C5C2C3C45", "C1CC2CCC1CC2",
    "N[C@@H](C)C(=O)O", "F[C@](Cl)(Br)I", "C[C@H](F)[C@@H](F)C", "C/C=C/C", "CC(C)(C)C", "OCC(O)CO",
    "O[C@H]1[C@H](O)[C@@H](O)[C@H](O)[C@@H](O)[C@@H]1O", "c1ccc2ccccc2c1", "c1cc2ccc3cccc4ccc(c1)c2c34",
    "CCCCCCCCCCCCCCCCCCCC", "C[Si](C)(C)C", "OP(=O)(O)O", "O=S(=O)(O)O", "[B-](F)(F)(F)F", "C[S+](C)C", "CC(=O)Nc1ccc(O)cc1",
]


def sa_from_parts(score1, n_atoms, n_chiral, n_spiro, n_bridge, ring_sizes, n_bits_on):
    """sascorer.calculateScore after its fragment term (same steps, same constants)."""
    size = n_atoms ** 1.005 - n_atoms
    macro = math.log10(2) if any(r > 8 for r in ring_sizes) else 0.0
    s2 = 0.0 - size - math.log10(n_chiral + 1) - math.log10(n_spiro + 1) - math.log10(n_bridge + 1) - macro
    s3 = math.log(float(n_atoms) / n_bits_on) * 0.5 if n_atoms > n_bits_on else 0.0
    x = score1 + s2 + s3
    x = 11.0 - (x - -4.0 + 1) / (2.5 - -4.0) * 9.0
    if x > 8.0:
        x = 8.0 + math.log(x + 1.0 - 9.0)
    return 10.0 if x > 10.0 else (1.0 if x < 1.0 else x)


def write_fpscores(sascorer, path):
    """The whole fragment-score table of fpscores.pkl.gz, little-endian: b"SAFP", u32 version 1, u32 groups, then per
    group (one score shared by its ids, as in the pickle) i32 round(score * 10000) (the scores have 4 decimals), u32
    number of ids, and the ids in increasing order as LEB128 varints of their gaps (the first gap from 0)."""
    import pickle, struct
    groups = pickle.load(gzip.open(os.path.join(os.path.dirname(sascorer.__file__), "fpscores.pkl.gz")))
    out = bytearray(b"SAFP") + struct.pack("<II", 1, len(groups))
    for g in groups:
        assert round(g[0] * 10000) / 10000 == float(g[0])
        ids = sorted(g[1:])
        out += struct.pack("<iI", round(g[0] * 10000), len(ids))
        prev = 0
        for i in ids:
            x = i - prev
            prev = i
            while True:
                b, x = x & 0x7F, x >> 7
                out.append(b | 0x80 if x else b)
                if not x:
                    break
    with open(path, "wb") as f:
        f.write(out)


def sa_fixtures():
    import sys as _s
    from rdkit.Chem import rdFingerprintGenerator, rdMolDescriptors
    _s.path.insert(0, os.path.join(os.path.dirname(Chem.__file__), "..", "Contrib", "SA_Score"))
    import sascorer
    sascorer.readFragmentScores()
    fs = sascorer._fscores
    table = [None] * SA_BITS
    for k, v in fs.items():
        b = k % SA_BITS
        table[b] = v if table[b] is None else max(table[b], v)
    # The old browser substitute (the table folded to 2048 bits, the highest score per bit), kept in the fixture
    # to show how far it was from sascorer.py.
    table = [-4.0 if t is None else t for t in table]
    data = os.path.join(os.path.dirname(__file__), "..", "www", "data", "molecules")
    os.makedirs(data, exist_ok=True)
    sparse = rdFingerprintGenerator.GetMorganGenerator(radius=2)
    folded = rdFingerprintGenerator.GetMorganGenerator(radius=2, fpSize=SA_BITS)
    write_fpscores(sascorer, os.path.join(data, "sa_fpscores.bin"))
    pick = random.Random(21).sample(moses_smiles, 400) + SA_EDGE
    errs = []
    with gzip.open(os.path.join(OUT, "sa.tsv.gz"), "wt") as f:
        f.write("# smiles\tsascorer\tid:count:score,...\tfolded bits\tatoms\tchiral(FindMolChiralCenters)\t"
                "stereocentres(CalcNumAtomStereoCenters)\tspiro\tbridgehead\tring sizes\tsubstitute\t"
                "atoms z:Hs (not counting H atoms of the graph):charge:isotope:inRing;...\tbonds a:b:type;...\n")
        for s in pick:
            m = Chem.MolFromSmiles(s)
            true = sascorer.calculateScore(m)
            nze = sparse.GetSparseCountFingerprint(m).GetNonzeroElements()
            ids = ",".join(f"{k}:{c}:{fs.get(k, -4)!r}" for k, c in sorted(nze.items()))
            bits = list(folded.GetFingerprint(m).GetOnBits())
            n = m.GetNumAtoms()
            chiral = len(Chem.FindMolChiralCenters(m, includeUnassigned=True))
            stereo = rdMolDescriptors.CalcNumAtomStereoCenters(m)
            spiro = rdMolDescriptors.CalcNumSpiroAtoms(m)
            bridge = rdMolDescriptors.CalcNumBridgeheadAtoms(m)
            rings = [len(r) for r in m.GetRingInfo().AtomRings()]
            sub = sa_from_parts(sum(table[b] for b in bits) / len(bits), n, stereo, spiro, bridge, rings, len(bits))
            errs.append(sub - true)
            atoms = ";".join(f"{a.GetAtomicNum()}:{a.GetTotalNumHs(includeNeighbors=False)}:{a.GetFormalCharge()}:"
                             f"{a.GetIsotope()}:{int(a.IsInRing())}" for a in m.GetAtoms())
            bonds = ";".join(f"{b.GetBeginAtomIdx()}:{b.GetEndAtomIdx()}:{int(b.GetBondType())}" for b in m.GetBonds())
            f.write("\t".join([s, repr(true), ids, ",".join(map(str, bits)), str(n), str(chiral), str(stereo), str(spiro),
                               str(bridge), ",".join(map(str, rings)), repr(sub), atoms, bonds]) + "\n")
    mae = sum(abs(e) for e in errs) / len(errs)
    print(json.dumps({"sa_molecules": len(errs), "substitute_mae": mae, "substitute_max_abs": max(abs(e) for e in errs),
                      "substitute_bias": sum(errs) / len(errs)}))
    with open(os.path.join(data, "moses_ref.smi"), "w") as f:
        for s in random.Random(5).sample(moses_smiles, 2000):
            f.write(s + "\n")


if __name__ == "__main__":
    if "--sa-only" not in sys.argv:
        main()
    sa_fixtures()
