// session.test.mjs - POST/DELETE /api/session, GET /api/me, credentials,
// CSRF, the login rate limit and X-Request-Id (docs/API.md: Conventions, Sessions).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import {
  COOKIE_SECURE,
  JANE,
  JOHN,
  SEED_PASSWORD,
  SEED_USERS,
  api,
  assertError,
  describe as describeRes,
  expectStatus,
  login,
  session,
  sessionCookieOf,
  unknownToken,
  uniqueSuffix,
} from './lib.mjs';

function assertUserShape(user, seed) {
  assert.ok(user && typeof user === 'object', 'user is an object');
  assert.ok(Number.isSafeInteger(user.id) && user.id > 0, `user.id is a positive integer: ${user.id}`);
  assert.equal(user.email, seed.email);
  assert.equal(user.name, seed.name);
  assert.equal(user.department, seed.department);
  assert.ok(Array.isArray(user.roles), 'roles is an array');
  assert.deepEqual([...user.roles].sort(), [...seed.roles].sort());
}

describe('POST /api/session: sign in', () => {
  for (const seed of SEED_USERS) {
    test(`${seed.email} signs in with the seed password`, async () => {
      const res = await api('POST', '/api/session', { body: { email: seed.email, password: SEED_PASSWORD } });
      expectStatus(res, 200);
      assert.match(res.headers.get('content-type') ?? '', /^application\/json/);
      assert.equal(typeof res.json.token, 'string');
      assert.ok(res.json.token.length >= 32, 'token is long enough to be unguessable');
      assert.equal(typeof res.json.csrfToken, 'string');
      assert.ok(res.json.csrfToken.length >= 32, 'csrfToken is long enough to be unguessable');
      assert.notEqual(res.json.csrfToken, res.json.token, 'the CSRF token is not the session token');
      assertUserShape(res.json.user, seed);
      assert.equal(res.json.user.password, undefined, 'no password in the user');
      assert.equal(res.json.user.passwordHash, undefined, 'no password hash in the user');
    });
  }

  test('each sign-in gets its own token', async () => {
    const a = await login(JANE);
    const b = await login(JANE);
    assert.notEqual(a.token, b.token);
    assert.notEqual(a.csrfToken, b.csrfToken);
  });

  test('Set-Cookie: rcycle_session; HttpOnly; SameSite=Lax; Path=/', async () => {
    const res = await api('POST', '/api/session', { body: { email: JOHN, password: SEED_PASSWORD } });
    expectStatus(res, 200);
    const c = sessionCookieOf(res);
    assert.ok(c, `a rcycle_session cookie is set: ${res.headers.get('set-cookie')}`);
    assert.ok(c.value.length >= 32, `the cookie holds a session: ${c.header}`);
    const attrs = c.header.split(';').slice(1).map((a) => a.trim());
    const has = (re) => attrs.some((a) => re.test(a));
    assert.ok(has(/^HttpOnly$/i), `HttpOnly: ${c.header}`);
    assert.ok(has(/^SameSite=Lax$/i), `SameSite=Lax: ${c.header}`);
    assert.ok(has(/^Path=\/$/i), `Path=/: ${c.header}`);
    assert.equal(has(/^Secure$/i), COOKIE_SECURE, `Secure only when RCYCLE_COOKIE_SECURE=1: ${c.header}`);
    // The cookie works by itself.
    const me = await api('GET', '/api/me', { cookie: c.pair });
    expectStatus(me, 200);
    assert.equal(me.json.email, JOHN);
  });

  test('wrong password and unknown e-mail: 401 with one generic message', async () => {
    // One failure for one seed user per run, a random one, so that repeated
    // runs against one stack spread their failures (the rate limit allows 10
    // per e-mail in 15 minutes: about 40 runs before a seed user is locked).
    const victim = SEED_USERS[Math.floor(Math.random() * SEED_USERS.length)].email;
    const wrongPassword = await api('POST', '/api/session', { body: { email: victim, password: 'not-the-password' } });
    assertError(wrongPassword, 401, 'UNAUTHENTICATED');
    const unknown = await api('POST', '/api/session', {
      body: { email: `nobody-${uniqueSuffix()}@example.invalid`, password: SEED_PASSWORD },
    });
    assertError(unknown, 401, 'UNAUTHENTICATED');
    assert.equal(unknown.json.error, wrongPassword.json.error, 'the same message for both');
    assert.equal(sessionCookieOf(wrongPassword), undefined, 'no session cookie on failure');
    assert.equal(wrongPassword.json.token, undefined, 'no token on failure');
  });

  describe('invalid bodies: 400 INVALID_ARGUMENT', () => {
    const cases = [
      ['empty object', {}],
      ['email missing', { password: SEED_PASSWORD }],
      ['password missing', { email: JOHN }],
      ['email is a number', { email: 5, password: SEED_PASSWORD }],
      ['password is an array', { email: JOHN, password: [] }],
      ['email is an object', { email: { $ne: '' }, password: SEED_PASSWORD }],
      ['password is a boolean', { email: JOHN, password: true }],
      ['email is null', { email: null, password: SEED_PASSWORD }],
    ];
    for (const [name, body] of cases) {
      test(name, async () => {
        const res = await api('POST', '/api/session', { body });
        assertError(res, 400, 'INVALID_ARGUMENT');
        assert.equal(sessionCookieOf(res), undefined);
      });
    }

    const raw = [
      ['malformed JSON', '{"email": "john.doe@company.com", "password": '],
      ['a JSON array', JSON.stringify([{ email: JOHN, password: SEED_PASSWORD }])],
      ['a JSON string', JSON.stringify('john.doe@company.com')],
      ['an empty body', ''],
      ['trailing garbage', `${JSON.stringify({ email: JOHN, password: SEED_PASSWORD })} x`],
      [
        'invalid UTF-8 bytes',
        Buffer.concat([Buffer.from('{"email":"john.doe@company.com","password":"'), Buffer.from([0xff, 0xfe, 0xc3]), Buffer.from('"}')]),
      ],
      ['an overlong UTF-8 encoding', Buffer.concat([Buffer.from('{"email":"'), Buffer.from([0xc0, 0xaf]), Buffer.from('","password":"x"}')])],
      ['a NUL escape (\\u0000)', '{"email":"john.doe@company.com\\u0000x","password":"rcycle-dev"}'],
    ];
    for (const [name, rawBody] of raw) {
      test(name, async () => {
        const res = await api('POST', '/api/session', { rawBody });
        assertError(res, 400, 'INVALID_ARGUMENT');
        assert.equal(sessionCookieOf(res), undefined);
      });
    }
  });

  // The body limits (8 KiB here, 1 MiB elsewhere) and the media type are
  // tested in edge.test.mjs.

  test('unknown fields in the body are ignored', async () => {
    const res = await api('POST', '/api/session', { body: { email: JANE, password: SEED_PASSWORD, remember: true, extra: [1, 2] } });
    expectStatus(res, 200);
    assert.equal(res.json.user.email, JANE);
  });
});

