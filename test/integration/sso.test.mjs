// sso.test.mjs - single sign-on (docs/API.md "Single sign-on: OpenID
// Connect") against a real OpenID provider: oidc-provider, started by
// scripts/test.sh on loopback over HTTPS with a throwaway CA
// (oidc/provider.mjs). The sign-ins go through the IdP's own login form over
// HTTP (the browser does the same in test/e2e/sso.test.mjs). The forged-token
// cases ask the IdP's test-only token middleware to replace the next ID
// token with a crafted one; the codes, PKCE and keys stay the provider's.
//
// Order matters: the key rotation case comes before the unknown-key case,
// because svc-users fetches the key set at most once per 5 s; and the last
// two restart svc-users and the gateway with other settings and put them
// back.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import test from 'node:test';

import { restartWith } from './fixtures.mjs';
import { ADMIN_URLS, api, expectStatus, login, pidOf, RUN_DIR, session, setting, uniqueSuffix } from './lib.mjs';
import { begin, callback, cookieOf, idp, OIDC_ISSUER, signInAtIdp, ssoSignIn } from './oidc/sso.mjs';

assert.ok(OIDC_ISSUER, 'the stack runs with the test IdP (scripts/test.sh starts it)');

function psql(sql, params = []) {
  const url = setting('RCYCLE_USERS_DATABASE_URL', setting('DATABASE_URL'));
  const vars = params.flatMap((p, i) => ['-v', `p${i + 1}=${p}`]);
  // On standard input, where psql interpolates :'p1' as a quoted literal.
  return execFileSync('psql', [url, '-v', 'ON_ERROR_STOP=1', ...vars, '-qAt'], { input: sql, encoding: 'utf8', timeout: 10000 }).trim();
}

async function newIdpUser(fields = {}) {
  const user = {
    email: `sso.${uniqueSuffix()}@company.com`.toLowerCase(),
    name: 'Sam Single',
    department: 'Research Lab',
    groups: [],
    ...fields,
  };
  await idp('/users', user);
  return user;
}

// A sign-in refused with reason: back to the login page, no session.
function assertRefused(r, reason) {
  assert.equal(r.res.status, 302, `${r.res.status} ${r.res.text}`);
  assert.equal(r.location, `/#/login?error=${reason}`);
  assert.equal(r.session, undefined, 'no session cookie on a refused sign-in');
  const cleared = cookieOf(r.res, 'rcycle_oidc');
  assert.ok(cleared && /Max-Age=0/.test(cleared.header), 'the sign-in cookie is cleared');
}

async function me(sessionCookie) {
  return api('GET', '/api/me', { cookie: sessionCookie.pair });
}

test('GET /api/auth/config offers both sign-ins', async () => {
  const res = await api('GET', '/api/auth/config');
  expectStatus(res, 200);
  assert.deepEqual(res.json, { local: true, oidc: true });
});

test('the redirect to the IdP: code flow, PKCE S256, state and nonce bound to a short-lived HttpOnly cookie', async () => {
  const b = await begin('/#/market');
  const u = new URL(b.authorizeUrl);
  assert.equal(`${u.origin}`, OIDC_ISSUER);
  assert.equal(u.searchParams.get('response_type'), 'code');
  assert.equal(u.searchParams.get('client_id'), setting('RCYCLE_OIDC_CLIENT_ID'));
  assert.equal(u.searchParams.get('code_challenge_method'), 'S256');
  assert.match(u.searchParams.get('code_challenge'), /^[A-Za-z0-9_-]{43}$/);
  assert.match(u.searchParams.get('state'), /^[A-Za-z0-9_-]{43}$/);
  assert.match(u.searchParams.get('nonce'), /^[A-Za-z0-9_-]{43}$/);
  assert.notEqual(u.searchParams.get('state'), u.searchParams.get('nonce'));
  assert.match(b.oidcCookie.header, /^rcycle_oidc=[A-Za-z0-9_-]{43}; HttpOnly; SameSite=Lax; Path=\/api\/auth\/oidc; Max-Age=600/);
  // The verifier never leaves svc-users: it is not in the URL or the cookie.
  const stored = psql('SELECT code_verifier FROM users.oidc_logins WHERE state = :\'p1\'', [u.searchParams.get('state')]);
  assert.match(stored, /^[A-Za-z0-9_-]{43}$/);
  assert.ok(!b.authorizeUrl.includes(stored) && !b.oidcCookie.header.includes(stored));
});

