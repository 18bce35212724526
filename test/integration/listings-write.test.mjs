// listings-write.test.mjs - POST /api/listings, PATCH and DELETE
// /api/listings/{id}, GET /api/leaderboard, and GET/POST /api/users, per
// docs/API.md. Each test makes the listings it needs from this file's registry
// serials (fixtures.mjs SERIALS.listingsWrite) and withdraws them when done,
// so reruns on one database and other files running beside it do not
// collide with it. Not testable through the API, and so left out: a listing
// that expired (expirationDate is at least tomorrow when posted, and expiry
// needs a day to pass).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import {
  ALICE,
  BOB,
  DATE_ONLY,
  JANE,
  JOHN,
  RFC3339_UTC,
  SEED_USERS,
  api,
  assertError,
  describe as describeRes,
  expectStatus,
  login,
  session,
  uniqueSuffix,
  utcDatePlus,
} from './lib.mjs';
import {
  inTurn,
  CO2_KG,
  DEPT,
  ITEST_PASSWORD,
  SERIALS,
  STORAGE_MEDIA,
  activeListingsOf,
  allPages,
  availableListing,
  claimAction,
  createClaim,
  createListing,
  freshDepartmentUser,
  getListing,
  listingBody,
  retireSerial,
  waitClaimStatus,
  waitFor,
  withdrawListing,
} from './fixtures.mjs';

const [SERIAL_A, SERIAL_B, SERIAL_C, SERIAL_D, SERIAL_STORAGE, SERIAL_SERVER, SERIAL_NET] = SERIALS.listingsWrite;

const LISTING_FIELDS = [
  'id', 'serialNumber', 'title', 'category', 'description', 'location', 'condition', 'department', 'cpu', 'ram',
  'storage', 'ports', 'otherSpecs', 'status', 'expirationDate', 'createdBy', 'createdAt', 'updatedAt',
];

let jane;
let bob;
let alice;
let john;
const made = []; // listing ids to withdraw at the end, whatever happened

before(async () => {
  [jane, bob, alice, john] = await inTurn(() => session(JANE), () => session(BOB), () => session(ALICE), () => session(JOHN));
  // Leftovers of an interrupted run would turn the 201s below into 409s.
  for (const serial of SERIALS.listingsWrite) await retireSerial(serial);
});

after(async () => {
  for (const id of made) await withdrawListing(id).catch(() => {});
});

async function create(s, serial, extra) {
  const l = await createListing(s, serial, extra);
  made.push(l.id);
  return l;
}

function assertListing(l) {
  for (const f of LISTING_FIELDS) assert.ok(Object.hasOwn(l, f), `listing has ${f}: ${JSON.stringify(l)}`);
  assert.ok(Number.isSafeInteger(l.id) && l.id > 0);
  assert.match(l.createdAt, RFC3339_UTC);
  assert.match(l.updatedAt, RFC3339_UTC);
  assert.match(l.expirationDate, DATE_ONLY);
}

const creatorOk = (l, email) => {
  const u = SEED_USERS.find((x) => x.email === email);
  return [email, u?.name].includes(l.createdBy);
};

async function hardware(serial) {
  const res = await api('GET', `/api/hardware?serial=${encodeURIComponent(serial)}`, { token: jane.token });
  expectStatus(res, 200);
  return res.json;
}

// A POST that must be refused with 400; a listing made by mistake is
// withdrawn so that the mistake does not spill into the next test.
async function expect400(body, s = jane) {
  const res = await api('POST', '/api/listings', { token: s.token, body });
  if (res.status === 201) await withdrawListing(res.json.id);
  assertError(res, 400, 'INVALID_ARGUMENT');
}

// The first 30 February within a year from today (an invalid date that is
// otherwise in range), and others like it.
function impossibleDates() {
  const today = utcDatePlus(0);
  const y = Number(today.slice(0, 4));
  const feb = today.slice(5) < '02-28' ? y : y + 1;
  const next = (mmdd) => (today.slice(5) < mmdd ? y : y + 1);
  const leap = (n) => (n % 4 === 0 && n % 100 !== 0) || n % 400 === 0;
  const out = [`${feb}-02-30`, `${next('04-30')}-04-31`, `${next('06-30')}-06-31`, `${next('11-30')}-11-31`, `${y + 1}-13-01`, `${y}-00-10`, `${y + 1}-01-00`, `${y + 1}-01-32`];
  if (!leap(feb)) out.push(`${feb}-02-29`);
  return out;
}

// A date in range written without leading zeros, e.g. 2027-3-5.
function unpaddedDate() {
  for (let k = 2; k < 365; k++) {
    const [y, m, d] = utcDatePlus(k).split('-').map(Number);
    if (m < 10 && d < 10) return `${y}-${m}-${d}`;
  }
  throw new Error('no date with a one-digit month and day within a year');
}

