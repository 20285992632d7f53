// The molecules lab's chemistry worker: RDKit MinimalLib (npm @rdkit/rdkit, vendored) answers what the GA asks for.
// A classic worker because MinimalLib is a classic script. Messages: { id, cmd, args } in, { id, value | error } out.
//   init(wasmBytes)            -> RDKit's version; MinimalLib starts from these bytes of RDKit_minimal.wasm (the
//                                 page fetches them with a progress bar on first use); every other command waits
//                                 for it
//   version()                  -> RDKit's version
//   evaluate([smiles])         -> [RdkitMol | null] (the fields of src/labs/molecules/ga.rs RdkitMol)
//   canonical(smiles)          -> canonical SMILES, or an error saying RDKit cannot read it
//   svg([smiles], w, h)        -> [svg text]
//   timing()                   -> milliseconds spent in MinimalLib per kind of call so far, and the counts
// No GA math here: SA, fitness and everything else is computed in Rust from these numbers.
/* global initRDKitModule */
importScripts('../../vendor/RDKit_minimal.js');

let started;
const ready = new Promise((resolve) => { started = resolve; });

// Descriptors shown to the discriminator D: MinimalLib's get_descriptors() entries (the reference code used 51
// RDKit descriptors; MinimalLib offers a different set), plus ring counts by size (3..8 and larger).
const DESC = ['NumRotatableBonds', 'NumHBD', 'NumHBA', 'NumHeavyAtoms', 'NumHeteroatoms', 'NumAmideBonds', 'FractionCSP3',
  'NumRings', 'NumAromaticRings', 'NumAliphaticRings', 'NumSaturatedRings', 'NumHeterocycles', 'NumAromaticHeterocycles',
  'NumSaturatedHeterocycles', 'NumAliphaticHeterocycles', 'NumSpiroAtoms', 'NumBridgeheadAtoms', 'NumAtomStereoCenters',
  'labuteASA', 'tpsa', 'CrippenClogP', 'CrippenMR', 'chi0v', 'chi1v', 'chi2v', 'chi3v', 'chi4v', 'hallKierAlpha',
  'kappa1', 'kappa2', 'kappa3', 'Phi', 'amw'];
const FP = JSON.stringify({ radius: 2, nBits: 2048 });

// A molecule MinimalLib throws on (a C++ exception surfaces as a WebAssembly.Exception, e.g. in a descriptor) counts
// as unreadable: the GA then draws another mutation.
// Milliseconds spent per MinimalLib call over the worker's life (the `timing` command; scripts/molecules-time.mjs).
const spent = { parse: 0, descriptors: 0, json: 0, morgan: 0, smiles: 0, svg: 0, molecules: 0, drawings: 0 };
const clock = () => performance.now();

function evaluateOne(R, smiles) {
  let mol = null;
  try {
    let t = clock();
    mol = R.get_mol(smiles);
    spent.parse += clock() - t;
    spent.molecules += 1;
    if (!mol || !mol.is_valid()) return null;
    t = clock();
    const d = JSON.parse(mol.get_descriptors());
    spent.descriptors += clock() - t;
    t = clock();
    const j = JSON.parse(mol.get_json());
    spent.json += clock() - t;
    const ext = (j.molecules?.[0]?.extensions || []).find((e) => e.name === 'rdkitRepresentation') || {};
    const rings = (ext.atomRings || []).map((r) => r.length);
    // The molecular graph SA's Morgan ids are hashed from (in Rust, src/labs/molecules/sa.rs).
    const m0 = j.molecules[0];
    const da = { z: 6, impHs: 0, chg: 0, isotope: 0, ...(j.defaults?.atom || {}) };
    const db = { bo: 1, ...(j.defaults?.bond || {}) };
    const inRing = new Set((ext.atomRings || []).flat());
    const aromatic = new Set(ext.aromaticBonds || []);
    const graphAtoms = [];
    (m0.atoms || []).forEach((a, i) => {
      graphAtoms.push(a.z ?? da.z, a.impHs ?? da.impHs, a.chg ?? da.chg, a.isotope ?? da.isotope, inRing.has(i) ? 1 : 0);
    });
    const graphBonds = [];
    (m0.bonds || []).forEach((b, i) => graphBonds.push(b.atoms[0], b.atoms[1], aromatic.has(i) ? 12 : (b.bo ?? db.bo)));
    t = clock();
    const fp = mol.get_morgan_fp_as_uint8array(FP);
    spent.morgan += clock() - t;
    const bits = [];
    for (let i = 0; i < fp.length; i++) for (let b = 0; b < 8; b++) if ((fp[i] >> b) & 1) bits.push(i * 8 + b);
    const bySize = [3, 4, 5, 6, 7, 8, 9].map((s) => rings.filter((r) => (s === 9 ? r >= 9 : r === s)).length);
    const num = (x) => (Number.isFinite(x) ? x : 0);
    t = clock();
    const canonical = mol.get_smiles();
    spent.smiles += clock() - t;
    return {
      canonical,
      logp: num(d.CrippenClogP),
      stereo_centers: d.NumAtomStereoCenters | 0,
      spiro: d.NumSpiroAtoms | 0,
      bridgeheads: d.NumBridgeheadAtoms | 0,
      ring_sizes: rings,
      graph_atoms: graphAtoms,
      graph_bonds: graphBonds,
      morgan_bits: bits,
      descriptors: [...DESC.map((k) => num(d[k])), ...bySize],
    };
  } catch {
    return null;
  } finally {
    mol?.delete();
  }
}

self.onmessage = async (ev) => {
  const { id, cmd, args = [] } = ev.data;
  try {
    if (cmd === 'init') {
      // MinimalLib's build reads no `wasmBinary`; its `instantiateWasm` hook instantiates the page's bytes.
      const bytes = args[0];
      started(initRDKitModule({
        instantiateWasm: (imports, receive) => {
          WebAssembly.instantiate(bytes, imports).then((r) => receive(r.instance));
          return {};
        },
      }));
    }
    const R = await ready;
    let value;
    if (cmd === 'version' || cmd === 'init') value = R.version();
    else if (cmd === 'evaluate') value = args[0].map((s) => evaluateOne(R, s));
    else if (cmd === 'canonical') {
      const s = String(args[0] ?? '').trim();
      const mol = s ? R.get_mol(s) : null;
      if (!mol || !mol.is_valid()) {
        mol?.delete();
        throw new Error(`RDKit cannot read the SMILES '${s}' (check brackets, ring digits and valences, e.g. CCO or c1ccccc1)`);
      }
      value = mol.get_smiles();
      mol.delete();
    } else if (cmd === 'svg') {
      const t = clock();
      value = args[0].map((s) => {
        const mol = R.get_mol(s);
        if (!mol) return '';
        const svg = mol.get_svg(args[1] || 200, args[2] || 150);
        mol.delete();
        return svg;
      });
      spent.svg += clock() - t;
      spent.drawings += args[0].length;
    } else if (cmd === 'timing') {
      value = { ...spent };
    } else throw new Error(`unknown command ${cmd}`);
    self.postMessage({ id, value });
  } catch (e) {
    self.postMessage({ id, error: e && e.message ? e.message : `RDKit failed (${String(e)})` });
  }
};
