// separation.test.mjs - separation of duties on claims (docs/API.md, approve):
// the requester, the owner-stage approver and the security approver of a
// claim are three people. The requester never approves or denies at any
// stage; the owner-stage approver never decides the security stage; each
// refusal is 403 PERMISSION_DENIED naming the rule, and changes nothing.
// carol.davis (Security Team, security; SEED.md) is the second reviewer who
// carries such a claim through.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { ALICE, CAROL_DAVIS, JANE, BOB, api, assertError, expectStatus, session } from './lib.mjs';
import { SERIALS, claimAction, createClaim, createListing, getClaim, retireSerial } from './fixtures.mjs';

const [SECURITY_SERIAL, JANE_SERIAL] = SERIALS.separation;

let alice, carol, jane, bob;
before(async () => {
  [alice, carol, jane, bob] = [await session(ALICE), await session(CAROL_DAVIS), await session(JANE), await session(BOB)];
  for (const s of SERIALS.separation) await retireSerial(s);
});
after(async () => {
  for (const s of SERIALS.separation) await retireSerial(s).catch(() => {});
});

test('carol.davis is seeded as the second security reviewer', async () => {
  assert.equal(carol.user.department, 'Security Team');
  assert.deepEqual([...carol.user.roles].sort(), ['member', 'security']);
});

describe('the requester never decides their own claim', () => {
  test('Alice (security) requests; after the owner approves she may neither approve nor deny it; Carol approves', async () => {
    await retireSerial(JANE_SERIAL);
    const l = await createListing(jane, JANE_SERIAL);
    const c = await createClaim(alice, l.id);
    expectStatus(await claimAction(jane, c.id, 'approve'), 200);
    for (const action of ['approve', 'deny']) {
      const res = await claimAction(alice, c.id, action);
      assertError(res, 403, 'PERMISSION_DENIED');
      assert.match(res.json.error, /separation of duties: the requester/);
    }
    assert.equal((await getClaim(c.id)).status, 'pending_security', 'the refusals changed nothing');
    const done = await claimAction(carol, c.id, 'approve');
    expectStatus(done, 200);
    assert.equal(done.json.status, 'approved');
    assert.equal(done.json.requestedBy, ALICE);
    assert.equal(done.json.securityApprovedBy, CAROL_DAVIS);
  });
});

describe('the owner-stage approver never decides the security stage', () => {
  test('Alice approves a claim on her department\'s listing as owner; she may not approve or deny its security stage; Carol denies', async () => {
    await retireSerial(SECURITY_SERIAL);
    const l = await createListing(alice, SECURITY_SERIAL);
    const c = await createClaim(bob, l.id);
    expectStatus(await claimAction(alice, c.id, 'approve'), 200);
    for (const action of ['approve', 'deny']) {
      const res = await claimAction(alice, c.id, action);
      assertError(res, 403, 'PERMISSION_DENIED');
      assert.match(res.json.error, /separation of duties: the owner-stage approver/);
    }
    const stage = await getClaim(c.id);
    assert.equal(stage.status, 'pending_security');
    assert.equal(stage.ownerApprovedBy, ALICE);
    const denied = await claimAction(carol, c.id, 'deny', { reason: 'a second reviewer decides' });
    expectStatus(denied, 200);
    assert.equal(denied.json.deniedBy, CAROL_DAVIS);
  });

  test('Carol (same department, not the owner approver) may approve the security stage of a claim Alice owner-approved', async () => {
    await retireSerial(SECURITY_SERIAL);
    const l = await createListing(carol, SECURITY_SERIAL);
    const c = await createClaim(bob, l.id);
    expectStatus(await claimAction(alice, c.id, 'approve'), 200);
    const done = await claimAction(carol, c.id, 'approve');
    expectStatus(done, 200);
    assert.equal(done.json.ownerApprovedBy, ALICE);
    assert.equal(done.json.securityApprovedBy, CAROL_DAVIS);
    const events = await api('GET', `/api/claims/${c.id}/events`, { token: bob.token });
    assert.deepEqual(events.json.map((e) => e.actorId), [bob.user.id, alice.user.id, carol.user.id], 'three people in the trail');
  });
});
