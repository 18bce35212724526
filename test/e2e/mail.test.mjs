// mail.test.mjs - email notifications in the browser: a member turns the
// emails off and on again on their Account page, and an admin finds a dead
// letter on the Mail page and sends it again through the test relay. The
// dead letter is written white-box with svc-users' database role, as the
// integration suite's mail tests do (a relay that refuses for long enough to
// kill one would take a while).
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { after, before, test } from 'node:test';
import { GATEWAY_URL, assertNoProblems, gotoRoute, launch, newPage, rest, restLogin, shot, signIn, toast } from './lib.mjs';

const PASSWORD = 'e2e-password-mail-1';
let browser;
let johnToken;

function usersSql(sql) {
  const url = process.env.RCYCLE_USERS_DATABASE_URL;
  assert.ok(url, 'the stack records the users database URL');
  return execFileSync('psql', [url, '-v', 'ON_ERROR_STOP=1', '-qAt', '-c', sql], { encoding: 'utf8', timeout: 10000 }).trim();
}

before(async () => {
  browser = await launch();
  johnToken = await restLogin('john');
  const control = process.env.RCYCLE_TEST_SMTP_CONTROL;
  assert.ok(control, 'the stack has the test relay');
  assert.equal((await fetch(`${control}/reset`, { method: 'POST' })).status, 200);
});

after(async () => {
  if (browser) await browser.close();
});

async function newAccount() {
  const suffix = `${Date.now().toString(36)}${Math.floor(Math.random() * 1e6).toString(36)}`;
  const body = { email: `mail-${suffix}@e2e.example`, name: `E2E Mail ${suffix}`, department: `E2E Mail ${suffix}`,
    password: PASSWORD, roles: ['member'] };
  const { status, data } = await rest(johnToken, 'POST', '/users', body);
  assert.equal(status, 201, JSON.stringify(data));
  return { ...data, password: PASSWORD };
}

async function emailNotifications(account) {
  const { data } = await rest(johnToken, 'GET', '/users');
  return data.find((u) => u.id === account.id).emailNotifications;
}

test('a member turns email notifications off on the Account page, and on again', async () => {
  const account = await newAccount();
  const { page } = await newPage(browser);
  await page.goto(`${GATEWAY_URL}/#/market`);
  await page.getByLabel('E-mail').fill(account.email);
  await page.getByLabel('Password').fill(account.password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.locator('#user-name', { hasText: account.name }).waitFor({ state: 'attached' });
  await page.locator('#nav-account').click();
  await page.getByRole('heading', { name: 'Account' }).waitFor();
  const box = page.getByLabel('Email me my notifications');
  assert.equal(await box.isChecked(), true, 'on by default');
  await box.uncheck();
  await page.getByRole('button', { name: 'Save' }).click();
  await toast(page, 'no longer emailed', 'success');
  assert.equal(await emailNotifications(account), false);
  await shot(page, 'mail-01-account-off');
  await page.reload();
  await page.getByRole('heading', { name: 'Account' }).waitFor();
  assert.equal(await page.getByLabel('Email me my notifications').isChecked(), false, 'still off after a reload');
  await page.getByLabel('Email me my notifications').check();
  await page.getByRole('button', { name: 'Save' }).click();
  await toast(page, 'are emailed to you', 'success');
  assert.equal(await emailNotifications(account), true);
  assertNoProblems(page);
});

test('an admin sees a dead letter on the Mail page and sends it again', async () => {
  const account = await newAccount();
  const id = usersSql(`INSERT INTO users.mail_outbox (user_id, subject, body_text, link, state, attempts, last_error)
    VALUES (${Number(account.id)}, 'E2E dead letter', 'body', '/#/market', 'dead', 5, 'RCPT failed: 451') RETURNING id`);
  const { page } = await newPage(browser);
  await signIn(page, 'john');
  await gotoRoute(page, '/mail');
  const row = page.locator(`tr[data-mail-id="${id}"]`);
  await row.waitFor();
  assert.match(await row.textContent(), /E2E dead letter/);
  assert.match(await row.textContent(), /RCPT failed: 451/);
  await shot(page, 'mail-02-dead-letters');
  await row.getByRole('button', { name: `Send email ${id} again` }).click();
  await page.getByRole('dialog').getByRole('button', { name: 'Send again' }).click();
  await toast(page, `Email ${id} is queued again`, 'success');
  await row.waitFor({ state: 'detached' });
  for (let i = 0; i < 150 && usersSql(`SELECT state FROM users.mail_outbox WHERE id = ${id}`) !== 'sent'; i++)
    await new Promise((r) => setTimeout(r, 200));
  assert.equal(usersSql(`SELECT state FROM users.mail_outbox WHERE id = ${id}`), 'sent');
  await page.getByLabel('Show').selectOption('sent');
  await page.locator(`tr[data-mail-id="${id}"][data-state="sent"]`).waitFor();
  assertNoProblems(page);
});

test('a member has no Mail page', async () => {
  const { page } = await newPage(browser);
  await signIn(page, 'jane');
  assert.equal(await page.locator('#site-nav a[data-nav="mail"]').count(), 0);
  await page.goto(`${GATEWAY_URL}/#/mail`);
  await page.getByText('This page is for administrators.').waitFor();
  assertNoProblems(page);
});
