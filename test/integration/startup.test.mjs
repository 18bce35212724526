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

// A bad mail setting stops svc-users at start with one line naming the
// variable (and never the value: a URL or password may hold a secret).
function runUsers(env) {
  return new Promise((resolve) => {
    const child = execFile(path.join(buildDir, 'svc-users', 'svc-users'), [], {
      env: { PATH: process.env.PATH, RCYCLE_ADMIN_PORT: '4995', ...env },
      encoding: 'utf8',
      timeout: 20000,
    }, (err, stdout, stderr) => resolve({ code: child.exitCode, out: stdout + stderr }));
  });
}

const MAIL_OK = { RCYCLE_SMTP_URL: 'smtp://127.0.0.1:2525', RCYCLE_MAIL_FROM: 'rcycle@example.com', RCYCLE_PUBLIC_URL: 'https://rcycle.example.com' };
for (const [variable, env] of [
  ['RCYCLE_SMTP_URL', { RCYCLE_SMTP_URL: 'http://relay.example.com:25' }],
  ['RCYCLE_SMTP_URL', { RCYCLE_SMTP_URL: 'smtp://user:s3cret-pw@relay.example.com:25' }],
  ['RCYCLE_SMTP_URL', { RCYCLE_SMTP_URL: 'smtp://relay.example.com' }],
  ['RCYCLE_SMTP_URL', { RCYCLE_SMTP_URL: undefined }],
  ['RCYCLE_MAIL_FROM', { RCYCLE_MAIL_FROM: undefined }],
  ['RCYCLE_MAIL_FROM', { RCYCLE_MAIL_FROM: 'R-Cycle <rcycle@example.com>' }],
  ['RCYCLE_MAIL_FROM', { RCYCLE_MAIL_FROM: 'rcycle@example.com\r\nBcc: x@evil.example' }],
  ['RCYCLE_PUBLIC_URL', { RCYCLE_PUBLIC_URL: undefined }],
  ['RCYCLE_PUBLIC_URL', { RCYCLE_PUBLIC_URL: 'https://rcycle.example.com/' }],
  ['RCYCLE_SMTP_USER', { RCYCLE_SMTP_PASSWORD: 's3cret-pw' }],
  ['RCYCLE_SMTP_REQUIRE_TLS', { RCYCLE_SMTP_REQUIRE_TLS: 'maybe' }],
  ['RCYCLE_SMTP_RETRY_BASE_MS', { RCYCLE_SMTP_RETRY_BASE_MS: '0' }],
  ['RCYCLE_SMTP_MAX_ATTEMPTS', { RCYCLE_SMTP_MAX_ATTEMPTS: 'many' }],
]) {
  test(`svc-users exits 1 naming ${variable} for ${JSON.stringify(env)}`, async () => {
    const merged = { ...MAIL_OK, ...env };
    for (const k of Object.keys(merged)) if (merged[k] === undefined) delete merged[k];
    const r = await runUsers(merged);
    assert.equal(r.code, 1, r.out);
    const lines = r.out.trim().split('\n');
    assert.equal(lines.length, 1, r.out);
    assert.ok(lines[0].startsWith(`${variable}: `), r.out);
    assert.ok(!r.out.includes('s3cret-pw'), 'no secret in the message');
  });
}
