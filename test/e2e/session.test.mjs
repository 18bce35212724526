// session.test.mjs - signing in and out with the cookie session and the
// CSRF token of docs/API.md: a reload keeps the session (the token lives in
// sessionStorage), a tab without the token asks to sign in again, sign-out
// ends the session on the server, an ended session leads to the sign-in page.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import {
  GATEWAY_URL, USERS, assertNoProblems, gotoRoute, launch, newPage, shot, signIn, watch,
} from './lib.mjs';

let browser;

before(async () => {
  browser = await launch();
});

after(async () => {
  if (browser) await browser.close();
});

test('a wrong password shows the API message', async () => {
  const { page, context } = await newPage(browser);
  await page.goto(`${GATEWAY_URL}/`);
  await page.getByRole('heading', { name: 'Sign in to R-Cycle' }).waitFor();
  await shot(page, 'session-01-sign-in');
  // An address nobody has, so that no real account gets rate-limited.
  await page.getByLabel('E-mail').fill(`nobody-${Date.now()}@company.com`);
  await page.getByLabel('Password').fill('not-the-password');
  await page.getByRole('button', { name: 'Sign in' }).click();
  const alert = page.locator('.login-form [role="alert"]');
  await alert.filter({ hasText: 'Invalid email or password' }).waitFor();
  assert.match(await alert.textContent(), /Could not sign in: Invalid email or password\./);
  await shot(page, 'session-02-wrong-password');
  await context.close();
});

test('the session and its CSRF token survive a reload; sign-out ends the session', async () => {
  const { page, context } = await newPage(browser);
  await signIn(page, 'john');
  const stored = await page.evaluate(() => ({ ...sessionStorage }));
  assert.ok(stored['rcycle.csrfToken'], 'the CSRF token is in sessionStorage');
  assert.equal(Object.values(stored).some((v) => String(v).length > 0 && v !== stored['rcycle.csrfToken']), false,
    'nothing else (no bearer token) is stored');
  assert.equal(await page.evaluate(() => localStorage.length), 0, 'nothing in localStorage');
  const cookies = await context.cookies();
  const session = cookies.find((c) => c.name === 'rcycle_session');
  assert.ok(session && session.httpOnly, 'the session cookie is HttpOnly');
  assert.equal(await page.evaluate(() => document.cookie.includes('rcycle_session')), false);

  await gotoRoute(page, '/leaderboard');
  await page.reload();
  await page.locator('#user-name', { hasText: USERS.john.name }).waitFor();
  await page.locator('main h1', { hasText: 'Leaderboard' }).waitFor();

  // Sign-out is a DELETE that needs the CSRF token kept across the reload.
  await page.getByRole('button', { name: 'Sign out' }).click();
  await page.locator('.login-message', { hasText: 'You are signed out.' }).waitFor();
  await shot(page, 'session-03-signed-out');
  assert.equal(await page.evaluate(() => sessionStorage.getItem('rcycle.csrfToken')), null);
  const me = await page.request.get(`${GATEWAY_URL}/api/me`);
  assert.equal(me.status(), 401, 'the server ended the session');
  await page.reload();
  await page.getByRole('heading', { name: 'Sign in to R-Cycle' }).waitFor();
  assertNoProblems(page);
  await context.close();
});

test('a tab without the CSRF token asks to sign in again', async () => {
  const { page, context } = await newPage(browser);
  await signIn(page, 'bob');
  // A new tab shares the cookie but not sessionStorage.
  const tab = watch(await context.newPage());
  await tab.goto(`${GATEWAY_URL}/#/requests`);
  await tab.locator('.login-message', { hasText: 'lost its security token' }).waitFor();
  assert.equal(await tab.getByLabel('E-mail').inputValue(), USERS.bob.email);
  await shot(tab, 'session-04-csrf-missing');
  await tab.getByLabel('Password').fill(process.env.RCYCLE_SEED_PASSWORD || 'rcycle-dev');
  await tab.getByRole('button', { name: 'Sign in' }).click();
  await tab.locator('main h1', { hasText: 'My requests' }).waitFor();
  assertNoProblems(tab);
  await context.close();
});

test('a session ended elsewhere leads back to the sign-in page', async () => {
  const { page, context } = await newPage(browser);
  await signIn(page, 'jane');
  await page.evaluate(async () => {
    await fetch('/api/session', { method: 'DELETE', headers: { 'X-CSRF-Token': sessionStorage.getItem('rcycle.csrfToken') } });
  });
  await page.locator('#site-nav a[data-nav="requests"]').click();
  await page.locator('.login-message', { hasText: 'Your session has ended' }).waitFor();
  await shot(page, 'session-05-session-ended');
  await context.close();
});
