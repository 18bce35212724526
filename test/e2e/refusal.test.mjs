// refusal.test.mjs - Post hardware refuses hardware that the registry says
// still holds storage media, before anything is sent, and says which media;
// an unknown serial gets a plain message; a clean one fills in the specs and
// shows the CO2 it would save.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { assertNoProblems, launch, newPage, openNav, shot, signIn } from './lib.mjs';

let browser;
let page;

before(async () => {
  browser = await launch();
  page = (await newPage(browser)).page;
  await signIn(page, 'bob');
  await openNav(page, 'Post hardware');
});

after(async () => {
  if (browser) await browser.close();
});

async function lookUp(serial, kind) {
  const input = page.getByLabel('Serial number');
  await input.fill('');
  await input.pressSequentially(serial, { delay: 5 });
  await page.locator(`#lookup-status[data-kind="${kind}"]`).waitFor();
}

test('hardware with storage media is refused, with the media named', async () => {
  await page.locator('form.post-form').waitFor();
  await shot(page, 'post-01-empty-form');
  await lookUp('SRV002-HP-DL380', 'refused');
  const refusal = page.locator('.refusal');
  await refusal.waitFor();
  assert.equal(await refusal.getAttribute('role'), 'alert');
  const text = await refusal.textContent();
  assert.match(text, /cannot be posted: it still holds storage media/);
  assert.match(text, /2x 1TB SSD/);
  assert.match(text, /Remove and destroy the media/);
  const submit = page.locator('form.post-form').getByRole('button', { name: 'Post hardware' });
  assert.equal(await submit.isDisabled(), true, 'no way to post it');
  assert.equal(await page.getByLabel('Storage').inputValue(), '2x 1TB SSD');
  await shot(page, 'post-02-storage-media-refused');

  await lookUp('STR001-NETAPP-FAS', 'refused');
  assert.match(await refusal.textContent(), /24x 1\.2TB SAS HDD/);
  assert.match(await page.locator('.impact').textContent(), /800 kg of CO2/);
});

test('an unknown serial number gets a plain message', async () => {
  await lookUp('NOPE-0000-E2E', 'notfound');
  assert.match(await page.locator('#lookup-status').textContent(), /is not in the hardware registry/);
  assert.equal(await page.locator('.refusal').isVisible(), false);
  await shot(page, 'post-03-unknown-serial');
});

test('a clean serial fills in the specs and shows the CO2 it would save', async () => {
  await lookUp('NET002-CISCO-ASR', 'found');
  assert.equal(await page.getByLabel('Title').inputValue(), 'Cisco ASR 1001-X');
  assert.equal(await page.getByLabel('Category').inputValue(), 'Networking');
  assert.equal(await page.getByLabel('Ports').inputValue(), '6x 1GbE, 2x 10GbE SFP+');
  assert.equal(await page.getByLabel('RAM').inputValue(), '8GB');
  assert.match(await page.locator('.impact').textContent(), /300 kg of CO2/);
  assert.equal(await page.locator('form.post-form').getByRole('button', { name: 'Post hardware' }).isDisabled(), false);
  await shot(page, 'post-04-specs-filled');
  // NET002-CISCO-ASR has a seeded open listing: the API refuses a second one,
  // and the page says so in plain words.
  await page.locator('form.post-form').getByRole('button', { name: 'Post hardware' }).click();
  await page.locator('#toast[data-kind="error"]', { hasText: 'Could not post the hardware' }).waitFor();
  assert.match(await page.locator('#toast-alert').textContent(), /already has an active listing/);
  await shot(page, 'post-05-duplicate-refused');
  assertNoProblems(page);
});
