// checks.test.mjs - the manifest checks of make test-deploy catch what they
// are for: a deliberately broken manifest (wrong type, unknown field,
// missing probe, ...) fails them with a message that names the object and
// the field. Run: node --test deploy/tools/test/
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import YAML from 'yaml';

import { checkText, formatProblem } from '../check-manifests.mjs';
import { gatewayMaxBody, latestMigrations } from '../limits.mjs';
import { sizeBytes } from '../policy.mjs';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const DEPLOY = path.resolve(HERE, '..', '..');
const CLI = path.join(DEPLOY, 'tools', 'check-manifests.mjs');

// The db-init Job of this release (its name carries the version).
const DB_INIT = 'db-init-0-1-0';
const rendered = execFileSync('kubectl', ['kustomize', path.join(DEPLOY, 'k8s', 'overlays', 'kind')], { encoding: 'utf8' });
const fresh = () => YAML.parseAllDocuments(rendered).map((d) => d.toJS()).filter(Boolean);
const find = (objs, kind, name) => objs.find((o) => o.kind === kind && o.metadata.name === name);
const asText = (objs) => objs.map((o) => YAML.stringify(o)).join('---\n');

async function problemsOf(objs) {
  const { problems } = await checkText(asText(objs), { policy: true });
  return problems.map((p) => formatProblem('kind', p));
}

function assertReported(lines, object, field, what) {
  const hit = lines.find((l) => l.includes(`: ${object}: `) && l.includes(`: ${field}: `) && (!what || l.includes(what)));
  assert.ok(hit, `expected a problem for ${object} at ${field}${what ? ` (${what})` : ''}; got:\n${lines.join('\n')}`);
}

test('the kind overlay as rendered passes every check', async () => {
  assert.deepEqual(await problemsOf(fresh()), []);
});

test('a wrong type is reported with the object and the field', async () => {
  const objs = fresh();
  find(objs, 'Deployment', 'gateway').spec.replicas = 'two';
  find(objs, 'Service', 'svc-users').spec.ports[0].port = '7101';
  const lines = await problemsOf(objs);
  assertReported(lines, 'Deployment r-cycle/gateway', 'spec.replicas', 'must be integer');
  assertReported(lines, 'Service r-cycle/svc-users', 'spec.ports[0].port', 'must be integer');
});

test('an unknown field is reported with the object and the field', async () => {
  const objs = fresh();
  find(objs, 'Deployment', 'svc-listings').spec.template.spec.containers[0].readinesProbe = { httpGet: { path: '/readyz', port: 'admin' } };
  find(objs, 'NetworkPolicy', 'gateway').spec.ingresss = [];
  const lines = await problemsOf(objs);
  assertReported(lines, 'Deployment r-cycle/svc-listings', 'spec.template.spec.containers[0].readinesProbe', 'unknown field');
  assertReported(lines, 'NetworkPolicy r-cycle/gateway', 'spec.ingresss', 'unknown field');
});

test('a missing required field is reported', async () => {
  const objs = fresh();
  delete find(objs, 'Deployment', 'svc-claims').spec.selector;
  delete find(objs, 'Deployment', 'svc-claims').spec.template.spec.containers[0].name;
  const lines = await problemsOf(objs);
  assertReported(lines, 'Deployment r-cycle/svc-claims', 'spec.selector', 'required');
  assertReported(lines, 'Deployment r-cycle/svc-claims', 'spec.template.spec.containers[0].name', 'required');
});

test('a missing or wrong probe is reported', async () => {
  const objs = fresh();
  delete find(objs, 'Deployment', 'svc-users').spec.template.spec.containers[0].readinessProbe;
  find(objs, 'Deployment', 'gateway').spec.template.spec.containers[0].livenessProbe.httpGet.path = '/';
  delete find(objs, 'StatefulSet', 'postgres').spec.template.spec.containers[0].livenessProbe;
  const lines = await problemsOf(objs);
  assertReported(lines, 'Deployment r-cycle/svc-users', 'spec.template.spec.containers[0].readinessProbe', 'missing');
  assertReported(lines, 'Deployment r-cycle/gateway', 'spec.template.spec.containers[0].livenessProbe', '/healthz');
  assertReported(lines, 'StatefulSet r-cycle/postgres', 'spec.template.spec.containers[0].livenessProbe', 'missing');
});

