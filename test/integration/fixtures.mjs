// fixtures.mjs - helpers of the suite's writing tests (listings-write,
// claims, authz, concurrency and the crash suite): registry serials, listings
// and claims made through the API, extra users, polling, and THE INVARIANT
// of docs/API.md checked through the API.
//
// Reruns on one database: every test makes what it needs and leaves nothing
// open behind it (listings are withdrawn, claims withdrawn or denied). A
// serial of the registry can have only one available or claimed listing, so
// each test file owns its own serials (SERIALS below) and files never collide
// even when `node --test` runs them in parallel; a listing that an
// interrupted earlier run left active is withdrawn (as admin) before its
// serial is posted again (createListing).
import assert from 'node:assert/strict';
import { after, before } from 'node:test';

import {
  ADMIN_URLS,
  BOB,
  JANE,
  JOHN,
  api,
  describe as describeRes,
  expectStatus,
  login,
  session,
  sessionCookieOf,
  sleep,
  stackSh,
  uniqueSuffix,
  utcDatePlus,
} from './lib.mjs';

// ---- seed departments (SEED.md) --------------------------------------------

export const DEPT = {
  john: 'IT Infrastructure',
  jane: 'Data Center Operations',
  bob: 'Development Team',
  alice: 'Security Team',
  carol: 'Security Team',
};

// ---- registry serials ---------------------------------------------------------

// Serials of db/seed/02_hardware.sql (and of registry.csv, below) without
// storage media and without a seeded listing, split between the test files
// that post listings. A file uses only its own.
export const SERIALS = {
  listingsWrite: [
    'SRV004-DELL-R740', 'SRV006-DELL-R720', 'NET003-CISCO-C9300', 'NET004-CISCO-N93180YC',
    'STR003-NETAPP-AFF-A220', 'SRV008-HPE-DL380G10', 'NET006-JUNIPER-EX4300',
  ],
  claims: ['SRV010-HPE-DL560G10', 'SRV012-LENOVO-SR650', 'NET007-JUNIPER-MX204', 'STR005-DELLEMC-ME4024'],
  authz: ['SRV014-LENOVO-X3650M5', 'NET008-JUNIPER-SRX345', 'NET009-ARISTA-7050SX'],
  concurrency: ['SRV015-SMC-6029P', 'NET010-ARISTA-7280SR'],
  crash: ['SRV017-SMC-4029GP', 'NET011-HPE-5130', 'NET012-HPE-2930F', 'STR007-HPE-D3610', 'STR009-DELLEMC-MD1400', 'SRV003-HP-DL360'],
  expiry: ['SRV023-DELL-R6525', 'NET017-HPE-5710'],
  deadline: ['NET014-CISCO-N3K-C3172'],
  settler: ['NET013-CISCO-C9200L'],
  idempotency: ['SRV018-DELL-R650', 'SRV019-DELL-R750', 'NET015-JUNIPER-QFX5100'],
  resend: ['STR010-NETAPP-DS212C'],
  separation: ['NET016-ARISTA-7010T', 'SRV020-HPE-DL360G10P'],
  // From here on the seed has none left: test/integration/registry.csv adds
  // devices of the suite's own (SRV9nn-TEST, NET9nn-TEST, STR9nn-TEST),
  // which the test stack of scripts/test.sh and the podman play load before
  // the suite runs.
  trace: ['SRV901-TEST'],
  settlerBacklog: ['SRV904-TEST'],
  audit: ['STR903-TEST'],
  handover: ['SRV941-TEST', 'NET942-TEST', 'STR943-TEST', 'SRV944-TEST'],
  receipt: ['SRV950-TEST'],
  notifications: ['NET951-TEST', 'STR952-TEST', 'SRV953-TEST', 'NET954-TEST', 'SRV962-TEST', 'NET963-TEST'],
  watches: ['NET945-TEST', 'STR946-TEST', 'NET948-TEST', 'NET966-TEST', 'NET969-TEST'],
  notifyCrash: ['STR955-TEST', 'SRV956-TEST', 'NET957-TEST', 'STR958-TEST'],
  mail: ['SRV907-TEST', 'SRV910-TEST'],
  shortSearch: ['STR906-TEST'],
};