describe('POST /api/listings', () => {
  test('required fields only: 201, specs from the registry, department and createdBy from the caller, not the body', async () => {
    const hw = await hardware(SERIAL_A);
    const body = {
      ...listingBody(SERIAL_A),
      department: 'IT Infrastructure', // ignored: the caller's
      createdBy: 'john.doe@company.com', // ignored: the caller
      status: 'approved', // not a field of POST
    };
    const res = await api('POST', '/api/listings', { token: jane.token, body });
    expectStatus(res, 201);
    const l = res.json;
    made.push(l.id);
    assertListing(l);
    assert.match(res.headers.get('content-type') ?? '', /^application\/json/);
    assert.equal(l.serialNumber, SERIAL_A);
    assert.equal(l.title, body.title);
    assert.equal(l.category, body.category);
    assert.equal(l.expirationDate, body.expirationDate);
    assert.equal(l.department, DEPT.jane, 'department is the caller\'s');
    assert.ok(creatorOk(l, JANE), `createdBy ${l.createdBy} is jane`);
    assert.equal(l.status, 'available');
    for (const f of ['description', 'location', 'condition']) assert.equal(l[f], null, `${f} unset is null`);
    // Spec fields left out are filled from the registry.
    assert.equal(l.cpu, hw.specs.cpu);
    assert.equal(l.ram, hw.specs.ram);
    assert.equal(l.ports, hw.specs.ports);
    assert.equal(l.otherSpecs, hw.specs.other);
    if (hw.specs.storage.length === 0) assert.equal(l.storage, null);
    else for (const item of hw.specs.storage) assert.ok((l.storage ?? '').includes(item), `storage "${l.storage}" names "${item}"`);
    // It is there for everyone to read, as it was answered.
    const got = await api('GET', `/api/listings/${l.id}`, { token: bob.token });
    expectStatus(got, 200);
    assert.deepEqual(got.json, l);
    const listed = await api('GET', `/api/listings?search=${encodeURIComponent(SERIAL_A)}&status=available`, { token: bob.token });
    expectStatus(listed, 200);
    assert.ok(listed.json.some((x) => x.id === l.id), 'in GET /api/listings');
    await withdrawListing(l.id);
  });

  test('every field given: 201 with the given values; spec fields given win over the registry', async () => {
    const extra = {
      description: 'itest description', location: 'Building Z, Rack 1', condition: 'Excellent',
      cpu: 'itest cpu', ram: 'itest ram', storage: 'itest storage', ports: 'itest ports', otherSpecs: 'itest other',
      expirationDate: utcDatePlus(1),
    };
    const l = await create(bob, SERIAL_C, extra);
    for (const [k, v] of Object.entries(extra)) assert.equal(l[k], v, k);
    assert.equal(l.department, DEPT.bob);
    assert.ok(creatorOk(l, BOB));
    await withdrawListing(l.id);
  });

  test('expirationDate today + 365: 201', async () => {
    const l = await create(jane, SERIAL_B, { expirationDate: utcDatePlus(365) });
    assert.equal(l.expirationDate, utcDatePlus(365));
    await withdrawListing(l.id);
  });

  describe('a missing required field: 400', () => {
    for (const field of ['serialNumber', 'title', 'category', 'expirationDate']) {
      for (const [how, edit] of [
        ['absent', (b) => delete b[field]],
        ['null', (b) => { b[field] = null; }],
        ['empty', (b) => { b[field] = ''; }],
        ['blank', (b) => { b[field] = '   '; }],
      ]) {
        test(`${field} ${how}`, async () => {
          const body = listingBody(SERIAL_B);
          edit(body);
          await expect400(body);
        });
      }
    }
  });

  describe('a field of the wrong type: 400', () => {
    const cases = [
      ['serialNumber', 123], ['serialNumber', ['SRV006-DELL-R720']], ['title', 5], ['title', true], ['title', { t: 1 }],
      ['category', ['Server']], ['category', 1], ['expirationDate', 20270101], ['expirationDate', { y: 2027 }],
      ['description', 5], ['location', false], ['condition', 1], ['cpu', {}], ['ram', []], ['storage', ['a', 'b']],
      ['ports', 4], ['otherSpecs', true],
    ];
    for (const [field, value] of cases) {
      test(`${field}: ${JSON.stringify(value)}`, async () => {
        await expect400({ ...listingBody(SERIAL_B), [field]: value });
      });
    }

    for (const [name, raw] of [['an array', '[]'], ['a string', '"x"'], ['not JSON', '{"serialNumber":'], ['empty', '']]) {
      test(`a body that is ${name}`, async () => {
        const res = await api('POST', '/api/listings', { token: jane.token, rawBody: raw });
        assertError(res, 400, 'INVALID_ARGUMENT');
      });
    }
  });

  describe('category and condition outside their sets: 400', () => {
    for (const category of ['Laptop', 'server', 'SERVER', 'Servers', 'Storage x', 'all']) {
      test(`category ${JSON.stringify(category)}`, async () => {
        await expect400({ ...listingBody(SERIAL_B), category });
      });
    }
    for (const condition of ['Poor', 'good', 'EXCELLENT', 'New', 'Fair-ish']) {
      test(`condition ${JSON.stringify(condition)}`, async () => {
        await expect400({ ...listingBody(SERIAL_B), condition });
      });
    }
  });

  describe('expirationDate not a real date after today and at most 365 days ahead: 400', () => {
    const bad = [
      ['not a date', 'not a date'],
      ['today', utcDatePlus(0)],
      ['yesterday', utcDatePlus(-1)],
      ['long past', '2020-01-01'],
      ['2026-02-30 (no such day, and past)', '2026-02-30'],
      ['today + 366', utcDatePlus(366)],
      ['today + 1000', utcDatePlus(1000)],
      ['a timestamp', `${utcDatePlus(10)}T00:00:00Z`],
      ['no dashes', utcDatePlus(10).replaceAll('-', '')],
      ['slashes', utcDatePlus(10).replaceAll('-', '/')],
      ['day first', utcDatePlus(10).split('-').reverse().join('-')],
      ['unpadded', unpaddedDate()],
    ];
    for (const d of impossibleDates()) bad.push([`impossible ${d}`, d]);
    for (const [name, value] of bad) {
      test(`${name}: ${JSON.stringify(value)}`, async () => {
        await expect400({ ...listingBody(SERIAL_B), expirationDate: value });
      });
    }
  });

  test('a serial that is not in the registry: 404 NOT_FOUND', async () => {
    for (const serial of [`NOPE-${uniqueSuffix()}`, 'SRV999-NOT-THERE']) {
      const res = await api('POST', '/api/listings', { token: jane.token, body: listingBody('SRV999', { serialNumber: serial }) });
      if (res.status === 201) await withdrawListing(res.json.id);
      assertError(res, 404, 'NOT_FOUND');
    }
  });

  for (const [serial, media] of Object.entries(STORAGE_MEDIA)) {
    test(`${serial} holds storage media: 403 {error, code: PERMISSION_DENIED, blocked: true, message naming the media}, nothing listed`, async () => {
      const before = (await activeListingsOf(serial)).map((l) => l.id);
      for (const s of [jane, john]) {
        const res = await api('POST', '/api/listings', { token: s.token, body: listingBody(serial) });
        if (res.status === 201) await withdrawListing(res.json.id);
        assertError(res, 403, 'PERMISSION_DENIED');
        assert.equal(res.json.blocked, true, `blocked: true: ${describeRes(res)}`);
        assert.equal(typeof res.json.message, 'string', `message is a string: ${describeRes(res)}`);
        for (const m of media) assert.ok(res.json.message.includes(m), `message names ${m}: ${describeRes(res)}`);
      }
      const now = (await activeListingsOf(serial)).map((l) => l.id);
      assert.deepEqual(now, before, 'no listing was made');
    });
  }

  test('a serial with an available or a claimed listing: 409; once withdrawn it may be posted again', async () => {
    const first = await create(jane, SERIAL_B);
    // Available: by the same department and by another.
    for (const s of [jane, bob, john]) {
      const res = await api('POST', '/api/listings', { token: s.token, body: listingBody(SERIAL_B) });
      if (res.status === 201) made.push(res.json.id);
      assertError(res, 409);
    }
    // Claimed.
    const claim = await createClaim(bob, first.id);
    assert.equal((await getListing(first.id)).status, 'claimed');
    const res = await api('POST', '/api/listings', { token: john.token, body: listingBody(SERIAL_B) });
    if (res.status === 201) made.push(res.json.id);
    assertError(res, 409);
    // Withdrawn: the serial is free again; the claim is cancelled.
    expectStatus(await api('DELETE', `/api/listings/${first.id}`, { token: jane.token }), 204);
    await waitClaimStatus(claim.id, 'cancelled', 10000);
    const again = await api('POST', '/api/listings', { token: bob.token, body: listingBody(SERIAL_B) });
    expectStatus(again, 201);
    made.push(again.json.id);
    assert.notEqual(again.json.id, first.id, 'a new listing');
    assert.equal(again.json.department, DEPT.bob);
    assert.equal((await getListing(first.id)).status, 'withdrawn', 'the old one stays withdrawn');
    await withdrawListing(again.json.id);
  });
});

