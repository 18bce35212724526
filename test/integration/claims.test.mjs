// claims.test.mjs - the claims of docs/API.md: the two-stage approval, denial,
// withdrawal, who may do what (403), closed claims (409), the audit trail,
// scopes, filters and paging, and the cancellation of open claims when their
// listing is withdrawn.
//
// The claims are made by Bob's Development Team on listings of Jane's Data
// Center Operations, posted from this file's registry serials
// (fixtures.mjs SERIALS.claims); Carol (QA Team, made once per database) is
// a member of a department that takes no part. Every test leaves its
// listing without an open claim, so reruns and other files are unaffected.
//
// Not tested here, because the API offers no way to make time pass: expiry
// (a listing past its expirationDate becomes expired within a minute and its
// open claims are cancelled; a denied claim's listing goes back to expired
// instead of available).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import {
  ALICE,
  BOB,
  JANE,
  JOHN,
  RFC3339_UTC,
  SEED_USERS,
  api,
  assertError,
  describe as describeRes,
  expectStatus,
  session,
} from './lib.mjs';
import {
  inTurn,
  CAROL_DEPT,
  CO2_KG,
  DEPT,
  SERIALS,
  allPages,
  availableListing,
  carol as carolSession,
  claimAction,
  claimsOf,
  clearOpenClaims,
  createClaim,
  createListing,
  extraUser,
  getClaim,
  getListing,
  isOpen,
  postClaim,
  retireSerial,
  settledInvariant,
  waitClaimStatus,
  waitFor,
  waitListingStatus,
  withdrawListing,
} from './fixtures.mjs';

const [SERIAL_FLOW, SERIAL_MAIN, SERIAL_PAGING, SERIAL_DELETE] = SERIALS.claims;

const CLAIM_FIELDS = [
  'id', 'listingId', 'listingTitle', 'serialNumber', 'category', 'requestingDepartment', 'justification', 'status',
  'requestedBy', 'requestedAt', 'ownerApprovedAt', 'ownerApprovedBy', 'securityApprovedAt', 'securityApprovedBy',
  'deniedAt', 'deniedBy', 'denialReason',
];
const EVENT_FIELDS = ['at', 'actorId', 'actorDepartment', 'action', 'fromStatus', 'toStatus', 'note'];

let jane;
let bob;
let alice;
let john;
let carol;
let byDept; // a session per department, to withdraw leftovers

before(async () => {
  [jane, bob, alice, john, carol] = await inTurn(() => session(JANE), () => session(BOB), () => session(ALICE), () => session(JOHN), () => carolSession());
  byDept = { [DEPT.jane]: jane, [DEPT.bob]: bob, [DEPT.alice]: alice, [DEPT.john]: john, [CAROL_DEPT]: carol };
  for (const serial of SERIALS.claims) await retireSerial(serial);
});

after(async () => {
  for (const serial of SERIALS.claims) await retireSerial(serial).catch(() => {});
});

const userOk = (value, email) => {
  const u = SEED_USERS.find((x) => x.email === email);
  return [email, u?.name].includes(value);
};

function assertClaim(c) {
  for (const f of CLAIM_FIELDS) assert.ok(Object.hasOwn(c, f), `claim has ${f}: ${JSON.stringify(c)}`);
  assert.ok(Number.isSafeInteger(c.id) && c.id > 0);
  assert.match(c.requestedAt, RFC3339_UTC);
  for (const f of ['ownerApprovedAt', 'securityApprovedAt', 'deniedAt']) assert.ok(c[f] === null || RFC3339_UTC.test(c[f]), `${f}: ${c[f]}`);
}

function assertEvents(events) {
  assert.ok(Array.isArray(events));
  for (const e of events) {
    for (const f of EVENT_FIELDS) assert.ok(Object.hasOwn(e, f), `event has ${f}: ${JSON.stringify(e)}`);
    assert.match(e.at, RFC3339_UTC);
    assert.equal(typeof e.action, 'string');
    assert.ok(e.action.length > 0);
  }
  for (let i = 1; i < events.length; i++) assert.ok(events[i - 1].at <= events[i].at, 'oldest first');
}

