// lib.mjs - shared helpers of the R-Cycle integration suite.
//
// The suite runs against a live stack (scripts/stack.sh start, or
// scripts/test.sh) with Node's built-in runner; its few npm packages (ajv,
// ajv-formats, yaml, the OpenAPI validator; package-lock.json) are installed
// by test/integration/install.sh, which every runner of the suite calls:
//
//   test/integration/install.sh && node --test test/integration/
//
// Every response api() receives is checked against docs/openapi.yaml
// (openapi.mjs): a status, header or body the document does not allow fails
// the test that made the request.
//
// Environment (each variable, when unset, is read from $RUN_DIR/stack.env,
// which `stack.sh start` writes; exporting RUN_DIR alone is therefore enough):
//
//   GATEWAY_URL                 the gateway's public base URL, e.g. http://127.0.0.1:3000
//   RUN_DIR                     the stack's run directory (stack.env, *.pid, *.log)
//   RCYCLE_DATA_DIR             the stack's data directory, passed on to stack.sh
//                               (from stack.env when unset; see stackSh below)
//   STACK_SH                    path of scripts/stack.sh (default: the one of this tree);
//                               the resilience test calls `kill-one NAME SIG` and `start-one NAME`
//   RCYCLE_GATEWAY_ADMIN_URL    admin base URL of each process (/healthz, /readyz, /metrics);
//   RCYCLE_USERS_ADMIN_URL      when unset, http://127.0.0.1:$RCYCLE_<NAME>_ADMIN_PORT
//   RCYCLE_LISTINGS_ADMIN_URL   (the port names stack.sh exports and records)
//   RCYCLE_CLAIMS_ADMIN_URL
//   RCYCLE_GATEWAY_ADMIN_PORT, RCYCLE_USERS_ADMIN_PORT,
//   RCYCLE_LISTINGS_ADMIN_PORT, RCYCLE_CLAIMS_ADMIN_PORT
//   RCYCLE_SEED_PASSWORD        the seed users' password (default rcycle-dev)
//   RCYCLE_COOKIE_SECURE        1 when the stack sets Secure on the session cookie
//   RCYCLE_TEST_TIMEOUT_MS      per-request timeout of the helpers (default 10000)
//   RCYCLE_TRUSTED_PROXIES      the gateway's trusted proxies; the suite wants 127.0.0.1
//                               (scripts/test.sh sets it; see CLIENT_ADDR below)
//
// Every file of the suite is independent of the others and of their order,
// except zz-resilience.test.mjs, which crashes and restarts svc-listings: it
// is named to start last, waits until the other files are done (they may run
// in parallel; see waitForOtherTestFiles) and restores what it breaks.
// `node --test --test-concurrency=1 test/integration/` is the plain way. The
// read-only files (listings, hardware, errors, ops, session) only read the seed
// data, apart from sessions they create and failed logins for throw-away,
// non-seed e-mail addresses. The writing files (listings-write, claims, authz,
// concurrency; helpers in fixtures.mjs) post listings from registry serials of
// their own, make claims and a few users, and withdraw what they made; run
// them beside listings.test.mjs only with --test-concurrency=1, since that
// file compares filters against one snapshot of all listings. The crash suite
// (crash/invariant.crash.mjs) is not part of this run: see its header.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { checkResponse, recordStatsAtExit } from './openapi.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

// ---- settings ----------------------------------------------------------

// Undoes bash's printf %q for the values stack.sh writes (plain words,
// backslash escapes, or $'...').
function unquoteShell(v) {
  if (v.startsWith("$'") && v.endsWith("'")) {
    return v.slice(2, -1).replace(/\\(x[0-9a-fA-F]{2}|[nrt\\'"])/g, (_, e) => {
      if (e[0] === 'x') return String.fromCharCode(parseInt(e.slice(1), 16));
      return { n: '\n', r: '\r', t: '\t' }[e] ?? e;
    });
  }
  if (v.startsWith("'") && v.endsWith("'")) return v.slice(1, -1);
  return v.replace(/\\(.)/g, '$1');
}

function loadStackEnv() {
  const runDir = process.env.RUN_DIR;
  const out = {};
  if (!runDir) return out;
  const file = path.join(runDir, 'stack.env');
  if (!existsSync(file)) return out;
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    const m = /^([A-Z_][A-Z0-9_]*)=(.*)$/.exec(line);
    if (m) out[m[1]] = unquoteShell(m[2]);
  }
  return out;
}

