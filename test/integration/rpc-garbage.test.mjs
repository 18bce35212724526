// Hostile bytes straight on the services' RPC sockets: random bytes, a
// truncated envelope, a garbage payload, an unknown method and an empty
// message each get a Reply with INVALID_ARGUMENT (a method that is not in
// the service's .proto is bad input like any other), and the service still
// answers Health afterwards.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { RPC_PROBE, probeEnv, setting } from './lib.mjs';

// The probe presents the gateway's certificate, so its bytes get past TLS
// to the dispatch code, which is what is under test here.
const services = [
  ['svc-users', setting('RCYCLE_USERS_ADDR', 'tls+tcp://127.0.0.1:7101'), 'Login'],
  ['svc-listings', setting('RCYCLE_LISTINGS_ADDR', 'tls+tcp://127.0.0.1:7102'), 'CreateListing'],
  ['svc-claims', setting('RCYCLE_CLAIMS_ADDR', 'tls+tcp://127.0.0.1:7103'), 'CreateClaim'],
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
    const out = execFileSync(RPC_PROBE, [addr, method], { encoding: 'utf8', timeout: 30000, env: probeEnv('gateway', name) });
    const got = Object.fromEntries(out.trim().split('\n').map((line) => line.split(' ')));
    assert.deepEqual(got, expected);
  });
}

