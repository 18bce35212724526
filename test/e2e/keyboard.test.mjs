// keyboard.test.mjs - works with the keyboard alone, shows where the focus
// is, labels every control, and keeps to the page's Content-Security-Policy.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { GATEWAY_URL, USERS, PASSWORD, assertNoProblems, gotoRoute, launch, newPage, shot } from './lib.mjs';

let browser;

before(async () => {
  browser = await launch();
});

after(async () => {
  if (browser) await browser.close();
});

/** Every form control has a label; every button and link has a name. */
async function unlabelled(page) {
  return page.evaluate(() => {
    const bad = [];
    for (const el of document.querySelectorAll('input, select, textarea')) {
      if (el.type === 'hidden') continue;
      const named = el.labels.length > 0 || el.getAttribute('aria-label') || el.getAttribute('aria-labelledby');
      if (!named) bad.push(el.outerHTML.slice(0, 120));
    }
    for (const el of document.querySelectorAll('button, a[href]')) {
      if (!(el.textContent.trim() || el.getAttribute('aria-label'))) bad.push(el.outerHTML.slice(0, 120));
    }
    return bad;
  });
}

test('keyboard only: sign in, request dialog, Escape, visible focus', async () => {
  const { page, context } = await newPage(browser);
  await page.goto(`${GATEWAY_URL}/`);
  await page.getByRole('heading', { name: 'Sign in to R-Cycle' }).waitFor();
  // The e-mail field has the focus from the start.
  assert.equal(await page.evaluate(() => document.activeElement.name), 'email');
  await page.keyboard.type(USERS.bob.email);
  await page.keyboard.press('Tab');
  await page.keyboard.type(PASSWORD);
  await page.keyboard.press('Enter');
  await page.locator('#user-name', { hasText: USERS.bob.name }).waitFor();
  await page.locator('.listing-card').first().waitFor();

  // Tab from the top of a fresh page: the skip link comes first and moves to the content.
  await page.reload();
  await page.locator('.listing-card').first().waitFor();
  await page.keyboard.press('Tab');
  assert.equal(await page.evaluate(() => document.activeElement.id), 'skip-link');
  const outline = await page.evaluate(() => getComputedStyle(document.activeElement).outlineStyle);
  assert.notEqual(outline, 'none', 'the focused control shows a focus ring');
  await page.keyboard.press('Enter');
  assert.equal(await page.evaluate(() => document.activeElement.tagName), 'H1');

  // Tab to the first "Request this hardware" and open it with Enter.
  let found = false;
  for (let i = 0; i < 60 && !found; i += 1) {
    await page.keyboard.press('Tab');
    found = await page.evaluate(() => document.activeElement.textContent === 'Request this hardware');
  }
  assert.ok(found, 'a Request button is reachable with Tab');
  const ring = await page.evaluate(() => getComputedStyle(document.activeElement).outlineStyle);
  assert.notEqual(ring, 'none');
  await shot(page, 'keyboard-01-focus-ring');
  await page.keyboard.press('Enter');
  const dialog = page.getByRole('dialog');
  await dialog.waitFor();
  assert.equal(await page.evaluate(() => document.activeElement.name), 'justification', 'focus moves into the dialog');
  assert.match(await dialog.getAttribute('aria-labelledby'), /dlg-title/);
  await shot(page, 'keyboard-02-dialog', { full: false });
  await page.keyboard.press('Escape');
  await dialog.waitFor({ state: 'detached' });
  assert.equal(await page.evaluate(() => document.activeElement.textContent), 'Request this hardware',
    'focus returns to the button that opened the dialog');
  assertNoProblems(page);
  await context.close();
});

test('every control on every page has a label, and nothing breaks the CSP', async () => {
  const { page, context } = await newPage(browser);
  await page.goto(`${GATEWAY_URL}/`);
  await page.getByRole('heading', { name: 'Sign in to R-Cycle' }).waitFor();
  assert.deepEqual(await unlabelled(page), [], 'sign-in page');
  await page.getByLabel('E-mail').fill(USERS.john.email);
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.locator('#user-name').waitFor();
  for (const route of ['/market', '/post', '/mine', '/requests', '/leaderboard', '/users', '/mail', '/account', '/review']) {
    await gotoRoute(page, route);
    assert.deepEqual(await unlabelled(page), [], route);
  }
  // John is no security reviewer: the review page says so, and the menu has no link to it.
  assert.match(await page.locator('main').textContent(), /This page is for the Security Team/);
  assert.equal(await page.locator('#site-nav a[data-nav="review"]').count(), 0);
  await shot(page, 'keyboard-03-review-not-allowed');
  await gotoRoute(page, '/users');
  await page.locator('table tbody tr').first().waitFor();
  await shot(page, 'admin-01-users');

  // The page runs under the gateway's strict CSP: check the header is there.
  const res = await page.request.get(`${GATEWAY_URL}/`);
  assert.match(res.headers()['content-security-policy'] || '', /script-src 'self'/);
  assertNoProblems(page);
  await context.close();
});
