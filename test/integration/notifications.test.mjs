// notifications.test.mjs - docs/API.md "Notifications": who gets each kind
// that a claim's events cause (claim_received, claim_needs_review,
// claim_decided on approvals and denials, claim_cancelled), never the person
// whose action caused it, delivered within seconds and once; the inbox's
// shape, its counts and paging, and marking read.
//
// Every department here is made for this file, so each inbox holds only
// what these claims caused: the owning department (two members), the
// requesting one (two members, one of them a security reviewer, so that a
// reviewer's own decision on a claim of their department tests "never the
// actor"), plus an outsider. The reminders (handover_due, listing_expiring)
// come from svc-users' periodic worker; a claim approved 15 days ago is made
// by moving its approval back in svc-claims' table (the API offers no way
// to make time pass).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { after, before, describe, test } from 'node:test';

import { ALICE, RFC3339_UTC, api, assertError, expectStatus, session, setting, sleep, uniqueSuffix, utcDatePlus } from './lib.mjs';
import {
  SERIALS,
  claimAction,
  createClaim,
  createListing,
  extraUser,
  freshDepartmentUser,
  retireSerial,
  waitFor,
  withdrawListing,
} from './fixtures.mjs';

const [SERIAL_FLOW, SERIAL_DENY, SERIAL_CANCEL, SERIAL_INBOX, SERIAL_DUE, SERIAL_EXPIRING] = SERIALS.notifications;

let owner; // owning department, posts the listings
let owner2; // the same department
let req; // requesting department, makes the claims
let reviewer; // the requesting department too, and a security reviewer
let alice; // Security Team's reviewer
let outsider;

async function member(department, roles = ['member']) {
  const suffix = uniqueSuffix();
  return extraUser(`notify-${suffix}@itest.example`.toLowerCase(), `Notify ${suffix}`, department, roles);
}

before(async () => {
  owner = await freshDepartmentUser('notify-own');
  owner2 = await member(owner.department);
  req = await freshDepartmentUser('notify-req');
  reviewer = await member(req.department, ['member', 'security']);
  outsider = await freshDepartmentUser('notify-out');
  alice = await session(ALICE);
  for (const serial of SERIALS.notifications) await retireSerial(serial);
});
after(async () => {
  for (const serial of SERIALS.notifications) await retireSerial(serial).catch(() => {});
});

async function inbox(s, query = '') {
  const res = await api('GET', `/api/notifications${query}`, { token: s.token });
  expectStatus(res, 200);
  return res;
}

// The notifications of s about claim id (by its link), waiting up to 20 s
// for at least `want` of them.
async function about(s, id, want = 1) {
  let items = [];
  await waitFor(async () => {
    items = (await inbox(s, '?limit=500')).json.filter((n) => n.link === `/#/claims/${id}`);
    return items.length >= want;
  }, 20000, 250);
  return items;
}

const kinds = (items) => items.map((n) => n.kind).sort();