// Registry devices that hold storage media, with the media the registry lists.
export const STORAGE_MEDIA = {
  'SRV002-HP-DL380': ['2x 1TB SSD'],
  'STR001-NETAPP-FAS': ['24x 1.2TB SAS HDD'],
};

// docs/API.md, Impact: CO2 per item by category.
export const CO2_KG = { Server: 1300, Networking: 300, Storage: 800 };

export function categoryOf(serial) {
  if (serial.startsWith('SRV')) return 'Server';
  if (serial.startsWith('NET')) return 'Networking';
  if (serial.startsWith('ST')) return 'Storage';
  throw new Error(`no category for ${serial}`);
}

export const OPEN = ['pending_owner', 'pending_security'];
export const isOpen = (status) => OPEN.includes(status);

// ---- small things -------------------------------------------------------------

// Polls fn() (async) every intervalMs until it returns a truthy value or
// timeoutMs pass; returns the last value.
export async function waitFor(fn, timeoutMs = 10000, intervalMs = 200) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    let v;
    try {
      v = await fn();
    } catch (e) {
      v = undefined;
      if (Date.now() > deadline) throw e;
    }
    if (v || Date.now() > deadline) return v;
    await sleep(intervalMs);
  }
}

export async function admin() {
  return session(JOHN);
}

// ---- users beyond the seed ----------------------------------------------------------

export const ITEST_PASSWORD = 'itest-password-0123';

// A session of an extra user, made once per database: logs in, and creates
// the account (as admin) the first time. department and roles are those of
// the account when it is made.
export async function extraUser(email, name, department, roles = ['member']) {
  const first = await api('POST', '/api/session', { body: { email, password: ITEST_PASSWORD } });
  if (first.status === 200) {
    const c = sessionCookieOf(first);
    return { token: first.json.token, csrfToken: first.json.csrfToken, cookie: c?.pair, user: first.json.user, res: first };
  }
  const a = await admin();
  const made = await api('POST', '/api/users', { token: a.token, body: { email, name, department, password: ITEST_PASSWORD, roles } });
  assert.ok([201, 409].includes(made.status), `POST /api/users for ${email}: ${describeRes(made)}`);
  const s = await login(email, ITEST_PASSWORD);
  return s;
}

// Carol, of the QA Team: a member of a department that takes no part in the
// claims of these tests (neither owner nor requester).
export const CAROL = 'carol.qa@itest.example';
export const CAROL_DEPT = 'QA Team';
let carolSession;
export function carol() {
  carolSession ??= extraUser(CAROL, 'Carol QA', CAROL_DEPT);
  return carolSession;
}

// A new user of a new department, for tests that need a department with
// nothing in it (e.g. exact leaderboard numbers).
export async function freshDepartmentUser(prefix = 'itest') {
  const suffix = uniqueSuffix();
  const department = `${prefix} dept ${suffix}`;
  const email = `${prefix}-${suffix}@itest.example`.toLowerCase();
  const a = await admin();
  const made = await api('POST', '/api/users', {
    token: a.token,
    body: { email, name: `${prefix} ${suffix}`, department, password: ITEST_PASSWORD, roles: ['member'] },
  });
  expectStatus(made, 201);
  const s = await login(email, ITEST_PASSWORD);
  return { ...s, department, email };
}

// ---- listings ------------------------------------------------------------------

export function listingBody(serial, extra = {}) {
  return {
    serialNumber: serial,
    title: `itest ${serial} ${uniqueSuffix()}`,
    category: categoryOf(serial),
    expirationDate: utcDatePlus(30),
    ...extra,
  };
}

export async function getListing(id, token) {
  const res = await api('GET', `/api/listings/${id}`, { token: token ?? (await admin()).token });
  expectStatus(res, 200);
  return res.json;
}

// The available or claimed listings of serial (as admin).
export async function activeListingsOf(serial) {
  const a = await admin();
  const out = [];
  for (const status of ['available', 'claimed']) {
    const res = await api('GET', `/api/listings?search=${encodeURIComponent(serial)}&status=${status}&limit=500`, { token: a.token });
    expectStatus(res, 200);
    out.push(...res.json.filter((l) => l.serialNumber === serial));
  }
  return out;
}