describe('GET /api/me and credentials', () => {
  test('with a bearer token', async () => {
    const s = await session(JOHN);
    const res = await api('GET', '/api/me', { token: s.token });
    expectStatus(res, 200);
    assertUserShape(res.json, SEED_USERS[0]);
    assert.equal(res.json.id, s.user.id);
    assert.match(res.headers.get('content-type') ?? '', /^application\/json/);
  });

  test('with the session cookie', async () => {
    const s = await session(JANE);
    const res = await api('GET', '/api/me', { cookie: s.cookie });
    expectStatus(res, 200);
    assertUserShape(res.json, SEED_USERS[1]);
  });

  test('the bearer scheme is case-insensitive', async () => {
    const s = await session(JOHN);
    const res = await api('GET', '/api/me', { headers: { authorization: `bearer ${s.token}` } });
    expectStatus(res, 200);
    assert.equal(res.json.email, JOHN);
  });

  const bad = [
    ['no credentials', {}],
    ['a garbage bearer token', { headers: { authorization: 'Bearer garbage' } }],
    ['an empty bearer token', { headers: { authorization: 'Bearer ' } }],
    ['another scheme', { headers: { authorization: 'Basic am9objpyY3ljbGUtZGV2' } }],
    ['a well-formed but unknown bearer token', () => ({ token: unknownToken() })],
    ['a well-formed but unknown cookie', () => ({ cookie: `rcycle_session=${unknownToken()}` })],
    ['a garbage cookie', { cookie: 'rcycle_session=%00%ff; other=1' }],
    ['a cookie of another name', () => ({ cookie: `session=${unknownToken()}` })],
  ];
  for (const [name, opts] of bad) {
    test(`${name}: 401`, async () => {
      const res = await api('GET', '/api/me', typeof opts === 'function' ? opts() : opts);
      assertError(res, 401, 'UNAUTHENTICATED');
    });
  }

  test('a token with one character changed: 401', async () => {
    const s = await login(JANE);
    const last = s.token[10];
    const changed = s.token.slice(0, 10) + (last === 'A' ? 'B' : 'A') + s.token.slice(11);
    const res = await api('GET', '/api/me', { token: changed });
    assertError(res, 401, 'UNAUTHENTICATED');
  });
});