test('limits, non-root, read-only root, capabilities, image tags and tokens are enforced', async () => {
  const objs = fresh();
  const c = find(objs, 'Deployment', 'svc-users').spec.template.spec.containers[0];
  delete c.resources.limits;
  c.securityContext.readOnlyRootFilesystem = false;
  c.securityContext.runAsNonRoot = false;
  find(objs, 'Deployment', 'svc-users').spec.template.spec.securityContext.runAsNonRoot = false;
  c.securityContext.capabilities = { drop: ['NET_RAW'] };
  find(objs, 'Deployment', 'gateway').spec.template.spec.containers[0].image = 'localhost/rcycle/gateway:latest';
  find(objs, 'Job', DB_INIT).spec.template.spec.initContainers[1].image = 'localhost/rcycle/migrate';
  find(objs, 'Deployment', 'svc-claims').spec.template.spec.automountServiceAccountToken = true;
  const lines = await problemsOf(objs);
  const at = 'spec.template.spec.containers[0]';
  assertReported(lines, 'Deployment r-cycle/svc-users', `${at}.resources.limits.cpu`, 'missing');
  assertReported(lines, 'Deployment r-cycle/svc-users', `${at}.resources.limits.memory`, 'missing');
  assertReported(lines, 'Deployment r-cycle/svc-users', `${at}.securityContext.readOnlyRootFilesystem`);
  assertReported(lines, 'Deployment r-cycle/svc-users', `${at}.securityContext.runAsNonRoot`);
  assertReported(lines, 'Deployment r-cycle/svc-users', `${at}.securityContext.capabilities.drop`, 'ALL');
  assertReported(lines, 'Deployment r-cycle/gateway', `${at}.image`, 'latest');
  assertReported(lines, `Job r-cycle/${DB_INIT}`, 'spec.template.spec.initContainers[1].image', 'tag');
  assertReported(lines, 'Deployment r-cycle/svc-claims', 'spec.template.spec.automountServiceAccountToken', 'false');
});

test('a Deployment without its Service, NetworkPolicy, PDB or HPA is reported', async () => {
  const objs = fresh().filter(
    (o) => !(['Service', 'NetworkPolicy', 'PodDisruptionBudget', 'HorizontalPodAutoscaler'].includes(o.kind) && o.metadata.name === 'svc-listings'),
  );
  const lines = await problemsOf(objs);
  for (const what of ['no Service', 'no NetworkPolicy', 'no PodDisruptionBudget', 'no HorizontalPodAutoscaler'])
    assert.ok(lines.some((l) => l.includes('Deployment r-cycle/svc-listings') && l.includes(what)), `${what}: ${lines.join('\n')}`);
  const noDeny = fresh().filter((o) => !(o.kind === 'NetworkPolicy' && o.metadata.name === 'default-deny-all'));
  assert.ok((await problemsOf(noDeny)).some((l) => l.includes('default deny')));
});

test('fsGroup without fsGroupChangePolicy OnRootMismatch is reported (PostgreSQL refuses a group-writable data directory)', async () => {
  const objs = fresh();
  delete find(objs, 'StatefulSet', 'postgres').spec.template.spec.securityContext.fsGroupChangePolicy;
  assertReported(await problemsOf(objs), 'StatefulSet r-cycle/postgres', 'spec.template.spec.securityContext.fsGroupChangePolicy', 'OnRootMismatch');
  const always = fresh();
  find(always, 'StatefulSet', 'postgres').spec.template.spec.securityContext.fsGroupChangePolicy = 'Always';
  assertReported(await problemsOf(always), 'StatefulSet r-cycle/postgres', 'spec.template.spec.securityContext.fsGroupChangePolicy', 'OnRootMismatch');
  // No fsGroup at all is fine too.
  const none = fresh();
  const sec = find(none, 'StatefulSet', 'postgres').spec.template.spec.securityContext;
  delete sec.fsGroup;
  delete sec.fsGroupChangePolicy;
  assert.deepEqual(await problemsOf(none), []);
});