// For a file whose listings of serial Jane's department posts and Bob's
// claims: their sessions (filled in before the file's tests), with serial
// retired before and after them.
export function ownerAndClaimer(serial) {
  const s = {};
  before(async () => {
    [s.owner, s.claimer] = [await session(JANE), await session(BOB)];
    await retireSerial(serial);
  });
  after(async () => {
    await retireSerial(serial).catch(() => {});
  });
  return s;
}

// Withdraws (as admin) whatever active listing serial still has.
export async function retireSerial(serial) {
  const a = await admin();
  for (const l of await activeListingsOf(serial)) {
    const res = await api('DELETE', `/api/listings/${l.id}`, { token: a.token });
    assert.ok([204, 409].includes(res.status), `retiring listing ${l.id} of ${serial}: ${describeRes(res)}`);
  }
}

// POST /api/listings as s (a session) for serial; 201 expected. A listing an
// interrupted earlier run left active for serial is withdrawn first.
export async function createListing(s, serial, extra = {}) {
  const body = listingBody(serial, extra);
  let res = await api('POST', '/api/listings', { token: s.token, body });
  if (res.status === 409) {
    await retireSerial(serial);
    res = await api('POST', '/api/listings', { token: s.token, body });
  }
  expectStatus(res, 201);
  return res.json;
}

// An available listing of serial owned by s's department: the one there is,
// or a new one.
export async function availableListing(s, serial) {
  const dept = s.user?.department;
  const active = await activeListingsOf(serial);
  const mine = active.find((l) => l.status === 'available' && l.department === dept);
  if (mine && active.length === 1) return mine;
  return createListing(s, serial);
}

// DELETE /api/listings/{id} as admin, tolerating a listing already closed.
export async function withdrawListing(id) {
  const a = await admin();
  const res = await api('DELETE', `/api/listings/${id}`, { token: a.token });
  assert.ok([204, 409].includes(res.status), `withdrawing listing ${id}: ${describeRes(res)}`);
}

export async function waitListingStatus(id, status, timeoutMs = 10000) {
  let last;
  await waitFor(async () => {
    last = await getListing(id);
    return last.status === status;
  }, timeoutMs);
  assert.equal(last.status, status, `listing ${id} becomes ${status} within ${timeoutMs} ms: ${JSON.stringify(last)}`);
  return last;
}

// ---- claims -------------------------------------------------------------------

export async function postClaim(s, listingId, justification = `itest justification ${uniqueSuffix()}`) {
  return api('POST', '/api/claims', { token: s.token, body: { listingId, justification } });
}

export async function createClaim(s, listingId, justification) {
  const res = await postClaim(s, listingId, justification);
  expectStatus(res, 201);
  return res.json;
}

export function claimAction(s, id, action, body) {
  return api('POST', `/api/claims/${id}/${action}`, { token: s?.token, body: body ?? (action === 'deny' ? { reason: 'itest denial' } : undefined) });
}

export async function getClaim(id, token) {
  const res = await api('GET', `/api/claims/${id}`, { token: token ?? (await admin()).token });
  expectStatus(res, 200);
  return res.json;
}

export async function waitClaimStatus(id, status, timeoutMs = 10000) {
  let last;
  await waitFor(async () => {
    last = await getClaim(id);
    return last.status === status;
  }, timeoutMs);
  assert.equal(last.status, status, `claim ${id} becomes ${status} within ${timeoutMs} ms: ${JSON.stringify(last)}`);
  return last;
}

// Every page of a paged GET (limit 500), as token; returns the items and
// checks X-Total-Count against them.
export async function allPages(path, token) {
  const sep = path.includes('?') ? '&' : '?';
  const items = [];
  let total;
  for (let offset = 0; ; offset += 500) {
    const res = await api('GET', `${path}${sep}limit=500&offset=${offset}`, { token });
    expectStatus(res, 200);
    total = Number(res.headers.get('x-total-count'));
    items.push(...res.json);
    if (res.json.length < 500 || items.length >= total) break;
  }
  return { items, total };
}

