// flow.test.mjs - the whole life of an item, by three people in three
// browsers: Jane (Data Center Operations) posts it, Bob (Development Team)
// requests it, Jane approves as the owner, Alice (Security Team) approves,
// Bob sees it approved, and the leaderboard credits Jane's department with
// the CO2 of a reused server.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import {
  USERS, assertNoProblems, freeSerial, gotoRoute, kg, launch, leaderboardKg, newPage, openNav, restLogin,
  shot, signIn, toast, withdrawOpen,
} from './lib.mjs';

let browser;
let adminToken;
const posted = [];

before(async () => {
  browser = await launch();
  adminToken = await restLogin('john');
});

after(async () => {
  if (adminToken) await withdrawOpen(adminToken, posted);
  if (browser) await browser.close();
});

test('post -> claim -> owner approves -> security approves -> leaderboard shows the CO2', async () => {
  const serial = await freeSerial(adminToken, { prefix: 'SRV' });
  posted.push(serial);
  const title = `E2E server ${serial} ${Date.now().toString(36)}`;

  // --- Jane posts it ---
  const jane = (await newPage(browser)).page;
  await signIn(jane, 'jane');
  await shot(jane, 'flow-01-marketplace-jane');
  const co2Before = await leaderboardKg(jane, USERS.jane.department);
  await shot(jane, 'flow-02-leaderboard-before');

  await openNav(jane, 'Post hardware');
  await jane.getByLabel('Serial number').pressSequentially(serial, { delay: 5 });
  await jane.locator('#lookup-status[data-kind="found"]').waitFor();
  assert.match(await jane.locator('#lookup-status').textContent(), /no storage media/);
  assert.notEqual(await jane.getByLabel('CPU').inputValue(), '', 'CPU filled in from the registry');
  assert.notEqual(await jane.getByLabel('RAM').inputValue(), '', 'RAM filled in from the registry');
  assert.equal(await jane.getByLabel('Category').inputValue(), 'Server');
  assert.match(await jane.locator('.impact').textContent(), /1,300 kg of CO2/);
  await jane.getByLabel('Title').fill(title);
  await jane.getByLabel('Location').fill('Building E, Floor 1, Rack 7');
  await jane.getByLabel('Description').fill('Posted by the end-to-end test.');
  await shot(jane, 'flow-03-post-filled');
  await jane.locator('form.post-form').getByRole('button', { name: 'Post hardware' }).click();
  assert.match(await toast(jane, 'Posted', 'success'), new RegExp(title));
  await jane.locator('main h1', { hasText: 'My listings' }).waitFor();
  const myCard = jane.locator(`.listing-card[data-serial="${serial}"]`, { hasText: title });
  await myCard.waitFor();
  assert.match(await myCard.textContent(), /Available/);
  await shot(jane, 'flow-04-my-listings-posted');

  // --- Bob finds it and requests it ---
  const bob = (await newPage(browser)).page;
  await signIn(bob, 'bob');
  await bob.getByLabel('Search').fill(title);
  await bob.locator('.result-count', { hasText: 'Showing 1–1 of 1 item.' }).waitFor();
  const card = bob.locator(`.listing-card[data-serial="${serial}"]`);
  await card.waitFor();
  assert.equal(await bob.locator('.listing-card').count(), 1, 'the search finds exactly the new item');
  assert.match(await card.textContent(), /1,300 kg CO2 saved when reused/);
  assert.match(await card.textContent(), /Expires \d{4}-\d{2}-\d{2} \(in \d+ days\)/);
  await shot(bob, 'flow-05-marketplace-search');
  await card.getByRole('button', { name: 'Request this hardware' }).click();
  const dialog = bob.getByRole('dialog');
  await dialog.waitFor();
  await dialog.getByLabel('Justification').fill('Build agents for the CI farm of the Development Team.');
  await shot(bob, 'flow-06-request-dialog', { full: false });
  await dialog.getByRole('button', { name: 'Send request' }).click();
  assert.match(await toast(bob, 'Request sent', 'success'), /Data Center Operations reviews it next/);
  await dialog.waitFor({ state: 'detached' });

  await openNav(bob, 'My requests');
  const bobClaim = bob.locator('.claim-card', { hasText: title });
  await bobClaim.waitFor();
  assert.match(await bobClaim.locator('.badge').textContent(), /Waiting for owner/);
  assert.equal(await bobClaim.locator('.step[data-step="owner"]').getAttribute('data-state'), 'current');
  const claimId = await bobClaim.getAttribute('data-claim-id');
  assert.ok(Number(claimId) > 0);
  await shot(bob, 'flow-07-my-requests-pending');

  // --- Jane approves as the owner ---
  await openNav(jane, 'My listings');
  const incoming = jane.locator(`.incoming .claim-card[data-claim-id="${claimId}"]`);
  await incoming.waitFor();
  assert.match(await incoming.textContent(), /Development Team/);
  assert.match(await incoming.textContent(), /Build agents for the CI farm/);
  await shot(jane, 'flow-08-incoming-request');
  await incoming.getByRole('button', { name: 'Approve' }).click();
  assert.match(await toast(jane, 'Approved for Development Team', 'success'), /Security Team reviews it next/);

  // --- Alice approves for security ---
  const alice = (await newPage(browser)).page;
  await signIn(alice, 'alice');
  await openNav(alice, 'Security review');
  const review = alice.locator(`.claim-card[data-claim-id="${claimId}"]`);
  await review.waitFor();
  assert.match(await review.textContent(), /Registry: no storage media/);
  assert.match(await review.locator('.step[data-step="owner"]').textContent(), /jane\.smith@company\.com/);
  await shot(alice, 'flow-09-security-review');
  await review.getByRole('button', { name: 'Approve' }).click();
  assert.match(await toast(alice, 'Approved:', 'success'), /goes to Development Team/);
  await review.waitFor({ state: 'detached' });

  // --- Bob sees it approved, with who and when ---
  await gotoRoute(bob, '/requests');
  const done = bob.locator(`.claim-card[data-claim-id="${claimId}"]`);
  await done.locator('.badge', { hasText: 'Approved' }).waitFor();
  for (const step of ['requested', 'owner', 'security', 'outcome']) {
    assert.equal(await done.locator(`.step[data-step="${step}"]`).getAttribute('data-state'), 'done', step);
  }
  // With the claim's events at hand the timeline names the people.
  assert.match(await done.locator('.step[data-step="owner"]').textContent(), /Jane Smith \(Data Center Operations\)/);
  assert.match(await done.locator('.step[data-step="security"]').textContent(), /Alice Williams \(Security Team\)/);
  await shot(bob, 'flow-10-my-requests-approved');

  await done.getByRole('link', { name: 'Audit trail' }).click();
  await bob.locator('main h1', { hasText: `Request #${claimId}` }).waitFor();
  const rows = bob.locator('table.audit tbody tr');
  await rows.first().waitFor();
  assert.equal(await rows.count(), 3);
  const trail = await bob.locator('table.audit').textContent();
  assert.match(trail, /Requested/);
  assert.match(trail, /Approved by owner/);
  assert.match(trail, /Approved by security/);
  await shot(bob, 'flow-11-audit-trail');

  // --- the leaderboard credits Jane's department ---
  const co2After = await leaderboardKg(jane, USERS.jane.department);
  assert.equal(co2After, co2Before + 1300, 'a reused server saves 1,300 kg');
  const bar = jane.locator(`.chart g[data-department="${USERS.jane.department}"] rect.bar-saved`);
  assert.ok(Number(await bar.getAttribute('width')) > 0, 'the chart draws a bar for the CO2 saved');
  assert.equal(Number(await bar.getAttribute('data-kg')), co2After);
  assert.equal(kg(await jane.locator(`.chart g[data-department="${USERS.jane.department}"] .chart-value`).textContent()), co2After);
  await shot(jane, 'flow-12-leaderboard-after');

  for (const p of [jane, bob, alice]) assertNoProblems(p);
  for (const p of [jane, bob, alice]) await p.context().close();
});
