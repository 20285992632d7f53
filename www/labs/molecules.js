// The molecules lab: a genetic algorithm over SELFIES strings with a neural discriminator (GA+D), Nigam et al.,
// ICLR 2020. The GA, SELFIES, the discriminator, SA and the fitness run in Rust (src/labs/molecules/ via the
// engine's MoleculesLab); the chemistry (validity, canonical SMILES, Crippen logP, rings, descriptors, Morgan bits,
// drawings) comes from RDKit MinimalLib in its own worker (www/labs/molecules/chem-worker.js). This page only moves
// numbers between the two and draws them.
//
// First view (issue: ≤ 3 MB on the wire): the precomputed runs (www/data/molecules/precomputed.json) and our engine;
// MinimalLib (2.3 MB compressed) starts on first use — a run, a new start SMILES, or its button — with a progress
// bar while its wasm downloads.
//
// Test hooks: body[data-ready="1"]; #lab[data-run-status]; [data-testid=gen-readout] "generation g: best J …";
// [data-testid=start-error] for a bad SMILES; [data-testid=gallery] the best molecules (SVG);
// #lab[data-chem-status] idle | loading | done | error, MinimalLib ([data-testid=chem-load] starts it).

import { h, progress } from '../ui/controls.js';
import { LabPage, mountLab, panel, downloadText, csvText, fetchJson } from '../ui/labpage.js';
import { LiveRun } from '../ui/liverun.js';
import { CurvePlot } from '../ui/plots.js';
import { Lazy } from '../ui/lazy.js';
import { shippedNotice, settingName } from './molecules-findings.js';

const DATA = new URL('../data/molecules/', import.meta.url);
const CSS_URL = new URL('./molecules.css', import.meta.url);
const CHEM_URL = new URL('./molecules/chem-worker.js', import.meta.url);
const RDKIT_WASM = new URL('../vendor/RDKit_minimal.wasm', import.meta.url);
// The precomputed settings, their colours, and which of them the small plots (logP, distances) draw too.
const PRE = [['beta=0', 'clean'], ['beta=1', 'crownibp'], ['beta=10', 'good'], ['beta=100', 'pgd'], ['beta=1000', 'accent'], ['adaptive', 'bad']];

/** A promise-based wrapper around the chemistry worker. */
class Chem {
  constructor() {
    this.worker = new Worker(CHEM_URL);
    this.next = 1;
    this.pending = new Map();
    this.worker.onmessage = (ev) => {
      const p = this.pending.get(ev.data.id);
      if (!p) return;
      this.pending.delete(ev.data.id);
      if (ev.data.error) p.reject(new Error(ev.data.error));
      else p.resolve(ev.data.value);
    };
    this.worker.onerror = (ev) => {
      for (const p of this.pending.values()) p.reject(new Error(`the chemistry worker failed: ${ev.message}`));
      this.pending.clear();
    };
  }

  call(cmd, ...args) {
    const id = this.next++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.worker.postMessage({ id, cmd, args });
    });
  }

  close() {
    this.worker.terminate();
  }
}

/** Molecules per chemistry worker below which one worker answers alone (a second one only costs a message). */
const SPLIT_MIN = 8;

/**
 * `evaluate` on up to two chemistry workers at once (two MinimalLib instances, as the Python reference uses two
 * processes): the list is cut in two contiguous halves and the answers are concatenated, so the result is the same
 * as one worker's.
 */
async function evaluateOn(chems, smiles) {
  if (chems.length < 2 || smiles.length < 2 * SPLIT_MIN) return chems[0].call('evaluate', smiles);
  const half = Math.ceil(smiles.length / 2);
  const [a, b] = await Promise.all([chems[0].call('evaluate', smiles.slice(0, half)), chems[1].call('evaluate', smiles.slice(half))]);
  return a.concat(b);
}

const f3 = (x) => (Number.isFinite(x) ? x.toFixed(2) : '—');

class MoleculesLab extends LabPage {
  get css() {
    return CSS_URL.href;
  }