// The claims on listingId (as admin), newest first.
export async function claimsOf(listingId) {
  const a = await admin();
  return (await allPages(`/api/claims?listingId=${listingId}`, a.token)).items;
}

// Closes every open claim on listingId (denied by an admin-visible path: the
// owner's stage needs the owner, so the claim is withdrawn by a session of
// its requesting department when one is given in sessionsByDept, else
// denied by owner or security). Leaves the listing available.
export async function clearOpenClaims(listingId, sessionsByDept) {
  for (const c of await claimsOf(listingId)) {
    if (!isOpen(c.status)) continue;
    const s = sessionsByDept[c.requestingDepartment];
    assert.ok(s, `a session of ${c.requestingDepartment} to withdraw claim ${c.id}`);
    const res = await claimAction(s, c.id, 'withdraw');
    assert.ok([200, 409].includes(res.status), `withdrawing claim ${c.id}: ${describeRes(res)}`);
  }
}

// ---- THE INVARIANT ----------------------------------------------------------------

// docs/API.md: a listing is `claimed` exactly when it has one open claim. Reads
// every listing and every claim as admin (who sees all claims) and returns
// the violations, as sentences (empty when it holds).
export async function invariantViolations() {
  const a = await admin();
  const listings = (await allPages('/api/listings', a.token)).items;
  const claims = (await allPages('/api/claims', a.token)).items;
  const openByListing = new Map();
  for (const c of claims) {
    if (!isOpen(c.status)) continue;
    if (!openByListing.has(c.listingId)) openByListing.set(c.listingId, []);
    openByListing.get(c.listingId).push(c);
  }
  const byId = new Map(listings.map((l) => [l.id, l]));
  const out = [];
  for (const l of listings) {
    const open = openByListing.get(l.id) ?? [];
    if (l.status === 'claimed' && open.length !== 1)
      out.push(`listing ${l.id} (${l.serialNumber}) is claimed with ${open.length} open claims [${open.map((c) => `${c.id}:${c.status}`).join(', ')}]`);
    if (l.status !== 'claimed' && open.length > 0)
      out.push(`listing ${l.id} (${l.serialNumber}) is ${l.status} with open claims [${open.map((c) => `${c.id}:${c.status}`).join(', ')}]`);
  }
  for (const [listingId, open] of openByListing) {
    if (!byId.has(listingId)) out.push(`open claims [${open.map((c) => c.id).join(', ')}] on listing ${listingId}, which GET /api/listings does not show`);
  }
  return out;
}

// Polls until the invariant holds (returns []) or timeoutMs pass (returns the
// last violations).
export async function settledInvariant(timeoutMs = 30000) {
  let last = ['never checked'];
  await waitFor(async () => {
    last = await invariantViolations();
    return last.length === 0;
  }, timeoutMs, 500);
  return last;
}

// Runs the async functions one after the other (sign-ins hash a password:
// many at once on a small, busy machine can outlast the gateway's 5 s
// deadline); resolves their results in order.
export async function inTurn(...fns) {
  const out = [];
  for (const fn of fns) out.push(await fn());
  return out;
}

// Restarts one process of the stack with env's variables set (undefined
// unsets one), e.g. {RCYCLE_FAULT: 'claims.create.after_insert'}. Retried:
// stack.sh's readiness wait can race the exec (see zz-resilience.test.mjs).
export async function restartWith(name, env) {
  let r;
  for (let attempt = 1; attempt <= 3; attempt++) {
    r = await stackSh(['restart-one', name], 90000, env);
    if (r.code === 0) return;
    await sleep(500);
  }
  assert.fail(`stack.sh restart-one ${name}: ${r.stderr}`);
}

// svc-claims' settler gauges (its /metrics): the steps owed to svc-listings
// and the age of the oldest, in seconds, as the last settler round measured.
export async function settlerBacklog() {
  const text = await (await fetch(`${ADMIN_URLS['svc-claims']}/metrics`, { signal: AbortSignal.timeout(5000) })).text();
  const value = (name) => Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(text)?.[1]);
  return { owed: value('rcycle_claims_settler_backlog'), oldest: value('rcycle_claims_settler_oldest_seconds') };
}
