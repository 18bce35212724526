// hardware.test.mjs - GET /api/hardware?serial=S, the registry lookup of
// docs/API.md against the mock devices of SEED.md.
import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';

import { JANE, api, assertError, describe as describeRes, expectStatus, session } from './lib.mjs';

// SEED.md, "Hardware registry" (empty cells are null; storage is a list).
const REGISTRY = [
  {
    serialNumber: 'SRV001-DELL-R730', manufacturer: 'Dell', model: 'PowerEdge R730', category: 'Server',
    cpu: '2x Intel Xeon E5-2630 v4 (10-core, 2.2GHz)', ram: '128GB DDR4 ECC', storage: ['No drives installed'],
    ports: '4x 1GbE, 2x 10GbE', other: null, hasStorageMedia: false,
  },
  {
    serialNumber: 'SRV002-HP-DL380', manufacturer: 'HP', model: 'ProLiant DL380 Gen9', category: 'Server',
    cpu: '2x Intel Xeon E5-2660 v3 (10-core, 2.6GHz)', ram: '64GB DDR4 ECC', storage: ['2x 1TB SSD'],
    ports: '4x 1GbE', other: null, hasStorageMedia: true,
  },
  {
    serialNumber: 'NET001-CISCO-2960', manufacturer: 'Cisco', model: 'Catalyst 2960-X', category: 'Networking',
    cpu: null, ram: null, storage: [], ports: '24x 1GbE, 4x 1GbE SFP', other: '48Gbps switching capacity', hasStorageMedia: false,
  },
  {
    serialNumber: 'SRV003-HP-DL360', manufacturer: 'HP', model: 'ProLiant DL360 Gen10', category: 'Server',
    cpu: '2x Intel Xeon Gold 6130 (16-core, 2.1GHz)', ram: '256GB DDR4 ECC', storage: ['No drives installed'],
    ports: '4x 1GbE, 2x 25GbE SFP28', other: null, hasStorageMedia: false,
  },
  {
    serialNumber: 'STR001-NETAPP-FAS', manufacturer: 'NetApp', model: 'FAS2750', category: 'Storage',
    cpu: null, ram: null, storage: ['24x 1.2TB SAS HDD'], ports: '4x 10GbE', other: 'Dual controllers', hasStorageMedia: true,
  },
  {
    serialNumber: 'NET002-CISCO-ASR', manufacturer: 'Cisco', model: 'ASR 1001-X', category: 'Networking',
    cpu: null, ram: '8GB', storage: [], ports: '6x 1GbE, 2x 10GbE SFP+', other: 'Dual power supplies', hasStorageMedia: false,
  },
];

let token;
before(async () => {
  token = (await session(JANE)).token;
});

const lookup = (serial, opts = {}) =>
  api('GET', serial === undefined ? '/api/hardware' : `/api/hardware?serial=${encodeURIComponent(serial)}`, { token, ...opts });

function assertHardwareShape(h) {
  for (const f of ['serialNumber', 'manufacturer', 'model', 'category', 'specs', 'hasStorageMedia', 'found'])
    assert.ok(Object.hasOwn(h, f), `hardware has ${f}: ${JSON.stringify(h)}`);
  for (const f of ['serialNumber', 'manufacturer', 'model', 'category']) assert.equal(typeof h[f], 'string', f);
  assert.ok(h.specs && typeof h.specs === 'object' && !Array.isArray(h.specs), 'specs is an object');
  for (const f of ['cpu', 'ram', 'storage', 'ports', 'other']) assert.ok(Object.hasOwn(h.specs, f), `specs has ${f}`);
  for (const f of ['cpu', 'ram', 'ports', 'other']) assert.ok(h.specs[f] === null || typeof h.specs[f] === 'string', `specs.${f}`);
  assert.ok(Array.isArray(h.specs.storage), 'specs.storage is an array');
  for (const s of h.specs.storage) assert.equal(typeof s, 'string', 'specs.storage holds strings');
  assert.equal(typeof h.hasStorageMedia, 'boolean');
  assert.equal(h.found, true);
}

