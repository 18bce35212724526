// edge.test.mjs - the gateway's edge against hostile requests (issue 12):
// per-route body limits decided before a body is parsed, bodies parsed only
// after authentication (except the login), JSON bodies only (no login by a
// cross-site form), memory that ten large bodies cannot inflate, no HTTP/2 on
// the plain port, and no path with a NUL (docs/API.md, Conventions).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import net from 'node:net';
import { before, describe, test } from 'node:test';

import {
  GATEWAY_URL,
  JOHN,
  SEED_PASSWORD,
  api,
  assertError,
  describe as describeRes,
  pidOf,
  session,
  sessionCookieOf,
  uniqueSuffix,
} from './lib.mjs';

const KIB = 1024;
const MIB = 1024 * 1024;
const gatewayAddress = new URL(GATEWAY_URL);

let token;
before(async () => {
  ({ token } = await session(JOHN));
});

// Sends bytes on a fresh connection and returns everything the gateway sends
// back until it closes the connection or waitMs pass.
function rawExchange(bytes, waitMs = 3000) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    const sock = net.connect(Number(gatewayAddress.port), gatewayAddress.hostname);
    const done = () => {
      clearTimeout(timer);
      sock.destroy();
      resolve(Buffer.concat(chunks));
    };
    const timer = setTimeout(done, waitMs);
    sock.on('connect', () => sock.write(bytes));
    sock.on('data', (d) => chunks.push(d));
    sock.on('end', done);
    sock.on('close', done);
    sock.on('error', (e) => (e.code === 'ECONNRESET' ? done() : reject(e)));
  });
}

// {"email":...,"password":...,"pad":[{},{},...]} of about `bytes` bytes:
// a few bytes of text per JSON value, the costliest kind of body to parse.
function padBody(bytes, fields) {
  const head = JSON.stringify(fields).slice(0, -1);
  const n = Math.max(0, Math.floor((bytes - head.length - 10) / 3));
  return `${head}${head.length > 1 ? ',' : ''}"pad":[${Array(n).fill('{}').join(',')}]}`;
}

function memoryOf(pid) {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)[1]) * KIB;
}

// A sanitizer build maps shadow memory and keeps freed blocks in ASan's
// quarantine (up to 256 MB): there only the growth counts, with room for
// the quarantined buffers (some 60 MB here; the trees of today's main would
// take hundreds).
function sanitized(pid) {
  return /libasan|libubsan/.test(readFileSync(`/proc/${pid}/maps`, 'utf8'));
}

describe('memory: large bodies cannot inflate the gateway', () => {
  test('ten parallel 750 KB logins and ten parallel 1 MiB bodies of tiny values leave it under 64 MB', async () => {
    const pid = pidOf('gateway');
    assert.ok(pid, 'the gateway pid file of this stack');
    const before = memoryOf(pid);
    const login = padBody(750_000, { email: `flood-${uniqueSuffix()}@itest.example`, password: 'wrong-password' });
    const logins = await Promise.all(Array.from({ length: 10 }, () => api('POST', '/api/session', { rawBody: login })));
    for (const res of logins) assertError(res, 413, 'INVALID_ARGUMENT');
    const bomb = padBody(MIB - 1, { serialNumber: 'NO-SUCH-SERIAL', title: 'x', category: 'server' });
    const bombs = await Promise.all(Array.from({ length: 10 }, () => api('POST', '/api/listings', { token, rawBody: bomb })));
    for (const res of bombs) assertError(res, 413, 'INVALID_ARGUMENT');
    const after = memoryOf(pid);
    const mb = (b) => `${(b / MIB).toFixed(1)} MB`;
    if (sanitized(pid)) assert.ok(after - before < 128 * MIB, `grew from ${mb(before)} to ${mb(after)}`);
    else assert.ok(after < 64 * MIB, `RSS ${mb(after)} (was ${mb(before)})`);
  });
});

describe('body limits of the route table', () => {
  test('a login body of 8 KiB + 1 byte gets 413 in the JSON error shape', async () => {
    const base = JSON.stringify({ email: JOHN, password: SEED_PASSWORD, padding: '' });
    const body = JSON.stringify({ email: JOHN, password: SEED_PASSWORD, padding: 'x'.repeat(8 * KIB + 1 - base.length) });
    assert.equal(Buffer.byteLength(body), 8 * KIB + 1);
    const res = await api('POST', '/api/session', { rawBody: body });
    assertError(res, 413, 'INVALID_ARGUMENT');
    assert.equal(sessionCookieOf(res), undefined);
  });

  test('a login body of exactly 8 KiB signs in', async () => {
    const base = JSON.stringify({ email: JOHN, password: SEED_PASSWORD, padding: '' });
    const body = JSON.stringify({ email: JOHN, password: SEED_PASSWORD, padding: 'x'.repeat(8 * KIB - base.length) });
    assert.equal(Buffer.byteLength(body), 8 * KIB);
    const res = await api('POST', '/api/session', { rawBody: body });
    assert.equal(res.status, 200, describeRes(res));
  });

  test('a body of exactly 1 MiB of text is parsed on other routes', async () => {
    const base = JSON.stringify({ reason: 'r', padding: '' });
    const body = JSON.stringify({ reason: 'r', padding: 'x'.repeat(MIB - base.length) });
    assert.equal(Buffer.byteLength(body), MIB);
    // No such claim: the route ran, so the body was taken.
    const res = await api('POST', '/api/claims/999999999/deny', { token, rawBody: body });
    assertError(res, 404, 'NOT_FOUND');
  });

  test('a Content-Length over 1 MiB is refused at once, before the body is sent', async () => {
    const started = performance.now();
    const reply = (await rawExchange(
      `POST /api/claims/999999999/deny HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${token}\r\n` +
        `Content-Type: application/json\r\nContent-Length: ${MIB + 1}\r\n\r\n`,
    )).toString('latin1');
    assert.match(reply, /^HTTP\/1\.1 413 /, reply.slice(0, 200));
    assert.ok(performance.now() - started < 2500, 'answered without waiting for the body');
  });
});

