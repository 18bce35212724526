// audit.test.mjs - the Audit page (#/audit): Alice (security) finds a
// claim's events by filter, follows an event to the claim, whose timeline
// names the people who acted, and downloads the export, which
// rcycle-admin verify-audit accepts; Bob (a member) has no Audit page.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { after, before, test } from 'node:test';
import {
  USERS, assertNoProblems, freeSerial, gotoRoute, isoDatePlus, launch, newPage, openNav, rest, restLogin, settled,
  shot, signIn, withdrawOpen,
} from './lib.mjs';

const ADMIN_TOOL = join(resolve(process.env.BUILD_DIR || 'build'), 'db', 'rcycle-admin');

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

// A listing of Jane's that Bob claimed and Jane approved, over REST.
async function approvedByOwner() {
  const jane = await restLogin('jane');
  const bob = await restLogin('bob');
  const serial = await freeSerial(adminToken, { prefix: 'NET' });
  posted.push(serial);
  const hw = await rest(jane, 'GET', `/hardware?serial=${encodeURIComponent(serial)}`);
  assert.equal(hw.status, 200);
  const listing = await rest(jane, 'POST', '/listings', {
    serialNumber: serial, title: `E2E audit ${serial}`, category: hw.data.category, condition: 'Good',
    location: 'Building A', expirationDate: isoDatePlus(30),
  });
  assert.equal(listing.status, 201, JSON.stringify(listing.data));
  const claim = await rest(bob, 'POST', '/claims', { listingId: listing.data.id, justification: 'Audit page test.' });
  assert.equal(claim.status, 201, JSON.stringify(claim.data));
  const approved = await rest(jane, 'POST', `/claims/${claim.data.id}/approve`);
  assert.equal(approved.status, 200, JSON.stringify(approved.data));
  return claim.data;
}

test('security filters the trail, opens the claim with names on its timeline, and exports a verifiable trail', async () => {
  const claim = await approvedByOwner();
  const { page, context } = await newPage(browser);
  await signIn(page, 'alice');
  await openNav(page, 'Audit');
  await page.locator('#audit-table tbody tr').first().waitFor();
  await shot(page, 'audit-01-trail');

  await page.getByLabel('About').selectOption('claim');
  await page.getByLabel('Id').fill(String(claim.id));
  await page.getByRole('button', { name: 'Apply filters' }).click();
  const rows = page.locator('#audit-table tbody tr');
  await rows.filter({ hasText: 'owner_approved' }).waitFor();
  const actions = await rows.locator('th').allTextContents();
  for (const a of ['created', 'owner_approved']) assert.ok(actions.includes(a), `${a} in ${actions}`);
  assert.match(await rows.filter({ hasText: 'owner_approved' }).textContent(), new RegExp(USERS.jane.email));
  assert.match(page.url(), new RegExp(`entityId=${claim.id}`), 'the filters are in the address');
  await shot(page, 'audit-02-filtered');

  await rows.first().getByRole('link', { name: `claim ${claim.id}` }).click();
  await settled(page, 'claim');
  const timeline = page.locator('.timeline');
  await timeline.waitFor();
  const text = await timeline.textContent();
  assert.match(text, new RegExp(`${USERS.bob.name} \\(${USERS.bob.department}\\)`));
  assert.match(text, new RegExp(`${USERS.jane.name} \\(${USERS.jane.department}\\)`));
  await shot(page, 'audit-03-claim-timeline');

  await gotoRoute(page, '/audit');
  const [download] = await Promise.all([
    page.waitForEvent('download'),
    page.getByRole('link', { name: 'Export (NDJSON)' }).click(),
  ]);
  assert.match(download.suggestedFilename(), /^rcycle-audit-\d{4}-\d{2}-\d{2}\.ndjson$/);
  const file = await download.path();
  const lines = readFileSync(file, 'utf8').split('\n').filter((l) => l !== '');
  assert.ok(lines.some((l) => JSON.parse(l).entityId === String(claim.id)), 'the export holds the claim');
  const verify = spawnSync(ADMIN_TOOL, ['verify-audit', file], { encoding: 'utf8', timeout: 120000 });
  assert.equal(verify.status, 0, verify.stdout + verify.stderr);
  assertNoProblems(page);
  await context.close();
});

test('a member has no Audit page', async () => {
  const { page, context } = await newPage(browser);
  await signIn(page, 'bob');
  assert.equal(await page.locator('#site-nav').getByRole('link', { name: 'Audit', exact: true }).count(), 0);
  await gotoRoute(page, '/audit');
  await page.locator('main', { hasText: 'This page is for the Security Team and administrators.' }).waitFor();
  await shot(page, 'audit-04-member');
  assertNoProblems(page);
  await context.close();
});