describe('GET /api/hardware: the registry of SEED.md', () => {
  test('SRV001-DELL-R730: the shape of docs/API.md, no storage media', async () => {
    const res = await lookup('SRV001-DELL-R730');
    expectStatus(res, 200);
    assert.match(res.headers.get('content-type') ?? '', /^application\/json/);
    assertHardwareShape(res.json);
    assert.equal(res.json.serialNumber, 'SRV001-DELL-R730');
    assert.equal(res.json.hasStorageMedia, false);
    assert.equal(res.json.found, true);
  });

  for (const d of REGISTRY) {
    test(`${d.serialNumber} as SEED.md has it (storage media: ${d.hasStorageMedia})`, async () => {
      const res = await lookup(d.serialNumber);
      expectStatus(res, 200);
      assertHardwareShape(res.json);
      assert.deepEqual(
        {
          serialNumber: res.json.serialNumber, manufacturer: res.json.manufacturer, model: res.json.model,
          category: res.json.category, ...res.json.specs, hasStorageMedia: res.json.hasStorageMedia,
        },
        {
          serialNumber: d.serialNumber, manufacturer: d.manufacturer, model: d.model, category: d.category,
          cpu: d.cpu, ram: d.ram, storage: d.storage, ports: d.ports, other: d.other, hasStorageMedia: d.hasStorageMedia,
        },
      );
    });
  }

  test('the serials of the seeded listings are in the registry too', async () => {
    for (const serial of ['SRV003-DELL-R630', 'STG001-NETAPP-SHELF']) {
      const res = await lookup(serial);
      expectStatus(res, 200);
      assertHardwareShape(res.json);
    }
  });
});

describe('GET /api/hardware: not found and invalid', () => {
  test('an unknown serial: 404 {error, found:false}', async () => {
    const res = await lookup('NOPE-0000-UNKNOWN');
    assertError(res, 404, 'NOT_FOUND');
    assert.equal(res.json.found, false);
  });

  test('no serial: 400', async () => {
    const res = await lookup(undefined);
    assertError(res, 400, 'INVALID_ARGUMENT');
  });

  test('an empty serial: 400', async () => {
    assertError(await api('GET', '/api/hardware?serial=', { token }), 400, 'INVALID_ARGUMENT');
    assertError(await api('GET', '/api/hardware?serial', { token }), 400, 'INVALID_ARGUMENT');
  });

  test('a serial of white space only: 400', async () => {
    assertError(await lookup('   '), 400, 'INVALID_ARGUMENT');
    assertError(await lookup('\t\n'), 400, 'INVALID_ARGUMENT');
  });

  test('another parameter but no serial: 400', async () => {
    assertError(await api('GET', '/api/hardware?serialNumber=SRV001-DELL-R730', { token }), 400, 'INVALID_ARGUMENT');
  });

  test('without credentials: 401', async () => {
    assertError(await api('GET', '/api/hardware?serial=SRV001-DELL-R730'), 401, 'UNAUTHENTICATED');
  });

  const hostile = [
    ["' OR 1=1 --", "' OR 1=1 --"],
    ['"; DROP TABLE hardware; --', '"; DROP TABLE hardware; --'],
    ['a LIKE wildcard %', 'SRV001%'],
    ['a LIKE wildcard _', 'SRV00_-DELL-R730'],
    ['a regex', 'SRV001.*'],
    ['a 10k-character serial', 'S'.repeat(10000)],
    ['a 2k-character serial', 'S'.repeat(2000)],
    ['unicode', 'SRV001-DELL-R730-é-サーバー-🖥️'],
    ['a backslash', 'SRV001\\'],
    ['control characters', 'SRV001\r\n\t\x01'],
  ];
  for (const [name, serial] of hostile) {
    test(`${name}: 404 or 400, never 5xx`, async () => {
      const res = await lookup(serial);
      // A URL over the server's request-line limit may also get 414 (or 400)
      // from the HTTP layer; anything 5xx is a bug.
      assert.ok([400, 404, 414].includes(res.status), `expected 404/400: ${describeRes(res)}`);
      if (res.status !== 414 && res.json) {
        assertError(res, res.status);
        if (res.status === 404) assert.equal(res.json.found, false, 'found:false on 404');
      }
    });
  }

  test('the registry still answers after the hostile lookups', async () => {
    expectStatus(await lookup('SRV001-DELL-R730'), 200);
  });
});
