// audit.test.mjs - the audit trail (docs/AUDIT.md): every action recorded
// with its actor, the events tables out of reach of the service roles, the
// hash chains whole under concurrent writers, GET /api/audit, the NDJSON
// export and rcycle-admin verify-audit finding every kind of tampering.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

import {
  ADMIN_URLS, ALICE, BOB, JANE, JOHN, SEED_PASSWORD, api, assertError, expectStatus, login, session, setting,
  uniqueSuffix,
} from './lib.mjs';
import {
  DEPT, ITEST_PASSWORD, SERIALS, claimAction, createClaim, createListing, freshDepartmentUser, waitClaimStatus,
} from './fixtures.mjs';

const execFileP = promisify(execFile);
const ROOT = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..', '..');
const ADMIN_TOOL = path.join(path.resolve(ROOT, setting('BUILD_DIR', 'build')), 'db', 'rcycle-admin');
const CHAINS = ['users', 'listings', 'claims'];
const roleUrl = (chain) => setting(`RCYCLE_${chain.toUpperCase()}_DATABASE_URL`);

// psql as url; {status, stdout, stderr}.
function psql(url, ...commands) {
  const args = [url, '-v', 'ON_ERROR_STOP=1', '-qAt'];
  for (const c of commands) args.push('-c', c);
  const r = spawnSync('psql', args, { encoding: 'utf8', timeout: 30000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

async function exportText(token, query = '') {
  const res = await fetch(`${setting('GATEWAY_URL', 'http://127.0.0.1:3000')}/api/audit/export${query}`, {
    headers: { authorization: `Bearer ${token}` },
  });
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type'), /^application\/x-ndjson/);
  return res.text();
}

// rcycle-admin verify-audit on text (a file), with optional heads text.
function verify(text, heads) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rcycle-audit-'));
  const file = path.join(dir, 'export.ndjson');
  fs.writeFileSync(file, text);
  const args = ['verify-audit'];
  if (heads !== undefined) {
    fs.writeFileSync(path.join(dir, 'heads'), heads);
    args.push('--heads', path.join(dir, 'heads'));
  }
  args.push(file);
  const r = spawnSync(ADMIN_TOOL, args, { encoding: 'utf8', timeout: 60000 });
  fs.rmSync(dir, { recursive: true, force: true });
  return { status: r.status, out: r.stdout + r.stderr };
}

const lines = (text) => text.split('\n').filter((l) => l !== '');

test('every events table refuses UPDATE, DELETE, TRUNCATE, DISABLE TRIGGER and DROP to its own service role', () => {
  for (const chain of CHAINS) {
    const url = roleUrl(chain);
    assert.ok(url, `the stack records ${chain}' database URL`);
    const owner = psql(url, `SELECT tableowner FROM pg_tables WHERE schemaname = '${chain}' AND tablename = 'events'`);
    assert.equal(owner.stdout.trim(), 'rcycle_audit', `${chain}.events belongs to rcycle_audit`);
    const login = psql(url, "SELECT rolcanlogin FROM pg_roles WHERE rolname = 'rcycle_audit'");
    assert.equal(login.stdout.trim(), 'f', 'rcycle_audit cannot sign in');
    for (const [what, sql] of [
      ['UPDATE', `UPDATE ${chain}.events SET note = 'edited'`],
      ['DELETE', `DELETE FROM ${chain}.events`],
      ['TRUNCATE', `TRUNCATE ${chain}.events`],
      ['DISABLE TRIGGER', `ALTER TABLE ${chain}.events DISABLE TRIGGER events_append_only`],
      ['DISABLE TRIGGER ALL', `ALTER TABLE ${chain}.events DISABLE TRIGGER ALL`],
      ['DROP', `DROP TABLE ${chain}.events`],
      ['head UPDATE', `UPDATE ${chain}.audit_head SET seq = 0`],
      ['trigger function', `CREATE OR REPLACE FUNCTION ${chain}.refuse_event_change() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NULL; END $$`],
    ]) {
      const r = psql(url, 'BEGIN', sql, 'ROLLBACK');
      assert.notEqual(r.status, 0, `${what} on ${chain} is refused: ${r.stdout}`);
      assert.match(r.stderr, /permission denied|must be owner/, `${what} on ${chain}: ${r.stderr}`);
    }
  }
});

test('an insert cannot choose its place in the chain: seq and hashes come from the head', () => {
  const url = roleUrl('users');
  const head = psql(url, "SELECT seq, encode(hash, 'hex') FROM users.audit_head").stdout.trim().split('|');
  const r = psql(url, 'BEGIN',
    "INSERT INTO users.events (entity, action, seq, prev_hash, hash) VALUES ('user', 'forged', 1, '\\x00', '\\x00')" +
    " RETURNING seq, encode(prev_hash, 'hex')",
    'ROLLBACK');
  assert.equal(r.status, 0, r.stderr);
  const [seq, prev] = r.stdout.trim().split('|');
  assert.ok(Number(seq) > Number(head[0]), `seq ${seq} follows the head ${head[0]}`);
  assert.equal(prev.length, 64);
});

test('concurrent appends on many connections make one chain: no repeated seq, no gap, no fork', async () => {
  const url = roleUrl('users');
  const before = Number(psql(url, 'SELECT seq FROM users.audit_head').stdout.trim());
  const WRITERS = 8;
  const EACH = 25;
  const tag = `concurrency ${uniqueSuffix()}`;
  const sql = `INSERT INTO users.events (entity, action, note) SELECT 'user', 'itest_append', '${tag}' FROM generate_series(1, 1)`;
  await Promise.all(Array.from({ length: WRITERS }, () => {
    const args = [url, '-v', 'ON_ERROR_STOP=1', '-qAt'];
    for (let i = 0; i < EACH; i++) args.push('-c', sql);
    return execFileP('psql', args, { timeout: 60000 });
  }));
  const rows = psql(url, `SELECT seq, encode(prev_hash, 'hex'), encode(hash, 'hex') FROM users.events WHERE seq > ${before} ORDER BY seq`)
    .stdout.trim().split('\n').map((l) => l.split('|'));
  const mine = Number(psql(url, `SELECT count(*) FROM users.events WHERE note = '${tag}'`).stdout.trim());
  assert.equal(mine, WRITERS * EACH);
  for (let i = 0; i < rows.length; i++) {
    assert.equal(Number(rows[i][0]), before + 1 + i, 'seq has no gap and no repeat');
    if (i > 0) assert.equal(rows[i][1], rows[i - 1][2], `seq ${rows[i][0]} links to the one before`);
  }
});

test('sign-in, failed sign-in, sign-out, listing and claim actions are recorded with the actor', async () => {
  const password = `wrong-${uniqueSuffix()}`;
  const failed = await api('POST', '/api/session', { body: { email: BOB, password } });
  expectStatus(failed, 401);
  const bob = await login(BOB);
  const out = await login(BOB);
  expectStatus(await api('DELETE', '/api/session', { token: out.token }), 204);
  const jane = await session(JANE);
  const alice = await session(ALICE);
  const listing = await createListing(jane, SERIALS.audit[0]);
  expectStatus(await api('PATCH', `/api/listings/${listing.id}`, { token: jane.token, body: { location: `Rack ${uniqueSuffix()}` } }), 200);
  const claim = await createClaim(bob, listing.id);
  expectStatus(await claimAction(jane, claim.id, 'approve'), 200);
  expectStatus(await claimAction(alice, claim.id, 'approve'), 200);
  await waitClaimStatus(claim.id, 'approved');

  const find = async (query) => {
    const res = await api('GET', `/api/audit?${query}`, { token: alice.token });
    expectStatus(res, 200);
    return res.json;
  };
  const signins = await find(`actor=${encodeURIComponent(BOB)}&entity=user`);
  const actions = signins.map((e) => e.action);
  for (const a of ['sign_in_failed', 'signed_in', 'signed_out']) assert.ok(actions.includes(a), `${a} in ${actions}`);
  const ok = signins.find((e) => e.action === 'signed_in');
  assert.equal(ok.actorDepartment, DEPT.bob);
  assert.equal(ok.actorId, bob.user.id);
  assert.equal(ok.chain, 'users');

  const listingEvents = await find(`entity=listing&entityId=${listing.id}`);
  const byAction = Object.fromEntries(listingEvents.map((e) => [e.action, e]));
  for (const a of ['created', 'updated', 'reserved']) assert.ok(byAction[a], `listing ${a} recorded: ${listingEvents.map((e) => e.action)}`);
  assert.equal(byAction.created.actorEmail, JANE);
  assert.equal(byAction.created.actorDepartment, DEPT.jane);

  const claimEvents = await find(`entity=claim&entityId=${claim.id}`);
  const claimBy = Object.fromEntries(claimEvents.map((e) => [e.action, e]));
  assert.equal(claimBy.created.actorEmail, BOB);
  assert.equal(claimBy.owner_approved.actorEmail, JANE);
  assert.equal(claimBy.security_approved.actorEmail, ALICE);
  assert.equal(claimBy.security_approved.actorDepartment, DEPT.alice);

  // No password, session token or its hash anywhere in the trail.
  const all = await exportText(alice.token);
  for (const secret of [password, SEED_PASSWORD, bob.token, out.token, alice.token])
    assert.ok(!all.includes(secret), 'no secret in the export');
});

test('user and token changes are recorded on the users chain, each once, with the actor; the export verifies', async () => {
  const john = await session(JOHN);
  const alice = await session(ALICE);
  const u = await freshDepartmentUser('aud');
  const id = u.user.id;
  const dept = `Audited ${uniqueSuffix()}`;
  const reset = `reset-password-${uniqueSuffix()}`;
  const changed = `changed-password-${uniqueSuffix()}`;
  const patch = (body) => api('PATCH', `/api/users/${id}`, { token: john.token, body });
  expectStatus(await patch({ name: 'Audited Person', department: dept, roles: ['security'] }), 200);
  expectStatus(await patch({ name: 'Audited Person' }), 200); // changes nothing: no event
  expectStatus(await patch({ active: false }), 200);
  expectStatus(await patch({ active: true }), 200);
  expectStatus(await api('POST', `/api/users/${id}/password`, { token: john.token, body: { password: reset } }), 204);
  const me = await login(u.email, reset);
  expectStatus(await api('POST', '/api/me/password', { token: me.token, body: { currentPassword: reset, newPassword: changed } }), 204);
  const made = await api('POST', '/api/tokens', { token: me.token, body: { name: `audited ${uniqueSuffix()}`, scopes: ['read'] } });
  expectStatus(made, 201);
  const tok = made.json;
  // Two uses within the hour: one "used" event (docs/AUDIT.md).
  for (let i = 0; i < 2; i++) expectStatus(await api('GET', '/api/me', { token: tok.token }), 200);
  expectStatus(await api('DELETE', `/api/tokens/${tok.id}`, { token: me.token }), 204);

  const find = async (query) => {
    const res = await api('GET', `/api/audit?${query}&limit=500`, { token: alice.token });
    expectStatus(res, 200);
    return res.json;
  };
  const JOHN_ACTOR = { actorEmail: JOHN, actorDepartment: DEPT.john, actorId: john.user.id };
  const SELF = { actorEmail: u.email, actorDepartment: dept, actorId: id };
  const userEvents = (await find(`entity=user&entityId=${id}`))
    .filter((e) => !['created', 'signed_in', 'signed_out'].includes(e.action)).reverse();
  const pick = (e) => ({
    action: e.action, fromStatus: e.fromStatus, toStatus: e.toStatus, note: e.note,
    actorEmail: e.actorEmail, actorDepartment: e.actorDepartment, actorId: e.actorId,
  });
  assert.deepEqual(userEvents.map(pick), [
    { action: 'updated', fromStatus: u.user.name, toStatus: 'Audited Person', note: 'name', ...JOHN_ACTOR },
    { action: 'updated', fromStatus: u.department, toStatus: dept, note: 'department', ...JOHN_ACTOR },
    { action: 'updated', fromStatus: 'member', toStatus: 'member,security', note: 'roles', ...JOHN_ACTOR },
    { action: 'deactivated', fromStatus: 'active', toStatus: 'inactive', note: null, ...JOHN_ACTOR },
    { action: 'reactivated', fromStatus: 'inactive', toStatus: 'active', note: null, ...JOHN_ACTOR },
    { action: 'password_reset', fromStatus: null, toStatus: null, note: userEvents[5]?.note, ...JOHN_ACTOR },
    { action: 'password_changed', fromStatus: null, toStatus: null, note: userEvents[6]?.note, ...SELF },
  ]);
  for (const e of userEvents) {
    assert.equal(e.chain, 'users');
    assert.equal(e.entity, 'user');
    assert.equal(e.entityId, String(id));
  }
  assert.ok(userEvents[5].note, 'a password event names the client address');

  const tokenEvents = (await find(`entity=token&entityId=${tok.id}`)).reverse();
  assert.deepEqual(tokenEvents.map(pick), [
    { action: 'created', fromStatus: null, toStatus: 'read', note: tok.name, ...SELF },
    { action: 'used', fromStatus: null, toStatus: null, note: tok.name, ...SELF },
    { action: 'revoked', fromStatus: null, toStatus: null, note: tok.name, ...SELF },
  ]);
  assert.ok(tokenEvents.every((e) => e.entity === 'token' && e.entityId === String(tok.id)));
  const byAction = await api('GET', `/api/audit?action=password_changed&actor=${encodeURIComponent(u.email)}`, { token: alice.token });
  expectStatus(byAction, 200);
  assert.equal(byAction.json.length, 1, 'the action and actor filters find the one event');
  assert.equal(byAction.headers.get('x-total-count'), '1');
  assert.equal(byAction.headers.get('x-total-count-exact'), 'true', 'a count under the cap is exact');

  const text = await exportText(alice.token);
  const good = verify(text);
  assert.equal(good.status, 0, good.out);
  const exported = lines(text).map((l) => JSON.parse(l));
  for (const e of [...userEvents, ...tokenEvents]) {
    const x = exported.find((y) => y.chain === 'users' && y.seq === e.seq);
    assert.ok(x, `users seq ${e.seq} is in the export`);
    assert.equal(x.hash, e.hash);
  }
  for (const secret of [reset, changed, ITEST_PASSWORD, tok.token, me.token])
    assert.ok(!text.includes(secret), 'no password or token in the export');
});

test('GET /api/audit: newest first, filters, paging with X-Total-Count; security and admin only', async () => {
  const alice = await session(ALICE);
  const john = await session(JOHN);
  const page = await api('GET', '/api/audit?limit=5', { token: john.token });
  expectStatus(page, 200);
  assert.equal(page.json.length, 5);
  const total = Number(page.headers.get('x-total-count'));
  assert.ok(total >= 5);
  for (let i = 1; i < page.json.length; i++) assert.ok(page.json[i - 1].at >= page.json[i].at, 'newest first');
  const next = await api('GET', '/api/audit?limit=5&offset=5', { token: john.token });
  expectStatus(next, 200);
  assert.notDeepEqual(next.json[0], page.json[0]);
  assert.ok(next.json[0].at <= page.json[4].at, 'the second page continues the first');

  const signedIn = await api('GET', '/api/audit?action=signed_in&limit=500', { token: alice.token });
  expectStatus(signedIn, 200);
  assert.ok(signedIn.json.every((e) => e.action === 'signed_in'));
  const from = signedIn.json[signedIn.json.length - 1].at;
  const since = await api('GET', `/api/audit?action=signed_in&from=${encodeURIComponent(from)}&limit=500`, { token: alice.token });
  expectStatus(since, 200);
  assert.ok(since.json.every((e) => e.at >= from));
  const future = await api('GET', '/api/audit?from=2999-01-01T00:00:00Z', { token: alice.token });
  expectStatus(future, 200);
  assert.equal(future.json.length, 0);
  assert.equal(future.headers.get('x-total-count'), '0');
  assert.equal(future.headers.get('x-total-count-exact'), 'true');
  assert.match(page.headers.get('x-total-count-exact'), /^(true|false)$/);

  assertError(await api('GET', '/api/audit?from=yesterday', { token: alice.token }), 400, 'INVALID_ARGUMENT');
  assertError(await api('GET', '/api/audit?entity=printer', { token: alice.token }), 400, 'INVALID_ARGUMENT');
  assertError(await api('GET', '/api/audit?limit=501', { token: alice.token }), 400, 'INVALID_ARGUMENT');
  const jane = await session(JANE);
  assertError(await api('GET', '/api/audit', { token: jane.token }), 403, 'PERMISSION_DENIED');
  assertError(await api('GET', '/api/audit/export', { token: jane.token }), 403, 'PERMISSION_DENIED');
  assertError(await api('GET', '/api/audit'), 401, 'UNAUTHENTICATED');
});

test('an untouched export verifies; an edit, a deleted line, swapped lines and a cut tail are each named', async () => {
  const alice = await session(ALICE);
  const text = await exportText(alice.token);
  const all = lines(text);
  assert.ok(all.length > 10);
  const good = verify(text);
  assert.equal(good.status, 0, good.out);
  for (const chain of CHAINS) assert.match(good.out, new RegExp(`chain ${chain}: \\d+ event`));

  // A line in the middle of the listings chain, with one before and after it.
  const at = all.findIndex((l, i) => i > 0 && i + 1 < all.length && JSON.parse(l).chain === 'listings' &&
    JSON.parse(l).seq >= 2 && JSON.parse(all[i + 1]).chain === 'listings');
  assert.ok(at > 0, 'the export has a listings event with neighbours');
  const ev = JSON.parse(all[at]);
  const name = `chain listings seq ${ev.seq}`;

  const edited = [...all];
  edited[at] = JSON.stringify({ ...ev, actorDepartment: 'Somebody Else' });
  const e = verify(`${edited.join('\n')}\n`);
  assert.equal(e.status, 1);
  assert.match(e.out, new RegExp(`${name}: hash does not match`));

  const deleted = all.filter((_, i) => i !== at);
  const d = verify(`${deleted.join('\n')}\n`);
  assert.equal(d.status, 1);
  assert.match(d.out, new RegExp(`chain listings seq ${ev.seq + 1}: seq ${ev.seq} to ${ev.seq} missing`));

  const swapped = [...all];
  [swapped[at], swapped[at + 1]] = [swapped[at + 1], swapped[at]];
  const s = verify(`${swapped.join('\n')}\n`);
  assert.equal(s.status, 1);
  assert.match(s.out, new RegExp(`line ${at + 1}: chain listings seq ${ev.seq + 1}`));

  // Heads as the services log them; the export's own last events stand in
  // for heads recorded at its end.
  const parsed = all.map((l) => JSON.parse(l));
  const last = Object.fromEntries(parsed.map((x) => [x.chain, x]));
  const heads = CHAINS.map((c) => last[c]).map((h) => `{"msg":"audit chain head chain=${h.chain} seq=${h.seq} hash=${h.hash}"}`).join('\n');
  assert.equal(verify(text, heads).status, 0);
  const cut = all.filter((_, i) => !(parsed[i].chain === 'claims' && parsed[i].seq === last.claims.seq));
  const c = verify(`${cut.join('\n')}\n`);
  assert.equal(c.status, 0, 'a cut tail alone cannot show in the chain');
  const withHeads = verify(`${cut.join('\n')}\n`, heads);
  assert.equal(withHeads.status, 1);
  assert.match(withHeads.out, /chain claims ends at seq \d+ before the recorded head seq \d+/);

  // The heads the services logged at start are in the export, hash and all.
  const logged = ['svc-users', 'svc-listings', 'svc-claims']
    .map((p) => path.join(setting('RUN_DIR', path.join(ROOT, '.data', 'run')), `${p}.log`))
    .filter((f) => fs.existsSync(f))
    .map((f) => fs.readFileSync(f, 'utf8').split('\n').filter((l) => l.includes('audit chain head')).join('\n'))
    .join('\n');
  if (logged !== '') assert.equal(verify(text, logged).status, 0, 'the logged heads match the export');
});

test('each service exports its chain head as rcycle_audit_chain_head_seq', async () => {
  for (const [proc, chain] of [['svc-users', 'users'], ['svc-listings', 'listings'], ['svc-claims', 'claims']]) {
    const res = await fetch(`${ADMIN_URLS[proc]}/metrics`);
    const body = await res.text();
    assert.match(body, new RegExp(`rcycle_audit_chain_head_seq\\{chain="${chain}"\\} \\d+`), `${proc} /metrics`);
  }
});

test('a registry import is recorded on the listings chain', () => {
  const admin = setting('RCYCLE_ADMIN_DATABASE_URL', setting('DATABASE_URL'));
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rcycle-import-'));
  const file = path.join(dir, `registry-${uniqueSuffix()}.csv`);
  fs.writeFileSync(file, `serial,manufacturer,model,category,cpu,ram,storage,ports,other,has_storage_media\nAUD-${uniqueSuffix()},Dell,R640,Server,,,,,,false\n`);
  execFileSync(ADMIN_TOOL, ['import-hardware', file], { env: { ...process.env, DATABASE_URL: admin }, encoding: 'utf8' });
  fs.rmSync(dir, { recursive: true, force: true });
  const r = psql(admin, `SELECT entity, action, note FROM listings.events WHERE note LIKE '${path.basename(file)}:%'`);
  assert.match(r.stdout, /^registry\|imported\|.*: 1 added, 0 updated, 0 skipped \(database role \w+\)/);
});