async function events(id, s = john) {
  const res = await api('GET', `/api/claims/${id}/events`, { token: s.token });
  expectStatus(res, 200);
  assertEvents(res.json);
  return res.json;
}

// The reusable listing of most tests: Jane's, available, no open claim.
async function mainListing() {
  const l = await availableListing(jane, SERIAL_MAIN);
  await clearOpenClaims(l.id, byDept);
  return l;
}

// A listing of Jane's whose claim by Bob went through both approvals (made
// once per run; approved is final, so the tests share it read-only).
let approvedOnce;
function approved() {
  approvedOnce ??= (async () => {
    const l = await createListing(jane, SERIAL_FLOW);
    const c = await createClaim(bob, l.id);
    expectStatus(await claimAction(jane, c.id, 'approve'), 200);
    const done = await claimAction(alice, c.id, 'approve');
    expectStatus(done, 200);
    return { listing: await getListing(l.id), claim: done.json };
  })();
  return approvedOnce;
}

async function dcoSaved(s) {
  const res = await api('GET', '/api/leaderboard', { token: s.token });
  expectStatus(res, 200);
  return res.json.find((e) => e.department === DEPT.jane)?.totalCO2SavedKg ?? 0;
}

describe('the full flow', () => {
  test('Development Team claims a Data Center Operations listing; owner then security approve; events and leaderboard follow', async () => {
    const savedBefore = await dcoSaved(jane);
    const l = await createListing(jane, SERIAL_FLOW);
    const justification = 'Need for automated testing infrastructure expansion';

    const created = await postClaim(bob, l.id, justification);
    expectStatus(created, 201);
    const c = created.json;
    assertClaim(c);
    assert.deepEqual(
      { listingId: c.listingId, listingTitle: c.listingTitle, serialNumber: c.serialNumber, category: c.category, requestingDepartment: c.requestingDepartment, justification: c.justification, status: c.status },
      { listingId: l.id, listingTitle: l.title, serialNumber: l.serialNumber, category: l.category, requestingDepartment: DEPT.bob, justification, status: 'pending_owner' },
    );
    assert.ok(userOk(c.requestedBy, BOB), `requestedBy ${c.requestedBy}`);
    for (const f of ['ownerApprovedAt', 'ownerApprovedBy', 'securityApprovedAt', 'securityApprovedBy', 'deniedAt', 'deniedBy', 'denialReason']) assert.equal(c[f], null, f);
    assert.equal((await getListing(l.id)).status, 'claimed', 'the listing is claimed');
    assert.deepEqual(await getClaim(c.id, bob.token), c, 'GET /api/claims/{id} as the requester');
    assert.deepEqual(await getClaim(c.id, jane.token), c, 'GET /api/claims/{id} as the owner');

    const owner = await claimAction(jane, c.id, 'approve');
    expectStatus(owner, 200);
    assertClaim(owner.json);
    assert.equal(owner.json.status, 'pending_security');
    assert.match(owner.json.ownerApprovedAt ?? '', RFC3339_UTC);
    assert.ok(userOk(owner.json.ownerApprovedBy, JANE), `ownerApprovedBy ${owner.json.ownerApprovedBy}`);
    assert.equal(owner.json.securityApprovedAt, null);
    assert.equal((await getListing(l.id)).status, 'claimed', 'still claimed while security reviews');

    const security = await claimAction(alice, c.id, 'approve');
    expectStatus(security, 200);
    assertClaim(security.json);
    assert.equal(security.json.status, 'approved');
    assert.match(security.json.securityApprovedAt ?? '', RFC3339_UTC);
    assert.ok(userOk(security.json.securityApprovedBy, ALICE), `securityApprovedBy ${security.json.securityApprovedBy}`);
    assert.equal(security.json.ownerApprovedAt, owner.json.ownerApprovedAt, 'the owner approval is kept');
    assert.equal((await getListing(l.id)).status, 'approved', 'the listing is approved');
    assert.deepEqual(await getClaim(c.id), security.json);

    const ev = await events(c.id, bob);
    assert.deepEqual(
      ev.map((e) => [e.actorId, e.actorDepartment, e.fromStatus, e.toStatus]),
      [
        [bob.user.id, DEPT.bob, null, 'pending_owner'],
        [jane.user.id, DEPT.jane, 'pending_owner', 'pending_security'],
        [alice.user.id, DEPT.alice, 'pending_security', 'approved'],
      ],
      `events: ${JSON.stringify(ev)}`,
    );
    assert.equal(new Set(ev.map((e) => e.action)).size, 3, 'three different actions');
    for (const s of [jane, alice, john]) assert.deepEqual(await events(c.id, s), ev, 'the same trail for everyone who may see it');

    // The leaderboard credits the owning department.
    const savedAfter = await dcoSaved(jane);
    assert.ok(savedAfter - savedBefore >= CO2_KG[l.category], `Data Center Operations saved ${savedBefore} -> ${savedAfter} kg`);
    const ok = await waitFor(async () => {
      const approvedDco = (await allPages(`/api/listings?department=${encodeURIComponent(DEPT.jane)}&status=approved`, john.token)).items;
      return approvedDco.some((x) => x.id === l.id) && (await dcoSaved(jane)) === approvedDco.reduce((s, x) => s + CO2_KG[x.category], 0);
    }, 5000);
    assert.ok(ok, 'Data Center Operations\' saved CO2 is the sum over its approved listings, this one included');
  });
});

