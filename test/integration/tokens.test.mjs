// tokens.test.mjs - API tokens (docs/API.md, Release 2): created with a
// session only, the secret shown once and stored only as its SHA-256, scopes
// read and write, expiry, revocation at once on this gateway (its auth cache
// included), lastUsedAt written at most once a minute, refused for a
// deactivated user, and security events that never hold the secret.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { before, describe, test } from 'node:test';

import {
  BOB,
  JANE,
  JOHN,
  RFC3339_UTC,
  RUN_DIR,
  api,
  assertError,
  describe as describeRes,
  expectStatus,
  login,
  session,
  setting,
  uniqueSuffix,
} from './lib.mjs';
import { ITEST_PASSWORD, freshDepartmentUser } from './fixtures.mjs';

// Runs SQL as svc-users' own role: to age a token past its expiry or its
// last use, and to look at what the table holds. The API cannot do either.
function usersSql(sql) {
  const url = setting('RCYCLE_USERS_DATABASE_URL', setting('DATABASE_URL'));
  assert.ok(url, 'the stack records the users database URL');
  return execFileSync('psql', [url, '-v', 'ON_ERROR_STOP=1', '-qAt', '-c', sql], { encoding: 'utf8', timeout: 10000 }).trim();
}

async function createToken(s, body) {
  const res = await api('POST', '/api/tokens', { token: s.token, body });
  expectStatus(res, 201);
  return res.json;
}

let jane, bob, john;
before(async () => {
  [jane, bob, john] = [await session(JANE), await session(BOB), await session(JOHN)];
});

describe('POST /api/tokens', () => {
  test('201 with the secret once; the list never shows it; only its SHA-256 is stored', async () => {
    const name = `cmdb sync ${uniqueSuffix()}`;
    const t = await createToken(jane, { name, scopes: ['read'], expiresInDays: 30 });
    assert.equal(t.name, name);
    assert.deepEqual(t.scopes, ['read']);
    assert.match(t.token, /^rcy_[A-Za-z0-9_-]{43}$/);
    assert.match(t.createdAt, RFC3339_UTC);
    assert.equal(t.lastUsedAt, null);
    const days = (Date.parse(t.expiresAt) - Date.parse(t.createdAt)) / 86400000;
    assert.equal(days, 30);

    const list = await api('GET', '/api/tokens', { token: jane.token });
    expectStatus(list, 200);
    assert.equal(list.json[0].id, t.id, 'newest first');
    assert.ok(!list.text.includes(t.token), 'the secret is not listed');
    assert.deepEqual(Object.keys(list.json[0]).sort(), ['createdAt', 'expiresAt', 'id', 'lastUsedAt', 'name', 'scopes']);

    const sha = createHash('sha256').update(t.token).digest('hex');
    const row = usersSql(`SELECT token_hash FROM users.api_tokens WHERE id = ${t.id}`);
    assert.equal(row, sha, 'the table holds the SHA-256 of the secret');
    const anywhere = usersSql(`SELECT count(*) FROM users.api_tokens t WHERE t::text LIKE '%${t.token.slice(4)}%'`);
    assert.equal(anywhere, '0', 'the secret itself is in no column');
  });

  test('defaults: 90 days; read+write scopes', async () => {
    const t = await createToken(jane, { name: 'defaults', scopes: ['write', 'read'] });
    assert.deepEqual(t.scopes, ['read', 'write']);
    assert.equal((Date.parse(t.expiresAt) - Date.parse(t.createdAt)) / 86400000, 90);
  });

  test('bad bodies: 400', async () => {
    for (const body of [
      { scopes: ['read'] },
      { name: '', scopes: ['read'] },
      { name: 'x', scopes: [] },
      { name: 'x', scopes: ['write'] },
      { name: 'x', scopes: ['admin'] },
      { name: 'x', scopes: 'read' },
      { name: 'x', scopes: ['read'], expiresInDays: 0 },
      { name: 'x', scopes: ['read'], expiresInDays: 366 },
      { name: 'x', scopes: ['read'], expiresInDays: 1e12 },
      { name: 'x'.repeat(101), scopes: ['read'] },
    ]) assertError(await api('POST', '/api/tokens', { token: jane.token, body }), 400, 'INVALID_ARGUMENT');
  });

  test('a cookie session needs the CSRF header; an API token may not make tokens (403)', async () => {
    const s = await login(JANE);
    assertError(await api('POST', '/api/tokens', { cookie: s.cookie, body: { name: 'c', scopes: ['read'] } }), 403, 'PERMISSION_DENIED');
    expectStatus(await api('POST', '/api/tokens', { cookie: s.cookie, csrf: s.csrfToken, body: { name: 'c', scopes: ['read'] } }), 201);
    const w = await createToken(jane, { name: 'w', scopes: ['read', 'write'] });
    assertError(await api('POST', '/api/tokens', { token: w.token, body: { name: 'from a token', scopes: ['read'] } }), 403, 'PERMISSION_DENIED');
  });
});

