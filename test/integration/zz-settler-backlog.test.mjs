// zz-settler-backlog.test.mjs - the settler's backlog in svc-claims'
// /metrics, which the alert RcycleClaimsWaitingOnSettler and the dashboard
// read (deploy/k8s/components/monitoring): a claim withdrawn while
// svc-listings is down owes it a release, and shows as
// rcycle_claims_settler_backlog >= 1 with a growing
// rcycle_claims_settler_oldest_seconds; once svc-listings is back the settler
// releases the listing and both return to 0.
// Named to run late: it stops svc-listings, and always starts it again.
import assert from 'node:assert/strict';
import { after, test } from 'node:test';

import { stackSh } from './lib.mjs';
import { SERIALS, claimAction, createClaim, createListing, ownerAndClaimer, settlerBacklog, waitFor, waitListingStatus } from './fixtures.mjs';

const [SERIAL] = SERIALS.settlerBacklog;

// Registered first, so that svc-listings runs again before the serial is retired.
after(async () => {
  await stackSh(['start-one', 'svc-listings'], 90000);
});
const s = ownerAndClaimer(SERIAL);

test('a step owed to a stopped svc-listings shows in the backlog gauges until the settler makes it', async () => {
  const listing = await createListing(s.owner, SERIAL);
  const claim = await createClaim(s.claimer, listing.id);
  // The gauges are measured once a round (a second), so one may still show
  // the claim's own reservation, owed for the few milliseconds it took.
  let rest;
  const atRest = await waitFor(async () => {
    rest = await settlerBacklog();
    return rest.owed === 0 && rest.oldest === 0;
  }, 10000, 250);
  assert.ok(atRest, `nothing is owed at rest: ${JSON.stringify(rest)}`);

  const stopped = await stackSh(['kill-one', 'svc-listings', 'KILL']);
  assert.equal(stopped.code, 0, stopped.stderr);
  const res = await claimAction(s.claimer, claim.id, 'withdraw');
  assert.equal(res.status, 200, `withdrawn while svc-listings is down: ${res.status} ${res.text}`);
  let seen;
  const grew = await waitFor(async () => {
    seen = await settlerBacklog();
    return seen.owed >= 1 && seen.oldest >= 3;
  }, 20000, 500);
  assert.ok(grew, `the release is owed and ageing: ${JSON.stringify(seen)}`);

  const started = await stackSh(['start-one', 'svc-listings'], 90000);
  assert.equal(started.code, 0, started.stderr);
  await waitListingStatus(listing.id, 'available', 30000);
  const cleared = await waitFor(async () => {
    seen = await settlerBacklog();
    return seen.owed === 0 && seen.oldest === 0;
  }, 20000, 500);
  assert.ok(cleared, `the backlog clears once settled: ${JSON.stringify(seen)}`);
});