describe('denial', () => {
  test('by the owning department while pending_owner: reason required (400), then denied and the listing available again', async () => {
    const l = await mainListing();
    const c = await createClaim(bob, l.id);
    for (const body of [undefined, {}, { reason: '' }, { reason: '   ' }, { reason: null }, { reason: 5 }, { reason: ['no'] }]) {
      const res = await api('POST', `/api/claims/${c.id}/deny`, { token: jane.token, body });
      assertError(res, 400, 'INVALID_ARGUMENT');
    }
    assert.equal((await getClaim(c.id)).status, 'pending_owner', 'a refused denial changes nothing');
    assert.equal((await getListing(l.id)).status, 'claimed');

    const res = await claimAction(jane, c.id, 'deny', { reason: 'needed elsewhere' });
    expectStatus(res, 200);
    assertClaim(res.json);
    assert.equal(res.json.status, 'denied');
    assert.equal(res.json.denialReason, 'needed elsewhere');
    assert.match(res.json.deniedAt ?? '', RFC3339_UTC);
    assert.ok(userOk(res.json.deniedBy, JANE), `deniedBy ${res.json.deniedBy}`);
    await waitListingStatus(l.id, 'available', 5000);
    const ev = await events(c.id);
    assert.deepEqual(ev.map((e) => [e.actorId, e.fromStatus, e.toStatus]), [[bob.user.id, null, 'pending_owner'], [jane.user.id, 'pending_owner', 'denied']]);
  });

  test('by security while pending_security: the owner may no longer deny (403), reason required (400), then denied and available', async () => {
    const l = await mainListing();
    const c = await createClaim(bob, l.id);
    expectStatus(await claimAction(jane, c.id, 'approve'), 200);
    for (const s of [jane, bob, john, carol]) assertError(await claimAction(s, c.id, 'deny', { reason: 'no' }), 403, 'PERMISSION_DENIED');
    assertError(await api('POST', `/api/claims/${c.id}/deny`, { token: alice.token, body: {} }), 400, 'INVALID_ARGUMENT');
    assert.equal((await getClaim(c.id)).status, 'pending_security');
    const res = await claimAction(alice, c.id, 'deny', { reason: 'drives not certified' });
    expectStatus(res, 200);
    assert.equal(res.json.status, 'denied');
    assert.equal(res.json.denialReason, 'drives not certified');
    assert.ok(userOk(res.json.deniedBy, ALICE));
    assert.match(res.json.ownerApprovedAt ?? '', RFC3339_UTC, 'the owner approval is kept');
    await waitListingStatus(l.id, 'available', 5000);
    const ev = await events(c.id);
    assert.deepEqual(ev.at(-1).fromStatus, 'pending_security');
    assert.deepEqual(ev.at(-1).toStatus, 'denied');
    assert.equal(ev.at(-1).actorId, alice.user.id);
    assert.equal(ev.at(-1).actorDepartment, DEPT.alice);
  });
});

