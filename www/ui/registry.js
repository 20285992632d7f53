// The lab registry (www/labs/labs.json): one entry per lab, in gallery order. The router, the landing gallery, the
// landing e2e test and the README's lab index all read it, so a lab is listed in exactly one place.
//
// An entry: { id, status: 'live' | 'coming' | 'template', title, short, authors, venue, paper (URL), idea (one sentence),
//             slider (the setting that matters), page (module file in www/labs/), doc (write-up, repo path) }.
//
// 'live' labs are routed and in the gallery; 'coming' ones are a card only; 'template' (the `_template` lab that
// `make new-lab` copies) is routed at #/_template but not listed.
//
// validateRegistry is DOM-free (unit-tested with node --test); loadRegistry fetches and validates once per page.

const REQUIRED = ['id', 'status', 'title', 'short', 'authors', 'venue', 'paper', 'idea', 'slider', 'page'];
const STATUSES = new Set(['live', 'coming', 'template']);
const ID = /^_?[a-z][a-z0-9-]{0,39}$/;

/**
 * Checks a parsed labs.json. Returns `{ labs, problems }`: `labs` keeps the well-formed entries in order (an entry
 * with a problem is dropped, never half-used), `problems` says in plain words what was wrong with the others.
 */
export function validateRegistry(json) {
  const problems = [];
  const list = json && Array.isArray(json.labs) ? json.labs : null;
  if (!list) return { labs: [], problems: ['the registry has no "labs" list'] };
  const seen = new Set();
  const labs = [];
  list.forEach((e, i) => {
    const where = `entry ${i + 1}${e && typeof e.id === 'string' ? ` ("${e.id.slice(0, 40)}")` : ''}`;
    if (!e || typeof e !== 'object') {
      problems.push(`${where} is not an object`);
      return;
    }
    const missing = REQUIRED.filter((k) => typeof e[k] !== 'string' || e[k].trim() === '');
    if (missing.length) {
      problems.push(`${where} lacks ${missing.join(', ')}`);
      return;
    }
    if (!ID.test(e.id)) {
      problems.push(`${where}: id must be lower-case letters, digits and '-' (a leading '_' only for the template)`);
      return;
    }
    if (!STATUSES.has(e.status)) {
      problems.push(`${where}: status "${e.status.slice(0, 20)}" is not live, coming or template`);
      return;
    }
    if (!/^[a-z0-9_-]+\.js$/.test(e.page)) {
      problems.push(`${where}: page must be a module file name in www/labs/ such as "${e.id}.js"`);
      return;
    }
    if (seen.has(e.id)) {
      problems.push(`${where}: id "${e.id}" is listed twice`);
      return;
    }
    seen.add(e.id);
    labs.push(Object.freeze({ ...e }));
  });
  return { labs, problems };
}

/** The entry for a route, matched case-insensitively (`#/VERIFY` is the verify lab); undefined if none. */
export function findLab(labs, route) {
  const r = String(route || '').trim().toLowerCase();
  return labs.find((e) => e.id === r);
}

/** True for a lab that the router mounts (live, or the template). */
export function routable(entry) {
  return !!entry && (entry.status === 'live' || entry.status === 'template');
}

/** The labs shown in the landing gallery and the README index, in order (not the template). */
export function listed(labs) {
  return labs.filter((e) => e.status !== 'template');
}

/** The page module's URL of a live entry, relative to www/labs/. */
export function pageUrl(entry) {
  return new URL(`../labs/${entry.page}`, import.meta.url).href;
}

let cached = null;

/** Fetches and validates www/labs/labs.json once; resolves to `{ labs, problems }`, rejects with a clear message. */
export function loadRegistry() {
  if (!cached) {
    cached = (async () => {
      const url = new URL('../labs/labs.json', import.meta.url);
      let res;
      try {
        res = await fetch(url);
      } catch (e) {
        throw new Error(`could not download the lab list (www/labs/labs.json): ${e.message}`);
      }
      if (!res.ok) throw new Error(`could not download the lab list (www/labs/labs.json): HTTP ${res.status}`);
      let json;
      try {
        json = await res.json();
      } catch (e) {
        throw new Error(`the lab list (www/labs/labs.json) is not valid JSON: ${e.message}`);
      }
      const out = validateRegistry(json);
      for (const p of out.problems) console.warn(`labs.json: ${p}`);
      return out;
    })();
    cached.catch(() => { cached = null; });
  }
  return cached;
}
