// http-semantics.test.mjs - HTTP behaviour every route shares: HEAD wherever
// GET works (RFC 9110 9.3.2), and an X-Request-Id on static files as on API
// answers.
import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';

import { JOHN, api, describe as describeRes, session } from './lib.mjs';

let token;
before(async () => {
  ({ token } = await session(JOHN));
});

describe('HEAD', () => {
  for (const p of ['/api/listings', '/api/me', '/api/leaderboard', '/healthz', '/', '/js/app.js']) {
    test(`HEAD ${p} answers as GET does, without a body`, async () => {
      const get = await api('GET', p, { token });
      const head = await api('HEAD', p, { token });
      assert.equal(head.status, get.status, describeRes(head));
      assert.equal(head.text, '', `HEAD ${p} sent a body`);
      assert.equal(head.headers.get('content-type'), get.headers.get('content-type'));
    });
  }

  test('HEAD on a path without GET is 405, and Allow names HEAD beside GET', async () => {
    const res = await api('HEAD', '/api/session', { token });
    assert.equal(res.status, 405, describeRes(res));
    const get = await api('PUT', '/api/leaderboard', { token, body: {} });
    const allow = get.headers.get('allow').split(',').map((m) => m.trim());
    assert.deepEqual(allow, ['GET', 'HEAD']);
  });

  test('HEAD needs authentication as GET does', async () => {
    const res = await api('HEAD', '/api/listings');
    assert.equal(res.status, 401, describeRes(res));
  });
});

describe('X-Request-Id on static files', () => {
  for (const p of ['/', '/index.html', '/js/app.js', '/css/app.css']) {
    test(`GET ${p} carries a generated X-Request-Id, and echoes the client's`, async () => {
      const made = await api('GET', p);
      assert.equal(made.status, 200, describeRes(made));
      assert.match(made.headers.get('x-request-id') ?? '', /^[0-9a-f]{32}$/);
      const echoed = await api('GET', p, { headers: { 'x-request-id': 'static-check-1' } });
      assert.equal(echoed.headers.get('x-request-id'), 'static-check-1');
    });
  }

  test('a path that is no file answers one X-Request-Id, the JSON 404 one', async () => {
    const res = await api('GET', '/no-such-file.txt', { headers: { 'x-request-id': 'static-404' } });
    assert.equal(res.status, 404, describeRes(res));
    assert.equal(res.headers.get('x-request-id'), 'static-404');
  });
});
