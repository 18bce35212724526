// deny-withdraw.test.mjs - the other ends of a request: the owner denies it
// with a reason that the requester then reads; the requester withdraws one;
// the owner edits and withdraws a listing.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import {
  assertNoProblems, freeSerial, gotoRoute, isoDatePlus, launch, newPage, rest, restLogin, shot, signIn,
  toast, withdrawOpen,
} from './lib.mjs';

let browser;
let johnToken;
let serial;
let title;
let john;
let jane;
const REASON = 'Reserved for the disaster-recovery site until Q3.';

before(async () => {
  browser = await launch();
  johnToken = await restLogin('john');
  // Set-up over REST: the posting itself is the flow test's subject.
  serial = await freeSerial(johnToken, { prefix: 'NET' });
  title = `E2E switch ${serial} ${Date.now().toString(36)}`;
  const { status, data } = await rest(johnToken, 'POST', '/listings', {
    serialNumber: serial, title, category: 'Networking', expirationDate: isoDatePlus(20),
    location: 'Building A, Network Closet 2', condition: 'Good',
  });
  assert.equal(status, 201, JSON.stringify(data));
  john = (await newPage(browser)).page;
  jane = (await newPage(browser)).page;
  await signIn(john, 'john');
  await signIn(jane, 'jane');
});

after(async () => {
  if (johnToken && serial) await withdrawOpen(johnToken, [serial]);
  if (browser) await browser.close();
});

async function requestIt(page, justification) {
  await gotoRoute(page, '/market');
  await page.getByLabel('Search').fill(title);
  await page.locator('.result-count', { hasText: 'Showing 1–1 of 1 item.' }).waitFor();
  const card = page.locator(`.listing-card[data-serial="${serial}"]`);
  await card.getByRole('button', { name: 'Request this hardware' }).click();
  const dialog = page.getByRole('dialog');
  await dialog.getByLabel('Justification').fill(justification);
  await dialog.getByRole('button', { name: 'Send request' }).click();
  await toast(page, 'Request sent', 'success');
  await dialog.waitFor({ state: 'detached' });
}

test('a request without a justification is not sent', async () => {
  await gotoRoute(jane, '/market');
  await jane.getByLabel('Search').fill(title);
  await jane.locator('.result-count', { hasText: 'Showing 1–1 of 1 item.' }).waitFor();
  await jane.locator(`.listing-card[data-serial="${serial}"]`).getByRole('button', { name: 'Request this hardware' }).click();
  const dialog = jane.getByRole('dialog');
  await dialog.getByLabel('Justification').fill('   ');
  await dialog.getByRole('button', { name: 'Send request' }).click();
  await dialog.getByRole('alert').filter({ hasText: 'Write a short justification first' }).waitFor();
  await shot(jane, 'deny-01-empty-justification', { full: false });
  await jane.keyboard.press('Escape');
  await dialog.waitFor({ state: 'detached' });
});

test('the owner denies with a reason, and the requester reads it', async () => {
  await requestIt(jane, 'Lab switch for the new test bench.');

  await gotoRoute(john, '/mine');
  const incoming = john.locator('.incoming .claim-card', { hasText: title });
  await incoming.waitFor();
  await incoming.getByRole('button', { name: 'Deny…' }).click();
  const dialog = john.getByRole('dialog');
  await dialog.getByLabel('Reason').fill(REASON);
  await shot(john, 'deny-02-deny-dialog', { full: false });
  await dialog.getByRole('button', { name: 'Deny request' }).click();
  assert.match(await toast(john, 'Denied the request', 'success'), /Data Center Operations/);
  await incoming.waitFor({ state: 'detached' });

  await gotoRoute(jane, '/requests');
  const claim = jane.locator('.claim-card', { hasText: title }).first();
  await claim.locator('.badge', { hasText: 'Denied' }).waitFor();
  const owner = claim.locator('.step[data-step="owner"]');
  assert.equal(await owner.getAttribute('data-state'), 'denied');
  // The timeline names who acted (the claim's events carry the name).
  assert.match(await owner.textContent(), /John Doe \(IT Infrastructure\)/);
  const outcome = claim.locator('.step[data-step="outcome"]');
  assert.match(await outcome.textContent(), new RegExp(REASON.replace(/[.]/g, '\\.')));
  await shot(jane, 'deny-03-requester-sees-reason');

  await claim.getByRole('link', { name: 'Audit trail' }).click();
  await jane.locator('table.audit tbody tr').nth(1).waitFor();
  assert.match(await jane.locator('table.audit').textContent(), new RegExp(REASON.replace(/[.]/g, '\\.')));
  await shot(jane, 'deny-04-audit-trail');
});

test('the requester withdraws a request, and the item is back on offer', async () => {
  await requestIt(jane, 'Second try: lab switch for the test bench.');
  await gotoRoute(jane, '/requests');
  const claim = jane.locator('.claim-card', { hasText: title }).filter({ hasText: 'Second try' });
  await claim.waitFor();
  await claim.getByRole('button', { name: 'Withdraw request…' }).click();
  const dialog = jane.getByRole('dialog');
  await shot(jane, 'withdraw-01-confirm', { full: false });
  await dialog.getByRole('button', { name: 'Withdraw request' }).click();
  await toast(jane, 'Withdrew your request', 'success');
  await claim.locator('.badge', { hasText: 'Withdrawn' }).waitFor();
  const outcome = claim.locator('.step[data-step="outcome"]');
  assert.equal(await outcome.getAttribute('data-state'), 'ended');
  assert.match(await outcome.textContent(), /withdrawn by you/);
  assert.equal(await claim.getByRole('button', { name: 'Withdraw request…' }).count(), 0);
  await shot(jane, 'withdraw-02-withdrawn');

  await gotoRoute(jane, '/market');
  await jane.getByLabel('Search').fill(title);
  await jane.locator('.result-count', { hasText: 'Showing 1–1 of 1 item.' }).waitFor();
  const card = jane.locator(`.listing-card[data-serial="${serial}"]`);
  assert.match(await card.locator('.badge').textContent(), /Available/);
  await card.getByRole('button', { name: 'Request this hardware' }).waitFor();
});

test('the owner edits a listing, then withdraws it', async () => {
  await gotoRoute(john, '/mine');
  const card = john.locator(`.listing-card[data-serial="${serial}"]`, { hasText: title });
  await card.waitFor();
  await card.getByRole('button', { name: 'Edit…' }).click();
  const dialog = john.getByRole('dialog');
  await dialog.getByLabel('Location').fill('Building C, Loading dock');
  await shot(john, 'listing-01-edit-dialog', { full: false });
  await dialog.getByRole('button', { name: 'Save changes' }).click();
  await toast(john, 'Saved', 'success');
  await card.getByText('Building C, Loading dock').waitFor();

  await card.getByRole('button', { name: 'Withdraw…' }).click();
  await john.getByRole('dialog').getByRole('button', { name: 'Withdraw listing' }).click();
  await toast(john, 'Withdrew', 'success');
  const withdrawn = john.locator(`.listing-card[data-serial="${serial}"]`, { hasText: title });
  await withdrawn.locator('.badge', { hasText: 'Withdrawn' }).waitFor();
  assert.equal(await withdrawn.getByRole('button').count(), 0, 'a withdrawn listing has no actions');
  await shot(john, 'listing-02-withdrawn');

  const { data } = await rest(johnToken, 'GET', `/listings?search=${encodeURIComponent(title)}`);
  assert.equal(data[0].status, 'withdrawn');
  assert.equal(data[0].location, 'Building C, Loading dock');
  assertNoProblems(john);
  assertNoProblems(jane);
});