const stackEnv = loadStackEnv();

export function setting(name, fallback) {
  const v = process.env[name] ?? stackEnv[name];
  return v === undefined || v === '' ? fallback : v;
}

// The sanitizer settings of the stack (empty in a release build), for a
// process a test starts itself: its reports then land where the stack's do
// and fail the suite's sanitizer check, and the library leaks the stack
// suppresses (test/lsan.supp) are suppressed for it too.
export function sanitizerEnv() {
  const env = {};
  for (const name of ['ASAN_OPTIONS', 'UBSAN_OPTIONS', 'LSAN_OPTIONS']) {
    const v = setting(name);
    if (v !== undefined) env[name] = v;
  }
  return env;
}

export const GATEWAY_URL = setting('GATEWAY_URL', 'http://127.0.0.1:3000').replace(/\/+$/, '');
export const RUN_DIR = setting('RUN_DIR', path.join(ROOT, '.data', 'run'));
export const STACK_SH = setting('STACK_SH', path.join(ROOT, 'scripts', 'stack.sh'));
export const SEED_PASSWORD = setting('RCYCLE_SEED_PASSWORD', 'rcycle-dev');
export const COOKIE_SECURE = setting('RCYCLE_COOKIE_SECURE', '0') === '1';
export const REQUEST_TIMEOUT_MS = Number(setting('RCYCLE_TEST_TIMEOUT_MS', '10000'));

// The RPC certificates of the stack (scripts/certs.sh) and the tool that
// speaks raw envelopes to a service (test/tools/rpc_probe.c).
export const CERTS_DIR = setting('RCYCLE_CERTS_DIR', path.join(ROOT, '.data', 'certs'));
export const RPC_PROBE = path.join(path.resolve(ROOT, setting('BUILD_DIR', 'build')), 'test', 'tools', 'rpc-probe');

// rpc-probe's environment to dial a service of kind peer with kind's
// certificate (kind null: none at all), from the PKI in dir.
export function probeEnv(kind, peer, dir = CERTS_DIR) {
  const env = { ...process.env, RCYCLE_TLS_PEER_CA: `${dir}/trust/${peer}.pem` };
  delete env.RCYCLE_TLS_CERT;
  delete env.RCYCLE_TLS_KEY;
  if (kind) Object.assign(env, { RCYCLE_TLS_CERT: `${dir}/${kind}.crt`, RCYCLE_TLS_KEY: `${dir}/${kind}.key` });
  return env;
}

const DEFAULT_ADMIN_PORTS = { GATEWAY: 7200, USERS: 7201, LISTINGS: 7202, CLAIMS: 7203 };

function adminUrl(key) {
  const url = setting(`RCYCLE_${key}_ADMIN_URL`);
  if (url) return url.replace(/\/+$/, '');
  return `http://127.0.0.1:${setting(`RCYCLE_${key}_ADMIN_PORT`, String(DEFAULT_ADMIN_PORTS[key]))}`;
}

// Admin base URL of each process, by the process name stack.sh uses.
export const ADMIN_URLS = {
  gateway: adminUrl('GATEWAY'),
  'svc-users': adminUrl('USERS'),
  'svc-listings': adminUrl('LISTINGS'),
  'svc-claims': adminUrl('CLAIMS'),
};

// ---- seed data (SEED.md) -------------------------------------------------

export const SEED_USERS = [
  { email: 'john.doe@company.com', name: 'John Doe', department: 'IT Infrastructure', roles: ['member', 'admin'] },
  { email: 'jane.smith@company.com', name: 'Jane Smith', department: 'Data Center Operations', roles: ['member'] },
  { email: 'bob.johnson@company.com', name: 'Bob Johnson', department: 'Development Team', roles: ['member'] },
  { email: 'alice.williams@company.com', name: 'Alice Williams', department: 'Security Team', roles: ['member', 'security'] },
  { email: 'carol.davis@company.com', name: 'Carol Davis', department: 'Security Team', roles: ['member', 'security'] },
];
export const SEED_EMAILS = SEED_USERS.map((u) => u.email);
export const JOHN = SEED_EMAILS[0];
export const JANE = SEED_EMAILS[1];
export const BOB = SEED_EMAILS[2];
export const ALICE = SEED_EMAILS[3];
export const CAROL_DAVIS = SEED_EMAILS[4];

