// listings.test.mjs - GET /api/listings (filters, search, paging, order) and
// GET /api/listings/{id} against the seed of SEED.md. Read-only: every
// expectation about filters is computed from the full, unfiltered list, so
// the tests hold whatever other listings exist beside the seed.
import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';

import {
  DATE_ONLY,
  JOHN,
  RFC3339_UTC,
  SEED_USERS,
  api,
  assertError,
  describe as describeRes,
  expectStatus,
  session,
  utcDatePlus,
} from './lib.mjs';

// SEED.md, "Listings" and its details.
const SEED_LISTINGS = [
  {
    serialNumber: 'SRV001-DELL-R730', title: 'Dell PowerEdge R730 Server', category: 'Server', condition: 'Good',
    department: 'IT Infrastructure', creator: 'john.doe@company.com', days: 30, status: 'available',
    description: 'Dual-socket server, good for development workloads', location: 'Building A, Floor 3, Rack 12',
    cpu: '2x Intel Xeon E5-2630 v4 (10-core, 2.2GHz)', ram: '128GB DDR4 ECC',
    storage: 'No drives installed (removed per security policy)', ports: '4x 1GbE, 2x 10GbE',
    otherSpecs: 'Dual 750W PSU, iDRAC Enterprise',
  },
  {
    serialNumber: 'SRV002-HP-DL380', title: 'HP ProLiant DL380 Gen9', category: 'Server', condition: 'Fair',
    department: 'Data Center Operations', creator: 'jane.smith@company.com', days: 21, status: 'available',
    description: 'Reliable workhorse server, rack-ready', location: 'Building B, Floor 2, Rack 5',
    cpu: '2x Intel Xeon E5-2660 v3 (10-core, 2.6GHz)', ram: '64GB DDR4 ECC', storage: 'No drives installed',
    ports: '4x 1GbE', otherSpecs: 'Dual 500W PSU, iLO 4 Advanced',
  },
  {
    serialNumber: 'NET001-CISCO-2960', title: 'Cisco Catalyst 2960-X Switch', category: 'Networking', condition: 'Excellent',
    department: 'IT Infrastructure', creator: 'john.doe@company.com', days: 45, status: 'available',
    description: '48-port gigabit switch with 4x SFP+ uplinks', location: 'Building A, Floor 1, Network Closet',
    cpu: 'N/A', ram: 'N/A', storage: 'N/A', ports: '48x 1GbE, 4x 10G SFP+', otherSpecs: 'PoE+ support, LAN Base license',
  },
  {
    serialNumber: 'NET002-CISCO-ASR', title: 'Cisco ASR 1001-X Router', category: 'Networking', condition: 'Good',
    department: 'Data Center Operations', creator: 'jane.smith@company.com', days: 14, status: 'available',
    description: 'Enterprise router, minimal usage hours', location: 'Building C, Data Center',
    cpu: 'N/A', ram: 'N/A', storage: 'N/A', ports: '6x 1GbE, 2x 10GbE SFP+', otherSpecs: 'IP Base license, dual AC power',
  },
  {
    serialNumber: 'STG001-NETAPP-SHELF', title: 'NetApp DS4246 Disk Shelf', category: 'Storage', condition: 'Good',
    department: 'IT Infrastructure', creator: 'john.doe@company.com', days: 20, status: 'available',
    description: 'Disk shelf only - no drives included', location: 'Building B, Floor 2, Rack 8',
    cpu: 'N/A', ram: 'N/A', storage: 'No drives - shelf only', ports: '2x SAS connections',
    otherSpecs: '24-bay 3.5" disk shelf, dual IOM6 modules',
  },
  {
    serialNumber: 'SRV003-DELL-R630', title: 'Dell PowerEdge R630 Server', category: 'Server', condition: 'Excellent',
    department: 'Development Team', creator: 'bob.johnson@company.com', days: 25, status: 'claimed',
    description: 'Compact 1U server, recently decommissioned', location: 'Building A, Floor 3, Rack 15',
    cpu: '2x Intel Xeon E5-2680 v4 (14-core, 2.4GHz)', ram: '256GB DDR4 ECC', storage: 'No drives installed',
    ports: '4x 1GbE, 2x 10GbE', otherSpecs: 'Dual 495W PSU, iDRAC Enterprise, 8x 2.5" bays',
  },
];