describe('bodies are parsed only for a route that exists, after authentication', () => {
  test('a malformed body on an unknown path gets 404', async () => {
    assertError(await api('POST', '/api/nowhere', { token, rawBody: '{bad' }), 404, 'NOT_FOUND');
  });

  for (const [method, p] of [['POST', '/api/listings'], ['PATCH', '/api/listings/1'], ['POST', '/api/users'], ['POST', '/api/claims/1/deny']]) {
    test(`${method} ${p} without credentials gets 401 for a malformed body, not 400`, async () => {
      assertError(await api(method, p, { rawBody: '{bad' }), 401, 'UNAUTHENTICATED');
    });
  }

  test('a body of a million tiny values without credentials gets 401', async () => {
    const res = await api('POST', '/api/listings', { rawBody: padBody(MIB - 1, {}) });
    assertError(res, 401, 'UNAUTHENTICATED');
  });
});

describe('bodies must be application/json (415)', () => {
  const credentials = { email: JOHN, password: SEED_PASSWORD };

  test('a cross-site text/plain login form is refused and sets no cookie', async () => {
    const res = await api('POST', '/api/session', {
      rawBody: JSON.stringify(credentials),
      headers: { 'content-type': 'text/plain', origin: 'https://evil.example' },
    });
    assertError(res, 415, 'INVALID_ARGUMENT');
    assert.equal(sessionCookieOf(res), undefined);
  });

  for (const type of ['application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/jsonp']) {
    test(`a login with Content-Type ${type} gets 415`, async () => {
      const res = await api('POST', '/api/session', { rawBody: JSON.stringify(credentials), headers: { 'content-type': type } });
      assertError(res, 415, 'INVALID_ARGUMENT');
    });
  }

  test('parameters and case are allowed: Application/JSON; charset=utf-8 signs in', async () => {
    const res = await api('POST', '/api/session', {
      rawBody: JSON.stringify(credentials),
      headers: { 'content-type': 'Application/JSON; charset=utf-8' },
    });
    assert.equal(res.status, 200, describeRes(res));
  });

  test('an authenticated route refuses a text/plain body too', async () => {
    const res = await api('POST', '/api/claims/999999999/deny', {
      token,
      rawBody: '{"reason":"r"}',
      headers: { 'content-type': 'text/plain' },
    });
    assertError(res, 415, 'INVALID_ARGUMENT');
  });

  test('a POST without a body needs no Content-Type', async () => {
    const reply = (await rawExchange(
      `POST /api/claims/999999999/withdraw HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${token}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n`,
    )).toString('latin1');
    assert.match(reply, /^HTTP\/1\.1 404 /, reply.slice(0, 200));
  });
});

describe('HTTP/2 is not spoken on the plain port', () => {
  test('Upgrade: h2c gets an HTTP/1.1 answer, not 101', async () => {
    const reply = (await rawExchange(
      // Without keep-alive in Connection, h2o closes after its answer.
      'GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\n' +
        'HTTP2-Settings: AAMAAABkAARAAAAAAAIAAAAA\r\n\r\n',
    )).toString('latin1');
    assert.match(reply, /^HTTP\/1\.1 200 /, reply.slice(0, 200));
  });

  test('the HTTP/2 preface (prior knowledge) gets no HTTP/2 frame back', async () => {
    const preface = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 'latin1');
    const settings = Buffer.from([0, 0, 0, 4, 0, 0, 0, 0, 0]); // an empty SETTINGS frame
    const reply = await rawExchange(Buffer.concat([preface, settings]));
    // An HTTP/2 server answers with its SETTINGS frame: type 4 at byte 3.
    assert.ok(reply.length === 0 || reply.toString('latin1').startsWith('HTTP/1.1 '),
      `an HTTP/2 reply: ${reply.subarray(0, 32).toString('hex')}`);
  });
});

describe('paths with a NUL get 400', () => {
  for (const p of ['/logo.svg%00.html', '/index.html%00', '/api/listings%00', '/api/listings/1%00', '/api/me%00x']) {
    test(`GET ${p}`, async () => {
      const res = await api('GET', p, { token });
      assertError(res, 400, 'INVALID_ARGUMENT');
      assert.doesNotMatch(res.headers.get('content-type'), /text\/html/);
    });
  }

  test('a raw NUL in the request line is not served', async () => {
    const reply = (await rawExchange(Buffer.from('GET /logo.svg\0.html HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n', 'latin1'))).toString('latin1');
    assert.ok(reply === '' || /^HTTP\/1\.1 400 /.test(reply), reply.slice(0, 200));
  });
});
