// admin-liveness.test.mjs - liveness never waits for the database: while a
// service's /readyz is stuck on a database that stopped answering, its
// /healthz on the same admin port still answers at once (the liveness probe
// allows 2 s; failing it would restart a process whose only trouble is the
// database). A private svc-listings of the build runs against the stack's
// real PostgreSQL through a TCP relay of this test, which is then frozen:
// bytes stop flowing both ways, as with a stalled server or network.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';

import { freePort, sanitizerEnv, setting, sleep } from './lib.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const BINARY = path.join(path.resolve(ROOT, setting('BUILD_DIR', 'build')), 'svc-listings', 'svc-listings');
const LIVENESS_BUDGET_MS = 500;

// Relays connections to host:port; freeze() holds every byte from then on.
function relay(host, port) {
  let frozen = false;
  const held = [];
  const pipe = (from, to) =>
    from.on('data', (chunk) => {
      if (frozen) held.push(() => to.write(chunk));
      else to.write(chunk);
    });
  const sockets = new Set();
  const server = net.createServer((client) => {
    const upstream = net.connect(port, host);
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('error', () => {});
      s.on('close', () => sockets.delete(s));
    }
    pipe(client, upstream);
    pipe(upstream, client);
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
  });
  return {
    listen: (p) => new Promise((resolve) => server.listen(p, '127.0.0.1', resolve)),
    freeze: () => (frozen = true),
    thaw: () => {
      frozen = false;
      for (const f of held.splice(0)) f();
    },
    close: () => {
      for (const s of sockets) s.destroy();
      server.close();
    },
  };
}

async function get(url, timeoutMs) {
  const t0 = performance.now();
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
    return { status: res.status, text: await res.text(), ms: performance.now() - t0 };
  } catch (e) {
    return { status: 0, error: e, ms: performance.now() - t0 };
  }
}

let proc;
let db;
let admin;

before(async () => {
  assert.ok(existsSync(BINARY), `${BINARY} is built (make build)`);
  const url = new URL(setting('RCYCLE_LISTINGS_DATABASE_URL', setting('DATABASE_URL')));
  db = relay(url.hostname, Number(url.port || 5432));
  const relayPort = await freePort();
  await db.listen(relayPort);
  url.hostname = '127.0.0.1';
  url.port = String(relayPort);
  const adminPort = await freePort();
  const rpcPort = await freePort();
  const internalPort = await freePort();
  const feedPort = await freePort();
  const certs = setting('RCYCLE_CERTS_DIR');
  admin = `http://127.0.0.1:${adminPort}`;
  proc = spawn(BINARY, [], {
    env: {
      ...sanitizerEnv(),
      PATH: process.env.PATH,
      DATABASE_URL: url.toString(),
      RCYCLE_LISTINGS_ADDR: `tls+tcp://127.0.0.1:${rpcPort}`,
      RCYCLE_LISTINGS_INTERNAL_ADDR: `tls+tcp://127.0.0.1:${internalPort}`,
      RCYCLE_LISTINGS_FEED_ADDR: `tls+tcp://127.0.0.1:${feedPort}`,
      RCYCLE_TLS_CERT: `${certs}/svc-listings.crt`,
      RCYCLE_TLS_KEY: `${certs}/svc-listings.key`,
      RCYCLE_TLS_CALLERS_CA: `${certs}/trust/gateway.pem`,
      RCYCLE_TLS_INTERNAL_CALLERS_CA: `${certs}/trust/svc-claims.pem`,
      RCYCLE_TLS_FEED_CALLERS_CA: `${certs}/trust/svc-users.pem`,
      RCYCLE_ADMIN_PORT: String(adminPort),
      RCYCLE_BIND_HOST: '127.0.0.1',
      RCYCLE_WORKERS: '1',
      LOG_LEVEL: 'warn',
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const deadline = performance.now() + 20000;
  for (;;) {
    const r = await get(`${admin}/readyz`, 3000);
    if (r.status === 200) break;
    assert.ok(performance.now() < deadline, `the private svc-listings never got ready: ${r.status} ${r.text ?? r.error}`);
    await sleep(200);
  }
});

after(async () => {
  db?.thaw();
  if (proc && proc.exitCode === null) {
    proc.kill('SIGTERM');
    await new Promise((resolve) => proc.once('exit', resolve));
  }
  db?.close();
});

test('/healthz answers at once while /readyz waits for a database that stopped answering', async () => {
  db.freeze();
  const ready = get(`${admin}/readyz`, 30000);
  await sleep(300); // the readiness check is now stuck on the database
  for (let i = 0; i < 5; i++) {
    const live = await get(`${admin}/healthz`, 5000);
    assert.equal(live.status, 200, `/healthz while the database hangs: ${live.status} ${live.error ?? live.text}`);
    assert.ok(live.ms < LIVENESS_BUDGET_MS, `/healthz took ${Math.round(live.ms)} ms while /readyz waited on the database`);
    const metrics = await get(`${admin}/metrics`, 5000);
    assert.equal(metrics.status, 200, 'the metrics too');
  }
  db.thaw();
  const r = await ready;
  assert.equal(r.status, 200, `/readyz once the database answers again: ${r.status} ${r.text ?? r.error}`);
});