// ---- HTTP ----------------------------------------------------------------

// The client address this test process claims (X-Forwarded-For on every
// request, unless the request sets its own). The test stacks trust
// 127.0.0.1 as a proxy (RCYCLE_TRUSTED_PROXIES), so each file is its own
// client, as people behind an ingress are: the login limit per client address
// (docs/API.md) counts each file's failed logins apart, and reruns against
// one stack do not add up on one address. A stack that trusts no proxy
// ignores the header.
export const CLIENT_ADDR = `10.${1 + Math.floor(Math.random() * 254)}.${Math.floor(Math.random() * 256)}.${1 + Math.floor(Math.random() * 254)}`;

// One request. opts: token (bearer), cookie (+ csrf), body (sent as JSON),
// rawBody (string or Buffer, sent as is), headers, base (another base URL,
// e.g. an admin port), timeoutMs. Returns {status, headers, text, json, ms}:
// json is the parsed body or undefined when the body is not JSON.
export async function api(method, urlPath, opts = {}) {
  const headers = { ...(opts.headers ?? {}) };
  if (!Object.keys(headers).some((h) => h.toLowerCase() === 'x-forwarded-for')) headers['x-forwarded-for'] = CLIENT_ADDR;
  if (opts.token) headers.authorization = `Bearer ${opts.token}`;
  if (opts.cookie) headers.cookie = opts.cookie;
  if (opts.csrf) headers['x-csrf-token'] = opts.csrf;
  let body;
  if (opts.rawBody !== undefined) {
    body = opts.rawBody;
    if (!Object.keys(headers).some((h) => h.toLowerCase() === 'content-type'))
      headers['content-type'] = 'application/json';
  } else if (opts.body !== undefined) {
    body = JSON.stringify(opts.body);
    headers['content-type'] = 'application/json';
  }
  const url = (opts.base ?? GATEWAY_URL) + urlPath;
  const started = performance.now();
  const res = await fetch(url, {
    method,
    headers,
    body,
    redirect: 'manual',
    signal: AbortSignal.timeout(opts.timeoutMs ?? REQUEST_TIMEOUT_MS),
  });
  const text = await res.text();
  const ms = performance.now() - started;
  let json;
  try {
    json = text.length > 0 ? JSON.parse(text) : undefined;
  } catch {
    json = undefined;
  }
  const result = { status: res.status, headers: res.headers, text, json, ms, method, url };
  checkResponse(result, GATEWAY_URL);
  return result;
}

// A short description of a response for assertion messages.
export function describe(res) {
  const body = res.text.length > 300 ? `${res.text.slice(0, 300)}...` : res.text;
  return `${res.method} ${res.url} -> ${res.status} ${body}`;
}

export function expectStatus(res, status) {
  assert.equal(res.status, status, `expected ${status}: ${describe(res)}`);
}

// ---- errors --------------------------------------------------------------

// docs/API.md: the error code of each HTTP status.
export const CODE_OF_STATUS = {
  400: ['INVALID_ARGUMENT'],
  401: ['UNAUTHENTICATED'],
  403: ['PERMISSION_DENIED'],
  404: ['NOT_FOUND'],
  409: ['ALREADY_EXISTS', 'FAILED_PRECONDITION', 'ABORTED'],
  429: ['RESOURCE_EXHAUSTED'],
  500: ['INTERNAL'],
  503: ['UNAVAILABLE'],
  504: ['DEADLINE_EXCEEDED'],
};

// What an error message must never show (docs/API.md: no SQL, stack traces or
// internal addresses).
export const LEAKS = [
  /SELECT/, /\bSQL\b/, /tcp:\/\//i, /ipc:\/\//i, /inproc:\/\//i, /\n\s+at\s/, /Traceback/, /\.c:\d+/,
  /libpq|PGRES_|SQLSTATE|postgres(ql)?:\/\//i, /\brelation "|\bsyntax error at\b/i,
];

