// seed-claims.mjs - the data of the restore test (scripts/test-restore.sh):
// on the seeded stack of RUN_DIR, claims in every state the API shows:
// pending_owner, pending_security, approved, denied, withdrawn and cancelled
// (its listing withdrawn), plus a listing left available. (The internal
// states reserving and abandoned last only while a request or the settler
// works on a claim, or after a lost race; they are not made here.) Waits until the claim invariant holds, then writes
// the API's view of everything (restore-view.mjs) to the file given.
//
//   RUN_DIR=... node test/restore/seed-claims.mjs OUT.json
//
// It runs on a stack of its own (its own database), so it takes the serials
// of listings-write.test.mjs, which never runs against that stack.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';

import { ALICE, BOB, JANE, expectStatus, session } from '../integration/lib.mjs';
import {
  SERIALS, claimAction, createClaim, createListing, settledInvariant, waitClaimStatus, withdrawListing,
} from '../integration/fixtures.mjs';
import { apiView } from './restore-view.mjs';

const out = process.argv[2];
assert.ok(out, 'usage: seed-claims.mjs OUT.json');
const [jane, bob, alice] = [await session(JANE), await session(BOB), await session(ALICE)];
const serials = SERIALS.listingsWrite;
const listing = async (i) => createListing(jane, serials[i]);
const act = async (s, id, action) => expectStatus(await claimAction(s, id, action), 200);

// pending_owner
await createClaim(bob, (await listing(0)).id);
// pending_security
const c1 = await createClaim(bob, (await listing(1)).id);
await act(jane, c1.id, 'approve');
// approved
const c2 = await createClaim(bob, (await listing(2)).id);
await act(jane, c2.id, 'approve');
await act(alice, c2.id, 'approve');
// denied
const c3 = await createClaim(bob, (await listing(3)).id);
await act(jane, c3.id, 'deny');
// withdrawn
const c4 = await createClaim(bob, (await listing(4)).id);
await act(bob, c4.id, 'withdraw');
// cancelled: the settler follows the listing's withdrawal
const l5 = await listing(5);
const c5 = await createClaim(bob, l5.id);
await withdrawListing(l5.id);
await waitClaimStatus(c5.id, 'cancelled', 30000);
// available, unclaimed: the restored stack claims it (sequences restored)
await listing(6);

assert.deepEqual(await settledInvariant(), []);
writeFileSync(out, JSON.stringify(await apiView(), null, 1));
console.log(`seeded claims in every state; the API's view in ${out}`);