test('a new user is provisioned from the claims with the mapped roles, and email login refuses them', async () => {
  const u = await newIdpUser({ groups: ['rcycle-security', 'rcycle-admin', 'unrelated-group'], department: 'Research Lab' });
  const r = await ssoSignIn(u.email, '/#/market');
  assert.equal(r.res.status, 302, r.res.text);
  assert.equal(r.location, '/#/market');
  assert.match(r.session.header, /^rcycle_session=[A-Za-z0-9_-]{43}; HttpOnly; SameSite=Lax; Path=\/; Max-Age=43200/);
  const who = await me(r.session);
  expectStatus(who, 200);
  assert.equal(who.json.email, u.email);
  assert.equal(who.json.name, u.name);
  assert.equal(who.json.department, 'Research Lab');
  assert.deepEqual(who.json.roles, ['member', 'security', 'admin']);
  assert.equal(psql('SELECT auth_source || \',\' || (password_hash IS NULL) FROM users.accounts WHERE email = :\'p1\'', [u.email]), 'oidc,true');
  const local = await api('POST', '/api/session', { body: { email: u.email, password: 'anything-at-all' } });
  expectStatus(local, 401);
});

test('a changed group at the IdP changes the roles at the next sign-in', async () => {
  const u = await newIdpUser({ groups: ['rcycle-security'] });
  const first = await ssoSignIn(u.email);
  assert.deepEqual((await me(first.session)).json.roles, ['member', 'security']);
  await idp('/users', { ...u, groups: ['rcycle-admin'], department: 'Moved Dept' });
  const second = await ssoSignIn(u.email);
  const who = (await me(second.session)).json;
  assert.deepEqual(who.roles, ['member', 'admin']);
  assert.equal(who.department, 'Moved Dept');
  await idp('/users', { ...u, groups: [] });
  const third = await ssoSignIn(u.email);
  assert.deepEqual((await me(third.session)).json.roles, ['member']);
});

test('a local user whose email signs in through the IdP becomes an OIDC user', async () => {
  const admin = await session('john.doe@company.com');
  const email = `sso.local.${uniqueSuffix()}@company.com`.toLowerCase();
  const created = await api('POST', '/api/users', {
    token: admin.token,
    body: { email, name: 'Was Local', department: 'Old Dept', password: 'a-local-password-1', roles: ['member'] },
  });
  expectStatus(created, 201);
  await login(email, 'a-local-password-1');
  await newIdpUser({ email, name: 'Now Federated', department: 'New Dept' });
  const r = await ssoSignIn(email);
  const who = (await me(r.session)).json;
  assert.equal(who.id, created.json.id);
  assert.equal(who.department, 'New Dept');
  const local = await api('POST', '/api/session', { body: { email, password: 'a-local-password-1' } });
  expectStatus(local, 401);
});

test('wrong state: refused, and the sign-in cannot be completed after', async () => {
  const u = await newIdpUser();
  const b = await begin('/');
  const cb = await signInAtIdp(b.authorizeUrl, u.email);
  const forged = new URL(cb);
  forged.searchParams.set('state', 'A'.repeat(43));
  const r = await callback(forged.toString(), b.oidcCookie);
  assertRefused({ res: r, location: r.headers.get('location'), session: cookieOf(r, 'rcycle_session') }, 'invalid_state');
  const again = await callback(cb, b.oidcCookie);
  assert.equal(again.headers.get('location'), '/#/login?error=invalid_state');
});

test('a callback without the sign-in cookie, or with the IdP\'s error, is refused', async () => {
  const u = await newIdpUser();
  const b = await begin('/');
  const cb = await signInAtIdp(b.authorizeUrl, u.email);
  const noCookie = await callback(cb, undefined);
  assert.equal(noCookie.headers.get('location'), '/#/login?error=invalid_state');
  const denied = await api('GET', '/api/auth/oidc/callback?error=access_denied&state=x');
  assert.equal(denied.headers.get('location'), '/#/login?error=idp_refused');
});

