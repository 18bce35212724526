// lib.mjs - helpers of the end-to-end suite: Debian's chromium driven by
// playwright-core (never a downloaded browser), sign-in, screenshots, and a
// small REST client for set-up and clean-up that the browser flows need
// (finding a serial number that is free to post, withdrawing what a test
// posted).
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = resolve(HERE, '..', '..');

export const GATEWAY_URL = (process.env.GATEWAY_URL || 'http://127.0.0.1:3000').replace(/\/$/, '');
export const PASSWORD = process.env.RCYCLE_SEED_PASSWORD || 'rcycle-dev';
export const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
const BUILD_DIR = resolve(ROOT, process.env.BUILD_DIR || 'build');
export const SHOT_DIR = resolve(process.env.E2E_SCREENSHOT_DIR || join(BUILD_DIR, 'e2e-screenshots'));

export const USERS = {
  john: { email: 'john.doe@company.com', name: 'John Doe', department: 'IT Infrastructure' },
  jane: { email: 'jane.smith@company.com', name: 'Jane Smith', department: 'Data Center Operations' },
  bob: { email: 'bob.johnson@company.com', name: 'Bob Johnson', department: 'Development Team' },
  alice: { email: 'alice.williams@company.com', name: 'Alice Williams', department: 'Security Team' },
  carol: { email: 'carol.davis@company.com', name: 'Carol Davis', department: 'Security Team' },
};

export const PHONE = { width: 390, height: 844 };
export const DESKTOP = { width: 1280, height: 900 };

// Serial numbers in the seeded registry without storage media and without a
// seeded listing. A test takes one that has no available or claimed listing
// now (a withdrawn, expired or approved listing's serial may be posted again).
export const FREE_CANDIDATES = [
  'SRV017-SMC-4029GP', 'SRV015-SMC-6029P', 'SRV014-LENOVO-X3650M5', 'SRV012-LENOVO-SR650',
  'SRV010-HPE-DL560G10', 'SRV008-HPE-DL380G10', 'SRV006-DELL-R720', 'SRV004-DELL-R740', 'SRV003-HP-DL360',
  'NET012-HPE-2930F', 'NET011-HPE-5130', 'NET010-ARISTA-7280SR', 'NET009-ARISTA-7050SX',
  'NET008-JUNIPER-SRX345', 'NET007-JUNIPER-MX204', 'NET006-JUNIPER-EX4300', 'NET004-CISCO-N93180YC',
  'NET003-CISCO-C9300', 'STR009-DELLEMC-MD1400', 'STR007-HPE-D3610', 'STR005-DELLEMC-ME4024',
  'STR003-NETAPP-AFF-A220',
];

// ---- browser ---------------------------------------------------------------------

/**
 * Starts Debian's chromium headless. playwright-core gives every launch a
 * fresh temporary --user-data-dir of its own (and removes it on close); it
 * refuses one passed in args, so none is passed here.
 */
