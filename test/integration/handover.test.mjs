// handover.test.mjs - docs/API.md "Handover": the handover object of an
// approved claim, the owner's handover and the requester's receipt in either
// order, who may take each step (403), repeats and claims that are not
// approved (409), their audit events, and the leaderboard's itemsReceived
// and receivedCO2Kg.
//
// The owning department is made for this file (so its leaderboard entry
// has exact numbers); Bob's Development Team claims, Alice (security)
// approves, Carol's QA Team takes no part.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import { ALICE, BOB, RFC3339_UTC, api, assertError, expectStatus, session } from './lib.mjs';
import {
  CO2_KG,
  SERIALS,
  carol as carolSession,
  claimAction,
  createClaim,
  createListing,
  freshDepartmentUser,
  getClaim,
  inTurn,
  retireSerial,
  waitFor,
} from './fixtures.mjs';

const [SERIAL_A, SERIAL_B, SERIAL_C, SERIAL_D] = SERIALS.handover;

let owner;
let bob;
let alice;
let carol;

before(async () => {
  [bob, alice, carol] = await inTurn(() => session(BOB), () => session(ALICE), () => carolSession());
  owner = await freshDepartmentUser('handover');
  for (const serial of SERIALS.handover) await retireSerial(serial);
});
after(async () => {
  for (const serial of SERIALS.handover) await retireSerial(serial).catch(() => {});
});

async function approvedClaim(serial) {
  const listing = await createListing(owner, serial);
  const c = await createClaim(bob, listing.id);
  assert.equal(c.handover, null, 'no handover before approval');
  expectStatus(await claimAction(owner, c.id, 'approve'), 200);
  const done = await claimAction(alice, c.id, 'approve');
  expectStatus(done, 200);
  assert.equal(done.json.status, 'approved');
  return { listing, claim: done.json };
}

async function entry() {
  const res = await api('GET', '/api/leaderboard', { token: owner.token });
  expectStatus(res, 200);
  return res.json.find((e) => e.department === owner.department);
}

async function claimActions(id) {
  const res = await api('GET', `/api/claims/${id}/events`, { token: bob.token });
  expectStatus(res, 200);
  return res.json.map((e) => e.action);
}

test('an approved claim awaits its handover; handover then receipt, each once, each an event', async () => {
  const { claim } = await approvedClaim(SERIAL_A);
  assert.deepEqual(claim.handover,
    { state: 'awaiting', handedOverAt: null, handedOverBy: null, receivedAt: null, receivedBy: null });

  const handed = await claimAction(owner, claim.id, 'handover');
  expectStatus(handed, 200);
  assert.equal(handed.json.status, 'approved', 'the status stays approved');
  assert.equal(handed.json.handover.state, 'handed_over');
  assert.match(handed.json.handover.handedOverAt, RFC3339_UTC);
  assert.equal(handed.json.handover.handedOverBy, owner.email);
  assert.equal(handed.json.handover.receivedAt, null);
  assertError(await claimAction(owner, claim.id, 'handover'), 409);

  const received = await claimAction(bob, claim.id, 'receive');
  expectStatus(received, 200);
  assert.equal(received.json.handover.state, 'received');
  assert.equal(received.json.handover.receivedBy, bob.user.email);
  assert.match(received.json.handover.receivedAt, RFC3339_UTC);
  assert.equal(received.json.handover.handedOverBy, owner.email, 'the handover is kept');
  assertError(await claimAction(bob, claim.id, 'receive'), 409);

  const seen = await getClaim(claim.id, owner.token);
  assert.deepEqual(seen.handover, received.json.handover, 'GET shows what the step answered');
  const actions = await claimActions(claim.id);
  assert.deepEqual(actions.filter((a) => a === 'handed_over' || a === 'received'), ['handed_over', 'received']);
});

test('receipt may come first; the handover after it leaves the state received', async () => {
  const { claim } = await approvedClaim(SERIAL_B);
  const received = await claimAction(bob, claim.id, 'receive');
  expectStatus(received, 200);
  assert.equal(received.json.handover.state, 'received');
  assert.equal(received.json.handover.handedOverAt, null);
  const handed = await claimAction(owner, claim.id, 'handover');
  expectStatus(handed, 200);
  assert.equal(handed.json.handover.state, 'received');
  assert.match(handed.json.handover.handedOverAt, RFC3339_UTC);
});

test('only the listing\'s department hands over and only the requesting one receives (403)', async () => {
  const { claim } = await approvedClaim(SERIAL_C);
  const refused = async (s, action, who) => {
    const res = await claimAction(s, claim.id, action);
    assert.equal(res.status, 403, `${who}: ${action}`);
    assertError(res, 403);
  };
  for (const [who, s] of [['requester', bob], ['security reviewer', alice], ['other department', carol]])
    await refused(s, 'handover', who);
  for (const [who, s] of [['owner', owner], ['security reviewer', alice], ['other department', carol]])
    await refused(s, 'receive', who);
  assert.equal((await getClaim(claim.id)).handover.state, 'awaiting', 'nothing changed');
  assertError(await claimAction(bob, 999999999, 'receive'), 404);
});

test('a claim that is not approved cannot be handed over or received (409), and has no handover', async () => {
  const listing = await createListing(owner, SERIAL_D);
  const c = await createClaim(bob, listing.id);
  assertError(await claimAction(owner, c.id, 'handover'), 409);
  assertError(await claimAction(bob, c.id, 'receive'), 409);
  expectStatus(await claimAction(bob, c.id, 'withdraw'), 200);
  assertError(await claimAction(bob, c.id, 'receive'), 409);
  assert.equal((await getClaim(c.id)).handover, null);
});

test('the leaderboard counts received items and their CO2 beside the approved ones', async () => {
  // The claims above: the server (A) and the switch (B) were received; C is approved, not received.
  let e;
  await waitFor(async () => {
    e = await entry();
    return e && e.itemsReceived === 2;
  });
  assert.equal(e.itemsReceived, 2, JSON.stringify(e));
  assert.equal(e.receivedCO2Kg, CO2_KG.Server + CO2_KG.Networking);
  assert.equal(e.itemsClaimed, 3);
  assert.equal(e.totalCO2SavedKg, CO2_KG.Server + CO2_KG.Networking + CO2_KG.Storage);
});