test('a replayed code: the same callback twice, and the code under a new sign-in', async () => {
  const u = await newIdpUser();
  const r = await ssoSignIn(u.email, '/#/claims');
  assert.equal(r.location, '/#/claims');
  const twice = await callback(r.callbackUrl, r.begun.oidcCookie);
  assert.equal(twice.headers.get('location'), '/#/login?error=invalid_state');
  assert.equal(cookieOf(twice, 'rcycle_session'), undefined);
  // A fresh sign-in (valid cookie and state) carrying the used code: the
  // IdP refuses to exchange it again.
  const b = await begin('/');
  const state = new URL(b.authorizeUrl).searchParams.get('state');
  const replay = new URL(r.callbackUrl);
  replay.searchParams.set('state', state);
  const res = await callback(replay.toString(), b.oidcCookie);
  assertRefused({ res, location: res.headers.get('location'), session: cookieOf(res, 'rcycle_session') }, 'code_rejected');
});

test('key rotation at the IdP (a new kid) is picked up without a restart', async () => {
  const u = await newIdpUser();
  const pid = pidOf('svc-users');
  expectStatus((await me((await ssoSignIn(u.email)).session)), 200);
  const before = (await idp('/kid')).kid;
  const { kid } = await idp('/rotate');
  assert.notEqual(kid, before);
  // The key set was fetched at most 5 s ago by the sign-in above.
  await new Promise((r) => setTimeout(r, 5200));
  const r = await ssoSignIn(u.email);
  assert.equal(r.res.status, 302);
  assert.equal(r.location, '/', `signed in with the new key: ${r.location}`);
  expectStatus(await me(r.session), 200);
  assert.equal(pidOf('svc-users'), pid, 'svc-users was not restarted');
});

for (const [mode, reason, what] of [
  ['wrong_nonce', 'wrong_nonce', 'wrong nonce'],
  ['unknown_key', 'unknown_key', 'ID token signed by a key the IdP never published'],
  ['alg_none', 'token_alg', 'alg: none'],
  ['hs256_public_key', 'token_alg', 'HS256 signed with the public key'],
  ['wrong_aud', 'wrong_audience', 'wrong aud'],
  ['expired', 'token_expired', 'expired token'],
  ['bad_signature', 'bad_signature', 'a signature that does not verify'],
]) {
  test(`a forged ID token is refused: ${what}`, async () => {
    const u = await newIdpUser();
    const b = await begin('/');
    const cb = await signInAtIdp(b.authorizeUrl, u.email);
    await idp('/forge', { mode });
    const res = await callback(cb, b.oidcCookie);
    assertRefused({ res, location: res.headers.get('location'), session: cookieOf(res, 'rcycle_session') }, reason);
    assert.equal(psql('SELECT count(*) FROM users.accounts WHERE email = :\'p1\'', [u.email]), '0', 'no account was made');
  });
}

test('a user without a department claim is refused', async () => {
  const u = await newIdpUser({ department: undefined });
  const r = await ssoSignIn(u.email);
  assertRefused(r, 'missing_department');
});

test('a deactivated user is refused and keeps their roles', async () => {
  const u = await newIdpUser({ groups: ['rcycle-admin'] });
  const first = await ssoSignIn(u.email);
  expectStatus(await me(first.session), 200);
  // Deactivation belongs to user administration; the column is what it sets.
  psql('UPDATE users.accounts SET active = false WHERE email = :\'p1\'', [u.email]);
  await idp('/users', { ...u, groups: [] });
  const r = await ssoSignIn(u.email);
  assertRefused(r, 'account_disabled');
  assert.equal(psql('SELECT array_to_string(roles, \',\') FROM users.accounts WHERE email = :\'p1\'', [u.email]), 'member,admin');
});

test('the sign-ins under way are capped: a flood of redirects cannot grow the table', async () => {
  // 10000 unfinished sign-ins (what a flood of GET /api/auth/oidc/login
  // would leave), made directly; the next redirect is refused as busy.
  psql(`INSERT INTO users.oidc_logins (key_hash, state, nonce, code_verifier, next_path, expires_at)
        SELECT md5('flood' || i) || md5('x' || i), 's', 'n', 'v', '/', now() + interval '10 minutes'
        FROM generate_series(1, 10000) i`);
  try {
    const res = await api('GET', '/api/auth/oidc/login?next=/');
    assert.equal(res.status, 302);
    assert.equal(res.headers.get('location'), '/#/login?error=sso_busy');
  } finally {
    psql(`DELETE FROM users.oidc_logins WHERE state = 's' AND nonce = 'n'`);
  }
  const u = await newIdpUser();
  assert.equal((await ssoSignIn(u.email)).location, '/');
});

