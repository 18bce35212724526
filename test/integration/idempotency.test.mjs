// idempotency.test.mjs - a POST sent again with the same Idempotency-Key
// gets the first answer again, and makes nothing twice (docs/API.md:
// Idempotency-Key; docs/ARCHITECTURE.md: idempotent creates). A different
// key is a new request, answered 409 as before when it collides; the key is
// one client's, so another user with the same key is not given the first
// user's answer.
//
// Listings are Jane's Data Center Operations', claims Bob's Development
// Team's, on this file's serials (fixtures.mjs SERIALS.idempotency). Every
// test withdraws what it made, so reruns start clean.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import { BOB, JANE, JOHN, api, assertError, describe as describeRes, expectStatus, session, uniqueSuffix } from './lib.mjs';
import {
  ITEST_PASSWORD,
  SERIALS,
  activeListingsOf,
  admin,
  claimsOf,
  createListing,
  isOpen,
  listingBody,
  retireSerial,
  settledInvariant,
  withdrawListing,
} from './fixtures.mjs';

const [SERIAL_LISTING, SERIAL_CLAIM, SERIAL_OTHER_USER] = SERIALS.idempotency;

const key = (what) => `itest-${what}-${uniqueSuffix()}`;

function post(path, token, body, idempotencyKey) {
  return api('POST', path, { token, body, headers: idempotencyKey ? { 'idempotency-key': idempotencyKey } : {} });
}

// The answer a client that retries gets: the same status and the same body.
function assertSameAnswer(first, again, what) {
  expectStatus(first, 201);
  assert.equal(again.status, 201, `${what} sent again with its key: ${describeRes(again)}`);
  assert.deepEqual(again.json, first.json, `${what} sent again answers the same body`);
  assert.equal(again.headers.get('location'), first.headers.get('location'), `${what}: the same Location`);
}

describe('POST /api/listings with an Idempotency-Key', () => {
  test('the same key twice: the same 201 and body, one listing; another key: 409', async () => {
    const jane = await session(JANE);
    await retireSerial(SERIAL_LISTING);
    const body = listingBody(SERIAL_LISTING);
    const k = key('listing');
    const first = await post('/api/listings', jane.token, body, k);
    expectStatus(first, 201);
    assert.equal(first.headers.get('x-request-id'), k, 'the key is the request id');
    try {
      const again = await post('/api/listings', jane.token, body, k);
      assertSameAnswer(first, again, 'POST /api/listings');
      const active = await activeListingsOf(SERIAL_LISTING);
      assert.deepEqual(active.map((l) => l.id), [first.json.id], 'one active listing of the serial');

      assertError(await post('/api/listings', jane.token, body, key('listing')), 409, 'ALREADY_EXISTS');
      assertError(await post('/api/listings', jane.token, body), 409, 'ALREADY_EXISTS');
    } finally {
      await withdrawListing(first.json.id);
    }
  });

  test('a key that is not a short token of safe characters: 400, nothing made', async () => {
    const jane = await session(JANE);
    await retireSerial(SERIAL_LISTING);
    for (const bad of ['has space', 'x'.repeat(65), 'semi;colon']) {
      const res = await post('/api/listings', jane.token, listingBody(SERIAL_LISTING), bad);
      assertError(res, 400, 'INVALID_ARGUMENT');
      assert.match(res.json.error, /Idempotency-Key/);
    }
    assert.deepEqual(await activeListingsOf(SERIAL_LISTING), [], 'no listing was made');
  });
});

