// invariant.crash.mjs - crash consistency of claims and listings
// (docs/ARCHITECTURE.md, Data; svc-claims/settle.c): a service killed at any step
// of a claim's change leaves, once restarted and settled, every listing
// `claimed` exactly when it has exactly one open claim, and the interrupted
// claim in the state the design promises.
//
// Not part of the default run: the name does not end in .test.mjs, so
// neither `node --test test/integration/` nor scripts/test.sh picks it up.
// Run it against a running stack (it restarts services through stack.sh):
//
//   RUN_DIR=<the stack's run dir> CRASH_REPEAT=5 \
//     node --test --test-concurrency=1 test/integration/crash/invariant.crash.mjs
//
// It needs the stack to itself while it runs (other suites would see the
// crashes). Environment: CRASH_REPEAT (default 1) repeats the whole suite;
// CRASH_SETTLE_MS (default 30000) is how long the system may take to settle.
//
// For each fault point (FAULTS, data: add a row for a new point) it restarts
// the service with RCYCLE_FAULT=<point> (stack.sh passes its environment on
// to the process; the test checks /proc/<pid>/environ), makes the API call
// that reaches the point, expects a 5xx or a dropped connection where the
// process dies before answering, waits until the process is gone (and its
// log names the point), starts it again without the fault, and polls the
// invariant and the claim's end state for up to CRASH_SETTLE_MS. Then it
// kills svc-listings and svc-claims with SIGKILL at random moments of a
// burst of claim operations and checks the invariant after the restarts.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';

import { ALICE, BOB, JANE, JOHN, RUN_DIR, api, describe as describeRes, pidOf, session, sleep, stackSh } from '../lib.mjs';
import {
  inTurn,
  CAROL_DEPT,
  DEPT,
  SERIALS,
  availableListing,
  carol as carolSession,
  claimAction,
  claimsOf,
  clearOpenClaims,
  createClaim,
  getClaim,
  getListing,
  invariantViolations,
  isOpen,
  postClaim,
  retireSerial,
  settlerBacklog,
  waitFor,
} from '../fixtures.mjs';

const REPEAT = Math.max(1, Number(process.env.CRASH_REPEAT ?? '1') || 1);
const SETTLE_MS = Number(process.env.CRASH_SETTLE_MS ?? '30000');
const DEATH_MS = 15000;
const [SERIAL_FAULT, ...SERIALS_BURST] = SERIALS.crash;

// One row per fault point and way to reach it.
//   setup   the claim's state before the action: none (an available listing),
//           pending_owner or pending_security (a claim of Bob's Development Team
//           on a listing of Jane's Data Center Operations)
//   action  create (Bob claims), owner-approve, security-approve, withdraw (Bob),
//           deny (whoever may deny at that stage)
//   reply   'fails': the process dies before the answer, so a 5xx or a dropped
//           connection; 'any': the answer may come before the death
//   end     the claim's status and the listing's once settled
// prettier-ignore
const FAULTS = [
  { point: 'claims.create.after_insert',     service: 'svc-claims',   setup: 'none',             action: 'create',           reply: 'fails', end: { claim: 'pending_owner', listing: 'claimed' } },
  { point: 'claims.create.after_reserve',    service: 'svc-claims',   setup: 'none',             action: 'create',           reply: 'fails', end: { claim: 'pending_owner', listing: 'claimed' } },
  { point: 'claims.approve.after_mark',      service: 'svc-claims',   setup: 'pending_security', action: 'security-approve', reply: 'fails', end: { claim: 'approved', listing: 'approved' } },
  { point: 'claims.approve.after_transfer',  service: 'svc-claims',   setup: 'pending_security', action: 'security-approve', reply: 'fails', end: { claim: 'approved', listing: 'approved' } },
  { point: 'claims.close.before_release',    service: 'svc-claims',   setup: 'pending_owner',    action: 'withdraw',         reply: 'fails', end: { claim: 'withdrawn', listing: 'available' } },
  { point: 'claims.close.before_release',    service: 'svc-claims',   setup: 'pending_security', action: 'deny',             reply: 'fails', end: { claim: 'denied', listing: 'available' } },
  { point: 'listings.reserve.after_commit',  service: 'svc-listings', setup: 'none',             action: 'create',           reply: 'fails', end: { claim: 'pending_owner', listing: 'claimed' } },
  { point: 'listings.release.after_commit',  service: 'svc-listings', setup: 'pending_owner',    action: 'withdraw',         reply: 'any',   end: { claim: 'withdrawn', listing: 'available' } },
  { point: 'listings.release.after_commit',  service: 'svc-listings', setup: 'pending_security', action: 'deny',             reply: 'any',   end: { claim: 'denied', listing: 'available' } },
  { point: 'listings.transfer.after_commit', service: 'svc-listings', setup: 'pending_security', action: 'security-approve', reply: 'fails', end: { claim: 'approved', listing: 'approved' } },
];

