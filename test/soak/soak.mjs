// soak.mjs - an open-loop load of mixed reads and the claim workflow against
// a stack, while its processes are made to fail: each service and the
// gateway killed with SIGKILL and started again, PostgreSQL restarted with
// `pg_ctl restart -m immediate`, and svc-listings frozen for 10 s (SIGSTOP).
// Prints a table (requests sent, answers by status, no-answer errors, p50,
// p99, the longest answer) and, once the system has settled, checks that
// every 201 it received is still there and the claim invariant holds.
// Exits 1 when an answer took longer than the gateway deadline plus one
// second, a write is lost, or the invariant is broken.
//
// Environment: the stack's settings (scripts/test-soak.sh passes its
// stack.env), SOAK_SECONDS (default 600), SOAK_READS_PER_S (20),
// SOAK_FLOWS_PER_S (1).
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';

import { ADMIN_URLS, ALICE, BOB, JANE, RUN_DIR, STACK_SH, login, setting, sleep } from '../integration/lib.mjs';
import { SERIALS, invariantViolations } from '../integration/fixtures.mjs';

const GATEWAY = setting('GATEWAY_URL', 'http://127.0.0.1:3000');
const SECONDS = Number(setting('SOAK_SECONDS', '600'));
const READS_PER_S = Number(setting('SOAK_READS_PER_S', '20'));
const FLOWS_PER_S = Number(setting('SOAK_FLOWS_PER_S', '1'));
const DEADLINE_MS = 5000; // the gateway's own (gateway/gateway.h)
const LIMIT_MS = DEADLINE_MS + 1000;
const CLIENT_TIMEOUT_MS = 15000; // longer than any answer may take, so a slow one is seen
const MAX_FLOWS = 32;

// ---- the record of every request ----
const results = []; // {status: number | 'no answer', ms}
const created = { listings: new Set(), claims: new Set() };

async function call(method, p, token, body) {
  const started = performance.now();
  let status;
  let json;
  try {
    const res = await fetch(GATEWAY + p, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
      body: body ? JSON.stringify(body) : undefined,
      signal: AbortSignal.timeout(CLIENT_TIMEOUT_MS),
    });
    status = res.status;
    const text = await res.text();
    json = text ? JSON.parse(text) : undefined;
  } catch {
    status = 'no answer';
  }
  results.push({ status, ms: performance.now() - started });
  return { status, json };
}

// ---- the workload ----
let sessions;
const freeSerials = Object.values(SERIALS).flat();
let flowsInFlight = 0;

const reads = [
  () => call('GET', '/api/listings?limit=50', sessions.jane.token),
  () => call('GET', '/api/listings?search=server', sessions.bob.token),
  () => call('GET', '/api/claims?limit=20', sessions.bob.token),
  () => call('GET', '/api/leaderboard', sessions.alice.token),
  () => call('GET', '/api/me', sessions.jane.token),
];

function inDays(n) {
  const d = new Date(Date.now() + n * 86400000);
  return d.toISOString().slice(0, 10);
}

// One claim workflow: Jane posts, Bob claims, Jane approves, Alice approves.
// A step that fails leaves the listing withdrawn, so its serial may be
// posted again.
async function flow() {
  const serial = freeSerials.shift();
  if (serial === undefined) return;
  flowsInFlight++;
  let listing;
  try {
    const l = await call('POST', '/api/listings', sessions.jane.token, {
      serialNumber: serial, title: `soak ${serial}`, category: categoryOf(serial), expirationDate: inDays(30),
    });
    if (l.status !== 201) return;
    listing = l.json;
    created.listings.add(listing.id);
    const c = await call('POST', '/api/claims', sessions.bob.token, { listingId: listing.id, justification: 'soak' });
    if (c.status !== 201) return;
    created.claims.add(c.json.id);
    const owner = await call('POST', `/api/claims/${c.json.id}/approve`, sessions.jane.token);
    if (owner.status !== 200) return;
    const security = await call('POST', `/api/claims/${c.json.id}/approve`, sessions.alice.token);
    if (security.status === 200) listing = undefined; // approved: the serial is free again
  } finally {
    if (listing !== undefined) {
      // Whatever happened, the listing must not stay active, or its serial
      // could never be posted again; withdrawing cancels its open claims.
      await sleep(2000);
      for (let i = 0; i < 5; i++) {
        const w = await call('DELETE', `/api/listings/${listing.id}`, sessions.jane.token);
        if (w.status === 204 || w.status === 409) break;
        await sleep(2000);
      }
    }
    freeSerials.push(serial);
    flowsInFlight--;
  }
}

