// A play / pause button that steps an integer setting (a frame) every `ms` until the last frame, as a page's
// sequence players do. The page owns the setting: `get()` reads it, `set(f)` writes it (through the page's state,
// so the URL and the views follow), `frames()` is the number of frames there are now.
//
//   this.player = new FramePlayer({ get: () => this.values.frame, set: (f) => this.set({ frame: f }), frames: () => n });
//   this.disposers.push(() => this.player.stop());   // place this.player.button in the page

import { h } from './controls.js';

export class FramePlayer {
  constructor({ get, set, frames, ms = 150, testid = 'play' }) {
    Object.assign(this, { get, set, frames, ms });
    this.timer = null;
    this.button = h('button', { type: 'button', class: 'small', 'data-testid': testid, 'aria-pressed': 'false' }, 'play');
    this.button.addEventListener('click', () => this.toggle());
  }

  get playing() {
    return this.timer != null;
  }

  toggle() {
    if (this.playing) {
      this.stop();
      return;
    }
    // At the end already: start again from the first frame.
    if (this.get() >= this.frames() - 1) this.set(0);
    this.timer = setInterval(() => {
      if (this.get() >= this.frames() - 1) this.stop();
      else this.set(this.get() + 1);
    }, this.ms);
    this.button.textContent = 'pause';
    this.button.setAttribute('aria-pressed', 'true');
  }

  stop() {
    clearInterval(this.timer);
    this.timer = null;
    this.button.textContent = 'play';
    this.button.setAttribute('aria-pressed', 'false');
  }
}