// Asserts that res is an error response of docs/API.md's shape: the status, a
// JSON body {error: non-empty string, code} with the code of that status
// (or `code` when given), Content-Type application/json, no leak of
// internals in the message.
export function assertError(res, status, code) {
  expectStatus(res, status);
  assertErrorShape(res);
  const expected = code ? [code] : CODE_OF_STATUS[status];
  if (expected) assert.ok(expected.includes(res.json.code), `code ${res.json.code} is not ${expected.join('|')}: ${describe(res)}`);
}

// The status-independent part of assertError.
export function assertErrorShape(res) {
  assert.match(res.headers.get('content-type') ?? '', /^application\/json\b/i, `content-type: ${describe(res)}`);
  assert.ok(res.json && typeof res.json === 'object' && !Array.isArray(res.json), `JSON object body: ${describe(res)}`);
  assert.equal(typeof res.json.error, 'string', `error is a string: ${describe(res)}`);
  assert.ok(res.json.error.length > 0, `error is not empty: ${describe(res)}`);
  assert.equal(typeof res.json.code, 'string', `code is a string: ${describe(res)}`);
  assert.match(res.json.code, /^[A-Z_]+$/, `code is a status name: ${describe(res)}`);
  for (const re of LEAKS) assert.doesNotMatch(res.text, re, `error body leaks internals: ${describe(res)}`);
}

// ---- sessions ------------------------------------------------------------

// The name=value pair of the session cookie in a response, or undefined.
export function sessionCookieOf(res) {
  const all = typeof res.headers.getSetCookie === 'function' ? res.headers.getSetCookie() : [res.headers.get('set-cookie') ?? ''];
  for (const c of all) {
    const m = /^\s*rcycle_session=([^;]*)/.exec(c);
    if (m) return { pair: `rcycle_session=${m[1]}`, value: m[1], header: c };
  }
  return undefined;
}

// Signs in; returns {token, csrfToken, cookie ("rcycle_session=..."), user, res}.
export async function login(email, password = SEED_PASSWORD) {
  const res = await api('POST', '/api/session', { body: { email, password } });
  expectStatus(res, 200);
  const c = sessionCookieOf(res);
  assert.ok(c, `login sets the rcycle_session cookie: ${res.headers.get('set-cookie')}`);
  return { token: res.json.token, csrfToken: res.json.csrfToken, cookie: c.pair, user: res.json.user, res };
}

// Sessions by e-mail, made once per test file (a file runs in one process).
const sessions = new Map();
export function session(email) {
  if (!sessions.has(email)) {
    const p = login(email);
    p.catch(() => sessions.delete(email));
    sessions.set(email, p);
  }
  return sessions.get(email);
}

// A well-formed token (43 characters of base64url, like a real one) that no
// session has.
export function unknownToken() {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
  let s = '';
  for (let i = 0; i < 43; i++) s += alphabet[Math.floor(Math.random() * 64)];
  // base64url of 32 bytes: the last character carries 4 bits, so it is one
  // of these (a strict decoder refuses the others).
  return s.slice(0, 42) + 'AEIMQUYcgkosw048'[Math.floor(Math.random() * 16)];
}

export function uniqueSuffix() {
  return `${Date.now().toString(36)}-${process.pid}-${Math.floor(Math.random() * 1e9).toString(36)}`;
}

// ---- dates ---------------------------------------------------------------

export const RFC3339_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/;
export const DATE_ONLY = /^\d{4}-\d{2}-\d{2}$/;

// YYYY-MM-DD of `base` (a Date, default now) plus `days`, in UTC.
export function utcDatePlus(days, base = new Date()) {
  const d = new Date(Date.UTC(base.getUTCFullYear(), base.getUTCMonth(), base.getUTCDate() + days));
  return d.toISOString().slice(0, 10);
}

// ---- the stack -------------------------------------------------------------