function categoryOf(serial) {
  if (serial.startsWith('SRV')) return 'Server';
  if (serial.startsWith('NET')) return 'Networking';
  return 'Storage';
}

// ---- the faults ----
function stack(args) {
  return new Promise((resolve) => {
    execFile('bash', [STACK_SH, ...args], { env: { ...process.env, RUN_DIR }, timeout: 120000 }, (err, stdout, stderr) =>
      resolve({ ok: !err, out: stdout + stderr }));
  });
}

function pg(args) {
  return new Promise((resolve) => {
    execFile('bash', [path.join(path.dirname(STACK_SH), 'pg.sh'), ...args], { timeout: 120000 }, (err, stdout, stderr) =>
      resolve({ ok: !err, out: stdout + stderr }));
  });
}

function pidOf(name) {
  return Number(readFileSync(path.join(RUN_DIR, `${name}.pid`), 'utf8').trim());
}

const faults = [
  ['SIGKILL svc-listings', async () => { await stack(['kill-one', 'svc-listings', 'KILL']); await stack(['start-one', 'svc-listings']); }],
  ['SIGKILL svc-claims', async () => { await stack(['kill-one', 'svc-claims', 'KILL']); await stack(['start-one', 'svc-claims']); }],
  ['SIGKILL svc-users', async () => { await stack(['kill-one', 'svc-users', 'KILL']); await stack(['start-one', 'svc-users']); }],
  ['SIGKILL gateway', async () => { await stack(['kill-one', 'gateway', 'KILL']); await stack(['start-one', 'gateway']); }],
  ['PostgreSQL restart -m immediate', async () => { const r = await pg(['restart-immediate']); if (!r.ok) throw new Error(r.out); }],
  ['svc-listings frozen 10 s', async () => {
    const pid = pidOf('svc-listings');
    process.kill(pid, 'SIGSTOP');
    await sleep(10000);
    process.kill(pid, 'SIGCONT');
  }],
];

// After a failure, the RPC side of each service on one line (CI shows the
// last lines of the output): connections open, listeners the watch
// replaced, connections closed for a reply they did not take; then the last
// warning of the service with the most connections.
async function rpcState() {
  const rows = [];
  for (const name of ['svc-users', 'svc-listings', 'svc-claims']) {
    let metrics = '';
    try {
      metrics = await (await fetch(`${ADMIN_URLS[name]}/metrics`, { signal: AbortSignal.timeout(3000) })).text();
    } catch { /* a process that does not answer shows as '?' */ }
    const value = (m) => metrics.match(new RegExp(`^${m} (\\S+)$`, 'm'))?.[1] ?? '?';
    let log = '';
    try { log = readFileSync(path.join(RUN_DIR, `${name}.log`), 'utf8'); } catch { /* none yet */ }
    const warnings = log.split('\n').filter((l) => l.includes('"level":"warn"'));
    const connections = value('rcycle_rpc_server_connections');
    rows.push({
      name: name.slice(4),
      connections,
      state: `${connections}/${value('rcycle_rpc_server_listeners_replaced')}/${log.split('took no reply').length - 1}`,
      lastWarning: warnings.length ? (JSON.parse(warnings[warnings.length - 1]).msg ?? '') : 'none',
    });
  }
  const busiest = [...rows].sort((a, b) => Number(b.connections) - Number(a.connections))[0];
  return `rpc conns/replaced/unread: ${rows.map((r) => `${r.name} ${r.state}`).join(' ')}; ${busiest.name} warned: ${busiest.lastWarning}`;
}

