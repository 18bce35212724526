// zz-search-many.test.mjs - a search with more matches than its count's
// bound (1,000 past the page): the page then walks the listings newest first
// instead of sorting the gathered matches (svc-listings/listings.c,
// SEARCH_PAGE_SQL), and X-Total-Count is a lower bound with
// X-Total-Count-Exact: false. Neither happens with the few hundred listings
// the rest of the suite makes, so this file inserts 1,200 listings straight
// into svc-listings' table, as its own role (the suite's only bulk write
// outside the API), and deletes them again; "zz" runs it after the files
// that count every listing.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { execFileSync } from 'node:child_process';

import { JOHN, api, expectStatus, session, setting } from './lib.mjs';

const ROWS = 1200;
const BOUND_BEYOND = 1000;
const MARK = 'zzmany';
// A character no other listing of the suite holds: a one-character search.
const SHORT = '¤';

function sql(statement) {
  const url = setting('RCYCLE_LISTINGS_DATABASE_URL', setting('DATABASE_URL'));
  assert.ok(url, 'the stack records the listings database URL');
  return execFileSync('psql', [url, '-v', 'ON_ERROR_STOP=1', '-qAt', '-c', statement], { encoding: 'utf8', timeout: 60000 });
}

function removeRows() {
  sql(`DELETE FROM listings.listings WHERE serial_number LIKE 'ZZMANY-%'`);
}

let token;
let ids; // the inserted listings, newest first

before(async () => {
  token = (await session(JOHN)).token;
  removeRows();
  // One statement: one created_at for all, so newest first is id descending.
  sql(`INSERT INTO listings.listings (serial_number, title, category, department, status, expiration_date,
         created_by_id, created_by)
       SELECT 'ZZMANY-' || g, '${MARK} ${SHORT} ' || g, 'Server', 'QA Team', 'available', current_date + 30, 1, 'itest'
       FROM generate_series(1, ${ROWS}) AS g`);
  ids = sql(`SELECT id FROM listings.listings WHERE serial_number LIKE 'ZZMANY-%' ORDER BY created_at DESC, id DESC`)
    .trim().split('\n').map(Number);
  assert.equal(ids.length, ROWS);
  const others = Number(sql(`SELECT count(*) FROM listings.listings WHERE serial_number NOT LIKE 'ZZMANY-%'
    AND (title ILIKE '%${MARK}%' OR title LIKE '%${SHORT}%' OR description LIKE '%${SHORT}%')`).trim());
  assert.equal(others, 0, `no other listing holds "${MARK}" or "${SHORT}"`);
});

after(() => {
  removeRows();
});

async function page(term, limit, offset) {
  const res = await api('GET', `/api/listings?search=${encodeURIComponent(term)}&limit=${limit}&offset=${offset}`, { token });
  expectStatus(res, 200);
  return { items: res.json, total: Number(res.headers.get('x-total-count')), exact: res.headers.get('x-total-count-exact') };
}

for (const [what, term] of [['three characters or more (trigram index)', MARK], ['one character (short-gram index)', SHORT]]) {
  describe(`a search of ${what} with ${ROWS} matches`, () => {
    test('the first page walks newest first; the count stops at the bound and says so', async () => {
      const { items, total, exact } = await page(term, 100, 0);
      assert.deepEqual(items.map((l) => l.id), ids.slice(0, 100));
      assert.equal(total, 100 + BOUND_BEYOND);
      assert.equal(exact, 'false');
    });

    test('a page deep enough that the bound passes every match: exact count, the right rows', async () => {
      const { items, total, exact } = await page(term, 100, 1050);
      assert.deepEqual(items.map((l) => l.id), ids.slice(1050, 1150));
      assert.equal(total, ROWS);
      assert.equal(exact, 'true');
    });

    test('a page in the middle, with the bound still short of the end', async () => {
      const { items, total, exact } = await page(term, 50, 100);
      assert.deepEqual(items.map((l) => l.id), ids.slice(100, 150));
      assert.equal(total, 150 + BOUND_BEYOND);
      assert.equal(exact, 'false');
    });

    test('past the last match: empty, with the exact count', async () => {
      const { items, total } = await page(term, 100, ROWS + 10);
      assert.deepEqual(items, []);
      assert.equal(total, ROWS);
    });
  });
}
