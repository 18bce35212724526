// prometheus.mjs - a real Prometheus against a running stack: every admin
// port scraped and up, every rule of deploy/k8s/components/monitoring
// evaluated without error, and every PromQL expression of the dashboard
// parsed and answered with at least one series.
//
//   RCYCLE_MONITORING_RULES=FILE node --test test/monitoring/prometheus.mjs
//
// FILE is the PrometheusRule's groups as a Prometheus rule file
// (scripts/test-monitoring.sh writes it with rules-file.mjs). The stack is
// the one of RUN_DIR (the integration suite's lib.mjs reads its stack.env:
// the admin ports and the gateway); Prometheus listens on
// 127.0.0.1:RCYCLE_PROMETHEUS_PORT (default 7290 + RCYCLE_PORT_OFFSET), keeps
// its data in a temporary directory and is stopped at the end. Uses node's
// test runner, so the closing lines count the checks.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';

import { waitFor as waitForEvery } from '../integration/fixtures.mjs';
import { ADMIN_URLS, GATEWAY_URL as GATEWAY, JOHN, login, setting } from '../integration/lib.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const DASHBOARD = path.join(ROOT, 'deploy/k8s/components/monitoring/rcycle-dashboard.json');
const RULES_FILE = path.resolve(process.env.RCYCLE_MONITORING_RULES ?? '');
const PROCESSES = Object.keys(ADMIN_URLS);
const promPort = Number(setting('RCYCLE_PROMETHEUS_PORT', String(7290 + Number(setting('RCYCLE_PORT_OFFSET', '0')))));
const PROM = `http://127.0.0.1:${promPort}`;
const waitFor = (fn, timeoutMs = 30000) => waitForEvery(fn, timeoutMs, 250);

let dir;
let prom;
let promLog = '';

// The Prometheus API's data for path, or throws with its error.
async function promApi(pathAndQuery) {
  const res = await fetch(PROM + pathAndQuery, { signal: AbortSignal.timeout(5000) });
  const body = await res.json();
  if (body.status !== 'success') throw new Error(`${pathAndQuery}: ${body.errorType}: ${body.error}`);
  return body.data;
}

// Every PromQL expression of the dashboard (each target of each panel).
function dashboardExpressions() {
  const dash = JSON.parse(readFileSync(DASHBOARD, 'utf8'));
  const out = [];
  for (const p of dash.panels ?? []) for (const t of p.targets ?? []) out.push({ panel: p.title, expr: t.expr });
  return out;
}

// Requests of every kind the dashboard shows: answers, errors, RPCs.
async function traffic() {
  const { token } = await login(JOHN);
  const auth = { authorization: `Bearer ${token}` };
  for (let i = 0; i < 5; i++) {
    for (const p of ['/api/listings?limit=5', '/api/claims?limit=5', '/api/me', '/api/leaderboard'])
      await (await fetch(GATEWAY + p, { headers: auth })).arrayBuffer();
    await (await fetch(`${GATEWAY}/api/listings/999999999`, { headers: auth })).arrayBuffer();
    await (await fetch(`${GATEWAY}/readyz`)).arrayBuffer();
  }
}

before(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'rcycle-prometheus-'));
  const config = {
    global: { scrape_interval: '1s', scrape_timeout: '1s', evaluation_interval: '1s' },
    rule_files: [RULES_FILE],
    scrape_configs: PROCESSES.map((job) => ({ job_name: job, static_configs: [{ targets: [new URL(ADMIN_URLS[job]).host] }] })),
  };
  // JSON is YAML: Prometheus reads it as its configuration file.
  writeFileSync(path.join(dir, 'prometheus.yml'), JSON.stringify(config, null, 2));
  prom = spawn('prometheus', [
    `--config.file=${path.join(dir, 'prometheus.yml')}`,
    `--storage.tsdb.path=${path.join(dir, 'data')}`,
    `--web.listen-address=127.0.0.1:${promPort}`,
    '--storage.tsdb.retention.time=1h',
  ], { stdio: ['ignore', 'ignore', 'pipe'] });
  prom.stderr.on('data', (d) => { promLog = (promLog + d).slice(-20000); });
  const ready = await waitFor(async () => (await fetch(`${PROM}/-/ready`)).ok);
  assert.ok(ready, `Prometheus ready on ${PROM}:\n${promLog}`);
  await traffic();
});

after(async () => {
  if (prom && prom.exitCode === null) {
    prom.kill('SIGTERM');
    await new Promise((r) => prom.once('exit', r));
  }
  if (dir) rmSync(dir, { recursive: true, force: true });
});

test('every admin port is scraped and up', async () => {
  let targets;
  const allUp = await waitFor(async () => {
    targets = (await promApi('/api/v1/targets?state=active')).activeTargets;
    return targets.length === PROCESSES.length && targets.every((t) => t.health === 'up');
  });
  assert.ok(allUp, `targets: ${JSON.stringify(targets?.map((t) => [t.labels.job, t.health, t.lastError]))}`);
  assert.deepEqual(targets.map((t) => t.labels.job).sort(), [...PROCESSES].sort());
});

test('every rule of the PrometheusRule is loaded and evaluates without error', async () => {
  const expected = readFileSync(RULES_FILE, 'utf8').match(/^\s*- alert: (\S+)/gm).map((l) => l.split(':')[1].trim());
  let rules;
  const evaluated = await waitFor(async () => {
    rules = (await promApi('/api/v1/rules')).groups.flatMap((g) => g.rules);
    return rules.length === expected.length && rules.every((r) => r.lastEvaluation && !r.lastEvaluation.startsWith('0001-'));
  });
  assert.ok(evaluated, `rules: ${JSON.stringify(rules?.map((r) => [r.name, r.lastEvaluation]))}`);
  assert.deepEqual(rules.map((r) => r.name).sort(), expected.sort());
  for (const r of rules) {
    assert.equal(r.health, 'ok', `${r.name}: ${r.lastError}`);
    assert.ok(!r.lastError, `${r.name}: ${r.lastError}`);
  }
  // A stack at rest raises nothing: no alert is firing.
  const firing = rules.filter((r) => r.state === 'firing').map((r) => r.name);
  assert.deepEqual(firing, []);
});

test('every query of the dashboard parses and answers a series from the stack', async () => {
  const exprs = dashboardExpressions();
  assert.ok(exprs.length >= 10, `the dashboard has ${exprs.length} queries`);
  for (const { panel, expr } of exprs) {
    let result;
    const answered = await waitFor(async () => {
      result = (await promApi(`/api/v1/query?query=${encodeURIComponent(expr)}`)).result;
      return result.length > 0;
    });
    assert.ok(answered, `panel "${panel}": ${expr} answered no series`);
  }
});