function percentile(sorted, p) {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

async function main() {
  sessions = {
    jane: await login(JANE),
    bob: await login(BOB),
    alice: await login(ALICE),
  };
  const end = Date.now() + SECONDS * 1000;
  const pending = new Set();
  const track = (p) => { pending.add(p); p.finally(() => pending.delete(p)); };
  let nextRead = Date.now();
  let nextFlow = Date.now();
  let r = 0;
  const faultLog = [];
  const faultsDone = (async () => {
    for (let i = 0; i < faults.length; i++) {
      const at = Date.now() + (SECONDS * 1000) / (faults.length + 1);
      while (Date.now() < at) await sleep(200);
      const [name, run] = faults[i];
      const started = Date.now();
      try {
        await run();
        faultLog.push(`${name}: done in ${Date.now() - started} ms`);
      } catch (e) {
        faultLog.push(`${name}: FAILED ${e.message}`);
      }
    }
  })();
  while (Date.now() < end) {
    const now = Date.now();
    while (nextRead <= now) {
      track(reads[r++ % reads.length]());
      nextRead += 1000 / READS_PER_S;
    }
    while (nextFlow <= now) {
      if (flowsInFlight < MAX_FLOWS) track(flow());
      nextFlow += 1000 / FLOWS_PER_S;
    }
    await sleep(10);
  }
  await faultsDone;
  await Promise.all([...pending]);

  // Settle, then every 201 must still be there, and the invariant hold.
  let violations = ['not checked'];
  for (let i = 0; i < 30 && violations.length > 0; i++) {
    await sleep(2000);
    try { violations = await invariantViolations(); } catch (e) { violations = [`check failed: ${e.message}`]; }
  }
  const admin = await login('john.doe@company.com');
  const lost = [];
  for (const id of created.listings) {
    const res = await fetch(`${GATEWAY}/api/listings/${id}`, { headers: { authorization: `Bearer ${admin.token}` } });
    if (res.status !== 200) lost.push(`listing ${id}: ${res.status}`);
  }
  for (const id of created.claims) {
    const res = await fetch(`${GATEWAY}/api/claims/${id}`, { headers: { authorization: `Bearer ${admin.token}` } });
    if (res.status !== 200) lost.push(`claim ${id}: ${res.status}`);
  }

  const answered = results.filter((x) => x.status !== 'no answer');
  const ms = answered.map((x) => x.ms).sort((a, b) => a - b);
  const byStatus = new Map();
  for (const x of results) byStatus.set(x.status, (byStatus.get(x.status) ?? 0) + 1);
  const slow = answered.filter((x) => x.ms > LIMIT_MS).length;
  const longest = ms.length ? ms[ms.length - 1] : 0;
  const row = (k, v) => console.log(`| ${k} | ${v} |`);
  console.log(`\n### Soak: ${SECONDS} s, ${READS_PER_S} reads/s and ${FLOWS_PER_S} claim workflows/s, open loop\n`);
  console.log('| measure | value |\n|---|---:|');
  row('requests sent', results.length);
  for (const [status, n] of [...byStatus].sort((a, b) => String(a[0]).localeCompare(String(b[0])))) row(`answers ${status}`, n);
  row('p50 ms', percentile(ms, 50).toFixed(1));
  row('p99 ms', percentile(ms, 99).toFixed(1));
  row(`longest answer ms (limit ${LIMIT_MS})`, longest.toFixed(1));
  row(`answers over ${LIMIT_MS} ms`, slow);
  row('listings created (201)', created.listings.size);
  row('claims created (201)', created.claims.size);
  row('201s lost after settling', lost.length);
  row('invariant violations', violations.length);
  console.log('\nFaults:');
  for (const f of faultLog) console.log(`- ${f}`);
  for (const l of lost) console.log(`LOST ${l}`);
  for (const v of violations) console.log(`VIOLATION ${v}`);
  const ok = slow === 0 && lost.length === 0 && violations.length === 0 && !faultLog.some((f) => f.includes('FAILED'));
  if (!ok) console.log(await rpcState());
  console.log(ok ? '\nsoak: 1 passed, 0 failed' : '\nsoak: 0 passed, 1 failed');
  process.exit(ok ? 0 : 1);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
