// The shipped files' SHA-256 (www/checksums.json, written by scripts/checksums.mjs), checked where the bytes
// arrive: in the engine's worker (www/engine/worker.js) and by pages that fetch bytes themselves (roll). Works in a
// window and in a worker.

// The site's root (this module is www/engine/checksums.js) and its list of shipped files' SHA-256.
const SITE = new URL('../../', import.meta.url);
let sums = null;

/** The checksum list, fetched once; an empty list if the site has none (then nothing is checked). */
function checksumList() {
  sums ??= fetch(new URL('www/checksums.json', SITE)).then((r) => (r.ok ? r.json() : { files: {} }))
    .then((j) => j.files || {}, () => ({}));
  return sums;
}

/** Throws, naming the file, when a shipped file's bytes (`Uint8Array`) do not have the SHA-256 www/checksums.json
 *  lists for `url`; files not in the list (and other origins) pass. */
export async function checkSha256(url, bytes) {
  const abs = new URL(url, globalThis.location.href);
  if (abs.origin !== SITE.origin || !abs.pathname.startsWith(SITE.pathname)) return;
  const rel = decodeURIComponent(abs.pathname.slice(SITE.pathname.length));
  const want = (await checksumList())[rel];
  if (!want) return;
  const got = [...new Uint8Array(await crypto.subtle.digest('SHA-256', bytes))].map((b) => b.toString(16).padStart(2, '0')).join('');
  if (got !== want) {
    throw new Error(`${rel} is damaged or out of date: its ${bytes.length.toLocaleString('en-US')} bytes do not have the SHA-256 that www/checksums.json lists. Reload the page; if it persists, the site's copy of the file is broken.`);
  }
}

/** `fetch` + `checkSha256`: the bytes of a shipped file, or an error that names it. */
export async function fetchChecked(url) {
  const r = await fetch(url);
  if (!r.ok) throw new Error(`${url} answered ${r.status}`);
  const bytes = new Uint8Array(await r.arrayBuffer());
  await checkSha256(String(url), bytes);
  return bytes;
}