describe('who is told of a claim', () => {
  test('request -> owner approval -> security approval: each kind to its recipients, none to the actor', async () => {
    const listing = await createListing(owner, SERIAL_FLOW);
    const c = await createClaim(req, listing.id);

    // claim_received: the listing's department, both members.
    for (const s of [owner, owner2]) assert.deepEqual(kinds(await about(s, c.id)), ['claim_received']);
    const [first] = await about(owner, c.id);
    assert.match(first.at, RFC3339_UTC);
    assert.equal(first.read, false);
    assert.match(first.title, new RegExp(listing.title));
    assert.match(first.body, new RegExp(req.department));

    expectStatus(await claimAction(owner, c.id, 'approve'), 200);
    // claim_needs_review: every security reviewer; claim_decided: the requesting department.
    assert.deepEqual(kinds(await about(alice, c.id)), ['claim_needs_review']);
    assert.deepEqual(kinds(await about(reviewer, c.id, 2)), ['claim_decided', 'claim_needs_review']);
    assert.deepEqual(kinds(await about(req, c.id)), ['claim_decided']);

    // The reviewer of the requesting department approves: the department is
    // told, the reviewer is not.
    expectStatus(await claimAction(reviewer, c.id, 'approve'), 200);
    assert.deepEqual(kinds(await about(req, c.id, 2)), ['claim_decided', 'claim_decided']);
    // The owner's own approval told nobody in the owning department; by now
    // the last event has been applied, so nothing is still on its way.
    await new Promise((r) => setTimeout(r, 1500));
    assert.deepEqual(kinds(await about(owner, c.id)), ['claim_received'], 'the approving owner is not told');
    assert.deepEqual(kinds(await about(owner2, c.id)), ['claim_received']);
    assert.deepEqual(kinds(await about(reviewer, c.id)), ['claim_decided', 'claim_needs_review'],
      'the approving reviewer is not told of their own decision');
    assert.deepEqual(kinds(await about(req, c.id)), ['claim_decided', 'claim_decided']);
    assert.equal((await inbox(outsider)).json.length, 0, 'a department that takes no part hears nothing');
    assert.equal((await about(alice, c.id)).length, 1, 'exactly once');
  });

  test('a denial tells the requesting department; the denier and the requester\'s own request tell no one else', async () => {
    const listing = await createListing(owner, SERIAL_DENY);
    const c = await createClaim(req, listing.id);
    await about(owner2, c.id);
    expectStatus(await claimAction(owner2, c.id, 'deny', { reason: 'needed here after all' }), 200);
    const denied = (await about(req, c.id)).find((n) => n.kind === 'claim_decided');
    assert.ok(denied, 'the requester is told');
    assert.match(denied.body, /needed here after all/);
    assert.deepEqual(kinds(await about(reviewer, c.id)), ['claim_decided']);
    await new Promise((r) => setTimeout(r, 1500));
    assert.deepEqual(kinds(await about(owner2, c.id)), ['claim_received'], 'the denier is not told of the denial');
    assert.equal((await inbox(req)).json.filter((n) => n.link === `/#/claims/${c.id}` && n.kind === 'claim_received').length, 0,
      'the requester is not told of their own request');
  });

  test('a claim cancelled because its listing was withdrawn tells the requesting department', async () => {
    const listing = await createListing(owner, SERIAL_CANCEL);
    const c = await createClaim(req, listing.id);
    await withdrawListing(listing.id);
    const items = await about(req, c.id);
    assert.deepEqual(kinds(items), ['claim_cancelled']);
    assert.deepEqual(kinds(await about(reviewer, c.id)), ['claim_cancelled']);
  });
});