// The listing the PATCH tests edit: Jane's, available, no open claim; the
// same one for all of them (edits use no listing up), a new one only when
// the last was withdrawn or approved.
async function patchTarget() {
  const l = await availableListing(jane, SERIAL_C);
  if (!made.includes(l.id)) made.push(l.id);
  return l;
}

describe('PATCH /api/listings/{id}', () => {
  const edits = {
    title: 'itest edited title', description: 'edited description', location: 'edited location', condition: 'Fair',
    cpu: 'edited cpu', ram: 'edited ram', storage: 'edited storage', ports: 'edited ports', otherSpecs: 'edited other',
    expirationDate: utcDatePlus(200),
  };

  test('a member of the owning department edits every editable field: 200, the rest unchanged', async () => {
    const l = await patchTarget();
    const res = await api('PATCH', `/api/listings/${l.id}`, { token: jane.token, body: edits });
    expectStatus(res, 200);
    assertListing(res.json);
    for (const [k, v] of Object.entries(edits)) assert.equal(res.json[k], v, k);
    for (const k of ['id', 'serialNumber', 'category', 'department', 'status', 'createdBy', 'createdAt']) assert.equal(res.json[k], l[k], `${k} unchanged`);
    assert.ok(res.json.updatedAt >= l.updatedAt, 'updatedAt moves forward');
    assert.deepEqual(await getListing(l.id), res.json, 'GET shows the edit');
    // A partial edit leaves the other fields as they are.
    const part = await api('PATCH', `/api/listings/${l.id}`, { token: jane.token, body: { ram: 'only ram' } });
    expectStatus(part, 200);
    assert.deepEqual({ ...part.json, updatedAt: null }, { ...res.json, ram: 'only ram', updatedAt: null });
  });

  test('an admin of another department: 200', async () => {
    const l = await patchTarget();
    const res = await api('PATCH', `/api/listings/${l.id}`, { token: john.token, body: { title: 'itest admin edit', condition: 'Good' } });
    expectStatus(res, 200);
    assert.equal(res.json.title, 'itest admin edit');
    assert.equal(res.json.condition, 'Good');
    assert.equal(res.json.department, DEPT.jane, 'still the owner\'s');
  });

  test('a member of another department, the security reviewer included: 403, nothing changed', async () => {
    const l = await patchTarget();
    for (const s of [bob, alice]) {
      const res = await api('PATCH', `/api/listings/${l.id}`, { token: s.token, body: { title: 'itest hijack' } });
      assertError(res, 403, 'PERMISSION_DENIED');
    }
    assert.equal((await getListing(l.id)).title, l.title);
  });

  test('unknown id: 404; malformed id: 400', async () => {
    assertError(await api('PATCH', '/api/listings/999999999', { token: john.token, body: { title: 'x' } }), 404, 'NOT_FOUND');
    for (const bad of ['abc', '0', '-1', '1.5']) assertError(await api('PATCH', `/api/listings/${bad}`, { token: john.token, body: { title: 'x' } }), 400, 'INVALID_ARGUMENT');
  });

  test('null clears the optional fields', async () => {
    const start = await patchTarget();
    const set = await api('PATCH', `/api/listings/${start.id}`, { token: jane.token, body: { description: 'd', location: 'l', condition: 'Good', cpu: 'c', ram: 'r', storage: 's', ports: 'p', otherSpecs: 'o' } });
    expectStatus(set, 200);
    const l = set.json;
    const optional = ['description', 'location', 'condition', 'cpu', 'ram', 'storage', 'ports', 'otherSpecs'];
    const res = await api('PATCH', `/api/listings/${l.id}`, { token: jane.token, body: Object.fromEntries(optional.map((f) => [f, null])) });
    expectStatus(res, 200);
    for (const f of optional) assert.equal(res.json[f], null, `${f} cleared`);
    assert.equal(res.json.title, l.title);
    assert.equal(res.json.expirationDate, l.expirationDate);
    assert.deepEqual(await getListing(l.id), res.json);
  });

  test('required fields cannot be cleared, wrong types and invalid values: 400, nothing changed', async () => {
    const l = await patchTarget();
    const bodies = [
      { title: null }, { title: '' }, { title: '   ' }, { expirationDate: null },
      { title: 5 }, { title: true }, { description: 5 }, { location: [] }, { condition: 1 }, { cpu: {} },
      { ram: false }, { storage: ['x'] }, { ports: 1 }, { otherSpecs: {} }, { expirationDate: 20270101 },
      { condition: 'Poor' }, { condition: 'good' },
      { expirationDate: utcDatePlus(0) }, { expirationDate: utcDatePlus(-1) }, { expirationDate: utcDatePlus(366) },
      { expirationDate: 'soon' }, { expirationDate: impossibleDates()[0] },
      { title: 'ok', description: 7 }, // one bad field spoils the whole edit
    ];
    for (const body of bodies) {
      const res = await api('PATCH', `/api/listings/${l.id}`, { token: jane.token, body });
      assert.equal(res.status, 400, `PATCH ${JSON.stringify(body)}: ${describeRes(res)}`);
      assertError(res, 400, 'INVALID_ARGUMENT');
    }
    for (const raw of ['[]', '"x"', '{"title":']) assertError(await api('PATCH', `/api/listings/${l.id}`, { token: jane.token, rawBody: raw }), 400, 'INVALID_ARGUMENT');
    const now = await getListing(l.id);
    assert.deepEqual(now, l, 'nothing changed');
  });

  test('fields that PATCH does not edit are ignored', async () => {
    const l = await patchTarget();
    const res = await api('PATCH', `/api/listings/${l.id}`, {
      token: jane.token,
      body: { status: 'approved', department: 'IT Infrastructure', serialNumber: 'SRV001-DELL-R730', createdBy: 'x@y', id: 1, description: 'kept' },
    });
    expectStatus(res, 200);
    for (const k of ['id', 'status', 'department', 'serialNumber', 'createdBy', 'category']) assert.equal(res.json[k], l[k], `${k} unchanged`);
    assert.equal(res.json.description, 'kept');
  });

  test('a claimed listing may still be edited by its owner: 200', async () => {
    const l = await patchTarget();
    const c = await createClaim(bob, l.id);
    const res = await api('PATCH', `/api/listings/${l.id}`, { token: jane.token, body: { location: 'moved' } });
    expectStatus(res, 200);
    assert.equal(res.json.status, 'claimed');
    assert.equal(res.json.location, 'moved');
    expectStatus(await claimAction(bob, c.id, 'withdraw'), 200);
  });

  test('an approved or a withdrawn listing: 409 for PATCH (owner and admin) and DELETE', async () => {
    const l = await create(jane, SERIAL_SERVER);
    const c = await createClaim(bob, l.id);
    expectStatus(await claimAction(jane, c.id, 'approve'), 200);
    expectStatus(await claimAction(alice, c.id, 'approve'), 200);
    assert.equal((await getListing(l.id)).status, 'approved');
    for (const s of [jane, john]) assertError(await api('PATCH', `/api/listings/${l.id}`, { token: s.token, body: { title: 'too late' } }), 409);
    for (const s of [jane, john]) assertError(await api('DELETE', `/api/listings/${l.id}`, { token: s.token }), 409);
    assert.equal((await getListing(l.id)).status, 'approved');

    const w = await patchTarget();
    expectStatus(await api('DELETE', `/api/listings/${w.id}`, { token: jane.token }), 204);
    for (const s of [jane, john]) assertError(await api('PATCH', `/api/listings/${w.id}`, { token: s.token, body: { title: 'too late' } }), 409);
    const after = await getListing(w.id);
    assert.equal(after.status, 'withdrawn');
    assert.equal(after.title, w.title);
  });
});