describe('CSRF: cookie sessions need X-CSRF-Token on unsafe methods', () => {
  test('cookie + DELETE without X-CSRF-Token: 403, and the session survives', async () => {
    const s = await login(JANE);
    const res = await api('DELETE', '/api/session', { cookie: s.cookie });
    assertError(res, 403, 'PERMISSION_DENIED');
    expectStatus(await api('GET', '/api/me', { token: s.token }), 200);
  });

  test('cookie + DELETE with a wrong X-CSRF-Token: 403', async () => {
    const s = await login(JANE);
    const other = await login(JANE);
    for (const csrf of [other.csrfToken, 'x', s.token, `${s.csrfToken}x`, s.csrfToken.toUpperCase()]) {
      if (csrf === s.csrfToken) continue;
      const res = await api('DELETE', '/api/session', { cookie: s.cookie, csrf });
      assertError(res, 403, 'PERMISSION_DENIED');
    }
    expectStatus(await api('GET', '/api/me', { token: s.token }), 200);
  });

  test('cookie + DELETE with the right X-CSRF-Token: 204', async () => {
    const s = await login(JANE);
    const res = await api('DELETE', '/api/session', { cookie: s.cookie, csrf: s.csrfToken });
    expectStatus(res, 204);
    assertError(await api('GET', '/api/me', { cookie: s.cookie }), 401, 'UNAUTHENTICATED');
  });

  test('cookie + GET needs no X-CSRF-Token', async () => {
    const s = await session(JOHN);
    expectStatus(await api('GET', '/api/me', { cookie: s.cookie }), 200);
  });

  test('bearer + DELETE needs no X-CSRF-Token', async () => {
    const s = await login(JANE);
    const res = await api('DELETE', '/api/session', { token: s.token });
    expectStatus(res, 204);
  });
});

describe('DELETE /api/session: sign out', () => {
  test('204 with no body, and the token gets 401 at once', async () => {
    const s = await login(JOHN);
    expectStatus(await api('GET', '/api/me', { token: s.token }), 200); // cached on the gateway now
    const res = await api('DELETE', '/api/session', { token: s.token });
    expectStatus(res, 204);
    assert.equal(res.text, '', '204 has no body');
    const after = await api('GET', '/api/me', { token: s.token });
    assertError(after, 401, 'UNAUTHENTICATED');
    const viaCookie = await api('GET', '/api/me', { cookie: s.cookie });
    assertError(viaCookie, 401, 'UNAUTHENTICATED');
  });

  test('signing out one session leaves the user\'s other sessions working', async () => {
    const a = await login(JOHN);
    const b = await login(JOHN);
    expectStatus(await api('DELETE', '/api/session', { token: a.token }), 204);
    expectStatus(await api('GET', '/api/me', { token: b.token }), 200);
  });

  test('without credentials: 401', async () => {
    assertError(await api('DELETE', '/api/session'), 401, 'UNAUTHENTICATED');
  });
});