test("an ingress body limit below the gateway's largest one is reported (nginx would answer the 413)", async () => {
  assert.equal(gatewayMaxBody(), 1024 * 1024, 'the gateway takes bodies up to 1 MiB (the largest max_body of gateway/routes.c)');
  assert.equal(sizeBytes('8m'), 8 * 1024 * 1024);
  assert.equal(sizeBytes('512k'), 512 * 1024);
  const key = 'nginx.ingress.kubernetes.io/proxy-body-size';
  for (const bad of ['512k', '1000k', '1048575']) {
    const objs = fresh();
    find(objs, 'Ingress', 'gateway').metadata.annotations[key] = bad;
    assertReported(await problemsOf(objs), 'Ingress r-cycle/gateway', `metadata.annotations.${key}`, 'below');
  }
  for (const ok of ['1m', '8m', '16m', '0']) {
    const objs = fresh();
    find(objs, 'Ingress', 'gateway').metadata.annotations[key] = ok;
    assert.deepEqual(await problemsOf(objs), [], ok);
  }
});

test('a Deployment without preStop, with replicas under an HPA, or with a tiny CPU request is reported', async () => {
  const objs = fresh();
  delete find(objs, 'Deployment', 'gateway').spec.template.spec.containers[0].lifecycle;
  find(objs, 'Deployment', 'svc-users').spec.replicas = 2;
  find(objs, 'Deployment', 'svc-claims').spec.template.spec.containers[0].resources.requests.cpu = '50m';
  const lines = await problemsOf(objs);
  assertReported(lines, 'Deployment r-cycle/gateway', 'spec.template.spec.containers[0].lifecycle.preStop', 'drain');
  assertReported(lines, 'Deployment r-cycle/svc-users', 'spec.replicas', 'HorizontalPodAutoscaler svc-users owns it');
  assertReported(lines, 'Deployment r-cycle/svc-claims', 'spec.template.spec.containers[0].resources.requests.cpu', 'below 100m');
});

test('a Job not named after its version, or a service without its schema wait, is reported', async () => {
  const objs = fresh();
  find(objs, 'Job', DB_INIT).metadata.name = 'db-init';
  assertReported(await problemsOf(objs), 'Job r-cycle/db-init', 'metadata.name', '-0-1-0');
  const old = fresh();
  find(old, 'Job', DB_INIT).metadata.name = 'db-init-0-0-9';
  assertReported(await problemsOf(old), 'Job r-cycle/db-init-0-0-9', 'metadata.name', 'immutable');

  const latest = latestMigrations();
  assert.ok(latest.users >= 1 && latest.listings >= 1 && latest.claims >= 1, JSON.stringify(latest));
  const none = fresh();
  delete find(none, 'Deployment', 'svc-listings').spec.template.spec.initContainers;
  assertReported(await problemsOf(none), 'Deployment r-cycle/svc-listings', 'spec.template.spec.initContainers', 'schema-wait');
  const stale = fresh();
  const cmd = find(stale, 'Deployment', 'svc-claims').spec.template.spec.initContainers[0].command;
  cmd[cmd.length - 1] = `claims:${latest.claims - 1}`;
  assertReported(await problemsOf(stale), 'Deployment r-cycle/svc-claims', 'spec.template.spec.initContainers[0].command', `claims:${latest.claims}`);
  // The gateway reads no database: it needs no wait.
  assert.equal(find(fresh(), 'Deployment', 'gateway').spec.template.spec.initContainers, undefined);
});

