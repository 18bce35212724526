// zz-deadline.test.mjs - a service works only within the deadline of the
// request it serves: svc-claims gives its calls to svc-listings what is left
// of the gateway's deadline (capped), never a fresh allowance of its own.
// svc-claims is held (a fault point with a pause) between fetching the
// listing and reserving it, past the gateway's 5 s; the reservation must then
// not be sent by the request, and the settler completes the claim instead.
// Named to run late: it restarts svc-claims, and always restores it.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import { BOB, JANE, api, describe as describeRes, session, sleep } from './lib.mjs';
import { SERIALS, claimsOf, createListing, getListing, retireSerial, waitFor, restartWith } from './fixtures.mjs';

const [SERIAL] = SERIALS.deadline;
const GATEWAY_DEADLINE_MS = 5000;
const PAUSE_MS = GATEWAY_DEADLINE_MS + 1500;

let jane, bob;
before(async () => {
  [jane, bob] = await Promise.all([session(JANE), session(BOB)]);
  await retireSerial(SERIAL);
});

after(async () => {
  await restartWith('svc-claims', { RCYCLE_FAULT: undefined, RCYCLE_FAULT_PAUSE_MS: undefined });
  await retireSerial(SERIAL).catch(() => {});
});

test('a claim held past the gateway deadline sends no reservation; the settler makes it', async () => {
  const listing = await createListing(jane, SERIAL);
  await restartWith('svc-claims', { RCYCLE_FAULT: 'claims.create.after_get_listing', RCYCLE_FAULT_PAUSE_MS: PAUSE_MS });

  const started = Date.now();
  const res = await api('POST', '/api/claims', {
    token: bob.token,
    body: { listingId: listing.id, justification: 'deadline test' },
    timeoutMs: 15000,
  });
  assert.equal(res.status, 504, describeRes(res));

  // The pause ends at PAUSE_MS; a reservation sent then would hold the
  // listing a few milliseconds later. The settler retries a reservation only
  // 5 s after the claim was written, so until then the listing stays free.
  await sleep(Math.max(0, PAUSE_MS + 1500 - (Date.now() - started)));
  assert.equal((await getListing(listing.id)).status, 'available',
    'svc-claims sent the reservation after the request it served had run out');

  const settled = await waitFor(async () => {
    const open = (await claimsOf(listing.id)).filter((c) => c.status === 'pending_owner');
    return open.length === 1 && (await getListing(listing.id)).status === 'claimed';
  }, 20000, 500);
  assert.ok(settled, 'the settler reserves the listing and opens the claim');
});
