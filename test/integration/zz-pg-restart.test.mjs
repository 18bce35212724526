// zz-pg-restart.test.mjs - after PostgreSQL restarts (a crash-stop, as a
// power cut would), no request pays for a pooled connection that died with
// the old server: each service notices a dead connection when it lends it
// out and opens a new one (common/db.c). Named to run last, and it waits
// until every other file of the suite has finished, since the restart would
// fail their requests.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import path from 'node:path';
import { describe, test } from 'node:test';

import {
  JANE,
  JOHN,
  api,
  describe as describeRes,
  expectStatus,
  login,
  setting,
  STACK_SH,
  sleep,
  stackSh,
  waitForOtherTestFiles,
} from './lib.mjs';

// One route per service that reads its database on every call.
const ROUTES = [
  ['svc-listings', '/api/listings?limit=1'],
  ['svc-claims', '/api/claims?limit=1'],
  ['svc-users', '/api/users?limit=1'],
];

function pgSh(args) {
  const env = { ...process.env };
  const dataDir = setting('RCYCLE_DATA_DIR');
  if (dataDir) env.RCYCLE_DATA_DIR = dataDir;
  return new Promise((resolve) => {
    execFile('bash', [path.join(path.dirname(STACK_SH), 'pg.sh'), ...args], { env, timeout: 120000 },
      (err, stdout, stderr) => resolve({ code: err ? -1 : 0, out: stdout + stderr }));
  });
}

describe('PostgreSQL restarts under pooled connections', () => {
  test('every request after it is back answers 200, none 503', { timeout: 300000 }, async () => {
    const others = await waitForOtherTestFiles();
    assert.deepEqual(others, [], 'other test files still running after 10 minutes');
    assert.equal(setting('RCYCLE_DB_MODE'), 'private', 'this test restarts the private cluster of scripts/pg.sh');
    const token = (await login(JOHN)).token;
    const jane = (await login(JANE)).token;
    // Fill every pool: more requests at once than any pool has connections.
    await Promise.all(ROUTES.flatMap(([, url]) =>
      Array.from({ length: 24 }, () => api('GET', url, { token }))));

    const r = await pgSh(['restart-immediate']);
    assert.equal(r.code, 0, `pg.sh restart-immediate: ${r.out}`);
    await sleep(500);

    const failures = [];
    for (let round = 0; round < 12; round++) {
      const batch = await Promise.all(ROUTES.map(async ([svc, url]) => [svc, await api('GET', url, { token })]));
      for (const [svc, res] of batch) if (res.status !== 200) failures.push(`${svc} round ${round}: ${describeRes(res)}`);
    }
    assert.deepEqual(failures, [], 'requests after the restart failed');
    expectStatus(await api('GET', '/api/me', { token: jane }), 200);
    const check = await stackSh(['status']);
    assert.equal(check.code, 0, check.stderr);
  });
});
