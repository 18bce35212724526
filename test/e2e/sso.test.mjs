// sso.test.mjs - single sign-on in the browser: Chromium follows "Sign in
// with single sign-on" to the test OpenID provider (oidc-provider, started by
// scripts/test.sh; see test/integration/oidc/provider.mjs), signs in on the
// provider's own login page and comes back signed in, on the page it left,
// able to make changes (the CSRF token reached the tab); and a refused
// sign-in comes back to the login page with its reason.
//
// The provider's certificate comes from the suite's throwaway CA, which this
// browser does not know: the context ignores certificate errors for that
// (svc-users, which is what the CA check is about, verifies it with
// RCYCLE_OIDC_CA_FILE).
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import { GATEWAY_URL, assertNoProblems, launch, shot, watch } from './lib.mjs';

const CONTROL = process.env.RCYCLE_TEST_OIDC_CONTROL;
assert.ok(CONTROL, 'the stack runs with the test IdP (scripts/test.sh starts it)');

async function idp(path, body) {
  const res = await fetch(`${CONTROL}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body ?? {}) });
  assert.equal(res.status, 200, await res.text());
}

let browser;
before(async () => {
  browser = await launch();
});
after(async () => {
  if (browser) await browser.close();
});

async function ssoPage() {
  const context = await browser.newContext({ ignoreHTTPSErrors: true, viewport: { width: 1280, height: 900 }, locale: 'en-US', timezoneId: 'UTC' });
  context.setDefaultTimeout(Number(process.env.RCYCLE_E2E_STEP_TIMEOUT || 30) * 1000);
  const page = await context.newPage();
  watch(page);
  return { context, page };
}

async function throughIdp(page, email) {
  await page.locator('input[name="login"]').waitFor();
  await shot(page, 'sso-02-idp-login');
  await page.locator('input[name="login"]').fill(email);
  await page.locator('input[name="password"]').fill('any password');
  await page.locator('button[type="submit"]').click();
  await page.waitForURL((url) => url.toString().startsWith(GATEWAY_URL));
  // The provider's own pages load a web font from the internet, which this
  // machine cannot reach; only R-Cycle's pages must be free of problems.
  page.problems = page.problems.filter((p) => !/ERR_NAME_NOT_RESOLVED/.test(p));
}

test('a full sign-in through the provider\'s login page, back on the page it left', async () => {
  const email = `sso.browser.${Date.now()}@company.com`;
  await idp('/users', { email, name: 'Browser Person', department: 'Field Services', groups: ['rcycle-security'] });
  const { page, context } = await ssoPage();
  await page.goto(`${GATEWAY_URL}/#/leaderboard`);
  const button = page.getByRole('link', { name: 'Sign in with single sign-on' });
  await button.waitFor();
  await shot(page, 'sso-01-sign-in');
  await button.click();
  await throughIdp(page, email);
  await page.locator('#user-name', { hasText: 'Browser Person' }).waitFor({ state: 'attached' });
  assert.match(page.url(), /#\/leaderboard$/);
  // The security role came from the group; the review page is offered.
  await page.locator('#nav-list a[data-nav="review"]').waitFor();
  await shot(page, 'sso-03-signed-in');
  // An unsafe request works: the tab holds the CSRF token, and the
  // hand-over cookie is gone.
  assert.equal(await page.evaluate(() => /rcycle_csrf=/.test(document.cookie)), false);
  await page.locator('#sign-out').click();
  await page.getByRole('heading', { name: 'Sign in to R-Cycle' }).waitFor();
  await page.getByText('You are signed out.').waitFor();
  assertNoProblems(page);
  await context.close();
});

test('a refused sign-in comes back to the login page with its reason', async () => {
  const email = `sso.browser.refused.${Date.now()}@company.com`;
  await idp('/users', { email, name: 'Refused Person', department: 'Field Services', groups: [] });
  const { page, context } = await ssoPage();
  await page.goto(`${GATEWAY_URL}/`);
  await page.getByRole('link', { name: 'Sign in with single sign-on' }).click();
  await idp('/forge', { mode: 'wrong_nonce' });
  await throughIdp(page, email);
  const alert = page.locator('.login-form .login-error');
  await alert.waitFor();
  assert.match(await alert.textContent(), /Single sign-on did not work: the identity token was refused \(wrong_nonce\)\./);
  assert.match(page.url(), /#\/login\?error=wrong_nonce$/);
  await shot(page, 'sso-04-refused');
  assertNoProblems(page);
  await context.close();
});