describe('withdrawal', () => {
  for (const stage of ['pending_owner', 'pending_security']) {
    test(`by the requesting department while ${stage}: withdrawn, the listing available again`, async () => {
      const l = await mainListing();
      const c = await createClaim(bob, l.id);
      if (stage === 'pending_security') expectStatus(await claimAction(jane, c.id, 'approve'), 200);
      for (const s of [jane, alice, john, carol]) assertError(await claimAction(s, c.id, 'withdraw'), 403, 'PERMISSION_DENIED');
      const res = await claimAction(bob, c.id, 'withdraw');
      expectStatus(res, 200);
      assertClaim(res.json);
      assert.equal(res.json.status, 'withdrawn');
      await waitListingStatus(l.id, 'available', 5000);
      const ev = await events(c.id);
      assert.deepEqual([ev.at(-1).actorId, ev.at(-1).actorDepartment, ev.at(-1).fromStatus, ev.at(-1).toStatus], [bob.user.id, DEPT.bob, stage, 'withdrawn']);
      // The listing may be claimed again.
      const again = await createClaim(bob, l.id);
      expectStatus(await claimAction(bob, again.id, 'withdraw'), 200);
    });
  }
});

describe('who may act', () => {
  test('pending_owner: only the owning department approves or denies, only the requester withdraws; others 403', async () => {
    const l = await mainListing();
    const c = await createClaim(bob, l.id);
    for (const s of [bob, alice, john, carol]) {
      assertError(await claimAction(s, c.id, 'approve'), 403, 'PERMISSION_DENIED');
      assertError(await claimAction(s, c.id, 'deny', { reason: 'x' }), 403, 'PERMISSION_DENIED');
    }
    for (const s of [jane, alice, john, carol]) assertError(await claimAction(s, c.id, 'withdraw'), 403, 'PERMISSION_DENIED');
    assert.equal((await getClaim(c.id)).status, 'pending_owner');
    assert.equal((await events(c.id)).length, 1, 'refusals write no event');
    expectStatus(await claimAction(bob, c.id, 'withdraw'), 200);
  });

  test('pending_security: only a security reviewer approves or denies (the admin and the owner do not); others 403', async () => {
    const l = await mainListing();
    const c = await createClaim(bob, l.id);
    expectStatus(await claimAction(jane, c.id, 'approve'), 200);
    for (const s of [jane, bob, john, carol]) {
      assertError(await claimAction(s, c.id, 'approve'), 403, 'PERMISSION_DENIED');
      assertError(await claimAction(s, c.id, 'deny', { reason: 'x' }), 403, 'PERMISSION_DENIED');
    }
    assert.equal((await getClaim(c.id)).status, 'pending_security');
    assert.equal((await getListing(l.id)).status, 'claimed');
    expectStatus(await claimAction(bob, c.id, 'withdraw'), 200);
  });

  test('a claim the caller may not see: 403 for GET and events; unknown 404; malformed 400', async () => {
    const l = await mainListing();
    const c = await createClaim(bob, l.id);
    assertError(await api('GET', `/api/claims/${c.id}`, { token: carol.token }), 403, 'PERMISSION_DENIED');
    assertError(await api('GET', `/api/claims/${c.id}/events`, { token: carol.token }), 403, 'PERMISSION_DENIED');
    for (const s of [jane, bob, alice, john]) expectStatus(await api('GET', `/api/claims/${c.id}`, { token: s.token }), 200);
    for (const p of ['/api/claims/999999999', '/api/claims/999999999/events']) assertError(await api('GET', p, { token: john.token }), 404, 'NOT_FOUND');
    for (const a of ['approve', 'withdraw']) assertError(await claimAction(john, 999999999, a), 404, 'NOT_FOUND');
    assertError(await claimAction(john, 999999999, 'deny', { reason: 'x' }), 404, 'NOT_FOUND');
    for (const bad of ['abc', '0', '-1', '1.5']) {
      assertError(await api('GET', `/api/claims/${bad}`, { token: john.token }), 400, 'INVALID_ARGUMENT');
      assertError(await api('GET', `/api/claims/${bad}/events`, { token: john.token }), 400, 'INVALID_ARGUMENT');
      assertError(await api('POST', `/api/claims/${bad}/approve`, { token: john.token }), 400, 'INVALID_ARGUMENT');
    }
    expectStatus(await claimAction(bob, c.id, 'withdraw'), 200);
  });
});