const SERVICES = ['svc-users', 'svc-listings', 'svc-claims', 'gateway'];

let jane;
let bob;
let alice;
let john;
let carol;
let byDept;

// ---- processes ----------------------------------------------------------------------

function procState(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0];
  } catch {
    return undefined;
  }
}

function alive(name) {
  const pid = pidOf(name);
  if (!pid) return false;
  const st = procState(pid);
  return st !== undefined && st !== 'Z' && st !== 'X';
}

function faultOf(name) {
  const pid = pidOf(name);
  if (!pid) return undefined;
  try {
    const env = readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0');
    const v = env.find((e) => e.startsWith('RCYCLE_FAULT='));
    return v ? v.slice('RCYCLE_FAULT='.length) : undefined;
  } catch {
    return undefined;
  }
}

function logLines(name) {
  try {
    return readFileSync(path.join(RUN_DIR, `${name}.log`), 'utf8').split('\n');
  } catch {
    return [];
  }
}

function logTail(name, lines = 400) {
  return logLines(name).slice(-lines).join('\n');
}

// The lines of name's log after the first `from` lines.
const logSince = (name, from) => logLines(name).slice(from).join('\n');

// The processes of the stack that are not running, each with the end of
// its log (a crash of a process that was not killed on purpose is a bug).
function deadProcesses() {
  return SERVICES.filter((name) => !alive(name)).map((name) => `${name} is not running; its log ends:\n${logTail(name, 8)}`);
}

// Polls the invariant (and check(), when given) until both hold, failing at
// once when a process of the stack died meanwhile.
async function settle(check) {
  let violations = ['never checked'];
  let detail;
  let dead = [];
  const ok = await waitFor(async () => {
    dead = deadProcesses();
    if (dead.length > 0) return true;
    violations = await invariantViolations();
    const c = check ? await check() : { ok: true };
    detail = c.why;
    return violations.length === 0 && c.ok;
  }, SETTLE_MS, 500);
  assert.deepEqual(dead, [], 'no process of the stack dies while the system settles');
  return { ok: ok && violations.length === 0, violations, detail };
}

// stack.sh start-one, retried: its readiness wait can race the exec (see
// zz-resilience.test.mjs). fault: RCYCLE_FAULT for the process, or none.
async function startOne(name, fault) {
  let r;
  for (let attempt = 1; attempt <= 3; attempt++) {
    r = await stackSh(['start-one', name], 90000, { RCYCLE_FAULT: fault });
    if (r.code === 0 && alive(name)) return r;
    await sleep(500);
  }
  assert.fail(`stack.sh start-one ${name}${fault ? ` with RCYCLE_FAULT=${fault}` : ''} failed: ${r.stderr.trim().split('\n').slice(-3).join(' | ')}`);
}

async function killOne(name, sig = 'TERM') {
  const r = await stackSh(['kill-one', name, sig], 60000);
  assert.equal(r.code, 0, `stack.sh kill-one ${name} ${sig}: ${r.stderr}`);
  assert.ok(!alive(name), `${name} is gone after kill-one`);
}

// Every process runs, none with a fault armed, and svc-claims' settler owes
// svc-listings nothing: a step left owed by the last scenario would be
// retried in the background and could reach the fault armed next, killing
// svc-listings before the scenario's own call does.
async function healthyStack() {
  for (const name of SERVICES) {
    if (alive(name) && faultOf(name) !== undefined) await killOne(name);
    if (!alive(name)) await startOne(name, undefined);
  }
  await linksUp();
  await settlerIdle();
}

