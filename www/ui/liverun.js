// LiveRun: the one start / step / cancel loop every lab's long work goes through (training, verifying 2,000 digits,
// a genetic algorithm, a benchmark sweep).
//
//   const run = new LiveRun({ root, name: 'run', progress, button, error });
//   run.start({
//     begin: async () => total,              // optional: set up in the engine; returns the units of work (progress)
//     step: async (n) => ({ done, finished, ms? }),   // do about n units; `done` = units finished so far
//     onStep: (r) => draw(r),                // optional: show the partial result
//     finish: (r) => 'five tasks in 9.8 s',  // optional: the progress line when done
//     onCancel: (why) => ...,                // optional: forget a partial result
//   });
//   run.cancel('settings changed');
//
// The step size n adapts to the measured time per unit so that each step takes about `targetMs` (the page stays
// responsive and cancel is quick): `nextStepSize` below, unit-tested with a fake clock. `ms` from the engine call
// (worker-side time) is used when the step returns it, else the wall time of `step` measured with `clock`.
// Status is mirrored into `root.dataset[<name>Status]` (idle | running | done | cancelled | error) for tests, the
// button reads "run" / "cancel", and an error is shown in `error` (where the result would be), never thrown.
// A newer start() or cancel() makes an older loop stop at its next step; its results are ignored.
// DOM-free apart from the elements passed in (all optional), so the loop itself runs under node --test.

/**
 * The next step size: about `targetMs` of work at the measured `ms` for `n` units, growing at most 4x per step
 * (one fast step does not overshoot), clamped to [minN, maxN]. Non-finite or non-positive timings keep growing
 * n by 4x (the step was too small to measure).
 */
export function nextStepSize(n, ms, { targetMs = 60, minN = 1, maxN = 1 << 20 } = {}) {
  let next;
  if (!Number.isFinite(ms) || ms <= 0.05) next = n * 4;
  else next = Math.min(n * 4, Math.round((targetMs * n) / ms));
  return Math.max(minN, Math.min(maxN, Math.max(1, next)));
}

export class LiveRun {
  /**
   * @param {object} o
   * @param {HTMLElement} [o.root]  element whose dataset carries the status (`data-<name>-status`)
   * @param {string} [o.name]       status key, e.g. 'run' -> data-run-status
   * @param {object} [o.progress]   a controls.js progress() bar
   * @param {HTMLButtonElement} [o.button]  toggles start/cancel; its label is set from `labels`
   * @param {HTMLElement} [o.error] where an error message is shown
   * @param {number} [o.targetMs]   wanted time per step (default 60)
   * @param {number} [o.startN]     first step size (default 1)
   * @param {number} [o.minN] @param {number} [o.maxN]
   * @param {() => number} [o.clock]  milliseconds (default performance.now)
   * @param {{run: string, cancel: string}} [o.labels]
   * @param {(status: string) => void} [o.onStatus]
   */
  constructor({ root, name = 'run', progress, button, error, targetMs = 60, startN = 1, minN = 1, maxN = 1 << 20,
    clock, labels, onStatus } = {}) {
    this.root = root;
    this.key = `${name}Status`;
    this.progress = progress;
    this.button = button;
    this.error = error;
    this.opts = { targetMs, minN, maxN };
    this.startN = startN;
    this.clock = clock || (() => performance.now());
    this.labels = { run: 'run', cancel: 'cancel', ...labels };
    this.onStatus = onStatus;
    this.token = null;
    this.job = null;
    this.steps = 0;
    this.setStatus('idle');
  }

  get running() {
    return this.status === 'running';
  }

  setStatus(s) {
    this.status = s;
    if (this.root) this.root.dataset[this.key] = s;
    if (this.button) {
      this.button.textContent = s === 'running' ? this.labels.cancel : this.labels.run;
      this.button.classList?.toggle('busy', s === 'running');
      this.button.setAttribute?.('aria-pressed', String(s === 'running'));
    }
    this.onStatus?.(s);
  }

  /** Starts `job` (see the file header); a run already going is cancelled first. Resolves to the final status. */
  async start(job) {
    if (this.running) this.cancel('restarted');
    const token = {};
    this.token = token;
    this.job = job;
    this.steps = 0;
    const stale = () => this.token !== token;
    if (this.error) this.error.hidden = true;
    this.setStatus('running');
    let last;
    try {
      const total = job.begin ? await job.begin() : job.total;
      if (stale()) return 'cancelled';
      this.progress?.start(Number.isFinite(total) && total > 0 ? total : 1);
      let n = this.startN;
      for (;;) {
        const t0 = this.clock();
        const r = (await job.step(n)) || { finished: true };
        const ms = Number.isFinite(r.ms) ? r.ms : this.clock() - t0;
        if (stale()) return 'cancelled';
        last = r;
        this.steps += 1;
        if (Number.isFinite(r.done)) this.progress?.update(r.done);
        job.onStep?.(r);
        if (r.finished) break;
        n = nextStepSize(n, ms, this.opts);
      }
      this.progress?.done(job.finish?.(last));
      this.setStatus('done');
      return 'done';
    } catch (e) {
      if (stale()) return 'cancelled';
      this.token = null;
      const msg = e && e.message ? e.message : String(e);
      if (this.error) {
        this.error.textContent = `The live run stopped: ${msg}`;
        this.error.hidden = false;
      }
      this.progress?.fail('stopped');
      this.setStatus('error');
      job.onError?.(e);
      return 'error';
    }
  }

  /** Stops a running job at its next step; `why` is shown on the progress line. No-op when nothing runs. */
  cancel(why = 'cancelled') {
    if (!this.running) return;
    this.token = null;
    this.progress?.fail(why);
    this.setStatus('cancelled');
    this.job?.onCancel?.(why);
  }

  /** Start, or cancel the running job: what the run button does. */
  toggle(job) {
    if (this.running) this.cancel('cancelled');
    else this.start(typeof job === 'function' ? job() : job);
  }
}
