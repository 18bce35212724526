// check-restored.mjs - the restored stack of RUN_DIR shows exactly what the
// stack showed before its backup (BEFORE.json, written by seed-claims.mjs),
// the claim invariant holds, and it takes new work: a claim on the listing
// left available gets a new id and opens.
//
//   RUN_DIR=... node test/restore/check-restored.mjs BEFORE.json
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';

import { BOB, session } from '../integration/lib.mjs';
import { createClaim, invariantViolations } from '../integration/fixtures.mjs';
import { apiView } from './restore-view.mjs';

const before = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const after = await apiView();
for (const part of Object.keys(before)) assert.deepEqual(after[part], before[part], `the restored ${part} differ`);
assert.deepEqual(await invariantViolations(), []);

const statuses = new Set(after.claims.map((c) => c.status));
for (const s of ['pending_owner', 'pending_security', 'approved', 'denied', 'withdrawn', 'cancelled'])
  assert.ok(statuses.has(s), `a ${s} claim was restored`);
const available = after.listings.find((l) => l.status === 'available' && !after.claims.some((c) => c.listingId === l.id) && l.title.startsWith('itest'));
assert.ok(available, 'the listing left available is there');
const claim = await createClaim(await session(BOB), available.id);
assert.ok(claim.id > Math.max(...after.claims.map((c) => c.id)), `a new claim gets a new id (${claim.id})`);
assert.equal(claim.status, 'pending_owner');
assert.deepEqual(await invariantViolations(), []);
console.log(`restored: ${after.listings.length} listings, ${after.claims.length} claims, ${after.users.length} users as before; invariant holds; new claim ${claim.id}`);