// Runs scripts/stack.sh with the given arguments; resolves {code, stdout, stderr}.
// envOverrides (optional) sets variables for stack.sh and the processes it
// starts (e.g. {RCYCLE_FAULT: 'claims.create.after_insert'}); a value of
// undefined removes the variable.
export function stackSh(args, timeoutMs = 60000, envOverrides = {}) {
  return new Promise((resolve) => {
    // stack.sh resolves RCYCLE_DATA_DIR (the private PostgreSQL's directory)
    // before it reads stack.env, so it is passed along explicitly: with
    // RUN_DIR alone, start-one would look for the cluster under <repo>/.data.
    const env = { ...process.env, RUN_DIR };
    const dataDir = setting('RCYCLE_DATA_DIR');
    if (dataDir) env.RCYCLE_DATA_DIR = dataDir;
    for (const [k, v] of Object.entries(envOverrides)) {
      if (v === undefined) delete env[k];
      else env[k] = String(v);
    }
    execFile('bash', [STACK_SH, ...args], { env, timeout: timeoutMs }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : -1) : 0, stdout, stderr });
    });
  });
}

// The pid recorded for a stack process, or undefined.
export function pidOf(name) {
  try {
    const pid = readFileSync(path.join(RUN_DIR, `${name}.pid`), 'utf8').trim();
    return /^\d+$/.test(pid) ? Number(pid) : undefined;
  } catch {
    return undefined;
  }
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// A port that nothing listens on, for a process a test starts itself. It is
// drawn below the kernel's ephemeral range (32768 and up), never from it:
// between this check and the process's bind, an outgoing connection of the
// busy stack may take an ephemeral port as its own end, and the bind then
// fails with "Address in use". The stacks' own ports are all below 8000.
const FREE_PORT_LOW = 20000;
const FREE_PORT_HIGH = 32000;
// Ports this file was given already: a test takes several before it binds any.
const givenPorts = new Set();

function portIsFree(port) {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.once('error', () => resolve(false));
    s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
  });
}

export async function freePort() {
  for (let tries = 0; tries < 100; tries++) {
    const port = FREE_PORT_LOW + Math.floor(Math.random() * (FREE_PORT_HIGH - FREE_PORT_LOW));
    if (!givenPorts.has(port) && (await portIsFree(port))) {
      givenPorts.add(port);
      return port;
    }
  }
  throw new Error(`no free port between ${FREE_PORT_LOW} and ${FREE_PORT_HIGH}`);
}

// ---- running beside other test files -----------------------------------------

// `node --test` may run several files at once (Node 20 runs up to
// availableParallelism() - 1 in parallel unless --test-concurrency=1), so
// the name order alone does not keep zz-resilience.test.mjs from crashing
// svc-listings under another file's feet. Each test process therefore
// registers itself in $RUN_DIR/itest-active/<pid> while it runs, and the
// resilience test waits until it is the only one left (waitForOtherTestFiles).
const ACTIVE_DIR = path.join(RUN_DIR, 'itest-active');
const ACTIVE_FILE = path.join(ACTIVE_DIR, String(process.pid));

function registerActive() {
  try {
    mkdirSync(ACTIVE_DIR, { recursive: true });
    writeFileSync(ACTIVE_FILE, `${process.argv[1] ?? ''}\n`);
    process.on('exit', () => rmSync(ACTIVE_FILE, { force: true }));
  } catch {
    // RUN_DIR not writable: nothing to coordinate with.
  }
}
registerActive();
recordStatsAtExit(RUN_DIR);

function alive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return e.code === 'EPERM';
  }
}

// Resolves once no other test process of this suite runs (or after
// timeoutMs); returns the files still running then (empty when none).
export async function waitForOtherTestFiles(timeoutMs = 600000) {
  await sleep(1000); // siblings started with us register within it
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    let others = [];
    try {
      for (const f of readdirSync(ACTIVE_DIR)) {
        const pid = Number(f);
        if (!Number.isInteger(pid) || pid === process.pid) continue;
        if (!alive(pid)) {
          rmSync(path.join(ACTIVE_DIR, f), { force: true });
          continue;
        }
        others.push(readFileSync(path.join(ACTIVE_DIR, f), 'utf8').trim() || `pid ${pid}`);
      }
    } catch {
      others = [];
    }
    if (others.length === 0 || Date.now() > deadline) return others;
    await sleep(250);
  }
}