describe('closed claims: 409 from approve, deny and withdraw for every caller allowed to see them', () => {
  async function closedClaims() {
    const l = await mainListing();
    const denied = await createClaim(bob, l.id);
    expectStatus(await claimAction(jane, denied.id, 'deny', { reason: 'no' }), 200);
    await waitListingStatus(l.id, 'available', 5000);
    const withdrawn = await createClaim(bob, l.id);
    expectStatus(await claimAction(bob, withdrawn.id, 'withdraw'), 200);
    await waitListingStatus(l.id, 'available', 5000);
    const { claim: approvedClaim } = await approved();
    return { denied: denied.id, withdrawn: withdrawn.id, approved: approvedClaim.id };
  }

  test('denied, withdrawn and approved claims', async () => {
    const ids = await closedClaims();
    for (const [state, id] of Object.entries(ids)) {
      const before = await getClaim(id);
      for (const s of [jane, bob, alice, john]) {
        assertError(await claimAction(s, id, 'approve'), 409);
        assertError(await claimAction(s, id, 'deny', { reason: 'again' }), 409);
        assertError(await claimAction(s, id, 'withdraw'), 409);
      }
      for (const a of ['approve', 'deny', 'withdraw']) assertError(await claimAction(carol, id, a), 403, 'PERMISSION_DENIED');
      assert.deepEqual(await getClaim(id), before, `${state} claim unchanged`);
    }
  });
});

