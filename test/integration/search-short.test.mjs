// search-short.test.mjs - searches of one and two characters, which the
// short-gram index serves (db/migrations/listings/007_short_search.sql)
// rather than the trigram one: the same matches as any other search (a
// case-insensitive substring of title, serial number, department or
// description), non-ASCII letters included, with filters and paging. Its own
// listing, of a registry device of the suite, holds the non-ASCII text.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { JANE, api, expectStatus, session, uniqueSuffix } from './lib.mjs';
import { SERIALS, createListing, retireSerial } from './fixtures.mjs';

const [SERIAL] = SERIALS.shortSearch;

// docs/API.md: the fields a search looks at, case-insensitively.
const matches = (term) => (l) =>
  [l.title, l.serialNumber, l.department, l.description].some((f) => typeof f === 'string' && f.toLowerCase().includes(term.toLowerCase()));

let token;
let mine; // the listing of this file, with its non-ASCII title
let all; // every listing, newest first

async function search(query) {
  const res = await api('GET', `/api/listings?${query}`, { token });
  expectStatus(res, 200);
  return { res, items: res.json, total: Number(res.headers.get('x-total-count')) };
}

const ids = (list) => list.map((l) => l.id);

before(async () => {
  const jane = await session(JANE);
  token = jane.token;
  await retireSerial(SERIAL);
  mine = await createListing(jane, SERIAL, {
    title: `Kühlregal Öl ${uniqueSuffix()}`,
    description: "Ablage für Ölwannen, Maße 2×1 m: 'Kühl' & |trocken| (!) *, 50% <-> 5_0 \\ \"",
  });
  const r = await search('limit=500');
  assert.ok(r.total <= 500, 'these tests need at most 500 listings in the stack');
  all = r.items;
});

after(async () => {
  await retireSerial(SERIAL).catch(() => {});
});

describe('search of one or two characters', () => {
  const terms = ['ü', 'Ü', 'öl', 'ÖL', 'ß', '×', 'l ', ' Ö', 'üh', 'Üh', 'ä', 'k', 'K', 'zq', '2×'];
  // Characters that mean something to LIKE, to SQL or to tsquery's syntax
  // (the short-gram index answers through a tsquery): each is a plain
  // character here.
  const hostile = [':', '&', '!', '|', '*', ' ', '<', "'", "''", ':*', '\\', '\\\\', '"', '()', '!x', '%', '_', '<->', '&|'];
  terms.push(...hostile);
  for (const term of terms) {
    test(`search=${JSON.stringify(term)} finds what a substring match finds`, async () => {
      const { res, items, total } = await search(`search=${encodeURIComponent(term)}&limit=500`);
      const want = all.filter(matches(term));
      assert.deepEqual(ids(items), ids(want), `search ${JSON.stringify(term)}`);
      assert.equal(total, want.length);
      assert.equal(res.headers.get('x-total-count-exact'), 'true');
      assert.equal(items.some((l) => l.id === mine.id), matches(term)(mine), `the listing of this file and ${JSON.stringify(term)}`);
    });
  }

  test('the server finds the file listing by its short terms, and not by one it lacks', async () => {
    for (const term of ['ü', 'ÖL', 'ß', '×']) {
      const { items } = await search(`search=${encodeURIComponent(term)}&limit=500`);
      assert.ok(items.some((l) => l.id === mine.id), `${JSON.stringify(term)} finds listing ${mine.id}`);
    }
    // Not 'zq' or any other pair of [0-9a-z]: the title's unique suffix may
    // hold it (it did once, in CI).
    const { items } = await search(`search=${encodeURIComponent('ÿq')}&limit=500`);
    assert.ok(!matches('ÿq')(mine), 'the listing of this file lacks "ÿq"');
    assert.ok(!items.some((l) => l.id === mine.id), 'a term the listing lacks does not find it');
  });

  test('a short term and a longer one agree: "öl" and "ölw" both find the listing', async () => {
    for (const term of ['öl', 'ölw', 'ÖLWANNEN']) {
      const { items } = await search(`search=${encodeURIComponent(term)}&limit=500`);
      assert.ok(items.some((l) => l.id === mine.id), `${term} finds listing ${mine.id}`);
    }
  });

  test('with a category and a department', async () => {
    const storage = await search(`search=${encodeURIComponent('ü')}&category=Storage&limit=500`);
    assert.deepEqual(ids(storage.items), ids(all.filter((l) => l.category === 'Storage' && matches('ü')(l))));
    assert.ok(storage.items.some((l) => l.id === mine.id));
    const server = await search(`search=${encodeURIComponent('ü')}&category=Server&limit=500`);
    assert.ok(!server.items.some((l) => l.id === mine.id));
    const dept = await search(`search=${encodeURIComponent('öl')}&department=${encodeURIComponent(mine.department)}&limit=500`);
    assert.deepEqual(ids(dept.items), ids(all.filter((l) => l.department === mine.department && matches('öl')(l))));
  });

  test('with a status: the listing leaves status=available when withdrawn', async () => {
    const before = await search(`search=${encodeURIComponent('ß')}&status=available&limit=500`);
    assert.ok(before.items.some((l) => l.id === mine.id));
    await retireSerial(SERIAL);
    const available = await search(`search=${encodeURIComponent('ß')}&status=available&limit=500`);
    assert.ok(!available.items.some((l) => l.id === mine.id));
    const withdrawn = await search(`search=${encodeURIComponent('ß')}&status=withdrawn&limit=500`);
    assert.ok(withdrawn.items.some((l) => l.id === mine.id));
  });

  test('pages of a one-character search walk every match in order, each with the full count', async () => {
    const want = all.filter(matches('e'));
    assert.ok(want.length >= 3, 'the seed has three listings with an e or more');
    const walked = [];
    for (let offset = 0; offset < want.length; offset += 2) {
      const { items, total } = await search(`search=e&limit=2&offset=${offset}`);
      assert.equal(total, want.length, `offset ${offset}`);
      walked.push(...items);
    }
    assert.deepEqual(ids(walked), ids(want));
    // Past the end: an empty page, and the count (a query of its own) still exact.
    const past = await search(`search=e&limit=2&offset=${want.length}`);
    assert.deepEqual(past.items, []);
    assert.equal(past.total, want.length);
  });
});
