// zz-settler-departments.test.mjs - the settler carries a department name
// whole, however long: names may be 200 characters of up to four bytes. A
// claim interrupted before its reservation (svc-claims killed at the fault
// point) is reserved by the settler with the requesting department; were
// that name cut short, a department whose name begins with another's would
// be refused as if it claimed its own listing, and its claim abandoned.
// Named to run late: it restarts svc-claims, and always restores it.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import { api, describe as describeRes, login } from './lib.mjs';
import { SERIALS, admin, claimsOf, createListing, getListing, retireSerial, waitFor, restartWith } from './fixtures.mjs';

const [SERIAL] = SERIALS.settler;
const PASSWORD = 'settler-departments-1';
// 255 bytes: 127 two-byte characters and one more; the claimer's department
// is the same and one character longer.
const OWNER_DEPT = `${'é'.repeat(127)}a`;
const CLAIMER_DEPT = `${OWNER_DEPT}b`;

async function userOf(email, department) {
  const a = await admin();
  const made = await api('POST', '/api/users', {
    token: a.token,
    body: { email, name: 'Settler test', department, password: PASSWORD, roles: ['member'] },
  });
  assert.ok([201, 409].includes(made.status), describeRes(made));
  return login(email, PASSWORD);
}

let owner, claimer;
before(async () => {
  owner = await userOf('settler-owner@itest.example', OWNER_DEPT);
  claimer = await userOf('settler-claimer@itest.example', CLAIMER_DEPT);
  await retireSerial(SERIAL);
});

after(async () => {
  await restartWith('svc-claims', { RCYCLE_FAULT: undefined });
  await retireSerial(SERIAL).catch(() => {});
});

test('an interrupted claim of a department named like the owner\'s, and longer, is completed', async () => {
  assert.equal(Buffer.byteLength(OWNER_DEPT), 255);
  const listing = await createListing(owner, SERIAL);
  await restartWith('svc-claims', { RCYCLE_FAULT: 'claims.create.after_insert' });
  const res = await api('POST', '/api/claims', {
    token: claimer.token,
    body: { listingId: listing.id, justification: 'settler departments test' },
  });
  assert.ok([503, 504].includes(res.status), describeRes(res));
  await restartWith('svc-claims', { RCYCLE_FAULT: undefined });

  let claims = [];
  const settled = await waitFor(async () => {
    claims = await claimsOf(listing.id);
    return claims.some((c) => c.status === 'pending_owner') && (await getListing(listing.id)).status === 'claimed';
  }, 30000, 500);
  assert.ok(settled, `the settler reserves the listing for ${CLAIMER_DEPT.length} characters of department: ${JSON.stringify(claims)}`);
  assert.equal(claims.find((c) => c.status === 'pending_owner').requestingDepartment, CLAIMER_DEPT);
});
