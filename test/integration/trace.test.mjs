// trace.test.mjs - one request followed through every hop by its trace id
// (docs/API.md, Trace context): a claim made with a client's traceparent is
// found in the gateway's log, in svc-claims' (CreateClaim) and in
// svc-listings' (Reserve), each hop's span the parent of the next; and a
// malformed traceparent starts a new trace instead of failing the request.
//
// It reads the processes' log files in RUN_DIR (scripts/stack.sh writes
// <process>.log there), so it runs against a local stack only
// (deploy/podman/play.sh LOCAL_STACK_ONLY). The listing is posted by Jane's
// Data Center Operations from this file's serial (fixtures.mjs
// SERIALS.trace) and claimed by Bob's Development Team; it is withdrawn at
// the end.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';

import { RUN_DIR, api, expectStatus } from './lib.mjs';
import { SERIALS, createListing, ownerAndClaimer, postClaim, retireSerial, waitFor } from './fixtures.mjs';

const [SERIAL] = SERIALS.trace;
const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-01$/;

// Every JSON line of a process's log whose trace_id is traceId.
function linesOf(processName, traceId) {
  const text = readFileSync(path.join(RUN_DIR, `${processName}.log`), 'utf8');
  const out = [];
  for (const line of text.split('\n')) {
    if (!line.startsWith('{') || !line.includes(traceId)) continue;
    const obj = JSON.parse(line);
    if (obj.trace_id === traceId) out.push(obj);
  }
  return out;
}

const s = ownerAndClaimer(SERIAL);

test('a claim is followed from the gateway through svc-claims to svc-listings by its trace id', async () => {
  const listing = await createListing(s.owner, SERIAL);
  const traceId = randomBytes(16).toString('hex');
  const clientSpan = randomBytes(8).toString('hex');
  const res = await api('POST', '/api/claims', {
    token: s.claimer.token,
    body: { listingId: listing.id, justification: 'trace test' },
    headers: { traceparent: `00-${traceId}-${clientSpan}-01` },
  });
  expectStatus(res, 201);
  const answered = TRACEPARENT.exec(res.headers.get('traceparent') ?? '');
  assert.ok(answered, `response traceparent: ${res.headers.get('traceparent')}`);
  assert.equal(answered[1], traceId, 'the response continues the client trace');
  const gatewaySpan = answered[2];
  assert.notEqual(gatewaySpan, clientSpan);

  let gw, claims, listings;
  const found = await waitFor(async () => {
    gw = linesOf('gateway', traceId);
    claims = linesOf('svc-claims', traceId);
    listings = linesOf('svc-listings', traceId);
    return gw.some((l) => l.msg.startsWith('POST /api/claims -> 201')) &&
      claims.some((l) => l.rpc_method === 'CreateClaim') && listings.some((l) => l.rpc_method === 'Reserve');
  });
  assert.ok(found, `every hop logged trace ${traceId}`);

  // The gateway: its request line, in its own span, with the request id.
  const access = gw.find((l) => l.msg.startsWith('POST /api/claims -> 201'));
  assert.ok(access, `gateway lines of the trace: ${JSON.stringify(gw)}`);
  assert.equal(access.span_id, gatewaySpan);
  assert.equal(access.request_id, res.headers.get('x-request-id'));

  // svc-claims: one info line for CreateClaim, a child of the gateway's span.
  const create = claims.filter((l) => l.rpc_method === 'CreateClaim');
  assert.equal(create.length, 1, `svc-claims lines of the trace: ${JSON.stringify(claims)}`);
  assert.equal(create[0].level, 'info');
  assert.equal(create[0].rpc_status, 'OK');
  assert.equal(typeof create[0].duration_ms, 'number');
  assert.equal(create[0].parent_span_id, gatewaySpan);
  assert.equal(create[0].request_id, access.request_id);

  // svc-listings: Reserve, a child of svc-claims' span.
  const reserve = listings.filter((l) => l.rpc_method === 'Reserve');
  assert.equal(reserve.length, 1, `svc-listings lines of the trace: ${JSON.stringify(listings)}`);
  assert.equal(reserve[0].rpc_status, 'OK');
  assert.equal(reserve[0].parent_span_id, create[0].span_id);

  // Every line of the trace names a span, and every span is distinct per hop.
  for (const l of [...gw, ...claims, ...listings]) assert.match(l.span_id, /^[0-9a-f]{16}$/);
  assert.equal(new Set([gatewaySpan, create[0].span_id, reserve[0].span_id]).size, 3);
});

test('a request without a traceparent, or with a malformed one, gets a new trace', async () => {
  for (const headers of [{}, { traceparent: 'garbage' }, { traceparent: `00-${'0'.repeat(32)}-${'1'.repeat(16)}-01` },
    { traceparent: `00-${'A'.repeat(32)}-${'1'.repeat(16)}-01` }]) {
    const res = await api('GET', '/api/listings?limit=1', { token: s.owner.token, headers });
    expectStatus(res, 200);
    const tp = TRACEPARENT.exec(res.headers.get('traceparent') ?? '');
    assert.ok(tp, `traceparent for ${JSON.stringify(headers)}: ${res.headers.get('traceparent')}`);
    assert.notEqual(tp[1], '0'.repeat(32));
    assert.notEqual(tp[1], 'a'.repeat(32));
    // The new trace is the one the gateway logged.
    const logged = await waitFor(async () => linesOf('gateway', tp[1]).some((l) => l.msg.startsWith('GET /api/listings -> 200')));
    assert.ok(logged, `the gateway logged trace ${tp[1]}`);
  }
});

test('two requests get two traces', async () => {
  const a = await api('GET', '/api/listings?limit=1', { token: s.owner.token });
  const b = await api('GET', '/api/listings?limit=1', { token: s.owner.token });
  assert.notEqual(TRACEPARENT.exec(a.headers.get('traceparent'))[1], TRACEPARENT.exec(b.headers.get('traceparent'))[1]);
});

// postClaim is the fixture the claim flows use; it sends no traceparent, so
// the gateway starts the trace: the claim's hops still share it.
test('a claim without a traceparent is still one trace across the three processes', async () => {
  await retireSerial(SERIAL);
  const listing = await createListing(s.owner, SERIAL);
  const res = await postClaim(s.claimer, listing.id);
  expectStatus(res, 201);
  const traceId = TRACEPARENT.exec(res.headers.get('traceparent'))[1];
  const found = await waitFor(async () => linesOf('svc-claims', traceId).some((l) => l.rpc_method === 'CreateClaim') &&
    linesOf('svc-listings', traceId).some((l) => l.rpc_method === 'Reserve'));
  assert.ok(found, `CreateClaim and Reserve logged in trace ${traceId}`);
});
