// sso.mjs - helpers of the single sign-on tests: the test IdP's control port
// (provider.mjs) and a sign-in driven over HTTP through the IdP's own login
// form, as a browser would (the browser itself: test/e2e/sso.test.mjs).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { request } from 'node:https';

import { api, setting } from '../lib.mjs';

export const OIDC_CONTROL = setting('RCYCLE_TEST_OIDC_CONTROL', '');
export const OIDC_ISSUER = setting('RCYCLE_OIDC_ISSUER', '');
export const REDIRECT_URL = setting('RCYCLE_OIDC_REDIRECT_URL', '');
const CA = OIDC_ISSUER ? readFileSync(setting('RCYCLE_OIDC_CA_FILE')) : undefined;

export async function idp(path, body = {}) {
  const res = await fetch(`${OIDC_CONTROL}${path}`, {
    method: path === '/kid' ? 'GET' : 'POST',
    headers: { 'content-type': 'application/json' },
    body: path === '/kid' ? undefined : JSON.stringify(body),
  });
  assert.equal(res.status, 200, `IdP control ${path}: ${await res.clone().text()}`);
  return res.json();
}

// One HTTPS request to the IdP, trusting only the throwaway CA.
function idpRequest(method, url, { cookies, form } = {}) {
  const body = form ? new URLSearchParams(form).toString() : undefined;
  const headers = {};
  if (cookies.size) headers.cookie = [...cookies].map(([k, v]) => `${k}=${v}`).join('; ');
  if (body) headers['content-type'] = 'application/x-www-form-urlencoded';
  return new Promise((resolve, reject) => {
    const req = request(url, { method, headers, ca: CA, timeout: 10000 }, (res) => {
      let text = '';
      res.on('data', (d) => (text += d));
      res.on('end', () => {
        for (const c of res.headers['set-cookie'] ?? []) {
          const m = /^([^=]+)=([^;]*)/.exec(c);
          if (m) cookies.set(m[1], m[2]);
        }
        resolve({ status: res.statusCode, location: res.headers.location, text });
      });
    });
    req.on('error', reject);
    req.end(body);
  });
}

// The cookie pair named name in a response's Set-Cookie headers.
export function cookieOf(res, name) {
  for (const c of res.headers.getSetCookie()) {
    const m = new RegExp(`^${name}=([^;]*)`).exec(c);
    if (m) return { pair: `${name}=${m[1]}`, value: m[1], header: c };
  }
  return undefined;
}

// GET /api/auth/oidc/login: {authorizeUrl, oidcCookie, res}.
export async function begin(next = '/') {
  const res = await api('GET', `/api/auth/oidc/login?next=${encodeURIComponent(next)}`);
  assert.equal(res.status, 302, `login redirects: ${res.status} ${res.text}`);
  return { authorizeUrl: res.headers.get('location'), oidcCookie: cookieOf(res, 'rcycle_oidc'), res };
}

// Signs in at the IdP as email through its login form; returns the callback
// URL (our redirect URL with code and state) the IdP sends the browser to.
export async function signInAtIdp(authorizeUrl, email) {
  const cookies = new Map();
  let url = authorizeUrl;
  let res = await idpRequest('GET', url, { cookies });
  for (let hops = 0; hops < 10; hops++) {
    assert.ok([302, 303].includes(res.status) || res.status === 200, `IdP answered ${res.status}: ${res.text.slice(0, 300)}`);
    if (res.status === 200) {
      // The login page: its form posts to /interaction/UID.
      const action = /action="([^"]+)"/.exec(res.text)?.[1];
      assert.ok(action && /name="login"/.test(res.text), `the IdP's login form: ${res.text.slice(0, 300)}`);
      url = new URL(action, url).toString();
      res = await idpRequest('POST', url, { cookies, form: { prompt: 'login', login: email, password: 'any' } });
      continue;
    }
    const next = new URL(res.location, url).toString();
    if (next.startsWith(REDIRECT_URL)) return next;
    url = next;
    res = await idpRequest('GET', url, { cookies });
  }
  assert.fail('the IdP did not send the browser back');
}

// GET the callback as the browser would, with its rcycle_oidc cookie.
export async function callback(callbackUrl, oidcCookie) {
  const u = new URL(callbackUrl);
  return api('GET', `${u.pathname}${u.search}`, { cookie: oidcCookie?.pair });
}

// The whole sign-in: {res (the callback's answer), location, session cookie, code, state}.
export async function ssoSignIn(email, next = '/') {
  const b = await begin(next);
  const cb = await signInAtIdp(b.authorizeUrl, email);
  const res = await callback(cb, b.oidcCookie);
  return { res, location: res.headers.get('location'), session: cookieOf(res, 'rcycle_session'), callbackUrl: cb, begun: b };
}
