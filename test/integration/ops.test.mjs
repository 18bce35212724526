// ops.test.mjs - /healthz, /readyz and /metrics (docs/API.md, Operations): on the
// gateway's public port only the first two; on every admin port all three.
import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';

import { ADMIN_URLS, JOHN, api, assertError, describe as describeRes, expectStatus, session } from './lib.mjs';

const NAME = '[a-zA-Z_:][a-zA-Z0-9_:]*';
const LABEL = '[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\\\\n]|\\\\[\\\\"n])*"';
const VALUE = '(?:[-+]?(?:\\d+\\.?\\d*|\\.\\d+)(?:[eE][-+]?\\d+)?|NaN|[-+]Inf)';
const SAMPLE = new RegExp(`^(${NAME})(?:\\{((?:${LABEL})(?:,${LABEL})*,?)?\\})? (${VALUE})(?: -?\\d+)?$`);
const HELP = new RegExp(`^# HELP (${NAME}) .*$`);
const TYPE = new RegExp(`^# TYPE (${NAME}) (counter|gauge|histogram|summary|untyped)$`);

// Parses the Prometheus text format 0.0.4 strictly enough to catch a broken
// exposition: returns {types: Map name->type, samples: [{name, labels, value}]}.
function parseExposition(text) {
  assert.ok(text.endsWith('\n'), 'the exposition ends with a newline');
  const types = new Map();
  const samples = [];
  const lines = text.split('\n').slice(0, -1);
  lines.forEach((line, i) => {
    const where = `line ${i + 1}: ${JSON.stringify(line)}`;
    if (line === '') return;
    if (line.startsWith('#')) {
      const t = TYPE.exec(line);
      if (t) {
        assert.ok(!types.has(t[1]), `one TYPE per metric: ${where}`);
        types.set(t[1], t[2]);
        return;
      }
      if (line.startsWith('# HELP ')) assert.match(line, HELP, where);
      return;
    }
    const m = SAMPLE.exec(line);
    assert.ok(m, `a valid sample: ${where}`);
    const labels = {};
    for (const l of (m[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) labels[l[1]] = l[2];
    samples.push({ name: m[1], labels, value: m[3] === '+Inf' ? Infinity : Number(m[3]) });
  });
  return { types, samples };
}

// The family a sample belongs to (a histogram's _bucket/_sum/_count).
const familyOf = (name, types) => {
  for (const suffix of ['_bucket', '_sum', '_count']) {
    if (name.endsWith(suffix) && types.get(name.slice(0, -suffix.length)) === 'histogram') return name.slice(0, -suffix.length);
  }
  return name;
};

function assertHistograms({ types, samples }) {
  const series = new Map();
  for (const s of samples) {
    const family = familyOf(s.name, types);
    if (types.get(family) !== 'histogram') continue;
    const { le, ...rest } = s.labels;
    const key = `${family}${JSON.stringify(Object.entries(rest).sort())}`;
    if (!series.has(key)) series.set(key, { buckets: [], count: undefined, sum: undefined });
    const e = series.get(key);
    if (s.name.endsWith('_bucket')) e.buckets.push([le === '+Inf' ? Infinity : Number(le), s.value]);
    else if (s.name.endsWith('_count')) e.count = s.value;
    else if (s.name.endsWith('_sum')) e.sum = s.value;
  }
  for (const [key, e] of series) {
    assert.ok(e.buckets.length > 0, `${key} has buckets`);
    const sorted = [...e.buckets].sort((a, b) => a[0] - b[0]);
    assert.equal(sorted[sorted.length - 1][0], Infinity, `${key} has a +Inf bucket`);
    for (let i = 1; i < sorted.length; i++) assert.ok(sorted[i][1] >= sorted[i - 1][1], `${key}: buckets are cumulative`);
    assert.equal(e.count, sorted[sorted.length - 1][1], `${key}: _count equals the +Inf bucket`);
    assert.ok(Number.isFinite(e.sum) && e.sum >= 0, `${key}: _sum`);
  }
}

async function scrape(name) {
  const res = await api('GET', '/metrics', { base: ADMIN_URLS[name] });
  expectStatus(res, 200);
  assert.match(res.headers.get('content-type') ?? '', /^text\/plain/, `${name} /metrics content type`);
  return { res, ...parseExposition(res.text) };
}

before(async () => {
  // Traffic, so that every process has observed requests and RPCs: the
  // gateway's /readyz calls Health on the three services, a login calls
  // svc-users, a listing query svc-listings.
  await api('GET', '/readyz');
  const { token } = await session(JOHN);
  await api('GET', '/api/listings?limit=1', { token });
  await api('GET', '/api/me', { token });
});

describe('the gateway public port', () => {
  test('GET /healthz: 200', async () => {
    expectStatus(await api('GET', '/healthz'), 200);
  });

  test('GET /readyz: 200 while every service answers, each named up', async () => {
    const res = await api('GET', '/readyz');
    expectStatus(res, 200);
    assert.deepEqual(res.json, { status: 'ready', services: { users: 'up', listings: 'up', claims: 'up' } });
  });

  test('/healthz and /readyz need no credentials and answer with an X-Request-Id', async () => {
    for (const p of ['/healthz', '/readyz']) {
      const res = await api('GET', p);
      expectStatus(res, 200);
      assert.ok(res.headers.get('x-request-id'));
    }
  });

  test('GET /metrics: 404 (the ingress must not expose it)', async () => {
    const res = await api('GET', '/metrics');
    assertError(res, 404, 'NOT_FOUND');
    assert.doesNotMatch(res.text, /rcycle_|# TYPE/);
  });
});

for (const name of ['gateway', 'svc-users', 'svc-listings', 'svc-claims']) {
  describe(`${name} admin port`, () => {
    test('GET /healthz: 200', async () => {
      const res = await api('GET', '/healthz', { base: ADMIN_URLS[name] });
      expectStatus(res, 200);
    });

    test('GET /readyz: 200', async () => {
      const res = await api('GET', '/readyz', { base: ADMIN_URLS[name] });
      expectStatus(res, 200);
      assert.match(res.text, /^ready\n/);
      // The gateway says what it checked: its listener and each service.
      if (name === 'gateway') for (const what of ['listener', 'users', 'listings', 'claims']) assert.match(res.text, new RegExp(`^${what}: up$`, 'm'));
    });

    test('GET /metrics: valid Prometheus text with the R-Cycle metrics', async () => {
      const m = await scrape(name);
      const names = new Set(m.samples.map((s) => s.name));
      const has = (n) => names.has(n);

      assert.ok(has('rcycle_build_info'), `${name}: rcycle_build_info`);
      const build = m.samples.filter((s) => s.name === 'rcycle_build_info');
      assert.equal(build.length, 1, 'one rcycle_build_info sample');
      assert.equal(build[0].value, 1, 'rcycle_build_info is 1');
      assert.ok(Object.keys(build[0].labels).length > 0, 'rcycle_build_info has labels (version, ...)');

      if (name === 'gateway') {
        assert.equal(m.types.get('rcycle_http_request_duration_seconds'), 'histogram');
        assert.ok(has('rcycle_http_request_duration_seconds_bucket'), 'HTTP latency buckets');
        assert.ok(has('rcycle_http_request_duration_seconds_count'), 'HTTP request counts');
        const http = m.samples.filter((s) => s.name === 'rcycle_http_request_duration_seconds_count');
        assert.ok(http.some((s) => /listings/.test(Object.values(s.labels).join(' '))), 'a series for the listings route');
        for (const s of http) {
          const labelText = Object.keys(s.labels).join(',');
          assert.match(labelText, /method/, 'by method');
          assert.match(labelText, /status|code/, 'by status');
        }
      } else {
        assert.equal(m.types.get('rcycle_rpc_duration_seconds'), 'histogram');
        assert.ok(has('rcycle_rpc_duration_seconds_bucket'), 'RPC latency buckets');
        assert.ok(has('rcycle_rpc_duration_seconds_count'), 'RPC counts');
        const rpc = m.samples.filter((s) => s.name === 'rcycle_rpc_duration_seconds_count');
        assert.ok(rpc.every((s) => 'method' in s.labels), 'RPC series by method');
        assert.ok(has('rcycle_db_pool_connections'), `${name}: rcycle_db_pool_connections`);
        const pool = m.samples.filter((s) => s.name === 'rcycle_db_pool_connections');
        assert.ok(pool.length >= 2, 'pool in-use and idle');
        for (const s of pool) assert.ok(Number.isFinite(s.value) && s.value >= 0, 'pool gauges are counts');
      }
      assertHistograms(m);
    });

    test('GET /metrics counts grow with traffic', async () => {
      const total = (m, n) => m.samples.filter((s) => s.name === n).reduce((a, s) => a + s.value, 0);
      const metric = name === 'gateway' ? 'rcycle_http_request_duration_seconds_count' : 'rcycle_rpc_duration_seconds_count';
      const before = total(await scrape(name), metric);
      // /readyz on the gateway calls every service's Health RPC.
      expectStatus(await api('GET', '/readyz'), 200);
      const after = total(await scrape(name), metric);
      assert.ok(after > before, `${metric} grew (${before} -> ${after})`);
    });

    test('an unknown admin path: 404', async () => {
      const res = await api('GET', '/nope', { base: ADMIN_URLS[name] });
      assert.equal(res.status, 404, describeRes(res));
    });
  });
}