test('the Gateway API overlay: an HTTPRoute to the gateway instead of the Ingress, checked like the rest', async () => {
  const text = execFileSync('kubectl', ['kustomize', path.join(DEPLOY, 'k8s', 'overlays', 'production-gateway-api')], { encoding: 'utf8' });
  const objs = YAML.parseAllDocuments(text).map((d) => d.toJS()).filter(Boolean);
  assert.deepEqual(await problemsOf(objs), []);
  assert.equal(objs.filter((o) => o.kind === 'Ingress').length, 0);
  const route = find(objs, 'HTTPRoute', 'gateway');
  assert.deepEqual(route.spec.rules[0].backendRefs, [{ name: 'gateway', port: 3000 }]);
  assert.equal(find(objs, 'NetworkPolicy', 'gateway').spec.ingress[0].from[0].namespaceSelector.matchLabels['kubernetes.io/metadata.name'], 'gateway-system');
  route.spec.rules[0].backendRefs[0].port = 3001;
  route.spec.rules[0].backendRefs[0].weigth = 1;
  const lines = await problemsOf(objs);
  assertReported(lines, 'HTTPRoute r-cycle/gateway', 'spec.rules[0].backendRefs[0]', 'no Service gateway with port 3001');
  assertReported(lines, 'HTTPRoute r-cycle/gateway', 'spec.rules[0].backendRefs[0].weigth', 'unknown field');
});

test('the monitoring of production: a ServiceMonitor per process on a named port, the rules and the dashboard, checked like the rest', async () => {
  const text = execFileSync('kubectl', ['kustomize', path.join(DEPLOY, 'k8s', 'overlays', 'production')], { encoding: 'utf8' });
  const objs = YAML.parseAllDocuments(text).map((d) => d.toJS()).filter(Boolean);
  assert.deepEqual(await problemsOf(objs), []);
  const monitors = objs.filter((o) => o.kind === 'ServiceMonitor').map((o) => o.metadata.name).sort();
  assert.deepEqual(monitors, ['gateway', 'svc-claims', 'svc-listings', 'svc-users']);
  assert.ok(find(objs, 'PrometheusRule', 'rcycle').spec.groups.length > 0);
  const dashboard = find(objs, 'ConfigMap', 'rcycle-dashboard');
  assert.equal(dashboard.metadata.labels.grafana_dashboard, '1');
  assert.ok(JSON.parse(dashboard.data['rcycle-dashboard.json']).panels.length > 0);
  find(objs, 'ServiceMonitor', 'svc-users').spec.endpoints[0].port = 'metrics';
  find(objs, 'ServiceMonitor', 'svc-users').spec.endpoints[0].intervall = '30s';
  const claims = find(objs, 'ServiceMonitor', 'svc-claims');
  objs.splice(objs.indexOf(claims), 1);
  const lines = await problemsOf(objs);
  assertReported(lines, 'ServiceMonitor r-cycle/svc-users', 'spec.endpoints[0].port', 'no port named metrics');
  assertReported(lines, 'ServiceMonitor r-cycle/svc-users', 'spec.endpoints[0].intervall', 'unknown field');
  assertReported(lines, 'Deployment r-cycle/svc-claims', 'spec.template.metadata.labels', 'no ServiceMonitor scrapes these pods');
});

test('PostgreSQL stops with SIGINT (fast shutdown), not the smart shutdown of SIGTERM', () => {
  const file = readFileSync(path.join(DEPLOY, 'images', 'Containerfile.postgres'), 'utf8');
  assert.match(file, /^STOPSIGNAL SIGINT$/m);
});