describe('using a token', () => {
  test('read: GET works as the user; every unsafe method 403', async () => {
    const t = await createToken(bob, { name: 'reader', scopes: ['read'] });
    const me = await api('GET', '/api/me', { token: t.token });
    expectStatus(me, 200);
    assert.equal(me.json.email, BOB);
    expectStatus(await api('GET', '/api/listings?limit=1', { token: t.token }), 200);
    const refused = await api('POST', '/api/claims', { token: t.token, body: { listingId: 1, justification: 'x' } });
    assertError(refused, 403, 'PERMISSION_DENIED');
    assert.match(refused.json.error, /read scope/);
    assertError(await api('POST', '/api/me/password', { token: t.token, body: { currentPassword: 'x', newPassword: 'y'.repeat(12) } }), 403);
  });

  test('write: what the user may do, except tokens and user administration', async () => {
    const t = await createToken(john, { name: 'writer', scopes: ['read', 'write'] });
    // Past the scope check: the body is what is wrong.
    assertError(await api('POST', '/api/claims', { token: t.token, body: {} }), 400, 'INVALID_ARGUMENT');
    assertError(await api('POST', '/api/users', { token: t.token, body: { email: 'x@y.z', name: 'x', department: 'x', password: ITEST_PASSWORD } }), 403);
    assertError(await api('PATCH', `/api/users/${john.user.id}`, { token: t.token, body: { name: 'John Doe' } }), 403);
    assertError(await api('POST', `/api/users/${bob.user.id}/password`, { token: t.token, body: { password: ITEST_PASSWORD } }), 403);
    assertError(await api('DELETE', `/api/tokens/${t.id}`, { token: t.token }), 403);
    assertError(await api('DELETE', '/api/session', { token: t.token }), 403);
    expectStatus(await api('GET', '/api/users', { token: t.token }), 200);
  });

  test('an unknown token of the right shape: 401', async () => {
    assertError(await api('GET', '/api/me', { token: `rcy_${'A'.repeat(43)}` }), 401, 'UNAUTHENTICATED');
    assertError(await api('GET', '/api/me', { token: 'rcy_short' }), 401, 'UNAUTHENTICATED');
  });

  test('lastUsedAt is set on first use and then written at most once a minute', async () => {
    const t = await createToken(jane, { name: 'last used', scopes: ['read'] });
    expectStatus(await api('GET', '/api/me', { token: t.token }), 200);
    const first = (await api('GET', '/api/tokens', { token: jane.token })).json.find((x) => x.id === t.id);
    assert.match(first.lastUsedAt ?? '', RFC3339_UTC, 'set by the first use');
    // The first use in each UTC hour writes it too (the hourly `used` event):
    // the check below must not straddle an hour.
    const toNextHour = 3600000 - (Date.now() % 3600000);
    if (toNextHour < 20000) await new Promise((r) => setTimeout(r, toNextHour + 1000));
    // Up to 30 s ago, within this hour: within the minute, so a use (past the
    // gateway's 5 s cache) leaves it.
    usersSql(
      `UPDATE users.api_tokens SET last_used_at = greatest(now() - interval '30 seconds',` +
        ` date_trunc('hour', now() AT TIME ZONE 'UTC') AT TIME ZONE 'UTC') WHERE id = ${t.id}`,
    );
    const before30 = usersSql(`SELECT last_used_at FROM users.api_tokens WHERE id = ${t.id}`);
    await new Promise((r) => setTimeout(r, 5200));
    expectStatus(await api('GET', '/api/me', { token: t.token }), 200);
    assert.equal(usersSql(`SELECT last_used_at FROM users.api_tokens WHERE id = ${t.id}`), before30, 'not written again within a minute');
    usersSql(`UPDATE users.api_tokens SET last_used_at = now() - interval '2 minutes' WHERE id = ${t.id}`);
    await new Promise((r) => setTimeout(r, 5200));
    expectStatus(await api('GET', '/api/me', { token: t.token }), 200);
    const age = Number(usersSql(`SELECT extract(epoch FROM now() - last_used_at) FROM users.api_tokens WHERE id = ${t.id}`));
    assert.ok(age < 10, `written again once a minute old (age ${age} s)`);
  });

  test('an expired token: 401 (within the 5 s a gateway may cache it)', async () => {
    const t = await createToken(jane, { name: 'expiring', scopes: ['read'] });
    usersSql(`UPDATE users.api_tokens SET expires_at = now() - interval '1 second' WHERE id = ${t.id}`);
    await new Promise((r) => setTimeout(r, 200));
    assertError(await api('GET', '/api/me', { token: t.token }), 401, 'UNAUTHENTICATED');
    const listed = (await api('GET', '/api/tokens', { token: jane.token })).json.find((x) => x.id === t.id);
    assert.ok(listed && Date.parse(listed.expiresAt) < Date.now(), 'still listed, with its past expiry');
  });
});