describe('DELETE /api/listings/{id}', () => {
  test('by a member of the owning department: 204 with no body, withdrawn at once; again: 409', async () => {
    const l = await create(jane, SERIAL_D);
    const res = await api('DELETE', `/api/listings/${l.id}`, { token: jane.token });
    expectStatus(res, 204);
    assert.equal(res.text, '', '204 has no body');
    const now = await getListing(l.id);
    assert.equal(now.status, 'withdrawn');
    assert.ok(now.updatedAt >= l.updatedAt);
    const again = await api('DELETE', `/api/listings/${l.id}`, { token: jane.token });
    assertError(again, 409);
    assert.ok(!(await activeListingsOf(SERIAL_D)).some((x) => x.id === l.id), 'not active any more');
  });

  test('by another department (security included): 403 and the listing stays; by an admin: 204', async () => {
    const l = await create(jane, SERIAL_D);
    for (const s of [bob, alice]) assertError(await api('DELETE', `/api/listings/${l.id}`, { token: s.token }), 403, 'PERMISSION_DENIED');
    assert.equal((await getListing(l.id)).status, 'available');
    expectStatus(await api('DELETE', `/api/listings/${l.id}`, { token: john.token }), 204);
    assert.equal((await getListing(l.id)).status, 'withdrawn');
  });

  test('unknown id: 404; malformed id: 400', async () => {
    assertError(await api('DELETE', '/api/listings/999999999', { token: john.token }), 404, 'NOT_FOUND');
    for (const bad of ['abc', '0', '-1', '1e3']) assertError(await api('DELETE', `/api/listings/${bad}`, { token: john.token }), 400, 'INVALID_ARGUMENT');
  });
});

