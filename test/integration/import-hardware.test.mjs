// rcycle-admin import-hardware: a CSV export of the site's asset system is
// loaded into the registry (added or updated), bad lines are reported with
// their number and reason, and a file with a bad line changes nothing unless
// --skip-bad is given. Checked through the API, as svc-listings sees it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { api, session, setting, uniqueSuffix, utcDatePlus } from './lib.mjs';

const ROOT = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..', '..');
const tool = path.join(path.resolve(ROOT, setting('BUILD_DIR', 'build')), 'db', 'rcycle-admin');
const HEADER = 'serial,manufacturer,model,category,cpu,ram,storage,ports,other,has_storage_media';

function runImport(lines, ...flags) {
  const file = path.join(os.tmpdir(), `rcycle-import-${uniqueSuffix()}.csv`);
  fs.writeFileSync(file, [HEADER, ...lines].join('\n') + '\n');
  try {
    return spawnSync(tool, ['import-hardware', ...flags, file], {
      encoding: 'utf8',
      timeout: 30000,
      env: { ...process.env, DATABASE_URL: setting('RCYCLE_LISTINGS_DATABASE_URL', setting('DATABASE_URL')) },
    });
  } finally {
    fs.rmSync(file, { force: true });
  }
}

async function lookup(serial) {
  const john = await session('john.doe@company.com');
  return api('GET', `/api/hardware?serial=${encodeURIComponent(serial)}`, { token: john.token });
}

test('a file with a bad line changes nothing and names the line and the reason', async () => {
  const serial = `IMP-${uniqueSuffix()}`;
  const out = runImport([`${serial},Dell,PowerEdge R640,Server,,,,,,false`, `${serial}-B,Dell,R640,Laptop,,,,,,false`]);
  assert.equal(out.status, 1, out.stderr);
  assert.match(out.stderr, /line 3: category "Laptop" is not Server, Networking or Storage/);
  assert.match(out.stderr, /nothing was changed/);
  assert.equal((await lookup(serial)).status, 404);
});

test('--skip-bad loads the good lines, and a second import updates them', async () => {
  const serial = `IMP-${uniqueSuffix()}`;
  const first = runImport([
    `${serial},Dell,PowerEdge R640,server,2x Xeon Silver 4114,192GB,"No drives installed",4x 10GbE,iDRAC9,no`,
    `${serial}-BAD,Dell,R640,Server,,,,,,perhaps`,
  ], '--skip-bad');
  assert.equal(first.status, 0, first.stderr);
  assert.match(first.stderr, /line 3: has_storage_media "perhaps"/);
  assert.match(first.stdout, /1 added, 0 updated, 1 skipped/);
  const found = await lookup(serial);
  assert.equal(found.status, 200);
  assert.equal(found.json.category, 'Server');
  assert.equal(found.json.specs.ram, '192GB');
  assert.deepEqual(found.json.specs.storage, ['No drives installed']);
  assert.equal(found.json.hasStorageMedia, false);
  assert.equal((await lookup(`${serial}-BAD`)).status, 404);

  const second = runImport([`${serial},Dell,PowerEdge R640,Server,,,"2x 480GB SSD; 1x 240GB BOSS",,,yes`]);
  assert.equal(second.status, 0, second.stderr);
  assert.match(second.stdout, /0 added, 1 updated, 0 skipped/);
  const updated = await lookup(serial);
  assert.deepEqual(updated.json.specs.storage, ['2x 480GB SSD', '1x 240GB BOSS']);
  assert.equal(updated.json.hasStorageMedia, true);

  // The registry now refuses a listing of it, naming the media.
  const john = await session('john.doe@company.com');
  const post = await api('POST', '/api/listings', {
    token: john.token,
    body: { serialNumber: serial, title: 'imported', category: 'Server', expirationDate: utcDatePlus(10) },
  });
  assert.equal(post.status, 403);
  assert.equal(post.json.blocked, true);
  assert.match(post.json.message, /2x 480GB SSD/);
});