describe('the inbox', () => {
  test('newest first, X-Total-Count and X-Unread-Count, unread=1, paging, mark read by id and all', async () => {
    const listing = await createListing(owner, SERIAL_INBOX);
    const c = await createClaim(req, listing.id);
    expectStatus(await claimAction(owner, c.id, 'approve'), 200);
    await about(owner2, c.id);
    await about(req, c.id);
    const all = await inbox(owner2, '?limit=500');
    const list = all.json;
    assert.ok(list.length >= 2, 'owner2 has the notifications of the earlier tests too');
    for (const n of list) {
      assert.deepEqual(Object.keys(n).sort(), ['at', 'body', 'id', 'kind', 'link', 'read', 'title']);
      assert.match(n.link, /^\/#\/claims\/\d+$/);
    }
    assert.deepEqual(list.map((n) => n.id), [...list.map((n) => n.id)].sort((a, b) => b - a), 'newest first');
    assert.equal(Number(all.headers.get('x-total-count')), list.length);
    const unread = Number(all.headers.get('x-unread-count'));
    assert.equal(unread, list.filter((n) => !n.read).length);

    const page = await inbox(owner2, '?limit=1&offset=1');
    assert.equal(page.json.length, 1);
    assert.equal(page.json[0].id, list[1].id);

    // Someone else's id is ignored; one's own is marked.
    const other = (await inbox(req)).json[0];
    expectStatus(await api('POST', '/api/notifications/read', { token: owner2.token, body: { ids: [list[0].id, other.id] } }), 204);
    const after = await inbox(owner2, '?unread=1&limit=500');
    assert.ok(!after.json.some((n) => n.id === list[0].id), 'marked read');
    assert.equal(Number(after.headers.get('x-unread-count')), unread - 1);
    assert.equal(Number(after.headers.get('x-total-count')), after.json.length, 'unread=1 counts the unread');
    assert.equal((await inbox(req)).json.find((n) => n.id === other.id).read, false, 'another user\'s notification is untouched');

    expectStatus(await api('POST', '/api/notifications/read', { token: owner2.token, body: { all: true } }), 204);
    const none = await inbox(owner2, '?unread=1');
    assert.equal(none.json.length, 0);
    assert.equal(none.headers.get('x-unread-count'), '0');
    assert.ok((await inbox(owner2)).json.every((n) => n.read));
  });

  test('bad requests are 400', async () => {
    for (const body of [{}, { ids: [] }, { ids: 'x' }, { ids: [0] }, { ids: [1.5] }, { all: 'yes' }, { ids: [1], all: true }]) {
      assertError(await api('POST', '/api/notifications/read', { token: owner.token, body }), 400);
    }
    assertError(await api('GET', '/api/notifications?unread=maybe', { token: owner.token }), 400);
    assertError(await api('GET', '/api/notifications?limit=0', { token: owner.token }), 400);
  });
});

describe('reminders from the periodic worker', () => {
  const ofKind = async (s, kind, link) => (await inbox(s, '?limit=500')).json.filter((n) => n.kind === kind && n.link === link);

  test('handover_due: both departments, once per week, when an approved claim is not received after 14 days', async () => {
    const listing = await createListing(owner, SERIAL_DUE);
    const c = await createClaim(req, listing.id);
    expectStatus(await claimAction(owner, c.id, 'approve'), 200);
    expectStatus(await claimAction(alice, c.id, 'approve'), 200);
    const r = spawnSync('psql', [setting('RCYCLE_CLAIMS_DATABASE_URL'), '-v', 'ON_ERROR_STOP=1', '-qAt', '-c',
      `UPDATE claims.claims SET security_approved_at = now() - interval '15 days' WHERE id = ${Number(c.id)}`], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    const link = `/#/claims/${c.id}`;
    for (const s of [owner, owner2, req, reviewer]) {
      const ok = await waitFor(async () => (await ofKind(s, 'handover_due', link)).length > 0, 20000, 500);
      assert.ok(ok, 'each member of both departments is reminded');
    }
    await sleep(11000); // two more runs of the worker
    for (const s of [owner, owner2, req, reviewer]) assert.equal((await ofKind(s, 'handover_due', link)).length, 1, 'once per period');
    assert.equal((await ofKind(alice, 'handover_due', link)).length, 0, 'not to the approver\'s department');
    // Received: no more reminders are due (the claim leaves the due list).
    expectStatus(await claimAction(req, c.id, 'receive'), 200);
  });

  test('listing_expiring: the listing\'s department, once, 3 days before its date', async () => {
    const listing = await createListing(owner, SERIAL_EXPIRING, { expirationDate: utcDatePlus(2) });
    for (const s of [owner, owner2]) {
      const ok = await waitFor(async () => (await inbox(s, '?limit=500')).json.some((n) => n.kind === 'listing_expiring' && n.title.includes(listing.title)), 20000, 500);
      assert.ok(ok, 'the owning department is told');
    }
    await sleep(11000);
    const mine = (await inbox(owner2, '?limit=500')).json.filter((n) => n.kind === 'listing_expiring' && n.title.includes(listing.title));
    assert.equal(mine.length, 1, 'once');
    assert.equal(mine[0].link, '/#/mine');
    assert.ok(!(await inbox(req, '?limit=500')).json.some((n) => n.kind === 'listing_expiring' && n.title.includes(listing.title)), 'no one else');
  });
});
