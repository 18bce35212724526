// session.js - who is signed in. The server keeps the session in the
// HttpOnly cookie; this tab keeps only the CSRF token (sessionStorage, so it
// survives a reload) and the user record. The bearer token in the sign-in
// reply is dropped on the spot: the page never stores it.
import { api, csrf, ApiError } from './api.js';

let currentUser = null;

export function user() {
  return currentUser;
}

/** Adopts the user as the API answered a change of it (PATCH /api/me). */
export function update(changed) {
  if (changed && currentUser && changed.id === currentUser.id) currentUser = changed;
}

export function hasRole(role) {
  return Boolean(currentUser && Array.isArray(currentUser.roles) && currentUser.roles.includes(role));
}

export function inMyDepartment(department) {
  return Boolean(currentUser && department && currentUser.department === department);
}

/** Signs in; resolves to the user. Throws ApiError with the API's message. */
export async function signIn(email, password) {
  const { data } = await api.post('/session', { email, password });
  if (!data || !data.csrfToken || !data.user) {
    throw new ApiError('The server answered the sign-in in an unexpected way.', 500, 'INTERNAL');
  }
  csrf.set(data.csrfToken);
  currentUser = data.user;
  return currentUser;
}

/** Signs out on the server (best effort) and forgets everything here. */
export async function signOut() {
  try {
    await api.del('/session');
  } catch (err) {
    // A session that already ended is signed out all the same; any other
    // failure leaves the session as it was, and says so.
    if (!(err instanceof ApiError) || err.status !== 401) throw err;
  }
  forget();
}

export function forget() {
  currentUser = null;
  csrf.clear();
}

/** Which sign-ins the site offers: {local, oidc}; local only when unknown. */
export async function authConfig() {
  try {
    const { data } = await api.get('/auth/config');
    return { local: data.local !== false, oidc: data.oidc === true };
  } catch {
    return { local: true, oidc: false };
  }
}

// After single sign-on the gateway hands this tab the session's CSRF token
// in the short-lived rcycle_csrf cookie (a redirect has no body): keep it
// where a password sign-in keeps it, and delete the cookie.
function adoptSsoCsrf() {
  const m = /(?:^|;\s*)rcycle_csrf=([A-Za-z0-9_-]+)/.exec(document.cookie);
  if (!m) return;
  csrf.set(m[1]);
  document.cookie = 'rcycle_csrf=; Max-Age=0; Path=/; SameSite=Strict';
}

/**
 * After a (re)load: is the cookie session alive, and does this tab still hold
 * its CSRF token? -> {user} | {reason: 'signed-out' | 'csrf-missing' | 'error', error}
 */
export async function restore() {
  adoptSsoCsrf();
  try {
    const { data } = await api.get('/me');
    if (!csrf.get()) {
      currentUser = null;
      return { reason: 'csrf-missing', user: data };
    }
    currentUser = data;
    return { user: data };
  } catch (err) {
    currentUser = null;
    if (err instanceof ApiError && err.status === 401) {
      csrf.clear();
      return { reason: 'signed-out' };
    }
    return { reason: 'error', error: err };
  }
}
