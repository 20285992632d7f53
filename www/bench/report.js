// Turns a benchmark result (what bench.js builds and scripts/bench-browser.mjs saves as bench-out/bench.json) into
// tables and the goal checks. No DOM: the page renders the rows as HTML, the script prints them as Markdown.
//
// result = { env, impls: [{ key, label, threads, info }], shapes: [{ id, m, k, n, bt, what, runs: { [implKey]:
//            { gflops: [..], reps } } }], native?: { single: [...], parallel: [...] } }

/** Median, min and max of a list of numbers (null for an empty list). */
export function stats(v) {
  if (!v || v.length === 0) return null;
  const s = [...v].sort((a, b) => a - b);
  const mid = s.length >> 1;
  const median = s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
  return { median, min: s[0], max: s[s.length - 1] };
}

const f1 = (x) => (x >= 100 ? x.toFixed(0) : x.toFixed(1));

/** "12.3 (11.0–13.1)" */
export function fmtStats(st) {
  return st ? `${f1(st.median)} (${f1(st.min)}–${f1(st.max)})` : '–';
}

export function shapeLabel(s) {
  return `${s.m}x${s.k}x${s.n}${s.bt ? ' Bᵀ' : ''}`;
}

function median(shape, key) {
  return stats(shape.runs?.[key]?.gflops)?.median ?? null;
}

/** Ratio columns: [label, numerator impl, denominator impl]. Columns whose impls are absent are dropped. */
const RATIOS = [
  ['ours / XNNPACK, 1 thread', 'ours', 'xnn-1'],
  ['ours / XNNPACK, all threads', 'ours-mtN', 'xnn-N'],
  ['ours / ORT, 1 thread', 'ours', 'ort-1'],
  ['ours / ORT, all threads', 'ours-mtN', 'ort-N'],
  ['ours / peak, 1 thread', 'ours', 'peak-1'],
  ['ours / peak, all threads', 'ours-mtN', 'peak-N'],
  ['relaxed / XNNPACK, 1 thread', 'rlx', 'xnn-1'],
  ['relaxed / relaxed peak, 1 thread', 'rlx', 'peak-rlx'],
  ['relaxed / XNNPACK, all threads', 'rlx-mtN', 'xnn-N'],
  ['scaling ours (all / 1 thread, pkg-parallel)', 'ours-mtN', 'ours-mt1'],
  ['scaling XNNPACK', 'xnn-N', 'xnn-1'],
  ['scaling ORT', 'ort-N', 'ort-1'],
];

/** `{ head, rows }` of GFLOP/s median (min–max), one row per shape, one column per implementation. */
export function speedTable(result) {
  const head = ['M x K x N', 'workload', ...result.impls.map((i) => i.label)];
  const rows = result.shapes.map((s) => [
    shapeLabel(s),
    s.what,
    ...result.impls.map((i) => fmtStats(stats(s.runs?.[i.key]?.gflops))),
  ]);
  return { head, rows };
}

/** `{ head, rows }` of ratios of medians, one row per shape. */
export function ratioTable(result) {
  const have = new Set(result.impls.map((i) => i.key));
  const cols = RATIOS.filter(([, a, b]) => have.has(a) && have.has(b));
  const head = ['M x K x N', ...cols.map(([l]) => l)];
  const rows = result.shapes.map((s) => [
    shapeLabel(s),
    ...cols.map(([, a, b]) => {
      const x = median(s, a);
      const y = median(s, b);
      return x != null && y ? `${(x / y).toFixed(2)}x` : '–';
    }),
  ]);
  return { head, rows };
}

function ratioAt(result, id, a, b) {
  const s = result.shapes.find((x) => x.id === id);
  if (!s) return null;
  const x = median(s, a);
  const y = median(s, b);
  return x != null && y ? x / y : null;
}

/** The median over rounds of a's batch / b's batch in the same round (both ran within about a second of each
 *  other, so slow drift in other programs' load cancels). */
function pairedRatioAt(result, id, a, b) {
  const s = result.shapes.find((x) => x.id === id);
  const x = s?.runs?.[a]?.gflops;
  const y = s?.runs?.[b]?.gflops;
  if (!x || !y || x.length !== y.length) return null;
  return stats(x.map((v, i) => v / y[i])).median;
}