  spec() {
    return [
      { name: 'beta', type: 'number', min: 0, max: 1000, step: 0.5, default: 1, label: 'β (weight of the discriminator D)', hint: 'F = J + β·D; adaptive β uses 1000; arrow keys step 0.5, shift+arrows 5' },
      { name: 'adaptive', type: 'bool', default: false, label: 'adaptive β (1000 when the best J stalls 5 generations)' },
      { name: 'after', type: 'int', min: 1, max: 1000, default: 10, label: 'adaptive β from generation', hint: 'the paper\'s code: 100' },
      { name: 'population', type: 'int', min: 10, max: 500, default: 100, label: 'Population size N', hint: 'the paper: 500' },
      { name: 'generations', type: 'int', min: 1, max: 1000, default: 40, label: 'Generations' },
      { name: 'reference', type: 'int', min: 20, max: 2000, default: 300, label: 'Reference molecules D learns', hint: 'MOSES (ZINC-derived); the paper: ZINC' },
      { name: 'seed', type: 'int', min: 0, max: 999999, default: 1, label: 'Seed', random: true },
      { name: 'start', type: 'text', default: 'C', maxLength: 200, label: 'Start from SMILES', hint: 'the paper starts from methane, C' },
      { name: 'embed', type: 'bool', default: false, share: false, hidden: true },
    ];
  }

  build() {
    this.history = [];
    this.runBtn = h('button', { type: 'button', class: 'run', 'data-testid': 'run' });
    this.pauseBtn = h('button', { type: 'button', class: 'pause', 'data-testid': 'pause', disabled: true }, 'pause');
    this.runError = h('div', { class: 'error', hidden: true, 'data-testid': 'run-error' });
    this.startError = h('div', { class: 'error', hidden: true, 'data-testid': 'start-error' });
    this.bar = progress({ unit: 'generations' });
    this.run = this.liveRun(new LiveRun({
      root: this.root, progress: this.bar, button: this.runBtn, error: this.runError,
      labels: { run: 'run the GA', cancel: 'cancel' }, startN: 1, maxN: 2, targetMs: 100,
      onStatus: (s) => { this.pauseBtn.disabled = s !== 'running'; },
    }));
    this.runBtn.addEventListener('click', () => { this.resume = false; this.run.toggle(() => this.job()); });
    this.pauseBtn.addEventListener('click', () => {
      if (this.run.status === 'running') {
        this.paused = true;
        this.run.cancel('paused');
        this.pauseBtn.textContent = 'resume';
        this.pauseBtn.disabled = false;
      } else if (this.paused) {
        this.paused = false;
        this.pauseBtn.textContent = 'pause';
        this.resume = true;
        this.run.start(this.job());
      }
    });
    this.readout = h('p', { class: 'readout', 'data-testid': 'gen-readout', 'aria-live': 'polite' }, 'Not run yet. Dashed ("pre"): precomputed runs, the mean over their seeds — mean J here, mean logP and the distance to the reference set below.');
    this.boxes = {
      fit: h('div', { class: 'plot', 'aria-label': 'fitness per generation' }),
      logp: h('div', { class: 'plot small', 'aria-label': 'logP per generation' }),
      sa: h('div', { class: 'plot small', 'aria-label': 'SA and ring penalty per generation' }),
      div: h('div', { class: 'plot small', 'aria-label': 'diversity per generation' }),
    };
    this.gallery = h('div', { class: 'mol-gallery', 'data-testid': 'gallery' });
    this.engineLine = h('p', { class: 'hint', 'data-testid': 'chem' });
    this.chemLib = new Lazy({
      root: this.root, name: 'chem', what: 'RDKit MinimalLib and its SA fragment table', button: 'load RDKit now',
      why: 'The GA reads every molecule with RDKit MinimalLib (2.3 MB) and scores SA with RDKit\'s fragment table (1.9 MB); they load on the first run.',
      files: [RDKIT_WASM.href, new URL('sa_fpscores.bin', DATA).href], use: ([wasm, table]) => this.startChem(wasm, table),
    });
    return {
      left: [h('div', { class: 'control run-box' }, this.runBtn, this.pauseBtn, this.bar.el, this.runError, this.startError),
        this.engineLine, this.chemLib.el],
      main: [
        panel('Penalised logP J (standardised with ZINC statistics) per generation', this.boxes.fit, this.readout),
        h('div', { class: 'mol-row' },
          panel('logP (Crippen)', this.boxes.logp),
          panel('SA and ring penalty', this.boxes.sa),
          panel('Diversity (mean Tanimoto distance, Morgan r=2)', this.boxes.div)),
        panel('Best molecules of the last generation', this.gallery),
      ],
    };
  }

