// concurrency.test.mjs - races on one listing and on one claim (docs/API.md:
// "Under any number of concurrent requests for one listing, exactly one
// claim succeeds"; transitions of one claim are exclusive).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { ALICE, BOB, JANE, JOHN, api, describe as describeRes, expectStatus, session } from './lib.mjs';
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
  createListing,
  extraUser,
  getClaim,
  getListing,
  isOpen,
  postClaim,
  retireSerial,
  waitListingStatus,
} from './fixtures.mjs';

const [SERIAL_RACE, SERIAL_BURST] = SERIALS.concurrency;
const CLAIMERS = 50;

let jane;
let bob;
let alice;
let john;
let carol;
let dev2;
let byDept;

before(async () => {
  [jane, bob, alice, john, carol] = await inTurn(() => session(JANE), () => session(BOB), () => session(ALICE), () => session(JOHN), () => carolSession());
  dev2 = await extraUser('dev2@itest.example', 'Dev Two', DEPT.bob);
  byDept = { [DEPT.jane]: jane, [DEPT.bob]: bob, [DEPT.alice]: alice, [DEPT.john]: john, [CAROL_DEPT]: carol };
  for (const serial of SERIALS.concurrency) await retireSerial(serial);
});

after(async () => {
  for (const serial of SERIALS.concurrency) await retireSerial(serial).catch(() => {});
});

describe(`${CLAIMERS} concurrent claims on one listing`, () => {
  for (let round = 1; round <= 3; round++) {
    test(`round ${round}: exactly one 201, every other 409; the listing claimed with exactly that one open claim`, async () => {
      const l = await availableListing(jane, SERIAL_BURST);
      await clearOpenClaims(l.id, byDept);
      const before = (await claimsOf(l.id)).map((c) => c.id);
      // Every department but the owner's, two members of one of them.
      const claimers = [bob, alice, john, carol, dev2];
      const results = await Promise.all(
        Array.from({ length: CLAIMERS }, (_, i) => postClaim(claimers[i % claimers.length], l.id, `race ${round}.${i}`).then((res) => ({ res, s: claimers[i % claimers.length] }))),
      );
      const statuses = results.map((r) => r.res.status);
      const won = results.filter((r) => r.res.status === 201);
      const tally = statuses.reduce((m, s) => ({ ...m, [s]: (m[s] ?? 0) + 1 }), {});
      // Whatever happened, leave the listing free for the next round.
      try {
        assert.equal(won.length, 1, `exactly one 201: ${JSON.stringify(tally)}`);
        assert.equal(statuses.filter((s) => s === 409).length, CLAIMERS - 1, `all others 409: ${JSON.stringify(tally)} ${results.filter((r) => ![201, 409].includes(r.res.status)).map((r) => describeRes(r.res)).slice(0, 3).join(' | ')}`);
        for (const r of results) if (r.res.status === 409) assert.ok(['FAILED_PRECONDITION', 'ALREADY_EXISTS', 'ABORTED'].includes(r.res.json?.code), describeRes(r.res));
        const winner = won[0].res.json;
        assert.equal(winner.status, 'pending_owner');
        assert.equal(winner.requestingDepartment, won[0].s.user.department);
        assert.equal((await getListing(l.id)).status, 'claimed');
        const nowClaims = await claimsOf(l.id);
        const open = nowClaims.filter((c) => isOpen(c.status));
        assert.deepEqual(open.map((c) => c.id), [winner.id], 'exactly one open claim, the winner');
        assert.deepEqual(nowClaims.map((c) => c.id).filter((id) => !before.includes(id)), [winner.id], 'the losers left no claim behind');
      } finally {
        await clearOpenClaims(l.id, byDept);
      }
      await waitListingStatus(l.id, 'available', 5000);
    });
  }
});

// Runs a and b at once; returns their responses.
const race = (a, b) => Promise.all([a(), b()]);