async function settlerIdle() {
  const ok = await waitFor(async () => (await settlerBacklog()).owed === 0, SETTLE_MS, 250);
  assert.ok(ok, `svc-claims' settler owes svc-listings nothing within ${SETTLE_MS} ms`);
}

// Waits until the gateway reaches both services and svc-claims reaches
// svc-listings: Jane's claim on a listing of her own department is refused
// (403) only after svc-claims fetched the listing, and changes nothing.
async function linksUp() {
  const dco = `/api/listings?department=${encodeURIComponent(DEPT.jane)}&limit=1`;
  const ok = await waitFor(async () => {
    const l = await api('GET', dco, { token: jane.token, timeoutMs: 5000 });
    if (l.status !== 200 || !l.json[0]) return false;
    const c = await api('POST', '/api/claims', { token: jane.token, body: { listingId: l.json[0].id, justification: 'probe' }, timeoutMs: 5000 });
    return c.status === 403;
  }, 30000, 250);
  assert.ok(ok, 'the gateway, svc-listings and svc-claims answer each other again within 30 s');
}

// ---- claims ---------------------------------------------------------------------------

async function prepared(setup, serial) {
  const l = await availableListing(jane, serial);
  await clearOpenClaims(l.id, byDept);
  if (setup === 'none') return { listing: l, claim: undefined };
  const c = await createClaim(bob, l.id, `crash ${setup}`);
  if (setup === 'pending_security') {
    const r = await claimAction(jane, c.id, 'approve');
    assert.equal(r.status, 200, describeRes(r));
  }
  return { listing: l, claim: await getClaim(c.id) };
}

async function act(action, listing, claim) {
  const opts = { timeoutMs: 20000 };
  const call = (() => {
    switch (action) {
      case 'create':
        return api('POST', '/api/claims', { ...opts, token: bob.token, body: { listingId: listing.id, justification: 'crash create' } });
      case 'owner-approve':
        return api('POST', `/api/claims/${claim.id}/approve`, { ...opts, token: jane.token });
      case 'security-approve':
        return api('POST', `/api/claims/${claim.id}/approve`, { ...opts, token: alice.token });
      case 'withdraw':
        return api('POST', `/api/claims/${claim.id}/withdraw`, { ...opts, token: bob.token });
      case 'deny':
        return api('POST', `/api/claims/${claim.id}/deny`, { ...opts, token: (claim.status === 'pending_owner' ? jane : alice).token, body: { reason: 'crash deny' } });
      default:
        throw new Error(`no action ${action}`);
    }
  })();
  return call.catch((e) => ({ status: 0, text: `connection error: ${e.cause?.code ?? e.message}`, method: 'POST', url: action }));
}

// The end state of the scenario, or a sentence saying what is not there yet.
async function endState(f, listing, claim, before) {
  const l = await getListing(listing.id);
  let c = claim ? await getClaim(claim.id) : undefined;
  if (!claim) {
    const fresh = (await claimsOf(listing.id)).filter((x) => !before.includes(x.id));
    if (fresh.length !== 1) return { ok: false, why: `${fresh.length} new claims on listing ${listing.id}: ${JSON.stringify(fresh.map((x) => [x.id, x.status]))}`, listing: l };
    c = fresh[0];
  }
  const ok = c.status === f.end.claim && l.status === f.end.listing;
  return { ok, why: `claim ${c.id} ${c.status} (want ${f.end.claim}), listing ${l.id} ${l.status} (want ${f.end.listing})`, listing: l, claim: c };
}

