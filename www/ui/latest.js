// "Latest settings only" for a view that asks the engine for something: a call while one is in flight does not
// start a second one, it marks the view to run once more when the first ends (with the settings of then), so a
// dragged slider never queues a backlog and the view always ends on the current settings.
//
//   this.drawStrip = latest(async () => { ... await this.lab.call(...) ... });
//   this.drawStrip();   // from changed(); returns a promise that ends when the view is up to date

/** Wraps the async `f` so that calls during a run coalesce into one more run after it. */
export function latest(f) {
  let state = null; // null | 'busy' | 'again'
  let tail = null;
  const run = async () => {
    state = 'busy';
    try {
      await f();
    } finally {
      const again = state === 'again';
      state = null;
      if (again) await run();
    }
  };
  return () => {
    if (state) {
      state = 'again';
      return tail;
    }
    tail = run();
    return tail;
  };
}
