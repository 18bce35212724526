// zz-notify-crash.test.mjs - notifications are delivered exactly once across
// a SIGKILL of svc-users at each step of applying a page of claim events
// (the fault points of svc-users/notify.c: after the notifications are
// written and before the cursor moves, before the commit, right after it),
// and across a plain SIGKILL in the middle of a burst: every recipient has
// exactly one claim_received per claim once svc-users is back.
// Named to run late: it restarts svc-users, and leaves it running without
// a fault armed.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, test } from 'node:test';

import { BOB, api, expectStatus, pidOf, session, sleep, stackSh } from './lib.mjs';
import {
  SERIALS,
  claimAction,
  createClaim,
  createListing,
  extraUser,
  freshDepartmentUser,
  restartWith,
  retireSerial,
  waitFor,
} from './fixtures.mjs';

const POINTS = ['users.notify.before_cursor', 'users.notify.before_commit', 'users.notify.after_commit'];

let owner;
let owner2;
let bob;

// Registered first: svc-users runs again, without a fault, whatever happened.
after(async () => {
  await restartWith('svc-users', { RCYCLE_FAULT: undefined });
  for (const serial of SERIALS.notifyCrash) await retireSerial(serial).catch(() => {});
});
before(async () => {
  owner = await freshDepartmentUser('ncrash');
  owner2 = await extraUser(`ncrash2-${Date.now().toString(36)}@itest.example`, 'Crash Two', owner.department);
  bob = await session(BOB);
  for (const serial of SERIALS.notifyCrash) await retireSerial(serial);
});

function alive(name) {
  const pid = pidOf(name);
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return !['Z', 'X'].includes(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0]);
  } catch {
    return false;
  }
}

// Each of s's claim_received notifications about these claims, by claim.
async function receivedCounts(s, claimIds) {
  const res = await api('GET', '/api/notifications?limit=500', { token: s.token });
  expectStatus(res, 200);
  const counts = Object.fromEntries(claimIds.map((id) => [id, 0]));
  for (const n of res.json) {
    const id = Number(/^\/#\/claims\/(\d+)$/.exec(n.link)?.[1]);
    if (n.kind === 'claim_received' && id in counts) counts[id]++;
  }
  return counts;
}

async function assertOnce(claimIds, why) {
  const want = Object.fromEntries(claimIds.map((id) => [id, 1]));
  for (const s of [owner, owner2]) {
    let got;
    const done = await waitFor(async () => {
      got = await receivedCounts(s, claimIds);
      return claimIds.every((id) => got[id] >= 1);
    }, 30000, 500);
    assert.ok(done, `${why}: delivered after the restart: ${JSON.stringify(got)}`);
    await sleep(2500); // a second delivery, if there were one, would be in by now
    assert.deepEqual(await receivedCounts(s, claimIds), want, `${why}: exactly once`);
  }
}

for (const [i, point] of POINTS.entries()) {
  test(`SIGKILL at ${point}: each notification once`, async () => {
    const listing = await createListing(owner, SERIALS.notifyCrash[i]);
    await restartWith('svc-users', { RCYCLE_FAULT: point });
    const c = await createClaim(bob, listing.id);
    const died = await waitFor(async () => !alive('svc-users'), 20000, 100);
    assert.ok(died, `svc-users dies at ${point} once it applies the claim's event`);
    await restartWith('svc-users', { RCYCLE_FAULT: undefined });
    bob = await session(BOB);
    await assertOnce([c.id], point);
    expectStatus(await claimAction(bob, c.id, 'withdraw'), 200);
  });
}

test('SIGKILL in the middle of a burst: each notification once', async () => {
  const listing = await createListing(owner, SERIALS.notifyCrash[3]);
  const ids = [];
  for (let k = 0; k < 6; k++) {
    const c = await createClaim(bob, listing.id);
    ids.push(c.id);
    expectStatus(await claimAction(bob, c.id, 'withdraw'), 200);
    if (k === 2) {
      const r = await stackSh(['kill-one', 'svc-users', 'KILL']);
      assert.equal(r.code, 0, r.stderr);
      await restartWith('svc-users', { RCYCLE_FAULT: undefined });
      bob = await session(BOB);
    }
  }
  await assertOnce(ids, 'burst');
});
