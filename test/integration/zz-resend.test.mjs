// zz-resend.test.mjs - a CreateClaim whose connection drops after svc-claims
// committed the claim: the client, told 503, retries with its
// Idempotency-Key and gets the claim that was made, once, never a 409 and
// never a second claim (docs/ARCHITECTURE.md: idempotent creates).
//
// svc-claims is started with a fault point that holds the request right
// after a step (RCYCLE_FAULT with RCYCLE_FAULT_PAUSE_MS), killed with
// SIGKILL while it waits there, which drops the gateway's connection with
// the request in flight, and started again without the fault. The gateway's
// REQ socket does not send the request again itself (common/rpc_client.c
// disables nng's resend, and nng 1.5.2 then fails a request whose pipe
// closes), so the gateway answers 503 and the retry is the client's. The
// retry after after_insert finds the claim still 'reserving' and finishes
// it; the one after after_reserve finds the listing already held for it.
// Named to run last, and it waits until every other file of the suite has
// finished, because it restarts svc-claims (as zz-resilience.test.mjs does
// svc-listings).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { after, describe, test } from 'node:test';

import { BOB, JANE, RUN_DIR, api, describe as describeRes, session, stackSh, uniqueSuffix, waitForOtherTestFiles } from './lib.mjs';
import { SERIALS, claimsOf, createListing, settledInvariant, waitFor, withdrawListing } from './fixtures.mjs';

const [SERIAL] = SERIALS.resend;
// Longer than the gateway's deadline (5 s): the first process never gets on
// by itself.
const PAUSE_MS = 20000;

function logText() {
  try {
    return readFileSync(path.join(RUN_DIR, 'svc-claims.log'), 'utf8');
  } catch {
    return '';
  }
}

async function startClaims(env) {
  let r;
  for (let attempt = 1; attempt <= 3; attempt++) {
    r = await stackSh(['start-one', 'svc-claims'], 90000, env);
    if (r.code === 0) return;
  }
  assert.fail(`stack.sh start-one svc-claims: ${r.stderr.trim().split('\n').slice(-3).join(' | ')}`);
}

async function restartClaims(env) {
  const r = await stackSh(['kill-one', 'svc-claims', 'KILL'], 60000);
  assert.equal(r.code, 0, `stack.sh kill-one svc-claims KILL: ${r.stderr}`);
  await startClaims(env);
}

// Waits until the gateway reaches svc-claims again after a restart (its
// dialers reconnect with a backoff), so that the next POST meets the
// process just started.
async function claimsReachable(token) {
  const up = await waitFor(async () => (await api('GET', '/api/claims?limit=1', { token })).status === 200, 15000, 100);
  assert.ok(up, 'GET /api/claims answers 200 again after svc-claims restarted');
}

after(async () => {
  await restartClaims({ RCYCLE_FAULT: undefined, RCYCLE_FAULT_PAUSE_MS: undefined });
});

describe('a CreateClaim whose connection dropped after the claim was committed', () => {
  for (const point of ['claims.create.after_insert', 'claims.create.after_reserve']) {
    test(`held at ${point}, its process killed: the retry with its key gets the one claim`, { timeout: 900000 }, async (t) => {
      assert.deepEqual(await waitForOtherTestFiles(), [], 'other test files still running after 10 minutes');
      const [jane, bob] = [await session(JANE), await session(BOB)];
      const listing = await createListing(jane, SERIAL);
      try {
        await restartClaims({ RCYCLE_FAULT: point, RCYCLE_FAULT_PAUSE_MS: PAUSE_MS });
        await claimsReachable(bob.token);
        const logBefore = logText().length;
        const started = Date.now();
        const body = { listingId: listing.id, justification: `itest resent claim ${uniqueSuffix()}` };
        const headers = { 'idempotency-key': `itest-resend-${uniqueSuffix()}` };
        const pending = api('POST', '/api/claims', { token: bob.token, body, headers });
        const held = await waitFor(() => logText().slice(logBefore).includes(`fault point ${point} reached`), 4000, 20);
        assert.ok(held, `svc-claims reached ${point}`);
        await restartClaims({ RCYCLE_FAULT: undefined, RCYCLE_FAULT_PAUSE_MS: undefined });
        const dropped = await pending;
        t.diagnostic(`POST /api/claims with its connection dropped: ${dropped.status} in ${Date.now() - started} ms`);
        assert.ok(dropped.status === 201 || dropped.status >= 500, `a dropped CreateClaim is not refused: ${describeRes(dropped)}`);
        await claimsReachable(bob.token);
        const res = await api('POST', '/api/claims', { token: bob.token, body, headers });
        assert.equal(res.status, 201, `the retry with the key answers the claim: ${describeRes(res)}`);
        assert.equal(res.json.status, 'pending_owner');
        if (dropped.status === 201) assert.deepEqual(res.json, dropped.json, 'the retry answers what the first answered');
        const claims = await claimsOf(listing.id);
        assert.deepEqual(claims.map((c) => [c.id, c.status]), [[res.json.id, 'pending_owner']], 'one claim, the one answered');
      } finally {
        await withdrawListing(listing.id);
      }
      await settledInvariant();
    });
  }
});