  async loadShipped() {
    try {
      return await fetchJson(new URL('precomputed.json', DATA), 'the precomputed runs (www/data/molecules/precomputed.json)');
    } catch {
      return null;
    }
  }

  async openEngine(engine) {
    this.lab = engine.lab('molecules', 'MoleculesLab', [new URL('moses_ref.smi', DATA).href]);
    await this.lab.open();
  }

  async firstLive() {
    this.drawPrecomputedGallery();
  }

  /** Starts the chemistry worker on MinimalLib's wasm bytes and gives the engine the SA table (`Lazy` fetched both). */
  async startChem(wasm, table) {
    await this.lab.call('load_sa_table', [table]);
    // Two chemistry workers where there are two cores (the engine worker idles while they work).
    const workers = Math.min(2, Math.max(1, navigator.hardwareConcurrency || 1));
    this.chems = Array.from({ length: workers }, () => new Chem());
    this.chem = this.chems[0];
    for (const c of this.chems) this.disposers.push(() => c.close());
    const [version] = await Promise.all(this.chems.map((c) => c.call('init', wasm)));
    this.engineLine.textContent = `Chemistry: RDKit MinimalLib ${version} (validity, logP, rings, fingerprints, drawings). SA: Ertl & Schuffenhauer (sascorer.py) with RDKit's Morgan ids hashed from MinimalLib's molecular graph.`;
  }

  /** Before any run: the last generation's best molecule of each precomputed setting's seed 1, as SMILES. */
  drawPrecomputedGallery() {
    const sets = this.shipped?.settings || [];
    if (!sets.length || this.history.length) return;
    this.gallery.replaceChildren(...sets.map((s) => h('figure', { class: 'mol' },
      h('figcaption', {}, h('b', {}, `precomputed ${settingName(s.label)}`), ` (seed ${s.seeds[0].seed}) · mean logP ${f3(s.seeds[0].mean_logp)}`,
        h('br'), h('code', {}, s.seeds[0].best)))));
  }

  /** Canonicalises the start SMILES with RDKit (loading it first) and encodes it as SELFIES; shows what is wrong
   *  otherwise. */
  async checkStart() {
    const s = this.values.start;
    try {
      await this.chemLib.load();
      const canon = await this.chem.call('canonical', s);
      const { value: sf } = await this.lab.call('encode', [canon]);
      this.startError.hidden = true;
      this.startInfo = { canon, selfies: sf };
      if (!this.history.length) {
        const [svg] = await this.chem.call('svg', [canon], 180, 130);
        this.gallery.replaceChildren(h('figure', { class: 'mol' }, h('div', { class: 'svg', html: svg }),
          h('figcaption', {}, `start: ${canon}`, h('br'), h('code', {}, sf))));
      }
      return canon;
    } catch (e) {
      this.startInfo = null;
      this.startError.textContent = `Cannot start from '${s}': ${e.message}`;
      this.startError.hidden = false;
      return null;
    }
  }

  /** The plots' last generation: the run's, or the precomputed runs' if they are longer. */
  xMax() {
    return Math.max(2, this.values.generations, this.shipped?.generations || 0);
  }

