// <paper-lab>: a Paperlab lab in any web page with one script tag and one element.
//
//   <script type="module" src="https://<where Paperlab is hosted>/www/embed/paper-lab.js"></script>
//   <paper-lab lab="verify" eps="0.3" height="640"></paper-lab>
//
// `lab` is the lab's id (the registry, www/labs/labs.json); every other attribute except `height` and `title` is
// one of the lab's URL settings, exactly as in a share link (`#/verify?eps=0.3`), so the lab validates it with its
// own settings table and shows the same notes for a bad value. `height` is the frame's height in px (default 640,
// the embed layout's: the main slider and the main plot fit; the rest scrolls inside). Changing an attribute later
// changes the lab's settings.
//
// Design: one iframe of the lab's embed view (`index.html#/<lab>?...&embed=1`) per element. The lab keeps its own
// page — its stylesheet, its router, its worker and engine, its URL state — so nothing of the host page (CSS,
// other scripts, a strict CSP for inline styles) can break it, and nothing of it leaks into the host page; the
// iframe snippet that hosts which strip scripts get is the very same view. The cost is one engine (one wasm
// instance and worker) per element instead of one shared by all; with the usual one to three labs per post that is
// a few MB of memory each, and a lab is only loaded when it is scrolled near the viewport (IntersectionObserver,
// 300 px ahead), so a long post pays for what its reader sees. Mounting labs in place with a shared engine would
// need every lab page to run inside a shadow root of a foreign document, which the lab pages are not written for.
//
// The frame tells the element when the lab is ready (postMessage `{ type: 'paperlab:ready', ... }`, sent by the
// router, www/ui/app.js): the element then carries `data-ready="1"`, `data-status` ("ok" | "error") and
// `data-backend` ("threads" | "simd", the one-thread build a host page without cross-origin isolation gets) and
// fires a `paperlab-ready` event with the same details.

const SITE = new URL('../../', import.meta.url);
const RESERVED = new Set(['lab', 'height', 'title', 'data-ready', 'data-status', 'data-backend', 'data-threads', 'class', 'style', 'id']);
const DEFAULT_HEIGHT = 640;

/** The embed URL of a lab with `settings` (an iterable of `[name, value]`), on the site this script came from. */
export function embedUrl(lab, settings) {
  const q = new URLSearchParams();
  for (const [k, v] of settings) q.set(k, v);
  q.set('embed', '1');
  return new URL(`index.html#/${encodeURIComponent(lab)}?${q}`, SITE).href;
}

class PaperLab extends HTMLElement {
  static get observedAttributes() {
    return ['lab', 'height'];
  }

  connectedCallback() {
    if (!this.style.display) this.style.display = 'block';
    this.style.height = `${this.height}px`;
    if (!this.frame && !this.observer) {
      this.placeholder();
      this.observer = new IntersectionObserver((entries) => {
        if (entries.some((e) => e.isIntersecting)) this.load();
      }, { rootMargin: '300px' });
      this.observer.observe(this);
    }
    this.onMessage ||= (e) => {
      if (!this.frame || e.source !== this.frame.contentWindow || e.data?.type !== 'paperlab:ready') return;
      const d = e.data;
      this.dataset.ready = d.ready ? '1' : '0';
      this.dataset.status = d.status || '';
      this.dataset.backend = d.backend || '';
      this.dataset.threads = String(d.threads ?? '');
      this.dispatchEvent(new CustomEvent('paperlab-ready', { detail: d }));
    };
    window.addEventListener('message', this.onMessage);
    this.attrWatch ||= new MutationObserver(() => this.refresh());
    this.attrWatch.observe(this, { attributes: true });
  }

  disconnectedCallback() {
    window.removeEventListener('message', this.onMessage);
    this.observer?.disconnect();
    this.observer = null;
    this.attrWatch?.disconnect();
  }

  attributeChangedCallback() {
    this.refresh();
  }

  get height() {
    const v = Number(this.getAttribute('height'));
    return Number.isFinite(v) && v >= 200 && v <= 4000 ? Math.round(v) : DEFAULT_HEIGHT;
  }

  get lab() {
    return (this.getAttribute('lab') || '').trim().toLowerCase();
  }

  /** The lab's settings from the attributes. */
  settings() {
    return [...this.attributes].filter((a) => !RESERVED.has(a.name) && !a.name.startsWith('data-') && !a.name.startsWith('aria-'))
      .map((a) => [a.name, a.value]);
  }

  get src() {
    return embedUrl(this.lab, this.settings());
  }

  /** What shows before the lab is loaded: its name, and a link for readers without scripts in frames. */
  placeholder() {
    const box = document.createElement('a');
    box.href = this.src.replace(/[?&]embed=1/, '');
    box.textContent = `Paperlab: the ${this.lab || '?'} lab (loads when scrolled into view) ↗`;
    box.setAttribute('style', 'display:flex;align-items:center;justify-content:center;height:100%;box-sizing:border-box;'
      + 'border:1px solid #8884;border-radius:8px;font:14px system-ui,sans-serif;color:inherit');
    this.replaceChildren(box);
  }

  load() {
    this.observer?.disconnect();
    this.observer = null;
    if (this.frame) return;
    const f = document.createElement('iframe');
    f.src = this.src;
    f.title = this.getAttribute('title') || `Paperlab: the ${this.lab} lab`;
    f.setAttribute('style', 'border:0;width:100%;height:100%;display:block');
    f.setAttribute('allow', 'cross-origin-isolated');
    this.frame = f;
    this.dataset.ready = '0';
    this.replaceChildren(f);
  }

  /** An attribute changed: resize, and hand the new settings to a loaded lab (a hash change, no reload). */
  refresh() {
    this.style.height = `${this.height}px`;
    if (this.frame && this.frame.src !== this.src) this.frame.src = this.src;
  }
}

if (!customElements.get('paper-lab')) customElements.define('paper-lab', PaperLab);