test('the command line fails on a broken file and names the object and the field', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'rcycle-broken-'));
  try {
    const objs = fresh();
    const gw = find(objs, 'Deployment', 'gateway').spec.template.spec.containers[0];
    gw.ports[0].containerPort = 'http'; // wrong type
    gw.imagePullPolicyy = 'Always'; // unknown field
    delete gw.readinessProbe; // missing probe
    const file = path.join(dir, 'broken.yaml');
    writeFileSync(file, asText(objs));
    const r = spawnSync(process.execPath, [CLI, '--policy', file], { encoding: 'utf8' });
    assert.equal(r.status, 1, r.stderr);
    const at = `${file}: Deployment r-cycle/gateway: spec.template.spec.containers[0]`;
    assert.match(r.stderr, new RegExp(`${at.replace(/[.[\]/]/g, '\\$&')}\\.ports\\[0\\]\\.containerPort: must be integer`));
    assert.ok(r.stderr.includes(`${at}.imagePullPolicyy: unknown field`), r.stderr);
    assert.ok(r.stderr.includes(`${at}.readinessProbe: missing`), r.stderr);
    const ok = path.join(dir, 'ok.yaml');
    writeFileSync(ok, rendered);
    assert.equal(spawnSync(process.execPath, [CLI, '--policy', ok], { encoding: 'utf8' }).status, 0);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the Secret template holds placeholders only, and secret.sh fills it into a valid Secret', async () => {
  const template = readFileSync(path.join(DEPLOY, 'k8s', 'secret.template.yaml'), 'utf8');
  const secret = YAML.parse(template);
  for (const [k, v] of Object.entries(secret.stringData)) assert.equal(v, `\${${k}}`, `${k} must be a placeholder in the template`);
  const out = execFileSync(path.join(DEPLOY, 'secret.sh'), { encoding: 'utf8', env: { ...process.env, RCYCLE_SEED_PASSWORD: 'x"y\\z' } });
  const { problems } = await checkText(out);
  assert.deepEqual(problems, []);
  const filled = YAML.parse(out);
  assert.match(filled.stringData.USERS_DATABASE_URL, /^postgresql:\/\/rcycle_users:[0-9a-f]{32}@postgres:5432\/rcycle\?/);
  assert.ok(filled.stringData.USERS_DATABASE_URL.includes(filled.stringData.USERS_DB_PASSWORD));
  assert.equal(filled.stringData.SEED_PASSWORD, 'x"y\\z');
  // A second run makes other passwords.
  const again = YAML.parse(execFileSync(path.join(DEPLOY, 'secret.sh'), { encoding: 'utf8' }));
  assert.notEqual(again.stringData.POSTGRES_PASSWORD, filled.stringData.POSTGRES_PASSWORD);
});