  makePlots() {
    const x = [1, this.xMax()];
    // uPlot needs a finite, non-empty y range (a flat series, e.g. a ring penalty of 0 throughout, has none).
    const yRange = (min, max) => {
      if (!Number.isFinite(min) || !Number.isFinite(max)) return [0, 1];
      if (max - min < 1e-9) return [min - 0.5, max + 0.5];
      const pad = 0.05 * (max - min);
      return [min - pad, max + pad];
    };
    const mk = (el, yLabel, series) => new CurvePlot(el, { xLabel: 'generation', yLabel, xRange: x, yRange, series });
    // Short legend labels (they wrap at 375 px): "pre β=100"; the readout says what the dashed curves are.
    const pre = (labels) => PRE.filter(([l]) => labels.includes(l)).map(([l, color]) => (
      { key: `p-${l}`, label: `pre ${settingName(l).replace(' = ', '=')}`, color, dash: [4, 4], points: false }));
    const shippedLabels = (this.shipped?.settings || []).map((s) => s.label);
    this.preFit = PRE.map(([l]) => l).filter((l) => shippedLabels.includes(l));
    // The small plots: β = 0 and the largest fixed β shipped.
    const fixed = this.preFit.filter((l) => l.startsWith('beta='));
    this.preSmall = fixed.length > 1 ? [fixed[0], fixed[fixed.length - 1]] : fixed;
    this.plots = {
      fit: mk(this.boxes.fit, 'J', [
        { key: 'best', label: 'best J', color: 'ibp', width: 2 },
        { key: 'mean', label: 'mean J', color: 'crown', width: 2 },
        ...pre(this.preFit),
      ]),
      logp: mk(this.boxes.logp, 'logP', [
        { key: 'best', label: 'best', color: 'ibp', width: 2 }, { key: 'mean', label: 'mean', color: 'crown', width: 2 },
        ...pre(this.preSmall)]),
      sa: mk(this.boxes.sa, 'score', [
        { key: 'sa', label: 'mean SA', color: 'crownibp', width: 2 }, { key: 'min', label: 'min SA', color: 'good' },
        { key: 'rp', label: 'mean ring penalty', color: 'bad' }]),
      div: mk(this.boxes.div, 'distance', [
        { key: 'div', label: 'population diversity', color: 'ibp', width: 2 },
        { key: 'ref', label: 'to nearest reference molecule', color: 'crown', width: 2 },
        ...pre(this.preSmall)]),
    };
  }

  changed(prev) {
    if (!this.plots) this.makePlots();
    const v = this.values;
    const runKeys = ['beta', 'adaptive', 'after', 'population', 'generations', 'reference', 'seed', 'start'];
    if (prev && runKeys.some((k) => prev[k] !== v[k])) {
      if (this.run.status === 'running') this.run.cancel('settings changed');
      this.paused = false;
      this.pauseBtn.textContent = 'pause';
    }
    for (const p of Object.values(this.plots)) p.opts.xRange = [1, this.xMax()];
    if (prev && prev.start !== v.start && this.lab) this.checkStart();
    this.draw();
  }

  /** Seed-mean precomputed curves of `key` for `labels`, padded with nulls to n generations. */
  precomputedSeries(n, labels, key) {
    const sets = this.shipped?.settings || [];
    return labels.map((label) => {
      const c = sets.find((x) => x.label === label)?.curves?.[key] || [];
      return Array.from({ length: n }, (_, i) => c[i] ?? null);
    });
  }

  draw() {
    const hs = this.history;
    const n = Math.max(hs.length, this.shipped?.generations || 0, 1);
    const xs = Array.from({ length: n }, (_, i) => i + 1);
    const col = (f) => xs.map((_, i) => (hs[i] ? f(hs[i]) : null));
    const fin = (x) => (Number.isFinite(x) ? x : null);
    this.plots.fit.update(xs, [col((s) => s.best_j), col((s) => s.mean_j), ...this.precomputedSeries(n, this.preFit, 'mean_j')]);
    this.plots.logp.update(xs, [col((s) => s.best_logp), col((s) => s.mean_logp), ...this.precomputedSeries(n, this.preSmall, 'mean_logp')]);
    this.plots.sa.update(xs, [col((s) => s.mean_sa), col((s) => s.min_sa), col((s) => s.mean_ring_penalty)]);
    this.plots.div.update(xs, [col((s) => fin(s.diversity)), col((s) => fin(s.ref_distance)),
      ...this.precomputedSeries(n, this.preSmall, 'ref_distance')]);
  }