const LISTING_FIELDS = [
  'id', 'serialNumber', 'title', 'category', 'description', 'location', 'condition', 'department', 'cpu', 'ram',
  'storage', 'ports', 'otherSpecs', 'status', 'expirationDate', 'createdBy', 'createdAt', 'updatedAt',
];
const REQUIRED_TEXT = ['serialNumber', 'title', 'category', 'department', 'status', 'createdBy'];
const OPTIONAL_TEXT = ['description', 'location', 'condition', 'cpu', 'ram', 'storage', 'ports', 'otherSpecs'];
const CATEGORIES = ['Server', 'Networking', 'Storage'];
const CONDITIONS = ['Excellent', 'Good', 'Fair'];
const STATUSES = ['available', 'claimed', 'approved', 'expired', 'withdrawn'];

// An RFC 3339 UTC time as nanoseconds since the epoch (BigInt), so that
// sub-millisecond differences order correctly.
function nanos(ts) {
  const m = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:\.(\d+))?Z$/.exec(ts);
  assert.ok(m, `RFC 3339 UTC: ${ts}`);
  const secs = BigInt(Date.parse(`${m[1]}Z`) / 1000);
  const frac = BigInt((m[2] ?? '').padEnd(9, '0').slice(0, 9));
  return secs * 1000000000n + frac;
}

function validDate(d) {
  if (!DATE_ONLY.test(d)) return false;
  const t = new Date(`${d}T00:00:00Z`);
  return !Number.isNaN(t.getTime()) && t.toISOString().slice(0, 10) === d;
}

function assertListingShape(l) {
  for (const f of LISTING_FIELDS) assert.ok(Object.hasOwn(l, f), `listing ${l.id} has ${f}: ${JSON.stringify(l)}`);
  assert.ok(Number.isSafeInteger(l.id) && l.id > 0, `id: ${l.id}`);
  for (const f of REQUIRED_TEXT) assert.equal(typeof l[f], 'string', `${f} of ${l.id} is a string`);
  for (const f of OPTIONAL_TEXT) assert.ok(l[f] === null || typeof l[f] === 'string', `${f} of ${l.id} is a string or null`);
  for (const f of OPTIONAL_TEXT) assert.notEqual(l[f], '', `${f} of ${l.id}: unset is null, not ''`);
  assert.ok(CATEGORIES.includes(l.category), `category ${l.category}`);
  assert.ok(l.condition === null || CONDITIONS.includes(l.condition), `condition ${l.condition}`);
  assert.ok(STATUSES.includes(l.status), `status ${l.status}`);
  assert.match(l.createdAt, RFC3339_UTC);
  assert.match(l.updatedAt, RFC3339_UTC);
  assert.ok(nanos(l.updatedAt) >= nanos(l.createdAt), `updatedAt >= createdAt for ${l.id}`);
  assert.ok(validDate(l.expirationDate), `expirationDate YYYY-MM-DD: ${l.expirationDate}`);
}

function totalOf(res) {
  const v = res.headers.get('x-total-count');
  assert.ok(v !== null, `X-Total-Count is present: ${describeRes(res)}`);
  assert.match(v, /^\d+$/, 'X-Total-Count is a non-negative integer');
  return Number(v);
}

const ids = (list) => list.map((l) => l.id);

let token;
let all; // every listing, newest first, as GET /api/listings?limit=500 gives it

async function list(query = '') {
  const res = await api('GET', `/api/listings${query}`, { token });
  expectStatus(res, 200);
  assert.ok(Array.isArray(res.json), `an array: ${describeRes(res)}`);
  return { res, items: res.json, total: totalOf(res) };
}

// The listings of `all` matching pred, in order.
const expected = (pred) => all.filter(pred);

before(async () => {
  token = (await session(JOHN)).token;
  const r = await list('?limit=500');
  assert.ok(r.total <= 500, 'these tests need at most 500 listings in the stack');
  all = r.items;
});