async function crashAt(f, t) {
  await healthyStack();
  const { listing, claim } = await prepared(f.setup, SERIAL_FAULT);
  const before = (await claimsOf(listing.id)).map((c) => c.id);

  // Arm the fault.
  await killOne(f.service);
  await startOne(f.service, f.point);
  assert.equal(faultOf(f.service), f.point, `stack.sh passed RCYCLE_FAULT=${f.point} on to ${f.service} (/proc/<pid>/environ)`);
  await linksUp();

  const logBefore = logLines(f.service).length;
  const started = Date.now();
  const res = await act(f.action, listing, claim);
  t.diagnostic(`${f.action}: ${res.status} ${String(res.text).slice(0, 160)} in ${Date.now() - started} ms`);
  const died = await waitFor(() => !alive(f.service), DEATH_MS, 100);
  const reached = logSince(f.service, logBefore - 1).includes(`fault point ${f.point} reached`);
  if (!died) {
    await killOne(f.service);
    await startOne(f.service, undefined);
  }
  assert.ok(died, `${f.service} did not die at ${f.point} within ${DEATH_MS} ms of ${f.action} (reply ${res.status} ${String(res.text).slice(0, 200)}): the fault point is not reached or not compiled in`);
  assert.ok(reached, `${f.service}'s log names the fault point ${f.point} (log lines before: ${logBefore})`);
  if (f.reply === 'fails') assert.ok(res.status === 0 || res.status >= 500, `the caller gets a 5xx or a dropped connection, not ${res.status}: ${String(res.text).slice(0, 200)}`);
  else assert.ok(res.status === 0 || res.status >= 500 || res.status === 200, `reply ${res.status}: ${String(res.text).slice(0, 200)}`);

  // Back without the fault; the system settles.
  await startOne(f.service, undefined);
  assert.equal(faultOf(f.service), undefined, 'restarted without the fault');
  const restartedAt = Date.now();
  let last;
  const { violations } = await settle(async () => {
    last = await endState(f, listing, claim, before);
    return last;
  });
  t.diagnostic(`settled in ${Date.now() - restartedAt} ms: ${last?.why}`);
  assert.deepEqual(violations, [], `THE INVARIANT within ${SETTLE_MS} ms of the restart`);
  assert.ok(last?.ok, `the interrupted claim settles as designed within ${SETTLE_MS} ms: ${last?.why}`);

  // Its audit trail records the change once.
  const ev = (await api('GET', `/api/claims/${last.claim.id}/events`, { token: john.token })).json ?? [];
  assert.equal(ev.filter((e) => e.toStatus === f.end.claim).length, 1, `one event into ${f.end.claim}: ${JSON.stringify(ev)}`);
  // Leave the listing free for the next scenario.
  if (isOpen(last.claim.status)) await claimAction(bob, last.claim.id, 'withdraw');
}

// ---- the random kills ---------------------------------------------------------------------

const pick = (a) => a[Math.floor(Math.random() * a.length)];

// One random step on one listing; every error is fine (services die under it).
async function randomStep(listingId, claimers) {
  const l = await api('GET', `/api/listings/${listingId}`, { token: john.token, timeoutMs: 8000 });
  if (l.status !== 200) return;
  if (l.json.status === 'available') {
    await postClaim(pick(claimers), listingId, 'burst');
    return;
  }
  if (l.json.status !== 'claimed') return;
  const open = (await api('GET', `/api/claims?listingId=${listingId}&limit=20`, { token: john.token, timeoutMs: 8000 })).json?.filter((c) => isOpen(c.status)) ?? [];
  const c = open[0];
  if (!c) return;
  const r = Math.random();
  const requester = byDept[c.requestingDepartment];
  if (c.status === 'pending_owner') {
    if (r < 0.5) await claimAction(jane, c.id, 'approve');
    else if (r < 0.8) await claimAction(requester, c.id, 'withdraw');
    else await claimAction(jane, c.id, 'deny', { reason: 'burst' });
  } else if (r < 0.15) await claimAction(alice, c.id, 'approve'); // rare: it uses the listing up
  else if (r < 0.6) await claimAction(requester, c.id, 'withdraw');
  else await claimAction(alice, c.id, 'deny', { reason: 'burst' });
}