// ---- leaderboard ------------------------------------------------------------------

const round = (v, d) => Math.round(v * 10 ** d) / 10 ** d;
const close = (a, b) => Math.abs(a - b) < 1e-9;

function assertEntry(e) {
  for (const f of ['department', 'itemsPosted', 'itemsClaimed', 'totalCO2SavedKg', 'totalTreesEquivalent', 'totalPandasProtected', 'potentialCO2Kg', 'rank'])
    assert.ok(Object.hasOwn(e, f), `entry has ${f}: ${JSON.stringify(e)}`);
  assert.equal(typeof e.department, 'string');
  for (const f of ['itemsPosted', 'itemsClaimed', 'rank']) assert.ok(Number.isInteger(e[f]) && e[f] >= 0, `${f} integer: ${JSON.stringify(e)}`);
  for (const f of ['totalCO2SavedKg', 'totalTreesEquivalent', 'totalPandasProtected', 'potentialCO2Kg']) assert.equal(typeof e[f], 'number', f);
  assert.ok(close(e.totalTreesEquivalent, round(e.totalCO2SavedKg / 22, 1)), `trees = kg / 22 to 1 decimal: ${JSON.stringify(e)}`);
  assert.ok(close(e.totalPandasProtected, round(e.totalCO2SavedKg / 40000, 4)), `pandas = kg / 40000 to 4 decimals: ${JSON.stringify(e)}`);
}