describe('POST /api/claims with an Idempotency-Key', () => {
  test('the same key twice: the same 201 and body, one claim; another key: 409', async () => {
    const [jane, bob] = [await session(JANE), await session(BOB)];
    const listing = await createListing(jane, SERIAL_CLAIM);
    try {
      const body = { listingId: listing.id, justification: `itest idempotent claim ${uniqueSuffix()}` };
      const k = key('claim');
      const first = await post('/api/claims', bob.token, body, k);
      expectStatus(first, 201);
      const again = await post('/api/claims', bob.token, body, k);
      assertSameAnswer(first, again, 'POST /api/claims');
      const claims = await claimsOf(listing.id);
      assert.deepEqual(claims.map((c) => c.id), [first.json.id], 'one claim on the listing');

      // The listing is claimed now: a new request is refused as before.
      assertError(await post('/api/claims', bob.token, body, key('claim')), 409, 'FAILED_PRECONDITION');
      // Bob's key is his own: John's request with it is a new one, refused
      // because the listing is taken, and not answered with Bob's claim.
      const john = await session(JOHN);
      assertError(await post('/api/claims', john.token, body, k), 409, 'FAILED_PRECONDITION');
      assert.equal((await claimsOf(listing.id)).filter((c) => isOpen(c.status)).length, 1);
    } finally {
      await withdrawListing(listing.id);
    }
    await settledInvariant();
  });
});

describe('copies of one request at once', () => {
  test('six concurrent POST /api/listings and /api/claims with one key: one listing, one claim, every answer the same 201', async () => {
    const [jane, bob] = [await session(JANE), await session(BOB)];
    await retireSerial(SERIAL_CLAIM);
    const listingKey = key('listing-race');
    const body = listingBody(SERIAL_CLAIM);
    const listings = await Promise.all(Array.from({ length: 6 }, () => post('/api/listings', jane.token, body, listingKey)));
    for (const res of listings) assertSameAnswer(listings[0], res, 'a concurrent POST /api/listings');
    const listing = listings[0].json;
    try {
      assert.deepEqual((await activeListingsOf(SERIAL_CLAIM)).map((l) => l.id), [listing.id], 'one listing made');
      const claimKey = key('claim-race');
      const claimBody = { listingId: listing.id, justification: `itest concurrent copies ${uniqueSuffix()}` };
      const claims = await Promise.all(Array.from({ length: 6 }, () => post('/api/claims', bob.token, claimBody, claimKey)));
      for (const res of claims) {
        assert.equal(res.status, 201, `a concurrent copy of one CreateClaim: ${describeRes(res)}`);
        assert.equal(res.json.id, claims[0].json.id, 'every copy answers the one claim');
        assert.equal(res.json.status, 'pending_owner');
      }
      assert.deepEqual((await claimsOf(listing.id)).map((c) => c.id), [claims[0].json.id], 'one claim made');
    } finally {
      await withdrawListing(listing.id);
    }
    await settledInvariant();
  });
});

describe('POST /api/users with an Idempotency-Key', () => {
  test('the same key twice: the same 201 and body, one account; another key: 409', async () => {
    const a = await admin();
    const suffix = uniqueSuffix();
    const body = {
      email: `idem-${suffix}@itest.example`.toLowerCase(),
      name: `Idem ${suffix}`,
      department: 'Idempotency Team',
      password: ITEST_PASSWORD,
      roles: ['member'],
    };
    const k = key('user');
    const first = await post('/api/users', a.token, body, k);
    expectStatus(first, 201);
    const again = await post('/api/users', a.token, body, k);
    assertSameAnswer(first, again, 'POST /api/users');
    const users = await api('GET', '/api/users', { token: a.token });
    expectStatus(users, 200);
    assert.equal(users.json.filter((u) => u.email === body.email).length, 1, 'one account with the email');

    assertError(await post('/api/users', a.token, body, key('user')), 409, 'ALREADY_EXISTS');
    assertError(await post('/api/users', a.token, body), 409, 'ALREADY_EXISTS');
  });
});

describe('two users, one key', () => {
  test("each gets the answer to its own request, never the other's", async () => {
    const [jane, bob] = [await session(JANE), await session(BOB)];
    await retireSerial(SERIAL_OTHER_USER);
    const k = key('shared');
    const first = await post('/api/listings', jane.token, listingBody(SERIAL_OTHER_USER), k);
    expectStatus(first, 201);
    try {
      // Bob's request with Jane's key runs as his own: the serial is taken.
      assertError(await post('/api/listings', bob.token, listingBody(SERIAL_OTHER_USER), k), 409, 'ALREADY_EXISTS');
    } finally {
      await withdrawListing(first.json.id);
    }
  });
});