async function burstWithKills(t, durationMs = 15000) {
  await healthyStack();
  const listings = [];
  for (const serial of SERIALS_BURST) {
    const l = await availableListing(jane, serial);
    await clearOpenClaims(l.id, byDept);
    listings.push(l.id);
  }
  const claimers = [bob, alice, john, carol];
  const logStart = { 'svc-listings': logLines('svc-listings').length, 'svc-claims': logLines('svc-claims').length };
  const stopAt = Date.now() + durationMs;
  let steps = 0;
  const workers = Array.from({ length: 6 }, async () => {
    while (Date.now() < stopAt) {
      await randomStep(pick(listings), claimers).catch(() => {});
      steps++;
      await sleep(Math.random() * 30);
    }
  });
  const kills = [];
  const killer = (async () => {
    // Both services, in a random order, then at random.
    const order = Math.random() < 0.5 ? ['svc-listings', 'svc-claims'] : ['svc-claims', 'svc-listings'];
    await sleep(300 + Math.random() * 1200);
    while (Date.now() < stopAt - 1000) {
      const name = order.shift() ?? pick(['svc-listings', 'svc-claims']);
      await killOne(name, 'KILL');
      kills.push(`${name} at +${durationMs - (stopAt - Date.now())} ms`);
      await sleep(Math.random() * 500);
      await startOne(name, undefined);
      await sleep(300 + Math.random() * 1500);
    }
  })();
  await Promise.all([...workers, killer]);
  t.diagnostic(`${steps} steps, SIGKILL: ${kills.join(', ')}`);
  assert.ok(kills.some((k) => k.startsWith('svc-listings')) && kills.some((k) => k.startsWith('svc-claims')), `both services killed: ${kills.join(', ')}`);
  assert.deepEqual(deadProcesses().filter((d) => !d.startsWith('svc-listings') && !d.startsWith('svc-claims')), [], 'only the killed services were down');
  // A killed service that died again on its own (not by the killer) is a bug.
  for (const name of ['svc-listings', 'svc-claims']) {
    // The process's own log lines are JSON (and name statuses such as
    // ABORTED); what a crash prints (libc, the sanitizers) is plain text.
    const crashes = logSince(name, logStart[name] - 1).split('\n')
      .filter((l) => !l.startsWith('{') && /double free|Segmentation|Aborted|AddressSanitizer|runtime error|assert/i.test(l));
    assert.deepEqual(crashes, [], `${name} crashed on its own during the burst`);
  }
  await healthyStack();
  const started = Date.now();
  const { violations } = await settle();
  t.diagnostic(`settled in ${Date.now() - started} ms`);
  assert.deepEqual(violations, [], `THE INVARIANT within ${SETTLE_MS} ms after the last restart`);
  // Nothing is left half-done: every open claim can still be acted on.
  for (const id of listings) {
    const open = (await claimsOf(id)).filter((c) => isOpen(c.status));
    for (const c of open) {
      const r = await claimAction(byDept[c.requestingDepartment], c.id, 'withdraw');
      assert.equal(r.status, 200, `open claim ${c.id} can be withdrawn after the crashes: ${describeRes(r)}`);
    }
  }
  assert.deepEqual(await waitForInvariant(), [], 'THE INVARIANT after closing the claims');
}

async function waitForInvariant() {
  let v = [];
  await waitFor(async () => {
    v = await invariantViolations();
    return v.length === 0;
  }, SETTLE_MS, 500);
  return v;
}

// ---- the suite -------------------------------------------------------------------------

before(async () => {
  [jane, bob, alice, john, carol] = await inTurn(() => session(JANE), () => session(BOB), () => session(ALICE), () => session(JOHN), () => carolSession());
  byDept = { [DEPT.jane]: jane, [DEPT.bob]: bob, [DEPT.alice]: alice, [DEPT.john]: john, [CAROL_DEPT]: carol };
  await healthyStack();
  for (const serial of SERIALS.crash) await retireSerial(serial);
  assert.deepEqual(await waitForInvariant(), [], 'THE INVARIANT holds before the first crash');
});

after(async () => {
  await healthyStack().catch(() => {});
  for (const serial of SERIALS.crash) await retireSerial(serial).catch(() => {});
});

for (let round = 1; round <= REPEAT; round++) {
  describe(`crash round ${round} of ${REPEAT}`, () => {
    for (const f of FAULTS) {
      test(`${f.point} (${f.service}) during ${f.action} from ${f.setup}: settles to claim ${f.end.claim}, listing ${f.end.listing}`, { timeout: 180000 }, async (t) => {
        await crashAt(f, t);
      });
    }
    test('SIGKILL of svc-listings and svc-claims at random moments of a burst of claim operations', { timeout: 300000 }, async (t) => {
      await burstWithKills(t);
    });
  });
}
