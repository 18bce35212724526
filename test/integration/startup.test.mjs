// startup.test.mjs - a process that cannot start a thread it needs says so
// and exits non-zero, rather than running half-started. Threads are made
// impossible by a stack limit larger than the machine's memory (every new
// thread's stack is sized from it, so none can be mapped).
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import path from 'node:path';
import { test } from 'node:test';

import { setting } from './lib.mjs';

const ROOT = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..', '..');
const buildDir = path.resolve(ROOT, setting('BUILD_DIR', 'build'));
const HUGE_STACK_KB = 64 * 1024 * 1024; // 64 GiB

function runWithoutThreads(binary, env) {
  return new Promise((resolve) => {
    const child = execFile('bash', ['-c', `ulimit -s ${HUGE_STACK_KB}; exec "$0"`, binary], {
      env: { PATH: process.env.PATH, ...env },
      encoding: 'utf8',
      timeout: 20000,
    }, (err, stdout, stderr) => resolve({ code: child.exitCode, signal: child.signalCode, out: stdout + stderr }));
  });
}

test('the gateway exits 1, naming the thread, when it cannot start its signal thread', async () => {
  const r = await runWithoutThreads(path.join(buildDir, 'gateway', 'rcycle-gateway'), {
    PORT: '4993',
    RCYCLE_ADMIN_PORT: '4994',
  });
  assert.equal(r.signal, null, `the gateway died of ${r.signal}: ${r.out}`);
  assert.equal(r.code, 1, r.out);
  assert.match(r.out, /cannot start the signal thread/);
});
