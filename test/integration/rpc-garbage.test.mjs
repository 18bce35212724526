// Hostile bytes straight on the services' RPC sockets: random bytes, a
// truncated envelope, a garbage payload, an unknown method and an empty
// message each get a Reply with INVALID_ARGUMENT (a method that is not in
// the service's .proto is bad input like any other), and the service still
// answers Health afterwards.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { setting } from './lib.mjs';

const ROOT = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..', '..');
const buildDir = path.resolve(ROOT, setting('BUILD_DIR', 'build'));
const probe = path.join(buildDir, 'test', 'tools', 'rpc-probe');

const services = [
  ['svc-users', setting('RCYCLE_USERS_ADDR', 'tcp://127.0.0.1:7101'), 'Login'],
  ['svc-listings', setting('RCYCLE_LISTINGS_ADDR', 'tcp://127.0.0.1:7102'), 'CreateListing'],
  ['svc-claims', setting('RCYCLE_CLAIMS_ADDR', 'tcp://127.0.0.1:7103'), 'CreateClaim'],
];

const expected = {
  garbage: 'INVALID_ARGUMENT',
  'truncated-envelope': 'INVALID_ARGUMENT',
  'garbage-payload': 'INVALID_ARGUMENT',
  'unknown-method': 'INVALID_ARGUMENT',
  empty: 'INVALID_ARGUMENT',
  'many-roles': 'INVALID_ARGUMENT',
  health: 'OK',
};

for (const [name, addr, method] of services) {
  test(`${name} answers garbage on its RPC socket with a clear error and keeps serving`, () => {
    const out = execFileSync(probe, [addr, method], { encoding: 'utf8', timeout: 30000 });
    const got = Object.fromEntries(out.trim().split('\n').map((line) => line.split(' ')));
    assert.deepEqual(got, expected);
  });
}