describe('GET /api/listings: the seed', () => {
  test('an array with X-Total-Count and a JSON content type', async () => {
    const { res, items, total } = await list();
    assert.match(res.headers.get('content-type') ?? '', /^application\/json/);
    assert.equal(total, all.length);
    assert.equal(items.length, Math.min(all.length, 100), 'default limit 100');
    assert.ok(all.length >= 6, 'at least the six seeded listings');
  });

  for (const seed of SEED_LISTINGS) {
    test(`${seed.serialNumber} is there as SEED.md has it`, () => {
      const matches = all.filter((l) => l.serialNumber === seed.serialNumber && l.title === seed.title);
      assert.equal(matches.length, 1, `one seeded listing for ${seed.serialNumber}`);
      const l = matches[0];
      for (const f of ['category', 'condition', 'department', 'status', 'description', 'location', 'cpu', 'ram', 'storage', 'ports', 'otherSpecs'])
        assert.equal(l[f], seed[f], `${seed.serialNumber}.${f}`);
      const creator = SEED_USERS.find((u) => u.email === seed.creator);
      assert.ok([creator.email, creator.name].includes(l.createdBy), `createdBy ${l.createdBy} is ${creator.email}`);
      // Seed day + N, in UTC: today's, or the day the stack was seeded.
      const allowed = new Set([utcDatePlus(seed.days), utcDatePlus(seed.days, new Date(l.createdAt))]);
      assert.ok(allowed.has(l.expirationDate), `expirationDate ${l.expirationDate} is seed day + ${seed.days} (${[...allowed].join(' or ')})`);
    });
  }

  test('every listing has every field of docs/API.md, typed, null for unset optional text', () => {
    for (const l of all) assertListingShape(l);
  });

  test('newest first: createdAt desc, then id desc', () => {
    for (let i = 1; i < all.length; i++) {
      const a = all[i - 1];
      const b = all[i];
      const ta = nanos(a.createdAt);
      const tb = nanos(b.createdAt);
      assert.ok(ta > tb || (ta === tb && a.id > b.id), `listing ${a.id} (${a.createdAt}) before ${b.id} (${b.createdAt})`);
    }
  });

  test('ids are unique', () => {
    assert.equal(new Set(ids(all)).size, all.length);
  });
});

