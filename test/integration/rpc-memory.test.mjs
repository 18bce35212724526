// rpc-memory.test.mjs - what a peer can make a service decode is bounded
// (docs/ARCHITECTURE.md, "What a peer can make a service decode").
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';

import { RPC_PROBE, pidOf, probeEnv, setting, stackSh } from './lib.mjs';

const usersAddr = setting('RCYCLE_USERS_ADDR', 'tls+tcp://127.0.0.1:7101');
// Decoding is bounded too (common/pb_budget.c): eight envelopes at once, each
// a caller with a million empty roles (2 MB that a naive decode turns into
// some 65 MB), leave svc-users' peak memory far below what eight naive
// decodes would take. svc-users is restarted first so that its peak (VmHWM)
// counts only this test, not the password hashes of earlier ones.
test('eight million-role envelopes at once cost svc-users little memory', async () => {
  const restarted = await stackSh(['restart-one', 'svc-users'], 90000);
  assert.equal(restarted.code, 0, restarted.stderr);
  const runs = Array.from({ length: 8 }, () => new Promise((resolve, reject) => {
    execFile(RPC_PROBE, [usersAddr, 'Login', 'many-roles'], { encoding: 'utf8', timeout: 30000, env: probeEnv('gateway', 'svc-users') },
      (err, stdout) => (err ? reject(err) : resolve(stdout.trim())));
  }));
  for (const line of await Promise.all(runs)) assert.equal(line, 'many-roles INVALID_ARGUMENT');
  const status = readFileSync(`/proc/${pidOf('svc-users')}/status`, 'utf8');
  const peakKb = Number(/VmHWM:\s+(\d+) kB/.exec(status)[1]);
  assert.ok(peakKb < 200 * 1024, `svc-users peaked at ${Math.round(peakKb / 1024)} MB`);
});