describe('making a claim: refusals', () => {
  test('a listing of one\'s own department: 403 (the admin too)', async () => {
    const l = await mainListing();
    const res = await postClaim(jane, l.id);
    if (res.status === 201) await claimAction(jane, res.json.id, 'withdraw');
    assertError(res, 403, 'PERMISSION_DENIED');
    assert.equal((await getListing(l.id)).status, 'available');
    // John's IT Infrastructure owns the seeded SRV001-DELL-R730 listing.
    const seeded = (await api('GET', '/api/listings?search=SRV001-DELL-R730&department=IT%20Infrastructure', { token: john.token })).json.find((x) => x.serialNumber === 'SRV001-DELL-R730');
    assert.ok(seeded, 'the seeded SRV001-DELL-R730 listing');
    const mine = await postClaim(john, seeded.id);
    if (mine.status === 201) await claimAction(john, mine.json.id, 'withdraw');
    assertError(mine, 403, 'PERMISSION_DENIED');
  });

  test('a listing that is not available (claimed, approved, withdrawn): 409', async () => {
    const l = await mainListing();
    const c = await createClaim(bob, l.id);
    for (const s of [john, alice, carol]) {
      const res = await postClaim(s, l.id);
      if (res.status === 201) await claimAction(s, res.json.id, 'withdraw');
      assertError(res, 409);
    }
    expectStatus(await claimAction(bob, c.id, 'withdraw'), 200);
    const { listing } = await approved();
    for (const s of [john, carol]) assertError(await postClaim(s, listing.id), 409);
    const w = await createListing(jane, SERIAL_DELETE);
    expectStatus(await api('DELETE', `/api/listings/${w.id}`, { token: jane.token }), 204);
    assertError(await postClaim(bob, w.id), 409);
  });

  test('the department already has an open claim on the listing: 409, also for another member of it', async () => {
    const l = await mainListing();
    const c = await createClaim(bob, l.id);
    assertError(await postClaim(bob, l.id), 409);
    const dev2 = await extraUser('dev2@itest.example', 'Dev Two', DEPT.bob);
    assertError(await postClaim(dev2, l.id), 409);
    assert.equal((await claimsOf(l.id)).filter((x) => isOpen(x.status)).length, 1, 'one open claim');
    expectStatus(await claimAction(bob, c.id, 'withdraw'), 200);
  });

  test('invalid bodies: 400; unknown listing: 404', async () => {
    const l = await mainListing();
    const bodies = [
      {}, { justification: 'x' }, { listingId: l.id }, { listingId: l.id, justification: '' }, { listingId: l.id, justification: '   ' },
      { listingId: String(l.id), justification: 'x' }, { listingId: 0, justification: 'x' }, { listingId: -1, justification: 'x' },
      { listingId: 1.5, justification: 'x' }, { listingId: null, justification: 'x' }, { listingId: l.id, justification: 5 },
      { listingId: l.id, justification: null }, { listingId: [l.id], justification: 'x' },
    ];
    for (const body of bodies) {
      const res = await api('POST', '/api/claims', { token: bob.token, body });
      if (res.status === 201) await claimAction(bob, res.json.id, 'withdraw');
      assert.equal(res.status, 400, `${JSON.stringify(body)}: ${describeRes(res)}`);
      assertError(res, 400, 'INVALID_ARGUMENT');
    }
    for (const raw of ['[]', '"x"', '{"listingId":']) assertError(await api('POST', '/api/claims', { token: bob.token, rawBody: raw }), 400, 'INVALID_ARGUMENT');
    assertError(await postClaim(bob, 999999999), 404, 'NOT_FOUND');
    assert.equal((await getListing(l.id)).status, 'available');
  });
});

