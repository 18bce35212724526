// zz-scale-out.test.mjs - a service replica that starts after its callers
// connected gets its share of the traffic, behind a balancer of
// connections as a Kubernetes Service is (common/pipe_age.h): each server
// closes its connections once they are older than RCYCLE_RPC_CONN_MAX_AGE
// and idle, the gateway's dialers redial, and the balancer places the new
// connections on every replica there is. No request fails meanwhile.
// It restarts the gateway and svc-listings (and restores them after), so it
// waits until every other file of the suite has finished.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync, readlinkSync } from 'node:fs';
import net from 'node:net';
import { after, describe, test } from 'node:test';

import { restartWith } from './fixtures.mjs';
import { JANE, api, describe as describeRes, freePort, login, pidOf, setting, sleep, waitForOtherTestFiles } from './lib.mjs';

const MAX_AGE_S = 2;

// Hands each new connection to the next target in turn, as kube-proxy
// spreads connections (not requests) over a Service's endpoints.
function connectionBalancer() {
  const targets = [];
  const sockets = new Set();
  let next = 0;
  const server = net.createServer((client) => {
    const t = targets[next++ % targets.length];
    const upstream = net.connect(t.port, t.host);
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('error', () => {});
      s.on('close', () => sockets.delete(s));
    }
    client.pipe(upstream);
    upstream.pipe(client);
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
  });
  return {
    targets,
    listen: (port) => new Promise((resolve) => server.listen(port, '127.0.0.1', resolve)),
    close: () => {
      for (const s of sockets) s.destroy();
      server.close();
    },
  };
}

// The environment of a running process, as NAME=value pairs.
function environOf(pid) {
  const env = {};
  for (const kv of readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0')) {
    const i = kv.indexOf('=');
    if (i > 0) env[kv.slice(0, i)] = kv.slice(i + 1);
  }
  return env;
}

async function served(adminUrl, method) {
  const text = await (await fetch(`${adminUrl}/metrics`)).text();
  let n = 0;
  for (const line of text.split('\n')) {
    if (line.startsWith('rcycle_rpc_duration_seconds_count{') && line.includes('side="server"') &&
        line.includes(`method="${method}"`))
      n += Number(line.split(' ').pop());
  }
  return n;
}

let balancer;
let replica;

after(async () => {
  if (replica && replica.exitCode === null) {
    replica.kill('SIGTERM');
    await new Promise((resolve) => replica.once('exit', resolve));
  }
  balancer?.close();
  await restartWith('svc-listings', { RCYCLE_RPC_CONN_MAX_AGE: undefined });
  await restartWith('gateway', { RCYCLE_LISTINGS_ADDR: undefined });
});

describe('a replica started after its callers connected', () => {
  test('gets requests once the old connections age out, and no request fails', { timeout: 180000 }, async () => {
    const others = await waitForOtherTestFiles();
    assert.deepEqual(others, [], 'other test files still running after 10 minutes');
    const first = new URL(setting('RCYCLE_LISTINGS_ADDR').replace(/^[a-z+]+:/, 'http:'));
    const scheme = setting('RCYCLE_LISTINGS_ADDR').split('://')[0];
    await restartWith('svc-listings', { RCYCLE_RPC_CONN_MAX_AGE: MAX_AGE_S });

    balancer = connectionBalancer();
    balancer.targets.push({ host: first.hostname, port: Number(first.port) });
    const balancerPort = await freePort();
    await balancer.listen(balancerPort);
    await restartWith('gateway', { RCYCLE_LISTINGS_ADDR: `${scheme}://127.0.0.1:${balancerPort}` });
    const token = (await login(JANE)).token;
    const failures = [];
    const listOnce = async () => {
      const res = await api('GET', '/api/listings?limit=1', { token });
      if (res.status !== 200) failures.push(describeRes(res));
    };
    for (let i = 0; i < 5; i++) await listOnce();

    // A second replica, exactly as the first runs but on ports of its own.
    const pid = pidOf('svc-listings');
    const [rpcPort, internalPort, feedPort, adminPort] = [await freePort(), await freePort(), await freePort(), await freePort()];
    const env = {
      ...environOf(pid),
      RCYCLE_LISTINGS_ADDR: `${scheme}://127.0.0.1:${rpcPort}`,
      RCYCLE_ADMIN_PORT: String(adminPort),
    };
    if (env.RCYCLE_LISTINGS_INTERNAL_ADDR) env.RCYCLE_LISTINGS_INTERNAL_ADDR = `${scheme}://127.0.0.1:${internalPort}`;
    if (env.RCYCLE_LISTINGS_FEED_ADDR) env.RCYCLE_LISTINGS_FEED_ADDR = `${scheme}://127.0.0.1:${feedPort}`;
    replica = spawn(readlinkSync(`/proc/${pid}/exe`), [], {
      env,
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    const adminUrl = `http://127.0.0.1:${adminPort}`;
    for (let ready = false, tries = 0; !ready; tries++) {
      assert.ok(tries < 100, 'the second replica never got ready');
      await sleep(200);
      ready = await fetch(`${adminUrl}/readyz`).then((r) => r.ok, () => false);
    }
    balancer.targets.push({ host: '127.0.0.1', port: rpcPort });
    assert.equal(await served(adminUrl, 'ListListings'), 0, 'no caller knows the new replica yet');

    // Steady requests, with pauses that let connections go idle.
    const until = Date.now() + (MAX_AGE_S * 4 + 2) * 1000;
    while (Date.now() < until) {
      await Promise.all([listOnce(), listOnce()]);
      await sleep(100);
    }
    assert.deepEqual(failures, [], 'requests failed while connections were retired');
    const share = await served(adminUrl, 'ListListings');
    assert.ok(share > 0, 'the new replica served no ListListings');

    // Scaled in again while a scraper's keep-alive connection to its admin
    // port is open: it stops cleanly.
    const exited = new Promise((resolve) => replica.once('exit', (code, signal) => resolve({ code, signal })));
    replica.kill('SIGTERM');
    assert.deepEqual(await exited, { code: 0, signal: null }, 'the replica stops on SIGTERM with status 0');
  });
});