describe('GET /api/listings: filters', () => {
  for (const category of CATEGORIES) {
    test(`category=${category}`, async () => {
      const { items, total } = await list(`?category=${category}&limit=500`);
      assert.deepEqual(ids(items), ids(expected((l) => l.category === category)));
      assert.equal(total, items.length);
      const seeded = SEED_LISTINGS.filter((s) => s.category === category).map((s) => s.serialNumber);
      for (const serial of seeded) assert.ok(items.some((l) => l.serialNumber === serial), `${serial} in ${category}`);
    });
  }

  test('category=all is no filter', async () => {
    const { items, total } = await list('?category=all&limit=500');
    assert.deepEqual(ids(items), ids(all));
    assert.equal(total, all.length);
  });

  for (const bad of ['Laptop', 'Server;', 'ALL ', "Server' OR '1'='1"]) {
    test(`category=${JSON.stringify(bad)}: 400`, async () => {
      const res = await api('GET', `/api/listings?category=${encodeURIComponent(bad)}`, { token });
      assertError(res, 400, 'INVALID_ARGUMENT');
    });
  }

  for (const status of ['available', 'claimed', 'approved', 'expired', 'withdrawn']) {
    test(`status=${status}`, async () => {
      const { items, total } = await list(`?status=${status}&limit=500`);
      assert.deepEqual(ids(items), ids(expected((l) => l.status === status)));
      assert.equal(total, items.length);
    });
  }

  test('status=claimed holds SRV003-DELL-R630, status=available the other five', async () => {
    const claimed = (await list('?status=claimed&limit=500')).items.map((l) => l.serialNumber);
    const available = (await list('?status=available&limit=500')).items.map((l) => l.serialNumber);
    assert.ok(claimed.includes('SRV003-DELL-R630'));
    for (const s of SEED_LISTINGS.filter((x) => x.status === 'available')) assert.ok(available.includes(s.serialNumber), s.serialNumber);
  });

  test('status=bogus: 400', async () => {
    assertError(await api('GET', '/api/listings?status=bogus', { token }), 400, 'INVALID_ARGUMENT');
  });

  for (const department of ['Data Center Operations', 'IT Infrastructure', 'Development Team', 'No Such Department']) {
    test(`department=${department}`, async () => {
      const { items, total } = await list(`?department=${encodeURIComponent(department)}&limit=500`);
      assert.deepEqual(ids(items), ids(expected((l) => l.department === department)));
      assert.equal(total, items.length);
    });
  }

  test('department matches exactly, not as a substring', async () => {
    const { items, total } = await list('?department=Data&limit=500');
    assert.deepEqual(ids(items), ids(expected((l) => l.department === 'Data')));
    assert.equal(total, items.length);
  });

  // docs/API.md: case-insensitive substring of title, serial number, department or
  // description (not location or specs); % and _ are literal.
  const searchMatches = (s) => (l) =>
    [l.title, l.serialNumber, l.department, l.description].some((f) => typeof f === 'string' && f.toLowerCase().includes(s.toLowerCase()));

  const searches = [
    ['dell', ['SRV001-DELL-R730', 'SRV003-DELL-R630']],
    ['DELL', ['SRV001-DELL-R730', 'SRV003-DELL-R630']],
    ['PowerEdge R7', ['SRV001-DELL-R730']],
    ['srv00', ['SRV001-DELL-R730', 'SRV002-HP-DL380', 'SRV003-DELL-R630']],
    ['data center operations', ['SRV002-HP-DL380', 'NET002-CISCO-ASR']],
    ['workhorse', ['SRV002-HP-DL380']],
    ['no drives included', ['STG001-NETAPP-SHELF']],
    ['Rack 12', []], // a location: not searched
    ['iDRAC', []], // a spec: not searched
    ['%', []],
    ['_', []],
    ['R7_0', []],
    ['Dell%R730', []],
    ['\\', []],
    ["'", []],
    ['zzz-nothing-matches-this', []],
    // One and two characters: served by the short-gram index, not the
    // trigram one (db/migrations/listings/007_short_search.sql).
    ['R7', ['SRV001-DELL-R730']],
    ['dl', ['SRV002-HP-DL380']],
    ['DL', ['SRV002-HP-DL380']],
    ['r', ['SRV001-DELL-R730', 'SRV003-DELL-R630', 'NET002-CISCO-ASR']],
    ['7', ['SRV001-DELL-R730']],
    ['-', ['SRV001-DELL-R730', 'SRV002-HP-DL380']],
    ['ü', []],
    ['%_', []],
    ['\\%', []],
  ];
  for (const [s, seeded] of searches) {
    test(`search=${JSON.stringify(s)}`, async () => {
      const { res, items, total } = await list(`?search=${encodeURIComponent(s)}&limit=500`);
      assert.deepEqual(ids(items), ids(expected(searchMatches(s))), `search ${JSON.stringify(s)}`);
      assert.equal(total, items.length);
      // Far fewer than 1,000 matches past the page: the count is exact.
      assert.equal(res.headers.get('x-total-count-exact'), 'true');
      const got = items.map((l) => l.serialNumber);
      for (const serial of seeded) assert.ok(got.includes(serial), `${serial} found by ${JSON.stringify(s)}`);
    });
  }

  test('paging a search: a full page, a short page and one past the end count every match', async () => {
    const dell = expected(searchMatches('dell'));
    assert.ok(dell.length >= 2, 'the seed has two Dell listings or more');
    for (const [offset, rows] of [[0, 1], [dell.length - 1, 1], [dell.length, 0]]) {
      const { res, items, total } = await list(`?search=dell&limit=1&offset=${offset}`);
      assert.equal(total, dell.length, `offset ${offset}`);
      assert.deepEqual(ids(items), ids(dell.slice(offset, offset + rows)));
      assert.equal(res.headers.get('x-total-count-exact'), 'true');
    }
  });

  test('search=% finds nothing but listings that contain %', async () => {
    const { items } = await list('?search=%25&limit=500');
    for (const l of items) assert.ok(searchMatches('%')(l), `listing ${l.id} contains %`);
    for (const s of SEED_LISTINGS) assert.ok(!items.some((l) => l.serialNumber === s.serialNumber && l.title === s.title), `${s.serialNumber} not found by %`);
  });

  test('combined: category=Server&status=available&department=IT Infrastructure', async () => {
    const { items, total } = await list('?category=Server&status=available&department=IT%20Infrastructure&limit=500');
    const want = expected((l) => l.category === 'Server' && l.status === 'available' && l.department === 'IT Infrastructure');
    assert.deepEqual(ids(items), ids(want));
    assert.equal(total, items.length);
    assert.ok(items.some((l) => l.serialNumber === 'SRV001-DELL-R730'));
    assert.ok(!items.some((l) => l.serialNumber === 'SRV003-DELL-R630'));
  });

  test('combined: category=Networking&search=cisco&department=Data Center Operations', async () => {
    const { items, total } = await list('?category=Networking&search=cisco&department=Data+Center+Operations&limit=500');
    const want = expected((l) => l.category === 'Networking' && l.department === 'Data Center Operations' && searchMatches('cisco')(l));
    assert.deepEqual(ids(items), ids(want));
    assert.equal(total, items.length);
    assert.ok(items.some((l) => l.serialNumber === 'NET002-CISCO-ASR'));
    assert.ok(!items.some((l) => l.serialNumber === 'NET001-CISCO-2960'));
  });

  test('combined: category=all&status=claimed&search=dell', async () => {
    const { items } = await list('?category=all&status=claimed&search=dell&limit=500');
    assert.deepEqual(ids(items), ids(expected((l) => l.status === 'claimed' && searchMatches('dell')(l))));
    assert.ok(items.some((l) => l.serialNumber === 'SRV003-DELL-R630'));
  });
});

