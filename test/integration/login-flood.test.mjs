// login-flood.test.mjs - sign-in under hostile load (docs/API.md: Sessions;
// docs/ARCHITECTURE.md: password hashing): a flood of logins leaves
// Authenticate answering at once and svc-users inside its stated memory
// bound; failed logins are limited per client address as well as per
// account; X-Forwarded-For counts only from a trusted proxy; the security
// events are logged with user and client address and no secret.
//
// Needs a stack whose gateway trusts 127.0.0.1 and not 127.0.0.2
// (RCYCLE_TRUSTED_PROXIES=127.0.0.1, as scripts/test.sh starts it) and
// svc-users' log in $RUN_DIR. Its failed logins are for throw-away e-mails
// and addresses of its own, so it can run beside the read-only files.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { describe, test } from 'node:test';
import { Worker } from 'node:worker_threads';

import {
  ALICE,
  BOB,
  CLIENT_ADDR,
  GATEWAY_URL,
  JANE,
  RUN_DIR,
  SEED_PASSWORD,
  api,
  assertError,
  describe as describeRes,
  expectStatus,
  login,
  pidOf,
  setting,
  sleep,
  uniqueSuffix,
  unknownToken,
} from './lib.mjs';
import { checkResponse } from './openapi.mjs';

const MIB = 1024 * 1024;
// docs/ARCHITECTURE.md, "Memory": svc-users' peak RSS is at most
// 64 MiB per concurrent hash plus 64 MiB for everything else.
const HASH_CONCURRENCY = Number(setting('RCYCLE_HASH_CONCURRENCY', '2'));
const USERS_RSS_BOUND = (64 * HASH_CONCURRENCY + 64) * MIB;
// What the bound comes to under ASan: its shadow memory (one byte per eight
// touched) and the 16 MB quarantine of freed memory (scripts/test.sh) on top
// of the process's own.
const MEASURED_BOUND = setting('RCYCLE_TEST_BUILD') === 'asan' ? USERS_RSS_BOUND * 9 / 8 + 16 * MIB : USERS_RSS_BOUND;
// docs/API.md: the limit per client address.
const ADDR_MAX_FAILURES = 30;

const FLOOD_CLIENTS = 48;
const FLOOD_MS = 6000;

function trustsLoopbackOnly() {
  const list = setting('RCYCLE_TRUSTED_PROXIES', '');
  assert.ok(
    list.split(',').map((s) => s.trim()).includes('127.0.0.1') && !list.includes('127.0.0.2'),
    `this file needs the stack started with RCYCLE_TRUSTED_PROXIES=127.0.0.1 (it has '${list}')`,
  );
}

// VmRSS and VmHWM (the peak so far) of a process, in bytes.
function memoryOf(pid) {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (key) => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(status)[1]) * 1024;
  return { rss: kb('VmRSS'), hwm: kb('VmHWM') };
}

const PROCESSES = ['gateway', 'svc-users', 'svc-listings', 'svc-claims'];

function pidsOfStack() {
  const pids = {};
  for (const name of PROCESSES) {
    pids[name] = pidOf(name);
    assert.ok(pids[name], `the pid of ${name} is in ${RUN_DIR}`);
  }
  return pids;
}

const randomByte = () => Math.floor(Math.random() * 256);
// An address of 198.18.0.0/15 (RFC 2544, for tests), new each call.
const testAddr = () => `198.${18 + (randomByte() & 1)}.${randomByte()}.${1 + (randomByte() % 254)}`;
// A /64 of 2001:db8::/32 (RFC 3849) of this run, and an address in it.
const randomHex = () => Math.floor(Math.random() * 0x10000).toString(16);
const v6Net = () => `2001:db8:${randomHex()}:${randomHex()}`;

function logLinesOf(name, requestId) {
  const text = readFileSync(path.join(RUN_DIR, `${name}.log`), 'utf8');
  return text.split('\n').filter((l) => l.includes(`"request_id":"${requestId}"`));
}

// The svc-users log lines of a request, once they are written.
async function usersLogOf(requestId, pattern) {
  for (let i = 0; i < 50; i++) {
    const lines = logLinesOf('svc-users', requestId);
    if (lines.some((l) => pattern.test(l))) return lines;
    await sleep(100);
  }
  return logLinesOf('svc-users', requestId);
}