test('next=https://evil.example (and other ways off this origin) returns to /', async () => {
  const u = await newIdpUser();
  for (const next of ['https://evil.example', '//evil.example', '/\\evil.example', '/\t/evil.example', 'javascript:alert(1)']) {
    const r = await ssoSignIn(u.email, next);
    assert.equal(r.res.status, 302);
    assert.equal(r.location, '/', `next=${JSON.stringify(next)}`);
    expectStatus(await me(r.session), 200);
  }
});

test('the IdP unreachable: single sign-on fails with a clear reason; local login and existing sessions keep working', async () => {
  const u = await newIdpUser();
  const existing = await ssoSignIn(u.email);
  const b = await begin('/');
  const cb = await signInAtIdp(b.authorizeUrl, u.email);
  await idp('/down');
  try {
    const started = Date.now();
    const res = await callback(cb, b.oidcCookie);
    assertRefused({ res, location: res.headers.get('location'), session: cookieOf(res, 'rcycle_session') }, 'idp_unavailable');
    assert.ok(Date.now() - started < 5000, 'answered within the request deadline');
    await login('jane.smith@company.com');
    expectStatus(await me(existing.session), 200);
    const ready = await api('GET', '/readyz', { base: ADMIN_URLS.USERS });
    assert.equal(ready.status, 200, 'svc-users stays ready');
  } finally {
    await idp('/up');
  }
  const after = await ssoSignIn(u.email);
  assert.equal(after.location, '/', 'sign-in works again once the IdP is back');
});

test('RCYCLE_LOCAL_LOGIN=0: email login refused, single sign-on only', async () => {
  const u = await newIdpUser();
  const off = { RCYCLE_LOCAL_LOGIN: '0' };
  try {
    await restartWith('svc-users', off);
    await restartWith('gateway', off);
    const cfg = await api('GET', '/api/auth/config');
    assert.deepEqual(cfg.json, { local: false, oidc: true });
    const local = await api('POST', '/api/session', { body: { email: 'jane.smith@company.com', password: setting('RCYCLE_SEED_PASSWORD', 'rcycle-dev') } });
    expectStatus(local, 401);
    const r = await ssoSignIn(u.email);
    assert.equal(r.location, '/');
    expectStatus(await me(r.session), 200);
  } finally {
    await restartWith('svc-users', { RCYCLE_LOCAL_LOGIN: undefined });
    await restartWith('gateway', { RCYCLE_LOCAL_LOGIN: undefined });
  }
  await login('jane.smith@company.com');
});

test('an IdP that is down when svc-users starts does not stop it; single sign-on says so', async () => {
  // Port 9 (discard) on loopback: nothing listens there.
  const gone = { RCYCLE_OIDC_ISSUER: 'https://127.0.0.1:9' };
  try {
    await restartWith('svc-users', gone);
    await restartWith('gateway', gone);
    const res = await api('GET', '/api/auth/oidc/login?next=/');
    assert.equal(res.status, 302);
    assert.equal(res.headers.get('location'), '/#/login?error=idp_unavailable');
    await login('jane.smith@company.com');
  } finally {
    await restartWith('svc-users', { RCYCLE_OIDC_ISSUER: OIDC_ISSUER });
    await restartWith('gateway', { RCYCLE_OIDC_ISSUER: OIDC_ISSUER });
  }
  const u = await newIdpUser();
  assert.equal((await ssoSignIn(u.email)).location, '/');
});

test('the IdP\'s certificate is verified: without RCYCLE_OIDC_CA_FILE the throwaway CA is not trusted', async () => {
  const ca = setting('RCYCLE_OIDC_CA_FILE');
  try {
    // Empty, not unset: stack.sh would fill an unset one from stack.env.
    await restartWith('svc-users', { RCYCLE_OIDC_CA_FILE: '' });
    const res = await api('GET', '/api/auth/oidc/login?next=/');
    assert.equal(res.headers.get('location'), '/#/login?error=idp_unavailable');
    const log = readFileSync(path.join(RUN_DIR, 'svc-users.log'), 'utf8');
    assert.match(log, /oidc: https:\/\/127\.0\.0\.1:\d+\/\.well-known\/openid-configuration: (SSL peer certificate or SSH remote key was not OK|Peer certificate cannot be authenticated)/);
  } finally {
    await restartWith('svc-users', { RCYCLE_OIDC_CA_FILE: ca });
  }
  const u = await newIdpUser();
  assert.equal((await ssoSignIn(u.email)).location, '/');
});
