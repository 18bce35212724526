// zz-resilience.test.mjs - a crashed service degrades only its own routes,
// fast, the gateway stays ready (so that a cluster keeps routing to it),
// and it comes back without a gateway restart (docs/ARCHITECTURE.md, RPC).
// Named to run last: it kills svc-listings with SIGKILL through
// `stack.sh kill-one` and always starts it again (`stack.sh start-one`).
// When the runner runs files in parallel it first waits until every other
// file of the suite has finished (waitForOtherTestFiles in lib.mjs).
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';

import {
  ADMIN_URLS,
  JANE,
  api,
  assertError,
  describe as describeRes,
  expectStatus,
  login,
  pidOf,
  sleep,
  stackSh,
  waitForOtherTestFiles,
} from './lib.mjs';

const FAIL_FAST_MS = 2000;
const RECOVER_MS = 15000;

// Makes sure svc-listings runs again whatever happened (idempotent: start-one
// of a running process only waits for it to be ready). start-one is retried,
// since a failed start is not what this test is about; each retry is
// reported as a diagnostic.
async function ensureListingsRunning(t) {
  let r;
  for (let attempt = 1; attempt <= 3; attempt++) {
    r = await stackSh(['start-one', 'svc-listings'], 90000);
    if (r.code === 0) return r;
    t?.diagnostic(`stack.sh start-one svc-listings failed (attempt ${attempt}): ${r.stderr.trim().split('\n').slice(-2).join(' | ')}`);
  }
  return r;
}

after(async () => {
  await ensureListingsRunning();
});

describe('svc-listings crashes (SIGKILL) and comes back', () => {
  test('its routes get 503 UNAVAILABLE fast, others work, /readyz stays 200 and names it down, then it recovers', { timeout: 900000 }, async (t) => {
    // Other test files of the suite may run in parallel: they must not see
    // the crash.
    const others = await waitForOtherTestFiles();
    assert.deepEqual(others, [], 'other test files still running after 10 minutes');
    const s = await login(JANE); // a session made before the crash
    const gatewayPid = pidOf('gateway');
    assert.ok(gatewayPid, 'the gateway pid is recorded in RUN_DIR (stack.sh start)');
    expectStatus(await api('GET', '/api/listings?limit=1', { token: s.token }), 200);
    expectStatus(await api('GET', '/api/me', { token: s.token }), 200);

    let killed = false;
    try {
      const k = await stackSh(['kill-one', 'svc-listings', 'KILL']);
      assert.equal(k.code, 0, `stack.sh kill-one svc-listings KILL: ${k.stderr}`);
      killed = true;

      // Every request for listings fails fast with 503, the first one
      // right after the crash included.
      for (const p of ['/api/listings', '/api/listings?limit=1', '/api/hardware?serial=SRV001-DELL-R730', '/api/listings/1']) {
        const res = await api('GET', p, { token: s.token, timeoutMs: 15000 });
        assert.ok(res.ms < FAIL_FAST_MS, `GET ${p} answered in ${Math.round(res.ms)} ms, not under ${FAIL_FAST_MS} ms: ${describeRes(res)}`);
        assertError(res, 503, 'UNAVAILABLE');
        t.diagnostic(`GET ${p} with svc-listings down: ${res.status} in ${Math.round(res.ms)} ms`);
      }

      // Concurrent requests fail fast too (no queueing behind a dead link).
      const burst = await Promise.all(Array.from({ length: 8 }, () => api('GET', '/api/listings?limit=1', { token: s.token, timeoutMs: 15000 })));
      for (const res of burst) {
        assert.ok(res.ms < FAIL_FAST_MS, `concurrent GET /api/listings took ${Math.round(res.ms)} ms`);
        assertError(res, 503, 'UNAVAILABLE');
      }

      // Routes of the other services are unaffected.
      const me = await api('GET', '/api/me', { token: s.token });
      expectStatus(me, 200);
      assert.equal(me.json.email, JANE);
      const fresh = await login(JANE);
      expectStatus(await api('GET', '/api/me', { token: fresh.token }), 200);

      // Still ready (it serves everything but the listing routes; taken out
      // of the endpoints it would take the login and the UI down too), and
      // saying which service is down: in the body, on both ports, and in
      // the metrics.
      const ready = await api('GET', '/readyz', { timeoutMs: 15000 });
      assert.ok(ready.ms < FAIL_FAST_MS + 3000, `/readyz answered in ${Math.round(ready.ms)} ms`);
      assert.equal(ready.status, 200, `gateway /readyz while svc-listings is down: ${describeRes(ready)}`);
      assert.deepEqual(ready.json, { status: 'degraded', services: { users: 'up', listings: 'down', claims: 'up' } });
      const adminReady = await api('GET', '/readyz', { base: ADMIN_URLS.gateway, timeoutMs: 15000 });
      assert.equal(adminReady.status, 200, `gateway admin /readyz while svc-listings is down: ${describeRes(adminReady)}`);
      assert.match(adminReady.text, /^listings: down$/m);
      assert.match(adminReady.text, /^users: up$/m);
      const metrics = await api('GET', '/metrics', { base: ADMIN_URLS.gateway });
      assert.match(metrics.text, /^rcycle_gateway_service_up\{service="listings"\} 0$/m);
      assert.match(metrics.text, /^rcycle_gateway_service_up\{service="users"\} 1$/m);
      expectStatus(await api('GET', '/healthz'), 200);

      // Back again: the gateway redials on its own.
      const restartAt = performance.now();
      const st = await ensureListingsRunning(t);
      t.diagnostic(`stack.sh start-one took ${Math.round(performance.now() - restartAt)} ms`);
      assert.equal(st.code, 0, `stack.sh start-one svc-listings: ${st.stderr}`);
      killed = false;
      const startedAt = performance.now();
      const deadline = performance.now() + RECOVER_MS;
      let last;
      for (;;) {
        last = await api('GET', '/api/listings?limit=1', { token: s.token, timeoutMs: 5000 }).catch((e) => ({ status: 0, error: e }));
        if (last.status === 200 || performance.now() > deadline) break;
        await sleep(200);
      }
      assert.equal(last.status, 200, `GET /api/listings did not recover within ${RECOVER_MS} ms of svc-listings being ready: ${last.text ?? last.error}`);
      assert.ok(Array.isArray(last.json));
      t.diagnostic(`GET /api/listings answered 200 again ${Math.round(performance.now() - startedAt)} ms after svc-listings was ready`);
      expectStatus(await api('GET', '/api/hardware?serial=SRV001-DELL-R730', { token: s.token }), 200);
      const readyAgain = await api('GET', '/readyz');
      expectStatus(readyAgain, 200);
      assert.equal(readyAgain.json.status, 'ready');
      expectStatus(await api('GET', '/readyz', { base: ADMIN_URLS.gateway }), 200);
      assert.equal(pidOf('gateway'), gatewayPid, 'the gateway was not restarted');
    } finally {
      if (killed) await ensureListingsRunning(t);
    }
  });
});