test('secret.sh run again on its file keeps every value (the volume keeps its passwords); --rotate makes new ones', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'rcycle-secret-'));
  try {
    const file = path.join(dir, 'rcycle-db.yaml');
    const run = (...args) => execFileSync(path.join(DEPLOY, 'secret.sh'), ['--out', file, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, RCYCLE_SEED_PASSWORD: '' } });
    execFileSync(path.join(DEPLOY, 'secret.sh'), ['--out', file], { env: { ...process.env, RCYCLE_SEED_PASSWORD: 'x"y\\z' }, stdio: 'ignore' });
    const first = YAML.parse(readFileSync(file, 'utf8')).stringData;
    run();
    const again = YAML.parse(readFileSync(file, 'utf8')).stringData;
    assert.deepEqual(again, first);
    run('--rotate');
    const rotated = YAML.parse(readFileSync(file, 'utf8')).stringData;
    for (const k of ['POSTGRES_PASSWORD', 'USERS_DB_PASSWORD', 'LISTINGS_DB_PASSWORD', 'CLAIMS_DB_PASSWORD', 'ADMIN_DATABASE_URL']) assert.notEqual(rotated[k], first[k], k);
    assert.equal(rotated.SEED_PASSWORD, 'x"y\\z');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the podman mapping keeps the stack and drops what podman cannot play', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'rcycle-podman-'));
  try {
    const input = path.join(dir, 'in.yaml');
    writeFileSync(input, execFileSync('kubectl', ['kustomize', path.join(DEPLOY, 'k8s', 'overlays', 'podman')], { encoding: 'utf8' }));
    execFileSync(process.execPath, [path.join(DEPLOY, 'tools', 'kube-to-podman.mjs'), '--in', input, '--out', dir], { encoding: 'utf8' });
    const stack = YAML.parseAllDocuments(readFileSync(path.join(dir, 'stack.yaml'), 'utf8')).map((d) => d.toJS());
    const kinds = new Set(stack.map((o) => o.kind));
    for (const k of ['NetworkPolicy', 'HorizontalPodAutoscaler', 'Ingress', 'Service', 'StatefulSet', 'Job', 'Secret']) assert.ok(!kinds.has(k), `${k} is not played`);
    const names = stack.filter((o) => o.kind === 'Deployment').map((o) => o.metadata.name).sort();
    assert.deepEqual(names, ['gateway', 'postgres', 'svc-claims', 'svc-listings', 'svc-users']);
    for (const svc of ['svc-users', 'svc-listings', 'svc-claims', 'postgres']) assert.ok(find(stack, 'Pod', svc), `a proxy pod stands in for the Service ${svc}`);
    const cfg = find(stack, 'ConfigMap', 'proxy-svc-listings').data['haproxy.cfg'];
    assert.match(cfg, /balance roundrobin/);
    assert.match(cfg, /option httpchk GET \/readyz/);
    // Leaves after the readinessProbe's failureThreshold (2), keeping open connections.
    assert.match(cfg, /server r1 svc-listings-pod-1\.dns\.podman:7102 port 7202 fall 2\n/);
    assert.doesNotMatch(cfg, /shutdown-sessions/);
    const jobs = YAML.parseAllDocuments(readFileSync(path.join(dir, 'jobs.yaml'), 'utf8')).map((d) => d.toJS());
    const dbInit = find(jobs, 'Pod', DB_INIT);
    assert.deepEqual(dbInit.spec.initContainers.map((c) => c.name), ['wait', 'migrate']);
    assert.ok(dbInit.spec.initContainers[1].args.includes('--seed'), 'kind seeds');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('tls.sh makes one Secret per kind with only what it mounts; podman gets them as ConfigMap volumes', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'rcycle-tls-'));
  try {
    const secrets = path.join(dir, 'tls.yaml');
    execFileSync(path.join(DEPLOY, 'tls.sh'), ['--ca-dir', path.join(dir, 'ca'), '--out', secrets], { stdio: 'ignore' });
    const docs = YAML.parseAllDocuments(readFileSync(secrets, 'utf8')).map((d) => d.toJS()).filter(Boolean);
    const keys = Object.fromEntries(docs.map((s) => [s.metadata.name, Object.keys(s.data).sort()]));
    assert.deepEqual(keys, {
      'rcycle-rpc-tls-gateway': ['claims-ca.pem', 'listings-ca.pem', 'tls.crt', 'tls.key', 'users-ca.pem'],
      'rcycle-rpc-tls-svc-users': ['callers-ca.pem', 'claims-ca.pem', 'listings-ca.pem', 'tls.crt', 'tls.key'],
      'rcycle-rpc-tls-svc-listings': ['callers-ca.pem', 'feed-callers-ca.pem', 'internal-callers-ca.pem', 'tls.crt', 'tls.key'],
      'rcycle-rpc-tls-svc-claims': ['callers-ca.pem', 'feed-callers-ca.pem', 'listings-ca.pem', 'tls.crt', 'tls.key'],
    });
    const input = path.join(dir, 'in.yaml');
    writeFileSync(input, execFileSync('kubectl', ['kustomize', path.join(DEPLOY, 'k8s', 'overlays', 'podman')], { encoding: 'utf8' }));
    execFileSync(process.execPath, [path.join(DEPLOY, 'tools', 'kube-to-podman.mjs'), '--in', input, '--secret', secrets, '--out', dir], { encoding: 'utf8' });
    const stack = YAML.parseAllDocuments(readFileSync(path.join(dir, 'stack.yaml'), 'utf8')).map((d) => d.toJS());
    const map = find(stack, 'ConfigMap', 'rcycle-rpc-tls-svc-listings');
    assert.match(map.data['tls.crt'], /^-----BEGIN CERTIFICATE-----/);
    const pod = find(stack, 'Deployment', 'svc-listings').spec.template.spec;
    assert.deepEqual(pod.volumes.find((v) => v.name === 'tls'), { name: 'tls', configMap: { name: 'rcycle-rpc-tls-svc-listings', defaultMode: 0o444 } });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
