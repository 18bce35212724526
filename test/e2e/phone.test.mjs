// phone.test.mjs - one pass at phone width (390 px): every page a security
// reviewer can reach, through the Menu button, fits the width without
// sideways scrolling; a dialog fits too.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { PHONE, assertNoProblems, launch, newPage, openNav, shot, signIn } from './lib.mjs';

let browser;

before(async () => {
  browser = await launch();
});

after(async () => {
  if (browser) await browser.close();
});

async function fitsWidth(page, what) {
  const { scroll, client } = await page.evaluate(() => ({
    scroll: document.documentElement.scrollWidth,
    client: document.documentElement.clientWidth,
  }));
  assert.ok(scroll <= client + 1, `${what}: the page is ${scroll} px wide in a ${client} px window`);
}

test('phone width: every page fits 390 px, navigation behind the Menu button', async () => {
  const { page, context } = await newPage(browser, { viewport: PHONE, mobile: true });
  await page.goto(`${process.env.GATEWAY_URL || 'http://127.0.0.1:3000'}/`);
  await page.getByRole('heading', { name: 'Sign in to R-Cycle' }).waitFor();
  await fitsWidth(page, 'sign-in');
  await shot(page, 'phone-01-sign-in');
  await signIn(page, 'alice');

  const toggle = page.locator('#menu-toggle');
  assert.equal(await toggle.isVisible(), true, 'the Menu button shows at phone width');
  assert.equal(await page.locator('#site-nav').isVisible(), false, 'the navigation is folded away');
  await toggle.click();
  assert.equal(await toggle.getAttribute('aria-expanded'), 'true');
  await page.locator('#site-nav').getByRole('link', { name: 'Security review' }).waitFor();
  await shot(page, 'phone-02-menu-open');
  await page.keyboard.press('Escape');
  assert.equal(await toggle.getAttribute('aria-expanded'), 'false');

  const pages = [
    ['Marketplace', 'phone-03-marketplace'],
    ['Post hardware', 'phone-04-post'],
    ['My listings', 'phone-05-my-listings'],
    ['My requests', 'phone-06-my-requests'],
    ['Security review', 'phone-07-security-review'],
    ['Leaderboard', 'phone-08-leaderboard'],
  ];
  for (const [label, name] of pages) {
    await openNav(page, label);
    if (label === 'Leaderboard') await page.locator('.chart-holder svg').waitFor();
    await fitsWidth(page, label);
    await shot(page, name);
  }
  // The chart is drawn for the width it has.
  const width = Number(await page.locator('.chart').getAttribute('width'));
  assert.ok(width >= 280 && width <= 390, `chart width ${width}`);

  await openNav(page, 'Post hardware');
  await page.getByLabel('Serial number').pressSequentially('SRV005-DELL-R640', { delay: 5 });
  await page.locator('.refusal').waitFor();
  await fitsWidth(page, 'refusal');
  await shot(page, 'phone-09-post-refused');

  await openNav(page, 'Marketplace');
  const button = page.getByRole('button', { name: 'Request this hardware' }).first();
  await button.waitFor();
  await button.click();
  const dialog = page.getByRole('dialog');
  await dialog.waitFor();
  const box = await dialog.boundingBox();
  assert.ok(box.x >= 0 && box.x + box.width <= PHONE.width, 'the dialog fits the width');
  await shot(page, 'phone-10-request-dialog', { full: false });
  await dialog.getByRole('button', { name: 'Cancel' }).click();
  await dialog.waitFor({ state: 'detached' });
  assertNoProblems(page);
  await context.close();
});