/** The goals of the benchmark issue, each `{ goal, met: true|false|null (not measured), detail }`. */
export function goals(result) {
  const out = [];
  // Judged on the ratio of medians; the median of the per-round ratios is shown too (less sensitive to drift).
  const judge = (goal, ids, a, b, ok) => {
    const parts = ids.map((id) => ({
      where: id.slice(1), v: ratioAt(result, id, a, b), paired: pairedRatioAt(result, id, a, b),
    }));
    const met = parts.every((p) => p.v != null) ? parts.every((p) => ok(p.v)) : null;
    const detail = parts.map((p) => (p.v == null ? `${p.where}: not measured`
      : `${p.where}: ${p.v.toFixed(2)}x (per round ${p.paired.toFixed(2)}x)`)).join(', ');
    out.push({ goal, met, detail });
  };
  judge('ours 1 thread >= 1.2x XNNPACK 1 thread at n=256 and 512', ['n256', 'n512'], 'ours', 'xnn-1',
    (v) => v >= 1.2);
  judge('ours all threads >= 1.2x XNNPACK all threads at n=256 and 512', ['n256', 'n512'], 'ours-mtN', 'xnn-N',
    (v) => v >= 1.2);
  judge('ours 1 thread >= 60% of the measured peak (1 thread) at n=512', ['n512'], 'ours', 'peak-1',
    (v) => v >= 0.6);
  judge('thread scaling >= 1.8x on 2 threads at n=512 (pkg-parallel, all threads / 1 thread)', ['n512'],
    'ours-mtN', 'ours-mt1', (v) => v >= 1.8);
  const nat = result.native?.single;
  if (nat && nat.length) {
    const worst = nat.reduce((w, r) => (r.ratio < w.ratio ? r : w));
    out.push({
      goal: 'natively, ours >= matrixmultiply at every size (1 thread each)',
      met: nat.every((r) => r.ratio >= 1),
      detail: `lowest ${worst.ratio.toFixed(2)}x at ${worst.shape}`,
    });
  } else {
    out.push({ goal: 'natively, ours >= matrixmultiply at every size (1 thread each)', met: null, detail: 'not run' });
  }
  return out;
}

function mdTable({ head, rows }, labels = 1) {
  const esc = (c) => String(c).replace(/\|/g, '\\|');
  return [
    `| ${head.map(esc).join(' | ')} |`,
    `|${head.map((_, i) => (i < labels ? '---' : '--:')).join('|')}|`,
    ...rows.map((r) => `| ${r.map(esc).join(' | ')} |`),
  ].join('\n');
}

/** The whole report as Markdown (what the script prints and writes to bench-out/bench.md). */
export function markdown(result) {
  const e = result.env;
  const lines = [];
  const load = e.loadavg ? ` · 1-min load average during the run ${e.loadavg.min}–${e.loadavg.max}` : '';
  lines.push(`Measured ${e.date} · ${e.cpu || 'CPU unknown'} · ${e.browser} · hardwareConcurrency ${e.hardwareConcurrency}`
    + ` · cross-origin isolated: ${e.crossOriginIsolated ? 'yes' : 'no'}${load} · ${e.seconds} s`);
  lines.push('');
  for (const i of result.impls) lines.push(`- **${i.label}**: ${i.info}`);
  lines.push('');
  lines.push(`GFLOP/s, median (min–max) of ${e.rounds} interleaved batches of ~${e.batchMs} ms after warm-up:`);
  lines.push('');
  lines.push(mdTable(speedTable(result), 2));
  lines.push('');
  lines.push('Ratios of the medians:');
  lines.push('');
  lines.push(mdTable(ratioTable(result)));
  if (result.native) {
    for (const [name, rows] of [['1 thread', result.native.single], ['ours on all threads', result.native.parallel]]) {
      if (!rows?.length) continue;
      lines.push('');
      lines.push(`Native (${name}; matrixmultiply on 1 thread), GFLOP/s median (min–max):`);
      lines.push('');
      lines.push(mdTable({
        head: ['M x K x N', 'ours', 'matrixmultiply', 'ours / mm'],
        rows: rows.map((r) => [r.shape, r.ours, r.theirs, `${r.ratio.toFixed(2)}x`]),
      }));
    }
  }
  lines.push('');
  lines.push('Goals:');
  lines.push('');
  for (const g of goals(result)) {
    lines.push(`- ${g.met == null ? 'not measured' : g.met ? 'MET' : 'MISSED'}: ${g.goal} (${g.detail})`);
  }
  return lines.join('\n');
}
