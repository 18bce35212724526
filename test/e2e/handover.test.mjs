// handover.test.mjs - after approval: Jane (Data Center Operations) presses
// "Handed over" on the claim page, Bob (Development Team) sees the state on
// his requests and presses "Received", Jane's list shows it received, and
// the leaderboard counts it under Received. The claim is made and approved
// over REST; the browser part is the handover.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import {
  USERS, assertNoProblems, gotoRoute, isoDatePlus, launch, newPage, rest, restLogin, shot, signIn, toast,
  withdrawOpen,
} from './lib.mjs';

// A registry.csv device of this file's own.
const SERIAL = 'SRV947-TEST';

let browser;
let tokens;

before(async () => {
  browser = await launch();
  tokens = {};
  for (const who of ['john', 'jane', 'bob', 'alice']) tokens[who] = await restLogin(who);
  await withdrawOpen(tokens.john, [SERIAL]);
});

after(async () => {
  if (tokens?.john) await withdrawOpen(tokens.john, [SERIAL]);
  if (browser) await browser.close();
});

async function approvedClaim() {
  const title = `E2E handover ${Date.now().toString(36)}`;
  const posted = await rest(tokens.jane, 'POST', '/listings',
    { serialNumber: SERIAL, title, category: 'Server', expirationDate: isoDatePlus(30) });
  assert.equal(posted.status, 201, JSON.stringify(posted.data));
  const claim = await rest(tokens.bob, 'POST', '/claims', { listingId: posted.data.id, justification: 'E2E handover' });
  assert.equal(claim.status, 201, JSON.stringify(claim.data));
  for (const who of ['jane', 'alice']) {
    const r = await rest(tokens[who], 'POST', `/claims/${claim.data.id}/approve`);
    assert.equal(r.status, 200, JSON.stringify(r.data));
  }
  return { id: claim.data.id, title };
}

async function receivedCount(page) {
  await gotoRoute(page, '/leaderboard');
  const row = page.locator(`table.leaderboard tbody tr[data-department="${USERS.jane.department}"]`);
  await row.waitFor();
  return Number((await row.locator('td.items-received').textContent()).replace(/,/g, ''));
}

test('approved -> the owner hands over -> the requester confirms receipt -> the leaderboard counts it', async () => {
  const { id, title } = await approvedClaim();
  const jane = (await newPage(browser)).page;
  await signIn(jane, 'jane');
  const before = await receivedCount(jane);

  await gotoRoute(jane, `/claims/${id}`);
  const card = jane.locator(`.claim-detail[data-claim-id="${id}"]`);
  await card.locator('.badge[data-handover="awaiting"]').waitFor();
  assert.equal(await card.getByRole('button', { name: 'Received' }).count(), 0, 'the owner cannot confirm receipt');
  await card.getByRole('button', { name: 'Handed over' }).click();
  assert.match(await toast(jane, 'Recorded', 'success'), /handed over to Development Team/);
  await card.locator('.badge[data-handover="handed_over"]').waitFor();
  assert.equal(await card.getByRole('button', { name: 'Handed over' }).count(), 0, 'the step is taken once');
  assert.match(await card.locator('.step[data-step="handover"]').textContent(), /handed over by you/);
  await shot(jane, 'handover-01-handed-over');

  const bob = (await newPage(browser)).page;
  await signIn(bob, 'bob');
  await gotoRoute(bob, '/requests');
  const mine = bob.locator(`.claim-card[data-claim-id="${id}"]`, { hasText: title });
  await mine.locator('.badge[data-handover="handed_over"]').waitFor();
  assert.equal(await mine.getByRole('button', { name: 'Handed over' }).count(), 0, 'the requester cannot hand over');
  await mine.getByRole('button', { name: 'Received' }).click();
  assert.match(await toast(bob, 'Confirmed', 'success'), /Development Team received/);
  await mine.locator('.badge[data-handover="received"]').waitFor();
  assert.equal(await mine.locator('.step[data-step="handover"]').getAttribute('data-state'), 'done');
  await shot(bob, 'handover-02-received');

  await gotoRoute(bob, `/claims/${id}`);
  const trail = bob.locator('table.audit');
  await trail.locator('tbody tr', { hasText: 'Received' }).waitFor();
  assert.match(await trail.textContent(), /Handed over/);

  await gotoRoute(jane, '/mine');
  const history = jane.locator(`.history li[data-claim-id="${id}"]`);
  await history.waitFor({ state: 'attached' });
  assert.match(await history.textContent(), /Received/);
  assert.equal(await receivedCount(jane), before + 1, 'the leaderboard counts the received item');
  await shot(jane, 'handover-03-leaderboard');

  for (const p of [jane, bob]) assertNoProblems(p);
  for (const p of [jane, bob]) await p.context().close();
});