async function leaderboard(s = jane) {
  const res = await api('GET', '/api/leaderboard', { token: s.token });
  expectStatus(res, 200);
  assert.match(res.headers.get('content-type') ?? '', /^application\/json/);
  assert.ok(Array.isArray(res.json), describeRes(res));
  return res.json;
}

// The leaderboard as docs/API.md defines it, from every listing.
function expectedBoard(listings) {
  const by = new Map();
  for (const l of listings) {
    if (!by.has(l.department)) by.set(l.department, { all: 0, notWithdrawn: 0, approved: 0, saved: 0, potential: 0 });
    const d = by.get(l.department);
    d.all++;
    if (l.status !== 'withdrawn') {
      d.notWithdrawn++;
      d.potential += CO2_KG[l.category];
    }
    if (l.status === 'approved') {
      d.approved++;
      d.saved += CO2_KG[l.category];
    }
  }
  return by;
}

function boardMismatches(board, listings) {
  const want = expectedBoard(listings);
  const out = [];
  for (const e of board) {
    const w = want.get(e.department);
    if (!w) {
      if (e.totalCO2SavedKg !== 0 || e.potentialCO2Kg !== 0) out.push(`${e.department} has no listings but ${JSON.stringify(e)}`);
      continue;
    }
    if (!close(e.totalCO2SavedKg, w.saved)) out.push(`${e.department}: totalCO2SavedKg ${e.totalCO2SavedKg}, listings say ${w.saved}`);
    if (!close(e.potentialCO2Kg, w.potential)) out.push(`${e.department}: potentialCO2Kg ${e.potentialCO2Kg}, listings say ${w.potential}`);
    if (e.itemsClaimed !== w.approved) out.push(`${e.department}: itemsClaimed ${e.itemsClaimed}, approved listings ${w.approved}`);
    if (![w.notWithdrawn, w.all].includes(e.itemsPosted)) out.push(`${e.department}: itemsPosted ${e.itemsPosted}, listings ${w.all} (${w.notWithdrawn} not withdrawn)`);
  }
  for (const [dept, w] of want) if (w.notWithdrawn > 0 && !board.some((e) => e.department === dept)) out.push(`${dept} has listings but no entry`);
  return out;
}

