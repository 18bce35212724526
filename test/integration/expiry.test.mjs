// Expiry (docs/API.md): a listing whose expirationDate has passed becomes
// `expired` within a minute without any request touching it, and its open
// claims become `cancelled`. A day cannot be waited for, so the test moves
// the listing's date into the past in the database, as the passing of time
// would, and then only watches the API: the sweeper in svc-listings and the
// change feed followed by svc-claims must do the rest on their own.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';

import { api, expectStatus, session, setting } from './lib.mjs';
import {
  SERIALS,
  createClaim,
  createListing,
  waitClaimStatus,
  waitListingStatus,
} from './fixtures.mjs';

const EXPIRY_WITHIN_MS = 60000;
const [CLAIMED_SERIAL, AVAILABLE_SERIAL] = SERIALS.expiry;

// Sets the listing's expiration date to yesterday (UTC), as svc-listings'
// own role: the only write this suite makes outside the API.
function letDatePass(listingId) {
  const url = setting('RCYCLE_LISTINGS_DATABASE_URL', setting('DATABASE_URL'));
  assert.ok(url, 'the stack records the listings database URL');
  execFileSync('psql', [url, '-v', 'ON_ERROR_STOP=1', '-qAt', '-c',
    `UPDATE listings.listings SET expiration_date = (now() AT TIME ZONE 'UTC')::date - 1 WHERE id = ${Number(listingId)}`],
  { encoding: 'utf8', timeout: 10000 });
}

test('a claimed listing whose date passes expires and its open claim is cancelled', async () => {
  const john = await session('john.doe@company.com');
  const bob = await session('bob.johnson@company.com');
  const listing = await createListing(john, CLAIMED_SERIAL);
  const claim = await createClaim(bob, listing.id);
  assert.equal(claim.status, 'pending_owner');

  letDatePass(listing.id);
  await waitListingStatus(listing.id, 'expired', EXPIRY_WITHIN_MS);
  const cancelled = await waitClaimStatus(claim.id, 'cancelled', EXPIRY_WITHIN_MS);
  assert.equal(cancelled.deniedAt, null);

  const events = await api('GET', `/api/claims/${claim.id}/events`, { token: bob.token });
  expectStatus(events, 200);
  const last = events.json.at(-1);
  assert.equal(last.action, 'cancelled');
  assert.equal(last.fromStatus, 'pending_owner');
  assert.equal(last.toStatus, 'cancelled');
  assert.match(last.note, /expired/);

  const approve = await api('POST', `/api/claims/${claim.id}/approve`, { token: john.token });
  assert.equal(approve.status, 409, 'a cancelled claim is no longer open');
});

test('an available listing whose date passes expires and can no longer be edited or claimed', async () => {
  const john = await session('john.doe@company.com');
  const bob = await session('bob.johnson@company.com');
  const listing = await createListing(john, AVAILABLE_SERIAL);

  letDatePass(listing.id);
  const expired = await waitListingStatus(listing.id, 'expired', EXPIRY_WITHIN_MS);
  assert.equal(expired.serialNumber, AVAILABLE_SERIAL);

  const patch = await api('PATCH', `/api/listings/${listing.id}`, { token: john.token, body: { title: 'too late' } });
  assert.equal(patch.status, 409);
  const claim = await api('POST', '/api/claims', { token: bob.token, body: { listingId: listing.id, justification: 'late' } });
  assert.equal(claim.status, 409);

  const expiredList = await api('GET', `/api/listings?status=expired&search=${AVAILABLE_SERIAL}`, { token: john.token });
  expectStatus(expiredList, 200);
  assert.ok(expiredList.json.some((l) => l.id === listing.id));
});
