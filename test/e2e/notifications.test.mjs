// notifications.test.mjs - the bell and the inbox: Jane (Data Center
// Operations) is signed in when Bob requests her listing (over REST); her
// bell counts it without a reload, the inbox shows it linking to the
// request, opening it marks it read, and "Mark all read" clears the bell.
// Bob's bell then counts Jane's approval. Bob watches a search on the
// marketplace, and Jane's new listing that matches it reaches his inbox.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import {
  assertNoProblems, gotoRoute, isoDatePlus, launch, newPage, rest, restLogin, shot, signIn, toast, withdrawOpen,
} from './lib.mjs';

// A registry.csv device of this file's own.
const SERIAL = 'NET960-TEST';
const WATCH_SERIAL = 'SRV965-TEST';

let browser;
let tokens;

before(async () => {
  browser = await launch();
  tokens = {};
  for (const who of ['john', 'jane', 'bob']) tokens[who] = await restLogin(who);
  await withdrawOpen(tokens.john, [SERIAL, WATCH_SERIAL]);
});

after(async () => {
  if (tokens?.john) await withdrawOpen(tokens.john, [SERIAL, WATCH_SERIAL]);
  if (browser) await browser.close();
});

async function unread(page) {
  return Number(await page.locator('#bell').getAttribute('data-unread'));
}

// Waits (polling, no reload) until the bell shows more than before; the UI polls every 15 s.
async function bellAbove(page, before) {
  await page.waitForFunction((n) => Number(document.querySelector('#bell')?.dataset.unread) > n, before, { timeout: 45000 });
  return unread(page);
}

test('the bell counts a new request without a reload; the inbox links to it and marks read', async () => {
  const jane = (await newPage(browser)).page;
  await signIn(jane, 'jane');
  await jane.locator('#bell[data-unread]').waitFor({ state: 'attached' });
  // Start from an empty inbox, so the count is this test's.
  assert.equal((await rest(tokens.jane, 'POST', '/notifications/read', { all: true })).status, 204);
  await gotoRoute(jane, '/market');
  await jane.waitForFunction(() => document.querySelector('#bell')?.dataset.unread === '0', null, { timeout: 45000 });
  const startUrl = jane.url();

  const title = `E2E bell ${Date.now().toString(36)}`;
  const posted = await rest(tokens.jane, 'POST', '/listings',
    { serialNumber: SERIAL, title, category: 'Networking', expirationDate: isoDatePlus(30) });
  assert.equal(posted.status, 201, JSON.stringify(posted.data));
  const claim = await rest(tokens.bob, 'POST', '/claims', { listingId: posted.data.id, justification: 'E2E bell' });
  assert.equal(claim.status, 201, JSON.stringify(claim.data));

  assert.equal(await bellAbove(jane, 0), 1);
  assert.equal(jane.url(), startUrl, 'no navigation happened');
  assert.match(await jane.locator('#bell').getAttribute('aria-label'), /1 unread/);
  await shot(jane, 'bell-01-counted');

  await jane.locator('#bell').click();
  await jane.locator('main h1', { hasText: 'Notifications' }).waitFor();
  const item = jane.locator('.notification', { hasText: title });
  await item.waitFor();
  assert.equal(await item.getAttribute('data-kind'), 'claim_received');
  assert.equal(await item.locator('.notification-link').getAttribute('href'), `/#/claims/${claim.data.id}`);
  await shot(jane, 'bell-02-inbox');
  await item.locator('.notification-link').click();
  await jane.locator('main h1', { hasText: `Request #${claim.data.id}` }).waitFor();
  await jane.waitForFunction(() => document.querySelector('#bell')?.dataset.unread === '0', null, { timeout: 45000 });

  // Bob is told of Jane's approval; "Mark all read" clears his bell.
  const bob = (await newPage(browser)).page;
  await signIn(bob, 'bob');
  await bob.locator('#bell[data-unread]').waitFor({ state: 'attached' });
  const bobBefore = await unread(bob);
  assert.equal((await rest(tokens.jane, 'POST', `/claims/${claim.data.id}/approve`)).status, 200);
  assert.ok(await bellAbove(bob, bobBefore) > bobBefore);
  await bob.locator('#bell').click();
  await bob.locator('.notification[data-kind="claim_decided"]', { hasText: title }).waitFor();
  await bob.getByRole('button', { name: 'Mark all read' }).click();
  await bob.locator('.notification.is-unread').first().waitFor({ state: 'detached' });
  await bob.waitForFunction(() => document.querySelector('#bell')?.dataset.unread === '0', null, { timeout: 45000 });
  await shot(bob, 'bell-03-all-read');

  assert.equal((await rest(tokens.bob, 'POST', `/claims/${claim.data.id}/withdraw`)).status, 200);
  for (const p of [jane, bob]) assertNoProblems(p);
  for (const p of [jane, bob]) await p.context().close();
});

test('"Watch this search" on the marketplace: a new match arrives in the inbox; My watches stops it', async () => {
  const word = `e2ewatch${Date.now().toString(36)}`;
  const bob = (await newPage(browser)).page;
  await signIn(bob, 'bob');
  await bob.getByLabel('Search').fill(word);
  await bob.getByRole('button', { name: 'Watch this search' }).click();
  assert.match(await toast(bob, 'Watching', 'success'), new RegExp(word));
  const mine = bob.locator('#my-watches li', { hasText: word });
  await mine.waitFor({ state: 'attached' });
  await shot(bob, 'watch-01-watching');
  await bob.locator('#bell[data-unread]').waitFor({ state: 'attached' });
  const before = await unread(bob);

  const posted = await rest(tokens.jane, 'POST', '/listings',
    { serialNumber: WATCH_SERIAL, title: `E2E ${word} server`, category: 'Server', expirationDate: isoDatePlus(30) });
  assert.equal(posted.status, 201, JSON.stringify(posted.data));
  assert.ok(await bellAbove(bob, before) > before, 'the bell counts the match');
  await bob.locator('#bell').click();
  await bob.locator('.notification[data-kind="watch_match"]', { hasText: word }).waitFor();
  await shot(bob, 'watch-02-match');

  await gotoRoute(bob, '/market');
  await bob.locator('#my-watches summary').click();
  await bob.locator('#my-watches li', { hasText: word }).getByRole('button', { name: 'Stop watching' }).click();
  await bob.locator('#my-watches li', { hasText: word }).waitFor({ state: 'detached' });
  const left = await rest(tokens.bob, 'GET', '/watches');
  assert.ok(!left.data.some((w) => w.search === word), 'the watch is gone');
  assertNoProblems(bob);
  await bob.context().close();
});
