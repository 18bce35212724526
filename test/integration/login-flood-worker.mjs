// login-flood-worker.mjs - the login flood of login-flood.test.mjs, on a
// thread of its own, so that the thread that measures GET /api/me during the
// flood is not the one busy sending it. workerData: {clients, ms, suffix};
// posts {statuses: {status: count}, errors: [descriptions]} when done.
import { parentPort, workerData } from 'node:worker_threads';

import { api, describe, sleep } from './lib.mjs';

const { clients, ms, suffix } = workerData;
const randomByte = () => Math.floor(Math.random() * 256);
// A new address of 198.18.0.0/15 (RFC 2544, for tests) for each login, so
// that no client address reaches its limit.
const floodAddr = () => `198.${18 + (randomByte() & 1)}.${randomByte()}.${1 + (randomByte() % 254)}`;

const statuses = {};
const errors = [];
const end = Date.now() + ms;

async function client(i) {
  for (let n = 0; Date.now() < end; n++) {
    let res;
    try {
      res = await api('POST', '/api/session', {
        body: { email: `flood-${suffix}-${i}-${n}@example.invalid`, password: 'not-a-password' },
        headers: { 'x-forwarded-for': floodAddr() },
        timeoutMs: 15000,
      });
    } catch (e) {
      errors.push(String(e));
      continue;
    }
    statuses[res.status] = (statuses[res.status] ?? 0) + 1;
    if (![401, 429].includes(res.status) || (res.status === 429 && res.json?.code !== 'RESOURCE_EXHAUSTED')) errors.push(describe(res));
    // A refusal comes back at once; a short pause keeps 48 clients from
    // spending the machine's two cores on the test's own HTTP client.
    if (res.status === 429) await sleep(50);
  }
}

await Promise.all(Array.from({ length: clients }, (_, i) => client(i)));
parentPort.postMessage({ statuses, errors: errors.slice(0, 10) });