export async function launch() {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

/**
 * A fresh browser context (its own cookies and storage) with one page.
 * Collects console errors and page errors, CSP violations among them.
 */
export async function newPage(browser, { viewport = DESKTOP, mobile = false } = {}) {
  const context = await browser.newContext({
    viewport,
    isMobile: mobile,
    hasTouch: mobile,
    deviceScaleFactor: 1,
    locale: 'en-US',
    timezoneId: 'UTC',
  });
  context.setDefaultTimeout(Number(process.env.RCYCLE_E2E_STEP_TIMEOUT || 30) * 1000);
  const page = await context.newPage();
  watch(page);
  return { context, page };
}

export function watch(page) {
  page.problems = [];
  page.on('pageerror', (err) => page.problems.push(`page error: ${err.message}`));
  page.on('console', (msg) => {
    const text = msg.text();
    if (/Content.Security.Policy|Refused to/i.test(text)) page.problems.push(`CSP: ${text}`);
    else if (msg.type() === 'error' && !/status of 40[134]|status of 409/.test(text)) page.problems.push(`console: ${text}`);
  });
  return page;
}

/** No page error, CSP violation or unexpected console error so far. */
export function assertNoProblems(page) {
  assert.deepEqual(page.problems, [], `problems on the page:\n${page.problems.join('\n')}`);
}

/**
 * Saves a screenshot as <SHOT_DIR>/<name>.png: the whole page, or only the
 * window ({full: false}, for an open dialog, whose backdrop covers the window).
 */
export async function shot(page, name, { full = true } = {}) {
  mkdirSync(SHOT_DIR, { recursive: true });
  const file = join(SHOT_DIR, `${name}.png`);
  await page.screenshot({ path: file, fullPage: full, animations: 'disabled', caret: 'hide' });
  return file;
}

/** Waits until the page on show has loaded its data. */
export async function settled(page, view) {
  const which = view ? `[data-view="${view}"]` : '';
  await page.locator(`main > .view${which}[data-ready="true"]`).waitFor({ state: 'attached' });
}

const VIEW_OF_LABEL = {
  Marketplace: 'market', 'Post hardware': 'post', 'My listings': 'mine', 'My requests': 'requests',
  'Security review': 'review', Leaderboard: 'leaderboard', Users: 'users', Audit: 'audit',
};

function viewOfRoute(route) {
  const first = route.split(/[/?]/)[1] || 'market';
  return first === 'claims' ? 'claim' : first;
}

/** Shows a page by its address; the same address again is a reload. */
export async function gotoRoute(page, route) {
  const url = `${GATEWAY_URL}/#${route}`;
  if (page.url() === url) await page.reload();
  else await page.goto(url);
  await settled(page, viewOfRoute(route));
}

/**
 * Loads the app until its sign-in form shows. Chromium aborts every load in
 * flight with ERR_NETWORK_CHANGED when the host's network interfaces change
 * (container networks coming and going on the same machine); such a load is
 * tried again, twice at most. Any other failure is reported as it is.
 */
async function openSignInForm(page, route, user) {
  for (let attempt = 1; ; attempt++) {
    await page.goto(`${GATEWAY_URL}/#${route}`);
    try {
      await page.getByLabel('E-mail').waitFor(attempt < 3 ? { timeout: 10000 } : {});
      return;
    } catch (err) {
      const changed = page.problems.filter((p) => p.includes('ERR_NETWORK_CHANGED'));
      if (changed.length > 0 && attempt < 3) {
        page.problems = page.problems.filter((p) => !changed.includes(p));
        continue;
      }
      const shown = await page.locator('main').innerText().catch(() => '?');
      throw new Error(`no sign-in form for ${user.email}; the page shows "${shown.slice(0, 200)}"; ` +
        `problems: ${JSON.stringify(page.problems)}; ${err.message.split('\n')[0]}`);
    }
  }
}

/** Signs in through the sign-in page; resolves when the marketplace shell shows. */
export async function signIn(page, who, { route = '/market' } = {}) {
  const user = typeof who === 'string' ? USERS[who] : who;
  await openSignInForm(page, route, user);
  await page.getByLabel('E-mail').fill(user.email);
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Sign in' }).click();
  // At phone width the name sits in the folded menu: attached, not visible.
  await page.locator('#user-name', { hasText: user.name }).waitFor({ state: 'attached' });
  await page.locator('main h1').first().waitFor();
  return user;
}

/** Waits for the status message area to say something containing text. */
export async function toast(page, text, kind) {
  const sel = kind ? `#toast[data-kind="${kind}"]` : '#toast';
  const loc = page.locator(sel, { hasText: text });
  await loc.waitFor();
  return (await loc.textContent()).trim();
}

/** On a phone, the navigation sits behind the Menu button. */
export async function openNav(page, label) {
  const toggle = page.locator('#menu-toggle');
  if (await toggle.isVisible() && (await toggle.getAttribute('aria-expanded')) !== 'true') await toggle.click();
  await page.locator('#site-nav').getByRole('link', { name: label, exact: true }).click();
  await settled(page, VIEW_OF_LABEL[label]);
}

// ---- REST set-up and clean-up -----------------------------------------------------

export async function rest(token, method, path, body) {
  const res = await fetch(`${GATEWAY_URL}/api${path}`, {
    method,
    headers: {
      Accept: 'application/json',
      ...(token ? { Authorization: `Bearer ${token}` } : {}),
      ...(body !== undefined ? { 'Content-Type': 'application/json' } : {}),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  let data = null;
  try { data = text ? JSON.parse(text) : null; } catch { data = text; }
  return { status: res.status, data, headers: res.headers };
}

export async function restLogin(who) {
  const user = typeof who === 'string' ? USERS[who] : who;
  const { status, data } = await rest(null, 'POST', '/session', { email: user.email, password: PASSWORD });
  assert.equal(status, 200, `sign-in of ${user.email} over REST: ${JSON.stringify(data)}`);
  return data.token;
}

const taken = new Set();
/** A registry serial without media and without an open listing right now. */
export async function freeSerial(token, { prefix } = {}) {
  for (const serial of FREE_CANDIDATES) {
    if (taken.has(serial) || (prefix && !serial.startsWith(prefix))) continue;
    const { status, data } = await rest(token, 'GET', `/listings?search=${encodeURIComponent(serial)}&limit=100`);
    assert.equal(status, 200);
    const busy = data.some((l) => l.serialNumber === serial && (l.status === 'available' || l.status === 'claimed'));
    if (!busy) {
      taken.add(serial);
      return serial;
    }
  }
  throw new Error('no free serial number left in the registry to post (every candidate has an open listing)');
}

/** Withdraws the open listings of these serials (best effort, for reruns). */
export async function withdrawOpen(token, serials) {
  for (const serial of serials) {
    const { data } = await rest(token, 'GET', `/listings?search=${encodeURIComponent(serial)}&limit=100`);
    for (const l of Array.isArray(data) ? data : []) {
      if (l.serialNumber === serial && (l.status === 'available' || l.status === 'claimed')) {
        await rest(token, 'DELETE', `/listings/${l.id}`);
      }
    }
  }
}

/** "1,300 kg" -> 1300 */
export function kg(text) {
  const m = /([\d,.]+)\s*kg/.exec(text || '');
  return m ? Number(m[1].replace(/,/g, '')) : 0;
}

export async function leaderboardKg(page, department) {
  await gotoRoute(page, '/leaderboard');
  await page.locator('.chart-holder svg').waitFor();
  const row = page.locator(`table.leaderboard tbody tr[data-department="${department}"]`);
  if ((await row.count()) === 0) return 0;
  return kg(await row.locator('td.co2-saved').textContent());
}

/** YYYY-MM-DD of today + n days (UTC). */
export function isoDatePlus(n) {
  return new Date(Date.now() + n * 86400000).toISOString().slice(0, 10);
}