describe('GET /api/leaderboard', () => {
  test('shape; rank 1 first, ranked by saved CO2 then potential CO2; trees and pandas from the saved CO2', async () => {
    const board = await leaderboard();
    assert.ok(board.length >= 3, 'the seed departments with listings are there');
    for (const e of board) assertEntry(e);
    assert.deepEqual(board.map((e) => e.rank), board.map((_, i) => i + 1), 'ranks 1..n in order');
    for (let i = 1; i < board.length; i++) {
      const a = board[i - 1];
      const b = board[i];
      assert.ok(a.totalCO2SavedKg > b.totalCO2SavedKg || (a.totalCO2SavedKg === b.totalCO2SavedKg && a.potentialCO2Kg >= b.potentialCO2Kg), `${a.department} before ${b.department}`);
    }
    assert.equal(new Set(board.map((e) => e.department)).size, board.length, 'one entry per department');
  });

  test('every entry agrees with the listings (approved for saved CO2, all not withdrawn for potential)', async () => {
    // Other files may change listings meanwhile: a few tries.
    let problems = [];
    for (let attempt = 0; attempt < 4; attempt++) {
      const listings = (await allPages('/api/listings', john.token)).items;
      const board = await leaderboard();
      problems = boardMismatches(board, listings);
      if (problems.length === 0) break;
    }
    assert.deepEqual(problems, []);
  });

  test('a new department: exact numbers through posting, approval, claim and withdrawal', async () => {
    const u = await freshDepartmentUser('lb');
    const entry = async () => (await leaderboard(u)).find((e) => e.department === u.department);
    assert.equal(await entry(), undefined, 'no entry before it posts anything');

    const server = await create(u, SERIAL_SERVER);
    const net = await create(u, SERIAL_NET);
    const storage = await create(u, SERIAL_STORAGE);
    let e = await entry();
    assert.ok(e, 'an entry once it posted');
    assertEntry(e);
    assert.deepEqual(
      { saved: e.totalCO2SavedKg, potential: e.potentialCO2Kg, posted: e.itemsPosted, claimed: e.itemsClaimed, trees: e.totalTreesEquivalent, pandas: e.totalPandasProtected },
      { saved: 0, potential: 1300 + 300 + 800, posted: 3, claimed: 0, trees: 0, pandas: 0 },
    );

    // The server is claimed and approved: its CO2 counts as saved.
    const c = await createClaim(bob, server.id);
    e = await entry();
    assert.equal(e.totalCO2SavedKg, 0, 'a claim alone saves nothing');
    assert.equal(e.potentialCO2Kg, 2400, 'claimed items count as potential');
    expectStatus(await claimAction(u, c.id, 'approve'), 200);
    expectStatus(await claimAction(alice, c.id, 'approve'), 200);
    e = await entry();
    assert.equal(e.totalCO2SavedKg, 1300);
    assert.equal(e.totalTreesEquivalent, 59.1, '1300 / 22 = 59.09 -> 59.1');
    assert.equal(e.totalPandasProtected, 0.0325, '1300 / 40000');
    assert.equal(e.potentialCO2Kg, 2400, 'an approved item still counts as potential');
    assert.equal(e.itemsClaimed, 1);
    assert.equal(e.itemsPosted, 3);

    // The storage shelf is withdrawn: no longer potential.
    expectStatus(await api('DELETE', `/api/listings/${storage.id}`, { token: u.token }), 204);
    e = await entry();
    assert.equal(e.potentialCO2Kg, 1600);
    assert.equal(e.totalCO2SavedKg, 1300);
    assert.ok([2, 3].includes(e.itemsPosted), `itemsPosted ${e.itemsPosted}`);

    // The seed departments ranked below it have less saved CO2.
    const board = await leaderboard(u);
    const mine = board.find((x) => x.department === u.department);
    for (const other of board) {
      if (other.rank < mine.rank) assert.ok(other.totalCO2SavedKg > 1300 || (other.totalCO2SavedKg === 1300 && other.potentialCO2Kg >= 1600), `${other.department} ranks above`);
      if (other.rank > mine.rank) assert.ok(other.totalCO2SavedKg < 1300 || (other.totalCO2SavedKg === 1300 && other.potentialCO2Kg <= 1600), `${other.department} ranks below`);
    }
    await withdrawListing(net.id);
  });

  test('without credentials: 401', async () => {
    assertError(await api('GET', '/api/leaderboard'), 401, 'UNAUTHENTICATED');
  });
});

// ---- users --------------------------------------------------------------------

function assertUser(u) {
  for (const f of ['id', 'email', 'name', 'department', 'roles']) assert.ok(Object.hasOwn(u, f), `user has ${f}: ${JSON.stringify(u)}`);
  assert.ok(Number.isSafeInteger(u.id) && u.id > 0);
  assert.ok(Array.isArray(u.roles));
  for (const r of u.roles) assert.ok(['member', 'security', 'admin'].includes(r), `role ${r}`);
  assert.ok(!Object.hasOwn(u, 'password') && !Object.hasOwn(u, 'passwordHash') && !JSON.stringify(u).includes('$argon2'), 'no password in a User');
}

describe('GET /api/users (admin)', () => {
  test('an admin gets every user, the seed ones as SEED.md has them', async () => {
    const res = await api('GET', '/api/users', { token: john.token });
    expectStatus(res, 200);
    assert.ok(Array.isArray(res.json));
    for (const u of res.json) assertUser(u);
    for (const seed of SEED_USERS) {
      const u = res.json.find((x) => x.email === seed.email);
      assert.ok(u, `${seed.email} listed`);
      assert.equal(u.name, seed.name);
      assert.equal(u.department, seed.department);
      assert.deepEqual([...u.roles].sort(), [...seed.roles].sort());
    }
  });

  test('members, the security reviewer included: 403; anonymous: 401', async () => {
    for (const s of [jane, bob, alice]) assertError(await api('GET', '/api/users', { token: s.token }), 403, 'PERMISSION_DENIED');
    assertError(await api('GET', '/api/users'), 401, 'UNAUTHENTICATED');
  });
});

