// api.js - the one way the UI talks to the server: the REST API of docs/API.md
// under /api, same origin. JSON in and out; the session is the HttpOnly
// cookie rcycle_session (the browser sends it, the page never sees it); every
// unsafe request carries X-CSRF-Token from sessionStorage. Errors become an
// ApiError whose message is the API's own message, in plain words.

const CSRF_KEY = 'rcycle.csrfToken';
const UNSAFE = new Set(['POST', 'PATCH', 'PUT', 'DELETE']);

export class ApiError extends Error {
  constructor(message, status, code, body) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code || '';
    this.body = body || null;
  }
}

export const csrf = {
  get() {
    try {
      return sessionStorage.getItem(CSRF_KEY) || '';
    } catch {
      return '';
    }
  },
  set(token) {
    sessionStorage.setItem(CSRF_KEY, token);
  },
  clear() {
    try {
      sessionStorage.removeItem(CSRF_KEY);
    } catch {
      /* storage disabled: nothing to clear */
    }
  },
};

// Called on a 401 from any request but the sign-in itself: the session ended.
let unauthorizedHandler = null;
export function onUnauthorized(handler) {
  unauthorizedHandler = handler;
}

function fallbackMessage(status) {
  if (status === 400) return 'The server could not accept that request. Check the form and try again.';
  if (status === 401) return 'Your session has ended. Please sign in again.';
  if (status === 403) return 'You are not allowed to do that.';
  if (status === 404) return 'That item no longer exists.';
  if (status === 409) return 'That item changed in the meantime. Reload and try again.';
  if (status === 413) return 'That is too much text to send at once.';
  if (status === 429) return 'Too many attempts. Wait a few minutes and try again.';
  if (status === 503 || status === 504) return 'The service is busy or restarting. Try again in a moment.';
  if (status >= 500) return 'The server ran into a problem. Try again in a moment.';
  return `The request failed (HTTP ${status}).`;
}

function buildUrl(path, query) {
  let url = `/api${path}`;
  if (query) {
    const params = new URLSearchParams();
    for (const [key, value] of Object.entries(query)) {
      if (value === undefined || value === null || value === '') continue;
      params.set(key, String(value));
    }
    const qs = params.toString();
    if (qs) url += `?${qs}`;
  }
  return url;
}

/**
 * request('GET', '/listings', {query: {limit: 10}}) -> {data, total, exact, unread, status}
 * total is X-Total-Count and unread X-Unread-Count when the response has
 * them (else null); exact is false when X-Total-Count-Exact says the count
 * stopped at a cap (a lower bound). Throws ApiError.
 */
export async function request(method, path, { body, query, signal } = {}) {
  const headers = { Accept: 'application/json' };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  if (UNSAFE.has(method)) {
    const token = csrf.get();
    if (token) headers['X-CSRF-Token'] = token;
  }
  let response;
  try {
    response = await fetch(buildUrl(path, query), {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      credentials: 'same-origin',
      cache: 'no-store',
      signal,
    });
  } catch (err) {
    if (err && err.name === 'AbortError') throw err;
    throw new ApiError('Could not reach the R-Cycle server. Check the connection and try again.', 0, 'UNAVAILABLE');
  }
  let data = null;
  const type = response.headers.get('content-type') || '';
  if (response.status !== 204 && type.includes('application/json')) {
    try {
      data = await response.json();
    } catch {
      data = null;
    }
  }
  if (!response.ok) {
    const message = (data && (data.error || data.message)) || fallbackMessage(response.status);
    const error = new ApiError(message, response.status, data && data.code, data);
    if (response.status === 401 && path !== '/session' && unauthorizedHandler) unauthorizedHandler(error);
    throw error;
  }
  const count = (name) => {
    const v = response.headers.get(name);
    const n = v === null ? null : Number.parseInt(v, 10);
    return Number.isFinite(n) ? n : null;
  };
  const exact = response.headers.get('x-total-count-exact') !== 'false';
  return { data, total: count('x-total-count'), exact, unread: count('x-unread-count'), status: response.status };
}

export const api = {
  get: (path, query, opts = {}) => request('GET', path, { ...opts, query }),
  post: (path, body = {}) => request('POST', path, { body }),
  patch: (path, body) => request('PATCH', path, { body }),
  del: (path) => request('DELETE', path),
};
