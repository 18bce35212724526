// router.js - hash routes: #/market, #/post, #/mine, #/requests, #/review,
// #/leaderboard, #/claims/{id}, #/users, #/audit, with an optional ?query.

/** A part of the address decoded, or as it is when it is no valid escape. */
function decodePart(text) {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

// The hash is split before anything is decoded: a decoded "R%26D" would read
// as two parameters. URLSearchParams decodes each name and value itself and
// keeps a stray '%' as text.
export function parseHash() {
  const raw = location.hash.replace(/^#/, '');
  const q = raw.indexOf('?');
  const path = decodePart(q === -1 ? raw : raw.slice(0, q));
  const params = new URLSearchParams(q === -1 ? '' : raw.slice(q + 1));
  return { path: path || '/market', params };
}

function hashFor(path, params) {
  const qs = params ? new URLSearchParams(params).toString() : '';
  return `#${path}${qs ? `?${qs}` : ''}`;
}

let renderHook = () => {};

export function onRoute(hook) {
  renderHook = hook;
  window.addEventListener('hashchange', () => renderHook({ navigated: true }));
}

/** Goes to a page; renders again when the hash is already that page. */
export function go(path, params) {
  const hash = hashFor(path, params);
  if (location.hash === hash) renderHook({ navigated: true });
  else location.hash = hash;
}

/** Records a page's own state (filters, page) in the address without a new render. */
export function setParams(path, params) {
  const clean = {};
  for (const [k, v] of Object.entries(params)) if (v !== '' && v !== null && v !== undefined) clean[k] = v;
  history.replaceState(null, '', hashFor(path, clean));
}

export function matchRoute(routes, path) {
  for (const route of routes) {
    const m = route.pattern.exec(path);
    if (m) return { route, match: m };
  }
  return null;
}