// POST /api/session from a chosen local address (http.request: fetch cannot
// pick one), checked against the OpenAPI document like every api() answer.
function loginFrom(localAddress, body, headers) {
  const url = new URL('/api/session', GATEWAY_URL);
  const payload = JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = http.request(
      url,
      { method: 'POST', localAddress, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload), ...headers } },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c) => (text += c));
        res.on('end', () => {
          const h = new Headers();
          for (const [k, v] of Object.entries(res.headers)) h.set(k, Array.isArray(v) ? v.join(', ') : v);
          let json;
          try {
            json = JSON.parse(text);
          } catch {
            json = undefined;
          }
          const result = { status: res.statusCode, headers: h, text, json, method: 'POST', url: url.href };
          checkResponse(result, GATEWAY_URL);
          resolve(result);
        });
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

describe('a flood of 48 parallel logins with unknown e-mails', () => {
  test('GET /api/me keeps answering 200 in under 1 s, and svc-users stays under its memory bound', async (t) => {
    const pids = pidsOfStack();
    // One fresh session per sample: the gateway has not seen its token, so
    // each GET /api/me asks svc-users' Authenticate (no 5 s cache hit).
    const tokens = [];
    for (let i = 0; i < 16; i++) tokens.push((await login(JANE)).token);

    const peak = Object.fromEntries(PROCESSES.map((n) => [n, 0]));
    const end = Date.now() + FLOOD_MS;
    const worker = new Worker(new URL('./login-flood-worker.mjs', import.meta.url), {
      workerData: { clients: FLOOD_CLIENTS, ms: FLOOD_MS, suffix: uniqueSuffix() },
    });
    const flood = new Promise((resolve, reject) => {
      worker.once('message', resolve);
      worker.once('error', reject);
    });
    const sampler = (async () => {
      while (Date.now() < end) {
        for (const name of PROCESSES) peak[name] = Math.max(peak[name], memoryOf(pids[name]).rss);
        await sleep(50);
      }
    })();

    const me = [];
    await sleep(1000); // the flood is under way
    for (const token of tokens) {
      if (Date.now() > end - 300) break;
      const res = await api('GET', '/api/me', { token, timeoutMs: 10000 });
      me.push({ status: res.status, ms: Math.round(res.ms) });
      await sleep(200);
    }
    const [{ statuses, errors }] = await Promise.all([flood, sampler]);

    const hwm = memoryOf(pids['svc-users']).hwm;
    t.diagnostic(`flood answers by status: ${JSON.stringify(statuses)}`);
    t.diagnostic(`GET /api/me during the flood: ${JSON.stringify(me)}`);
    t.diagnostic(`peak RSS during the flood (MiB): ${PROCESSES.map((n) => `${n} ${(peak[n] / MIB).toFixed(1)}`).join(', ')}; svc-users VmHWM ${(hwm / MIB).toFixed(1)}`);

    assert.ok(me.length >= 5, `at least 5 GET /api/me during the flood: ${JSON.stringify(me)}`);
    for (const m of me) {
      assert.equal(m.status, 200, `GET /api/me during the flood: ${JSON.stringify(me)}`);
      assert.ok(m.ms < 1000, `GET /api/me took ${m.ms} ms during the flood: ${JSON.stringify(me)}`);
    }
    assert.deepEqual(errors, [], 'every flood login got 401 or 429 RESOURCE_EXHAUSTED');
    assert.ok((statuses[401] ?? 0) > 0, 'some flood logins were checked (401)');
    assert.ok(peak['svc-users'] < MEASURED_BOUND, `svc-users RSS ${(peak['svc-users'] / MIB).toFixed(1)} MiB < ${MEASURED_BOUND / MIB} MiB`);
    assert.ok(hwm < MEASURED_BOUND, `svc-users peak RSS (VmHWM) ${(hwm / MIB).toFixed(1)} MiB < ${MEASURED_BOUND / MIB} MiB`);
  });
});

// Fails ADDR_MAX_FAILURES logins with throw-away e-mails from addresses of
// the /64 net (addrOf(i) gives each one's host part), each 401: that
// network is then locked out.
async function lockNetwork(net, addrOf) {
  const suffix = uniqueSuffix();
  for (let i = 0; i < ADDR_MAX_FAILURES; i++) {
    const res = await api('POST', '/api/session', {
      body: { email: `addr-${suffix}-${i}@example.invalid`, password: 'wrong' },
      headers: { 'x-forwarded-for': `${net}::${addrOf(i)}` },
    });
    assertError(res, 401, 'UNAUTHENTICATED');
  }
}

