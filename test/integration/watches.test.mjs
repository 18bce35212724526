// watches.test.mjs - docs/API.md "Watches": the routes, and a watch_match
// notification for each listing that is posted, or becomes available again,
// and matches the watch by the listing filters' rules, but not for a listing
// of the watcher's own department, and not once the watch is deleted.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { BOB, RFC3339_UTC, api, assertError, expectStatus, session, sleep, uniqueSuffix } from './lib.mjs';
import {
  SERIALS,
  claimAction,
  createClaim,
  createListing,
  extraUser,
  freshDepartmentUser,
  retireSerial,
  waitFor,
} from './fixtures.mjs';

const [NET_A, STR_B, NET_C, NET_D, NET_OWN] = SERIALS.watches;

let watcher;
let colleague; // the watcher's department
let poster;
let bob;
const word = `wtest${uniqueSuffix()}`.replace(/[^a-z0-9]/gi, '');

before(async () => {
  watcher = await freshDepartmentUser('watch');
  colleague = await extraUser(`watch-col-${uniqueSuffix()}@itest.example`.toLowerCase(), 'Watch Colleague', watcher.department);
  poster = await freshDepartmentUser('watch-post');
  bob = await session(BOB);
  for (const serial of SERIALS.watches) await retireSerial(serial);
});
after(async () => {
  for (const serial of SERIALS.watches) await retireSerial(serial).catch(() => {});
});

async function matches(title) {
  const res = await api('GET', '/api/notifications?limit=500', { token: watcher.token });
  expectStatus(res, 200);
  return res.json.filter((n) => n.kind === 'watch_match' && n.title.includes(title));
}

async function waitMatches(title, want) {
  let got = [];
  await waitFor(async () => (got = await matches(title)).length >= want, 20000, 250);
  return got;
}

let watch;

describe('the routes', () => {
  test('POST, GET, DELETE; a watch needs a part, a known category; only its owner deletes it', async () => {
    for (const body of [{}, { category: 'Bogus' }, { search: 12 }, { search: '' }])
      assertError(await api('POST', '/api/watches', { token: watcher.token, body }), 400);
    const made = await api('POST', '/api/watches', { token: watcher.token, body: { category: 'Networking', search: word } });
    expectStatus(made, 201);
    watch = made.json;
    assert.deepEqual(Object.keys(watch).sort(), ['category', 'createdAt', 'department', 'id', 'search']);
    assert.equal(watch.category, 'Networking');
    assert.equal(watch.search, word);
    assert.equal(watch.department, null);
    assert.match(watch.createdAt, RFC3339_UTC);
    const list = await api('GET', '/api/watches', { token: watcher.token });
    expectStatus(list, 200);
    assert.deepEqual(list.json.map((w) => w.id), [watch.id]);
    assert.deepEqual((await api('GET', '/api/watches', { token: poster.token })).json, [], 'only the caller\'s');
    assertError(await api('DELETE', `/api/watches/${watch.id}`, { token: poster.token }), 404);
  });
});

describe('watch_match', () => {
  test('a matching listing is notified, once; another category and the own department\'s are not', async () => {
    const hit = await createListing(poster, NET_A, { title: `itest router ${word} A` });
    const miss = await createListing(poster, STR_B, { title: `itest shelf ${word} B` });
    const own = await createListing(colleague, NET_OWN, { title: `itest switch ${word} own` });
    const [n] = await waitMatches(hit.title, 1);
    assert.match(n.body, new RegExp(poster.department));
    assert.equal(n.read, false);
    await sleep(2500);
    assert.equal((await matches(hit.title)).length, 1, 'once');
    assert.equal((await matches(miss.title)).length, 0, 'a Storage listing does not match a Networking watch');
    assert.equal((await matches(own.title)).length, 0, 'not the watcher\'s own department\'s listing');
  });

  test('a listing that becomes available again is notified again', async () => {
    const l = await createListing(poster, NET_C, { title: `itest firewall ${word} C` });
    await waitMatches(l.title, 1);
    const c = await createClaim(bob, l.id);
    expectStatus(await claimAction(bob, c.id, 'withdraw'), 200);
    const got = await waitMatches(l.title, 2);
    assert.equal(got.length, 2);
  });

  test('a deleted watch matches nothing more', async () => {
    expectStatus(await api('DELETE', `/api/watches/${watch.id}`, { token: watcher.token }), 204);
    assertError(await api('DELETE', `/api/watches/${watch.id}`, { token: watcher.token }), 404);
    const l = await createListing(poster, NET_D, { title: `itest gateway ${word} D` });
    await sleep(3000);
    assert.equal((await matches(l.title)).length, 0);
  });
});