describe('concurrent transitions of one claim', () => {
  for (let round = 1; round <= 4; round++) {
    test(`round ${round}: security approval against withdrawal at pending_security: exactly one wins, and the listing follows the winner`, async () => {
      const l = await availableListing(jane, SERIAL_RACE);
      await clearOpenClaims(l.id, byDept);
      const c = await createClaim(bob, l.id);
      expectStatus(await claimAction(jane, c.id, 'approve'), 200);
      const [approve, withdraw] = await race(() => claimAction(alice, c.id, 'approve'), () => claimAction(bob, c.id, 'withdraw'));
      const outcome = `approve ${approve.status}, withdraw ${withdraw.status}`;
      assert.deepEqual([approve.status, withdraw.status].sort(), [200, 409], `exactly one wins: ${outcome}: ${describeRes(approve)} | ${describeRes(withdraw)}`);
      const final = await getClaim(c.id);
      if (approve.status === 200) {
        assert.equal(final.status, 'approved', outcome);
        assert.equal((await getListing(l.id)).status, 'approved', outcome);
      } else {
        assert.equal(final.status, 'withdrawn', outcome);
        await waitListingStatus(l.id, 'available', 5000);
      }
    });
  }

  for (let round = 1; round <= 3; round++) {
    test(`round ${round}: owner approval against withdrawal at pending_owner: one wins, or both in the order approve-then-withdraw`, async () => {
      const l = await availableListing(jane, SERIAL_RACE);
      await clearOpenClaims(l.id, byDept);
      const c = await createClaim(bob, l.id);
      const [approve, withdraw] = await race(() => claimAction(jane, c.id, 'approve'), () => claimAction(bob, c.id, 'withdraw'));
      const outcome = `approve ${approve.status}, withdraw ${withdraw.status}: ${describeRes(approve)} | ${describeRes(withdraw)}`;
      const final = await getClaim(c.id);
      if (approve.status === 200 && withdraw.status === 200) {
        // Serialised: the approval first (pending_security is still open), then the withdrawal.
        assert.equal(approve.json.status, 'pending_security', outcome);
        assert.equal(final.status, 'withdrawn', outcome);
      } else if (approve.status === 200) {
        assert.equal(withdraw.status, 409, outcome);
        assert.equal(final.status, 'pending_security', outcome);
      } else {
        assert.equal(approve.status, 409, outcome);
        assert.equal(withdraw.status, 200, outcome);
        assert.equal(final.status, 'withdrawn', outcome);
      }
      const listing = await getListing(l.id);
      if (isOpen(final.status)) assert.equal(listing.status, 'claimed', outcome);
      else await waitListingStatus(l.id, 'available', 5000);
      await clearOpenClaims(l.id, byDept);
    });
  }

  for (let round = 1; round <= 3; round++) {
    test(`round ${round}: denial against withdrawal: exactly one wins`, async () => {
      const l = await availableListing(jane, SERIAL_RACE);
      await clearOpenClaims(l.id, byDept);
      const c = await createClaim(bob, l.id);
      const [deny, withdraw] = await race(() => claimAction(jane, c.id, 'deny', { reason: 'race' }), () => claimAction(bob, c.id, 'withdraw'));
      const outcome = `deny ${deny.status}, withdraw ${withdraw.status}: ${describeRes(deny)} | ${describeRes(withdraw)}`;
      assert.deepEqual([deny.status, withdraw.status].sort(), [200, 409], outcome);
      const final = await getClaim(c.id);
      assert.equal(final.status, deny.status === 200 ? 'denied' : 'withdrawn', outcome);
      await waitListingStatus(l.id, 'available', 5000);
    });
  }

  test('two security reviewers approve at once: one 200, one 409, one approval in the trail', async () => {
    const reviewer2 = await extraUser('security2@itest.example', 'Second Reviewer', DEPT.alice, ['member', 'security']);
    const l = await createListing(jane, SERIAL_RACE);
    const c = await createClaim(bob, l.id);
    expectStatus(await claimAction(jane, c.id, 'approve'), 200);
    const [a, b] = await race(() => claimAction(alice, c.id, 'approve'), () => claimAction(reviewer2, c.id, 'approve'));
    assert.deepEqual([a.status, b.status].sort(), [200, 409], `${describeRes(a)} | ${describeRes(b)}`);
    assert.equal((await getClaim(c.id)).status, 'approved');
    assert.equal((await getListing(l.id)).status, 'approved');
    const ev = (await api('GET', `/api/claims/${c.id}/events`, { token: john.token })).json;
    assert.equal(ev.filter((e) => e.toStatus === 'approved').length, 1, JSON.stringify(ev));
  });
});