describe('the login limit per client address (X-Forwarded-For from the trusted proxy)', () => {
  test(`after ${ADDR_MAX_FAILURES} failures from one network its logins get 429; another address signs in`, async () => {
    trustsLoopbackOnly();
    const net = v6Net();
    await lockNetwork(net, (i) => (i + 1).toString(16));
    // The right password of an account that is not locked, from another
    // address of the same /64: refused for the network.
    const locked = await api('POST', '/api/session', {
      body: { email: JANE, password: SEED_PASSWORD },
      headers: { 'x-forwarded-for': `${net}::ffff` },
    });
    assertError(locked, 429, 'RESOURCE_EXHAUSTED');
    const lines = await usersLogOf(locked.headers.get('x-request-id'), /locked out/);
    assert.ok(lines.some((l) => /client address locked out/.test(l) && l.includes(`client=${net}::ffff`)), `the lockout is logged with the client: ${lines.join('\n')}`);

    // Another account from another client is not affected.
    const other = await api('POST', '/api/session', {
      body: { email: BOB, password: SEED_PASSWORD },
      headers: { 'x-forwarded-for': `${v6Net()}::1` },
    });
    expectStatus(other, 200);
    assert.equal(other.json.user.email, BOB);
  });

  test('X-Forwarded-For from a peer that is not a trusted proxy is ignored', async () => {
    trustsLoopbackOnly();
    // Lock a network through the trusted proxy first...
    const net = v6Net();
    await lockNetwork(net, () => '1');
    assertError(await api('POST', '/api/session', { body: { email: ALICE, password: SEED_PASSWORD }, headers: { 'x-forwarded-for': `${net}::1` } }), 429, 'RESOURCE_EXHAUSTED');
    // ...then name it from 127.0.0.2, which the gateway does not trust: the
    // header is ignored, the client is 127.0.0.2 and the login succeeds.
    const res = await loginFrom('127.0.0.2', { email: ALICE, password: SEED_PASSWORD }, { 'x-forwarded-for': `${net}::1` });
    expectStatus(res, 200);
    assert.equal(res.json.user.email, ALICE);
    const lines = await usersLogOf(res.headers.get('x-request-id'), /security: sign-in user=/);
    assert.ok(lines.some((l) => /security: sign-in user=\d+ email=alice\.williams@company\.com client=127\.0\.0\.2"/.test(l)), `the sign-in is logged for 127.0.0.2: ${lines.join('\n')}`);
  });
});

describe('security events in svc-users\' log: user and client address, never a secret', () => {
  test('a failed sign-in names the e-mail and the client, not the password', async () => {
    trustsLoopbackOnly();
    const addr = testAddr();
    const password = `secret-${uniqueSuffix()}`;
    const email = `log-${uniqueSuffix()}@example.invalid`;
    const res = await api('POST', '/api/session', { body: { email, password }, headers: { 'x-forwarded-for': addr } });
    assertError(res, 401, 'UNAUTHENTICATED');
    const lines = await usersLogOf(res.headers.get('x-request-id'), /sign-in failed/);
    assert.ok(lines.some((l) => l.includes('"level":"info"') && l.includes(`email=${email} client=${addr}`)), `logged: ${lines.join('\n')}`);
    assert.ok(!readFileSync(path.join(RUN_DIR, 'svc-users.log'), 'utf8').includes(password), 'the password is in no log line');
  });

  test('a refused session token is logged with the client, not the token', async () => {
    trustsLoopbackOnly();
    const token = unknownToken();
    const res = await api('GET', '/api/me', { token });
    assertError(res, 401, 'UNAUTHENTICATED');
    const lines = await usersLogOf(res.headers.get('x-request-id'), /session token refused/);
    assert.ok(lines.some((l) => l.includes(`session token refused (unknown or expired) client=${CLIENT_ADDR}"`)), `logged: ${lines.join('\n')}`);
    assert.ok(!readFileSync(path.join(RUN_DIR, 'svc-users.log'), 'utf8').includes(token), 'the token is in no log line');
  });

  test('a permission denied by svc-users names the user and the client', async () => {
    trustsLoopbackOnly();
    const jane = await login(JANE);
    const res = await api('GET', '/api/users', { token: jane.token });
    assertError(res, 403, 'PERMISSION_DENIED');
    const lines = await usersLogOf(res.headers.get('x-request-id'), /permission denied/);
    assert.ok(lines.some((l) => l.includes(`user=${jane.user.id} email=${JANE} client=${CLIENT_ADDR}"`)), `logged: ${lines.join('\n')}`);
  });
});