describe('POST /api/users (admin)', () => {
  const newUser = (extra = {}) => {
    const suffix = uniqueSuffix();
    return { email: `itest-user-${suffix}@itest.example`, name: `Itest User ${suffix}`, department: 'QA Team', password: ITEST_PASSWORD, roles: ['member'], ...extra };
  };

  test('201 User; listed; can sign in; its roles count (a new security reviewer sees the review queue)', async () => {
    const body = newUser({ roles: ['member', 'security'] });
    const res = await api('POST', '/api/users', { token: john.token, body });
    expectStatus(res, 201);
    assertUser(res.json);
    assert.equal(res.json.email, body.email);
    assert.equal(res.json.name, body.name);
    assert.equal(res.json.department, body.department);
    assert.deepEqual([...res.json.roles].sort(), ['member', 'security']);
    const list = await api('GET', '/api/users', { token: john.token });
    assert.ok(list.json.some((u) => u.id === res.json.id && u.email === body.email), 'listed');
    const s = await login(body.email, body.password);
    assert.equal(s.user.email, body.email);
    assert.equal(s.user.department, 'QA Team');
    const me = await api('GET', '/api/me', { token: s.token });
    expectStatus(me, 200);
    assert.equal(me.json.id, res.json.id);
    expectStatus(await api('GET', '/api/claims?scope=review', { token: s.token }), 200);
    assertError(await api('GET', '/api/users', { token: s.token }), 403, 'PERMISSION_DENIED');
    // A wrong password still fails.
    assertError(await api('POST', '/api/session', { body: { email: body.email, password: 'wrong-password-1' } }), 401, 'UNAUTHENTICATED');
  });

  test('members, the security reviewer included: 403, and no user is made; anonymous: 401', async () => {
    for (const s of [jane, bob, alice]) {
      const body = newUser();
      assertError(await api('POST', '/api/users', { token: s.token, body }), 403, 'PERMISSION_DENIED');
      assertError(await api('POST', '/api/session', { body: { email: body.email, password: body.password } }), 401);
    }
    assertError(await api('POST', '/api/users', { body: newUser() }), 401, 'UNAUTHENTICATED');
  });

  describe('invalid bodies: 400', () => {
    const cases = [
      ['email missing', (b) => delete b.email],
      ['name missing', (b) => delete b.name],
      ['department missing', (b) => delete b.department],
      ['password missing', (b) => delete b.password],
      ['email empty', (b) => { b.email = ''; }],
      ['name empty', (b) => { b.name = ''; }],
      ['department empty', (b) => { b.department = ''; }],
      ['password empty', (b) => { b.password = ''; }],
      ['email not an address', (b) => { b.email = 'not-an-email'; }],
      ['email with two @', (b) => { b.email = `a@b@${b.email}`; }],
      ['email with a space', (b) => { b.email = `a b${b.email}`; }],
      ['email a number', (b) => { b.email = 5; }],
      ['name a number', (b) => { b.name = 5; }],
      ['department an array', (b) => { b.department = ['QA']; }],
      ['password a number', (b) => { b.password = 12345678901; }],
      ['roles a string', (b) => { b.roles = 'admin'; }],
      ['roles holding a number', (b) => { b.roles = [1]; }],
      ['an unknown role', (b) => { b.roles = ['member', 'superuser']; }],
    ];
    for (const [name, edit] of cases) {
      test(name, async () => {
        const body = newUser();
        edit(body);
        const res = await api('POST', '/api/users', { token: john.token, body });
        assertError(res, 400, 'INVALID_ARGUMENT');
      });
    }
    test('not a JSON object', async () => {
      for (const raw of ['[]', '"x"', '{"email":']) assertError(await api('POST', '/api/users', { token: john.token, rawBody: raw }), 400, 'INVALID_ARGUMENT');
    });
  });

  test('an e-mail that has an account already (any case): 409', async () => {
    for (const email of [JANE, JANE.toUpperCase(), 'Bob.Johnson@Company.com']) {
      const res = await api('POST', '/api/users', { token: john.token, body: newUser({ email }) });
      assertError(res, 409);
    }
    const body = newUser();
    expectStatus(await api('POST', '/api/users', { token: john.token, body }), 201);
    assertError(await api('POST', '/api/users', { token: john.token, body: { ...body, name: 'Someone Else' } }), 409);
    // The seed user's password was not replaced.
    await login(JANE);
  });
});