  async drawGallery(stats) {
    const top = stats.top.slice(0, 6);
    let svgs = [];
    try {
      // Drawings are kept by SMILES: the best molecules change slowly from one generation to the next.
      this.svgCache ??= new Map();
      const missing = [...new Set(top.map((m) => m.smiles).filter((x) => !this.svgCache.has(x)))];
      if (missing.length) {
        const drawn = await this.chem.call('svg', missing, 180, 130);
        missing.forEach((x, i) => this.svgCache.set(x, drawn[i]));
        if (this.svgCache.size > 500) this.svgCache = new Map([...this.svgCache].slice(-200));
      }
      svgs = top.map((m) => this.svgCache.get(m.smiles) ?? '');
    } catch {
      svgs = top.map(() => '');
    }
    this.gallery.replaceChildren(...top.map((m, i) => h('figure', { class: 'mol' },
      h('div', { class: 'svg', html: svgs[i] }),
      h('figcaption', {}, h('b', {}, `J ${f3(m.j)}`), ` · logP ${f3(m.logp)} · SA ${f3(m.sa)} · ring ${m.ring_penalty} · D ${f3(m.d)}`,
        h('br'), h('code', { title: m.selfies }, m.smiles)))));
  }

  /**
   * MinimalLib's answers for `smiles`, kept by SMILES for the page's life: an answer depends on the SMILES alone, so
   * a later run (another β or seed; the reference set every time) asks the workers only for molecules not seen yet.
   */
  async evaluate(smiles) {
    this.answers ??= new Map();
    const missing = [...new Set(smiles.filter((s) => !this.answers.has(s)))];
    if (missing.length) {
      const got = await evaluateOn(this.chems, missing);
      if (this.answers.size + missing.length > 100000) this.answers.clear();
      missing.forEach((s, i) => this.answers.set(s, got[i]));
    }
    return smiles.map((s) => this.answers.get(s));
  }

  job() {
    const v = this.values;
    const settings = {
      population: v.population, generations: v.generations, beta: v.beta, adaptive: v.adaptive,
      adaptive_after: v.after, seed: v.seed,
    };
    let t0 = 0;
    let evaluated = 0;
    // Wall milliseconds per kind of call during the run (scripts/molecules-time.mjs reads them); `engine` sums the
    // engine worker's own time of its calls (the rest of `advance` is messaging).
    const timing = { advance: 0, evaluate: 0, engine: 0, draw: 0, gallery: 0, calls: 0 };
    const timed = async (key, p) => {
      const t = performance.now();
      try {
        const r = await p;
        if (key !== 'evaluate' && Number.isFinite(r?.ms)) timing.engine += r.ms;
        return r;
      } finally {
        timing[key] += performance.now() - t;
        timing.calls += 1;
      }
    };
    if (!this.resume) this.timing = timing;
    return {
      begin: async () => {
        if (this.resume) return v.generations;
        const canon = await this.checkStart();
        if (!canon) throw new Error('fix the start SMILES first (see the message above)');
        this.history = [];
        this.draw();
        await this.lab.call('start', [{ ...settings, start: [canon] }, v.reference]);
        t0 = performance.now();
        return v.generations;
      },
      step: async (n) => {
        let made = 0;
        let finished = false;
        const w0 = performance.now();
        // One engine call per chemistry batch: advance stores the answers and steps on to the next batch.
        let need = [];
        let answers = [];
        while (made < n) {
          const { value: r } = await timed('advance', this.lab.call('advance', [need, answers]));
          if (r.generation) {
            this.history.push(r.generation);
            made += 1;
          }
          if (r.finished) {
            finished = true;
            break;
          }
          need = r.needs;
          answers = need.length ? await timed('evaluate', this.evaluate(need)) : [];
          evaluated += need.length;
        }
        // A batch evaluated but not yet handed over (the step ended with a generation) is handed over now.
        if (need.length && !finished) await timed('advance', this.lab.call('provide', [need, answers]));
        this.rate = evaluated / ((performance.now() - (t0 || w0)) / 1000);
        return { done: this.history.length, finished, ms: performance.now() - w0 };
      },
      onStep: (r) => {
        const s = this.history[this.history.length - 1];
        if (!s) return;
        this.readout.textContent = `generation ${s.generation}: best J ${s.best_j.toFixed(3)}, mean J ${s.mean_j.toFixed(3)}, `
          + `β ${s.beta}, ${s.unique_seen.toLocaleString('en-US')} distinct molecules, ${Math.round(this.rate || 0)} molecules/s`;
        const t = performance.now();
        this.draw();
        this.refreshNotice();
        timing.draw += performance.now() - t;
        // The drawings of the best molecules at most every 0.7 s during a run (RDKit draws in the chemistry worker,
        // between the GA's batches), and always for the last generation.
        if (r.finished || !(t - this.galleryAt < 700)) {
          this.galleryAt = t;
          timed('gallery', this.drawGallery(s));
        }
        return r;
      },
      finish: () => `${this.history.length} generations, ${Math.round(this.rate || 0)} molecules evaluated per second`,
    };
  }