describe('GET /api/claims: scopes, filters, paging', () => {
  let listing;
  let claims; // newest first: [open, withdrawn, withdrawn]
  let listingDept; // listing id -> department, for the incoming scope

  before(async () => {
    listing = await availableListing(jane, SERIAL_PAGING);
    await clearOpenClaims(listing.id, byDept);
    const made = [];
    for (let i = 0; i < 3; i++) {
      const c = await createClaim(bob, listing.id, `paging ${i}`);
      made.unshift(c);
      if (i < 2) expectStatus(await claimAction(bob, c.id, 'withdraw'), 200);
    }
    claims = made;
    listingDept = new Map((await allPages('/api/listings', john.token)).items.map((l) => [l.id, l.department]));
  });

  after(async () => {
    await clearOpenClaims(listing.id, byDept);
  });

  const get = async (s, query) => {
    const res = await api('GET', `/api/claims${query}`, { token: s.token });
    expectStatus(res, 200);
    assert.ok(Array.isArray(res.json), describeRes(res));
    for (const c of res.json) assertClaim(c);
    const total = res.headers.get('x-total-count');
    assert.match(total ?? '', /^\d+$/, `X-Total-Count: ${describeRes(res)}`);
    return { items: res.json, total: Number(total) };
  };

  test('listingId: every claim on the listing, newest first, with X-Total-Count', async () => {
    const { items, total } = await get(bob, `?listingId=${listing.id}`);
    const mine = items.slice(0, 3).map((c) => c.id);
    assert.deepEqual(mine, claims.map((c) => c.id), 'newest first');
    assert.equal(total, items.length);
    for (const c of items) assert.equal(c.listingId, listing.id);
    for (let i = 1; i < items.length; i++) assert.ok(items[i - 1].requestedAt >= items[i].requestedAt, 'requestedAt desc');
  });

  test('paging: limit and offset walk the list; X-Total-Count is the count before paging', async () => {
    const all = await get(bob, `?listingId=${listing.id}`);
    const walked = [];
    for (let offset = 0; offset < all.items.length; offset++) {
      const page = await get(bob, `?listingId=${listing.id}&limit=1&offset=${offset}`);
      assert.equal(page.total, all.total);
      assert.equal(page.items.length, 1);
      walked.push(page.items[0].id);
    }
    assert.deepEqual(walked, all.items.map((c) => c.id));
    const two = await get(bob, `?listingId=${listing.id}&limit=2&offset=1`);
    assert.deepEqual(two.items.map((c) => c.id), all.items.slice(1, 3).map((c) => c.id));
    const past = await get(bob, `?listingId=${listing.id}&offset=${all.total}`);
    assert.deepEqual(past.items, []);
    assert.equal(past.total, all.total);
    for (const q of ['limit=0', 'limit=501', 'limit=abc', 'limit=-1', 'offset=-1', 'offset=x', 'listingId=abc', 'listingId=0', 'listingId=-3']) {
      assertError(await api('GET', `/api/claims?${q}`, { token: bob.token }), 400, 'INVALID_ARGUMENT');
    }
  });

  test('status filters, alone and with listingId', async () => {
    const withdrawn = await get(bob, `?listingId=${listing.id}&status=withdrawn`);
    assert.deepEqual(withdrawn.items.map((c) => c.id).slice(0, 2), claims.slice(1).map((c) => c.id));
    for (const c of withdrawn.items) assert.equal(c.status, 'withdrawn');
    assert.equal(withdrawn.total, withdrawn.items.length);
    const open = await get(bob, `?listingId=${listing.id}&status=pending_owner`);
    assert.deepEqual(open.items.map((c) => c.id), [claims[0].id]);
    assert.equal(open.total, 1);
    const none = await get(bob, `?listingId=${listing.id}&status=approved`);
    assert.deepEqual(none.items, []);
    assert.equal(none.total, 0);
    const allWithdrawn = await get(john, '?status=withdrawn&limit=500');
    for (const c of allWithdrawn.items) assert.equal(c.status, 'withdrawn');
    assertError(await api('GET', '/api/claims?status=bogus', { token: bob.token }), 400, 'INVALID_ARGUMENT');
    assertError(await api('GET', '/api/claims?status=reserving', { token: john.token }), 400, 'INVALID_ARGUMENT');
  });

  test('scope=mine: made by my department; scope=incoming: on my department\'s listings', async () => {
    const ids = new Set(claims.map((c) => c.id));
    const bobMine = (await allPages('/api/claims?scope=mine', bob.token)).items;
    for (const c of bobMine) assert.equal(c.requestingDepartment, DEPT.bob, `mine of bob: claim ${c.id}`);
    assert.equal(bobMine.filter((c) => ids.has(c.id)).length, 3, 'bob\'s claims are his department\'s');
    const janeMine = (await allPages('/api/claims?scope=mine', jane.token)).items;
    for (const c of janeMine) assert.equal(c.requestingDepartment, DEPT.jane);
    assert.ok(!janeMine.some((c) => ids.has(c.id)));
    const janeIncoming = (await allPages('/api/claims?scope=incoming', jane.token)).items;
    for (const c of janeIncoming) if (listingDept.has(c.listingId)) assert.equal(listingDept.get(c.listingId), DEPT.jane, `incoming of jane: claim ${c.id}`);
    assert.equal(janeIncoming.filter((c) => ids.has(c.id)).length, 3);
    const bobIncoming = (await allPages('/api/claims?scope=incoming', bob.token)).items;
    assert.ok(!bobIncoming.some((c) => ids.has(c.id)));
    for (const c of bobIncoming) if (listingDept.has(c.listingId)) assert.equal(listingDept.get(c.listingId), DEPT.bob);
    const filtered = await get(bob, `?scope=mine&listingId=${listing.id}&status=pending_owner`);
    assert.deepEqual(filtered.items.map((c) => c.id), [claims[0].id]);
    assertError(await api('GET', '/api/claims?scope=bogus', { token: bob.token }), 400, 'INVALID_ARGUMENT');
  });

  test('no scope: members see what their department made or received; security and admin see all', async () => {
    const ids = new Set(claims.map((c) => c.id));
    for (const [s, dept] of [[bob, DEPT.bob], [jane, DEPT.jane], [carol, CAROL_DEPT]]) {
      const { items, total } = await allPages('/api/claims', s.token);
      assert.equal(total, items.length);
      for (const c of items) {
        const owner = listingDept.get(c.listingId);
        assert.ok(c.requestingDepartment === dept || owner === dept || owner === undefined, `${dept} sees claim ${c.id} of ${c.requestingDepartment} on a listing of ${owner}`);
      }
      assert.equal(items.filter((c) => ids.has(c.id)).length, dept === CAROL_DEPT ? 0 : 3, `${dept}: the paging claims`);
    }
    const everyone = await Promise.all([bob, jane, carol].map(async (s) => (await allPages('/api/claims', s.token)).items.map((c) => c.id)));
    for (const s of [alice, john]) {
      const { items } = await allPages('/api/claims', s.token);
      const seen = new Set(items.map((c) => c.id));
      for (const list of everyone) for (const id of list) assert.ok(seen.has(id) || id > Math.max(...seen), `claim ${id} seen by ${s.user.email}`);
    }
  });

  test('scope=review: pending_security claims, for security reviewers only (403 for members and the admin)', async () => {
    expectStatus(await claimAction(jane, claims[0].id, 'approve'), 200);
    const review = await allPages('/api/claims?scope=review', alice.token);
    for (const c of review.items) assert.equal(c.status, 'pending_security');
    assert.ok(review.items.some((c) => c.id === claims[0].id), 'the claim awaiting security is in the queue');
    const one = await get(alice, `?scope=review&listingId=${listing.id}`);
    assert.deepEqual(one.items.map((c) => c.id), [claims[0].id]);
    for (const s of [jane, bob, john, carol]) assertError(await api('GET', '/api/claims?scope=review', { token: s.token }), 403, 'PERMISSION_DENIED');
    expectStatus(await claimAction(bob, claims[0].id, 'withdraw'), 200);
    const after = await get(alice, `?scope=review&listingId=${listing.id}`);
    assert.deepEqual(after.items, [], 'a withdrawn claim leaves the queue');
  });
});