describe('GET /api/listings: paging', () => {
  test('limit=2 gives the first two, X-Total-Count the full count', async () => {
    const { items, total } = await list('?limit=2');
    assert.deepEqual(ids(items), ids(all.slice(0, 2)));
    assert.equal(total, all.length);
  });

  test('limit=2&offset=2 gives the next two, X-Total-Count unchanged', async () => {
    const { items, total } = await list('?limit=2&offset=2');
    assert.deepEqual(ids(items), ids(all.slice(2, 4)));
    assert.equal(total, all.length);
  });

  test('pages of 1 walk the whole list in order', async () => {
    const walked = [];
    for (let offset = 0; offset < Math.min(all.length, 20); offset++) {
      const { items, total } = await list(`?limit=1&offset=${offset}`);
      assert.equal(total, all.length);
      assert.equal(items.length, 1);
      walked.push(items[0].id);
    }
    assert.deepEqual(walked, ids(all.slice(0, walked.length)));
  });

  test('an offset past the end gives [] and the full count', async () => {
    const { items, total } = await list(`?offset=${all.length}`);
    assert.deepEqual(items, []);
    assert.equal(total, all.length);
  });

  test('limit=500 is allowed', async () => {
    const { items } = await list('?limit=500');
    assert.equal(items.length, all.length);
  });

  test('paging with a filter: X-Total-Count counts the filtered listings', async () => {
    const servers = expected((l) => l.category === 'Server');
    const { items, total } = await list('?category=Server&limit=1&offset=1');
    assert.equal(total, servers.length);
    assert.deepEqual(ids(items), ids(servers.slice(1, 2)));
  });

  for (const q of ['limit=0', 'limit=501', 'limit=abc', 'limit=-1', 'limit=1.5', 'limit=1e2', 'limit=99999999999999999999', 'offset=-1', 'offset=abc', 'offset=1.5']) {
    test(`${q}: 400`, async () => {
      assertError(await api('GET', `/api/listings?${q}`, { token }), 400, 'INVALID_ARGUMENT');
    });
  }
});

describe('GET /api/listings/{id}', () => {
  test('each seeded listing by id equals its entry in the list', async () => {
    for (const seed of SEED_LISTINGS) {
      const l = all.find((x) => x.serialNumber === seed.serialNumber && x.title === seed.title);
      assert.ok(l, seed.serialNumber);
      const res = await api('GET', `/api/listings/${l.id}`, { token });
      expectStatus(res, 200);
      assert.match(res.headers.get('content-type') ?? '', /^application\/json/);
      assertListingShape(res.json);
      assert.deepEqual(res.json, l);
    }
  });

  for (const bad of ['abc', '-1', '0', '1.5', '1e3', '%20', '0x10', '+1', '1a']) {
    test(`/api/listings/${bad}: 400`, async () => {
      assertError(await api('GET', `/api/listings/${bad}`, { token }), 400, 'INVALID_ARGUMENT');
    });
  }

  test('an id beyond int64: 400 or 404, never 5xx', async () => {
    const res = await api('GET', '/api/listings/99999999999999999999', { token });
    assert.ok([400, 404].includes(res.status), describeRes(res));
    assertError(res, res.status);
  });

  test('unknown id 999999999: 404 NOT_FOUND', async () => {
    assertError(await api('GET', '/api/listings/999999999', { token }), 404, 'NOT_FOUND');
  });
});

describe('listings need credentials', () => {
  test('GET /api/listings without credentials: 401', async () => {
    assertError(await api('GET', '/api/listings'), 401, 'UNAUTHENTICATED');
  });

  test('GET /api/listings/1 without credentials: 401', async () => {
    assertError(await api('GET', `/api/listings/${all[0]?.id ?? 1}`), 401, 'UNAUTHENTICATED');
  });

  test('GET /api/listings with an unknown token: 401', async () => {
    assertError(await api('GET', '/api/listings', { token: 'A'.repeat(43) }), 401, 'UNAUTHENTICATED');
  });
});