describe('DELETE /api/tokens/{id}', () => {
  test('the owner revokes: 204, and the token (cached by this gateway a moment ago) is refused at once', async () => {
    const t = await createToken(jane, { name: 'revoke me', scopes: ['read'] });
    expectStatus(await api('GET', '/api/me', { token: t.token }), 200);
    expectStatus(await api('DELETE', `/api/tokens/${t.id}`, { token: jane.token }), 204);
    assertError(await api('GET', '/api/me', { token: t.token }), 401, 'UNAUTHENTICATED');
    assert.ok(!(await api('GET', '/api/tokens', { token: jane.token })).json.some((x) => x.id === t.id), 'no longer listed');
    assertError(await api('DELETE', `/api/tokens/${t.id}`, { token: jane.token }), 404, 'NOT_FOUND');
  });

  test("another member cannot revoke it (404); an admin can (204)", async () => {
    const t = await createToken(jane, { name: 'admin revokes', scopes: ['read'] });
    assertError(await api('DELETE', `/api/tokens/${t.id}`, { token: bob.token }), 404, 'NOT_FOUND');
    expectStatus(await api('GET', '/api/me', { token: t.token }), 200);
    expectStatus(await api('DELETE', `/api/tokens/${t.id}`, { token: john.token }), 204);
    assertError(await api('GET', '/api/me', { token: t.token }), 401);
  });

  test('bad ids: 400; unknown: 404', async () => {
    assertError(await api('DELETE', '/api/tokens/abc', { token: jane.token }), 400);
    assertError(await api('DELETE', '/api/tokens/999999999', { token: jane.token }), 404);
  });
});

describe('tokens of a deactivated user', () => {
  test('stop at once, stay revoked after reactivation; security events never hold the secret', async () => {
    const u = await freshDepartmentUser('tok');
    const t = await createToken(u, { name: 'leaver', scopes: ['read', 'write'] });
    expectStatus(await api('GET', '/api/me', { token: t.token }), 200);
    expectStatus(await api('PATCH', `/api/users/${u.user.id}`, { token: john.token, body: { active: false } }), 200);
    assertError(await api('GET', '/api/me', { token: t.token }), 401, 'UNAUTHENTICATED');
    assertError(await api('GET', '/api/me', { token: u.token }), 401, 'UNAUTHENTICATED');
    expectStatus(await api('PATCH', `/api/users/${u.user.id}`, { token: john.token, body: { active: true } }), 200);
    assert.equal((await api('GET', '/api/me', { token: t.token })).status, 401, 'the token stays revoked');
    const again = await login(u.email, ITEST_PASSWORD);
    expectStatus(await api('GET', '/api/me', { token: again.token }), 200);

    // The processes' logs are files of a local stack (make test); a
    // deployment's (the podman play) are its containers' and checked there
    // by no test, so they are read only where they are files.
    const files = ['svc-users.log', 'gateway.log'].map((f) => path.join(RUN_DIR, f));
    if (files.every((f) => existsSync(f))) {
      const logs = files.map((f) => readFileSync(f, 'utf8')).join('\n');
      assert.ok(logs.includes(`api token refused`), 'the refusals are logged as security events');
      assert.ok(!logs.includes(t.token.slice(4)), 'no log line holds the secret');
    }
  });
});

test('a token revoked while requests with it are in flight is refused after', async () => {
  const t = await createToken(bob, { name: 'race', scopes: ['read'] });
  const inflight = Array.from({ length: 5 }, () => api('GET', '/api/me', { token: t.token }));
  expectStatus(await api('DELETE', `/api/tokens/${t.id}`, { token: bob.token }), 204);
  await Promise.all(inflight);
  const after = await api('GET', '/api/me', { token: t.token });
  assert.equal(after.status, 401, describeRes(after));
});