describe('withdrawing a listing cancels its open claims', () => {
  for (const stage of ['pending_owner', 'pending_security']) {
    test(`a ${stage} claim: the listing is withdrawn at once, the claim cancelled within 5 s, then 409 for every action`, async () => {
      const l = await createListing(jane, SERIAL_DELETE);
      const c = await createClaim(bob, l.id);
      if (stage === 'pending_security') expectStatus(await claimAction(jane, c.id, 'approve'), 200);
      const started = Date.now();
      expectStatus(await api('DELETE', `/api/listings/${l.id}`, { token: jane.token }), 204);
      assert.equal((await getListing(l.id)).status, 'withdrawn', 'withdrawn at once');
      const done = await waitFor(async () => (await getClaim(c.id)).status === 'cancelled', 5000, 100);
      const took = Date.now() - started;
      assert.ok(done, `claim ${c.id} cancelled within 5 s (still ${(await getClaim(c.id)).status} after ${took} ms)`);
      const ev = await events(c.id);
      assert.equal(ev.at(-1).fromStatus, stage);
      assert.equal(ev.at(-1).toStatus, 'cancelled');
      for (const s of [jane, bob, alice, john]) {
        assertError(await claimAction(s, c.id, 'approve'), 409);
        assertError(await claimAction(s, c.id, 'deny', { reason: 'x' }), 409);
        assertError(await claimAction(s, c.id, 'withdraw'), 409);
      }
      assert.equal((await getListing(l.id)).status, 'withdrawn');
    });
  }
});

describe('at rest', () => {
  test('THE INVARIANT: a listing is claimed exactly when it has one open claim', async () => {
    assert.deepEqual(await settledInvariant(30000), []);
  });
});
