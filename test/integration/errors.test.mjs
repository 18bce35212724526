// errors.test.mjs - unknown routes, wrong methods, undecodable queries, and
// the error body of docs/API.md everywhere: {error, code}, application/json, no
// SQL, stack traces or internal addresses.
import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';

import { JOHN, LEAKS, api, assertError, assertErrorShape, describe as describeRes, session } from './lib.mjs';

let token;
before(async () => {
  token = (await session(JOHN)).token;
});

describe('unknown routes: 404 NOT_FOUND', () => {
  const paths = [
    '/api/nope',
    '/api',
    '/api/',
    '/api/listings/1/extra',
    '/api/listings//1',
    '/api/me/extra',
    '/api/hardware/SRV001-DELL-R730',
    '/API/listings',
    '/api/Listings',
    '/api/session/1',
    '/api/listingsx',
    '/api/claimz',
  ];
  for (const p of paths) {
    test(`GET ${p}`, async () => {
      assertError(await api('GET', p, { token }), 404, 'NOT_FOUND');
    });
  }

  test('an unknown /api route with a POST body: 404 NOT_FOUND', async () => {
    assertError(await api('POST', '/api/nope', { token, body: { a: 1 } }), 404, 'NOT_FOUND');
  });
});

describe('wrong method on a known path: 405 with a JSON error', () => {
  // Methods docs/API.md gives no meaning to on these paths, now or later.
  const cases = [
    ['PUT', '/api/me'],
    ['POST', '/api/me'],
    ['DELETE', '/api/me'],
    ['GET', '/api/session'],
    ['PUT', '/api/session'],
    ['PATCH', '/api/session'],
    ['POST', '/api/hardware'],
    ['DELETE', '/api/hardware'],
    ['PUT', '/api/listings'],
    ['DELETE', '/api/listings'],
    ['PUT', '/api/listings/1'],
    ['POST', '/healthz'],
    ['DELETE', '/readyz'],
  ];
  for (const [method, p] of cases) {
    test(`${method} ${p}`, async () => {
      const res = await api(method, p, { token, ...(method === 'GET' || method === 'DELETE' ? {} : { body: {} }) });
      assert.equal(res.status, 405, describeRes(res));
      assertErrorShape(res);
    });
  }

  test('405 names the allowed methods in Allow (RFC 9110 15.5.6)', async () => {
    for (const [method, p, allowed] of [
      ['PUT', '/api/me', ['GET']],
      ['GET', '/api/session', ['POST', 'DELETE']],
      ['DELETE', '/api/hardware', ['GET']],
    ]) {
      const res = await api(method, p, { token });
      assert.equal(res.status, 405, describeRes(res));
      const allow = res.headers.get('allow');
      assert.ok(allow, `${method} ${p}: 405 without an Allow header`);
      const got = allow.split(',').map((m) => m.trim().toUpperCase());
      for (const m of allowed) assert.ok(got.includes(m), `${method} ${p}: Allow "${allow}" lacks ${m}`);
    }
  });
});

describe('undecodable query strings: 400 INVALID_ARGUMENT', () => {
  const queries = [
    '/api/listings?search=%ff',
    '/api/listings?search=%c3%28',
    '/api/listings?search=%ed%a0%80', // a UTF-16 surrogate
    '/api/listings?search=%f8%88%80%80%80',
    '/api/listings?search=%c0%af', // overlong
    '/api/listings?search=%zz',
    '/api/listings?search=%',
    '/api/listings?search=abc%f',
    '/api/listings?search=%00',
    '/api/listings?category=%ff',
    '/api/listings?%ff=1',
    '/api/listings?limit=%ff',
    '/api/hardware?serial=%ff',
    '/api/hardware?serial=SRV001%00',
    '/api/hardware?serial=%g1',
  ];
  for (const q of queries) {
    test(`GET ${q}`, async () => {
      assertError(await api('GET', q, { token }), 400, 'INVALID_ARGUMENT');
    });
  }

  test('valid UTF-8 and + decode fine', async () => {
    const res = await api('GET', '/api/listings?search=%E2%82%AC+Dell%20&limit=5', { token });
    assert.equal(res.status, 200, describeRes(res));
    assert.ok(Array.isArray(res.json));
  });
});

describe('every error: {error, code}, application/json, nothing internal', () => {
  // A mix that reaches the gateway only, svc-users, and svc-listings with its
  // database; the bodies are checked by assertErrorShape (LEAKS of lib.mjs).
  const requests = [
    ['GET', '/api/me', {}],
    ['GET', '/api/nope', { auth: true }],
    ['PUT', '/api/me', { auth: true }],
    ['POST', '/api/session', { rawBody: '{"email":' }],
    ['POST', '/api/session', { body: { email: "' OR 1=1 --", password: "' OR 1=1 --" } }],
    ['POST', '/api/session', { body: { email: 'x'.repeat(5000), password: 'y'.repeat(5000) } }],
    ['GET', '/api/listings/999999999', { auth: true }],
    ['GET', '/api/listings/abc', { auth: true }],
    ['GET', '/api/listings?category=nope', { auth: true }],
    ['GET', '/api/listings?limit=0', { auth: true }],
    ['GET', `/api/listings?search=${encodeURIComponent("'; SELECT pg_sleep(1); --")}`, { auth: true, ok: true }],
    ['GET', `/api/listings?department=${encodeURIComponent('\\\'"')}`, { auth: true, ok: true }],
    ['GET', '/api/hardware?serial=%27%20OR%201%3D1%20--', { auth: true }],
    ['GET', '/api/hardware', { auth: true }],
    ['GET', '/api/hardware?serial=%ff', { auth: true }],
  ];
  for (const [method, p, o] of requests) {
    test(`${method} ${p.length > 70 ? `${p.slice(0, 70)}...` : p}`, async () => {
      const res = await api(method, p, { ...(o.auth ? { token } : {}), body: o.body, rawBody: o.rawBody });
      if (o.ok && res.status === 200) {
        for (const re of LEAKS) assert.doesNotMatch(res.text, re);
        return;
      }
      assert.ok(res.status >= 400 && res.status < 500, `a 4xx, not ${res.status}: ${describeRes(res)}`);
      assertErrorShape(res);
      assert.ok(res.headers.get('x-request-id'), 'X-Request-Id on errors');
    });
  }
});