  notice() {
    const hs = this.history;
    const out = [];
    if (!hs.length) {
      out.push(...shippedNotice(this.shipped));
      out.push('Run the GA: it starts from the SMILES on the left and mutates SELFIES strings, so every offspring is a valid molecule.');
      return out;
    }
    const last = hs[hs.length - 1];
    const first = hs[0];
    out.push(`Best J went from ${first.best_j.toFixed(2)} to ${last.best_j.toFixed(2)} in ${hs.length} generations `
      + `(logP ${last.best_logp.toFixed(2)} at best, mean SA ${last.mean_sa.toFixed(2)}).`);
    if (Number.isFinite(last.diversity)) {
      out.push(`The population's mean Tanimoto distance is ${last.diversity.toFixed(2)}`
        + (last.diversity < 0.5 ? ': it has collapsed onto a few similar molecules.' : ': it is still spread out.'));
    }
    const boosts = hs.filter((s) => s.beta >= 1000).length;
    if (this.values.adaptive) out.push(boosts ? `Adaptive β switched to 1000 in ${boosts} generation(s).` : 'Adaptive β has not switched on (the best J has not stalled for 5 generations after the start generation).');
    // The precomputed runs' main finding stays in view (the dashed curves): the largest β against β = 0 on mean J.
    const pre = shippedNotice(this.shipped)[1];
    if (pre) out.push(`In the precomputed runs: ${pre[0].toLowerCase()}${pre.slice(1)}`);
    return out;
  }

  fidelity() {
    return [
      ['population N', '500', String(this.values?.population ?? 100), 'smaller: seconds per run'],
      ['generations', '100 (adaptive: 1000)', String(this.values?.generations ?? 40), 'fewer'],
      ['SELFIES', 'selfies', 'Rust; = selfies 2.2.0 on 8,264 cases', '—'],
      ['SA score', 'sascorer.py', 'same; Morgan ids hashed in Rust', 'equal on 473 molecules'],
      ['D inputs', '51 descriptors', '40, standardised', 'MinimalLib\'s set'],
      ['reference', 'ZINC', `${this.values?.reference ?? 300} MOSES`, 'shipped subset'],
    ];
  }

  exports() {
    return [['CSV of the run', () => downloadText(`paperlab-molecules-beta${this.values.beta}-seed${this.values.seed}.csv`,
      csvText([['generation', 'beta', 'best_j', 'mean_j', 'best_logp', 'mean_logp', 'min_sa', 'mean_sa', 'mean_ring_penalty', 'mean_d', 'diversity', 'best_smiles'],
        ...this.history.map((s) => [s.generation, s.beta, s.best_j, s.mean_j, s.best_logp, s.mean_logp, s.min_sa, s.mean_sa,
          s.mean_ring_penalty, s.mean_d, s.diversity, s.top[0]?.smiles])]))]];
  }
}

export const mount = mountLab(MoleculesLab);