describe('login rate limit: more than 10 failures for one e-mail in 15 minutes get 429', () => {
  test('attempts 1..10 get 401, attempts 11 and 12 get 429, another e-mail is unaffected', async () => {
    // A fresh, non-seed address, so that no seed user gets locked.
    const email = `ratelimit-${uniqueSuffix()}@example.invalid`;
    for (let i = 1; i <= 10; i++) {
      const res = await api('POST', '/api/session', { body: { email, password: `wrong-${i}` } });
      assert.equal(res.status, 401, `attempt ${i} must be 401: ${describeRes(res)}`);
      assertError(res, 401, 'UNAUTHENTICATED');
    }
    for (let i = 11; i <= 12; i++) {
      const res = await api('POST', '/api/session', { body: { email, password: `wrong-${i}` } });
      assert.equal(res.status, 429, `attempt ${i} must be 429: ${describeRes(res)}`);
      assertError(res, 429, 'RESOURCE_EXHAUSTED');
    }
    const other = await api('POST', '/api/session', { body: { email: `other-${uniqueSuffix()}@example.invalid`, password: 'wrong' } });
    assertError(other, 401, 'UNAUTHENTICATED');
  });

  test('a burst of concurrent wrong passwords cannot get past the limit', async () => {
    const email = `burst-${uniqueSuffix()}@example.invalid`;
    for (let i = 1; i <= 9; i++) {
      const res = await api('POST', '/api/session', { body: { email, password: `wrong-${i}` } });
      assert.equal(res.status, 401, `attempt ${i} must be 401: ${describeRes(res)}`);
    }
    const burst = await Promise.all(Array.from({ length: 6 }, (_, i) =>
      api('POST', '/api/session', { body: { email, password: `burst-${i}` } })));
    const statuses = burst.map((r) => r.status).sort();
    assert.deepEqual(statuses, [401, 429, 429, 429, 429, 429], 'only the 10th failure is checked');
  });
});

describe('X-Request-Id', () => {
  const given = `itest-${uniqueSuffix()}`.replace(/[^A-Za-z0-9._:-]/g, '-');

  test('echoed on a success', async () => {
    const s = await session(JOHN);
    const res = await api('GET', '/api/me', { token: s.token, headers: { 'x-request-id': given } });
    expectStatus(res, 200);
    assert.equal(res.headers.get('x-request-id'), given);
  });

  test('echoed on errors (401, 400, 404)', async () => {
    const r401 = await api('GET', '/api/me', { headers: { 'x-request-id': given } });
    expectStatus(r401, 401);
    assert.equal(r401.headers.get('x-request-id'), given);
    const r400 = await api('POST', '/api/session', { rawBody: '{', headers: { 'x-request-id': given } });
    expectStatus(r400, 400);
    assert.equal(r400.headers.get('x-request-id'), given);
    const r404 = await api('GET', '/api/no-such-route', { headers: { 'x-request-id': given } });
    expectStatus(r404, 404);
    assert.equal(r404.headers.get('x-request-id'), given);
  });

  test('generated when not given, on success and on error, and different each time', async () => {
    const s = await session(JOHN);
    const ok1 = await api('GET', '/api/me', { token: s.token });
    const ok2 = await api('GET', '/api/me', { token: s.token });
    const err = await api('GET', '/api/me');
    const login1 = await api('POST', '/api/session', { body: { email: JANE, password: SEED_PASSWORD } });
    for (const res of [ok1, ok2, err, login1]) {
      const id = res.headers.get('x-request-id');
      assert.ok(id && id.trim().length > 0, `X-Request-Id is set: ${describeRes(res)}`);
    }
    assert.notEqual(ok1.headers.get('x-request-id'), ok2.headers.get('x-request-id'));
  });
});
