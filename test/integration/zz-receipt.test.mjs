// zz-receipt.test.mjs - a receipt confirmed while svc-listings is down: the
// claim answers received at once (the receipt is svc-claims' record), the
// leaderboard has not counted it, and once svc-listings is back the
// settler tells it, so itemsReceived counts it exactly once.
// Named to run late: it stops svc-listings, and always starts it again.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import { ALICE, BOB, api, expectStatus, session, stackSh } from './lib.mjs';
import { SERIALS, claimAction, createClaim, createListing, freshDepartmentUser, retireSerial, waitFor } from './fixtures.mjs';

const [SERIAL] = SERIALS.receipt;

// Registered first, so that svc-listings runs again before the serial is retired.
after(async () => {
  await stackSh(['start-one', 'svc-listings'], 90000);
  await retireSerial(SERIAL).catch(() => {});
});

let owner;
let bob;
let alice;
before(async () => {
  [bob, alice] = [await session(BOB), await session(ALICE)];
  owner = await freshDepartmentUser('receipt');
  await retireSerial(SERIAL);
});

async function received() {
  const res = await api('GET', '/api/leaderboard', { token: owner.token });
  return res.status === 200 ? res.json.find((e) => e.department === owner.department)?.itemsReceived : undefined;
}

test('a receipt made while svc-listings is down reaches the leaderboard once it is back', async () => {
  const listing = await createListing(owner, SERIAL);
  const claim = await createClaim(bob, listing.id);
  expectStatus(await claimAction(owner, claim.id, 'approve'), 200);
  expectStatus(await claimAction(alice, claim.id, 'approve'), 200);
  assert.equal(await received(), 0);

  const stopped = await stackSh(['kill-one', 'svc-listings', 'KILL']);
  assert.equal(stopped.code, 0, stopped.stderr);
  const res = await claimAction(bob, claim.id, 'receive');
  assert.equal(res.status, 200, `received while svc-listings is down: ${res.status} ${res.text}`);
  assert.equal(res.json.handover.state, 'received');

  const started = await stackSh(['start-one', 'svc-listings'], 90000);
  assert.equal(started.code, 0, started.stderr);
  let seen;
  const counted = await waitFor(async () => {
    seen = await received();
    return seen === 1;
  }, 30000, 500);
  assert.ok(counted, `the leaderboard counts the receipt once svc-listings is back: itemsReceived ${seen}`);
  const events = await api('GET', `/api/claims/${claim.id}/events`, { token: bob.token });
  assert.equal(events.json.filter((e) => e.action === 'received').length, 1, 'one received event');
});
