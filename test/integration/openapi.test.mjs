// openapi.test.mjs - the contract itself: GET /api/openapi.json serves
// docs/openapi.yaml as JSON without authentication, and the checker that
// lib.mjs runs on every response of the suite (openapi.mjs) really refuses
// responses that drift from the document.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import { Validator } from '@seriousme/openapi-schema-validator';

import { JANE, api, expectStatus, session } from './lib.mjs';
import { GATEWAY_URL } from './lib.mjs';
import { checkResponse, doc, operations } from './openapi.mjs';

// A response of api() with its body (and optionally headers) replaced, for
// feeding to the checker.
function doctored(res, json, headers = res.headers) {
  return { ...res, json, text: JSON.stringify(json), headers };
}

describe('GET /api/openapi.json', () => {
  test('serves the document as JSON, without credentials', async () => {
    const res = await api('GET', '/api/openapi.json');
    expectStatus(res, 200);
    assert.match(res.headers.get('content-type') ?? '', /^application\/json; charset=utf-8$/i);
    assert.ok(res.headers.get('x-request-id'), 'X-Request-Id');
    assert.equal(res.json?.openapi, '3.1.0');
    for (const p of ['/api/session', '/api/listings', '/api/listings/{id}', '/api/claims/{id}/approve', '/api/openapi.json'])
      assert.ok(res.json.paths[p], `has the path ${p}`);
  });

  test('is docs/openapi.yaml exactly (the build-time conversion loses nothing)', async () => {
    const res = await api('GET', '/api/openapi.json');
    expectStatus(res, 200);
    assert.deepEqual(res.json, doc);
  });

  test('is a valid OpenAPI 3.1 document as served', async () => {
    const res = await api('GET', '/api/openapi.json');
    const result = await new Validator().validate(res.json);
    assert.equal(result.valid, true, JSON.stringify(result.errors));
  });

  test('lists every operation once, with an operationId', () => {
    const ids = [];
    for (const item of Object.values(doc.paths))
      for (const op of Object.values(item)) if (op && typeof op === 'object' && op.responses) ids.push(op.operationId);
    assert.equal(ids.length, operations().length);
    assert.equal(new Set(ids).size, ids.length, 'operationIds are unique');
    assert.ok(ids.every((id) => typeof id === 'string' && id.length > 0));
  });
});

describe('the response checker refuses drift', () => {
  test('a listing whose id is a string fails; the real one passes', async () => {
    const { token } = await session(JANE);
    const list = await api('GET', '/api/listings?limit=1', { token });
    expectStatus(list, 200);
    const res = await api('GET', `/api/listings/${list.json[0].id}`, { token });
    expectStatus(res, 200);
    checkResponse(res, GATEWAY_URL); // the untouched response: no throw
    assert.throws(
      () => checkResponse(doctored(res, { ...res.json, id: String(res.json.id) }), GATEWAY_URL),
      (e) => e instanceof assert.AssertionError && /body\/id must be integer/.test(e.message),
    );
  });

  test('a null where the field is not nullable, an unknown field, a bad enum value all fail', async () => {
    const { token } = await session(JANE);
    const res = await api('GET', '/api/listings?limit=2', { token });
    expectStatus(res, 200);
    const [first] = res.json;
    const cases = [
      [{ ...first, title: null }, /title must be string/],
      [{ ...first, extra: 1 }, /must NOT have additional properties/],
      [{ ...first, status: 'lost' }, /status must be equal to one of the allowed values/],
      [{ ...first, createdAt: '2026-13-01T00:00:00Z' }, /createdAt must match format "date-time"/],
    ];
    for (const [item, re] of cases)
      assert.throws(() => checkResponse(doctored(res, [item]), GATEWAY_URL), re, JSON.stringify(item));
  });

  test('a missing required header and an undocumented status fail', async () => {
    const { token } = await session(JANE);
    const res = await api('GET', '/api/listings?limit=1', { token });
    expectStatus(res, 200);
    const headers = new Headers(res.headers);
    headers.delete('x-total-count');
    assert.throws(() => checkResponse(doctored(res, res.json, headers), GATEWAY_URL), /header X-Total-Count is missing/);
    assert.throws(() => checkResponse({ ...res, status: 418 }, GATEWAY_URL), /status 418 is not documented/);
  });

  test('an error body with the wrong code for its status fails', async () => {
    const res = await api('GET', '/api/me');
    expectStatus(res, 401);
    checkResponse(res, GATEWAY_URL);
    assert.throws(() => checkResponse(doctored(res, { ...res.json, code: 'NOT_FOUND' }), GATEWAY_URL), /code must be equal to constant/);
  });
});
