// address.test.mjs - the address (hash) of a page as the router reads it:
// each part is decoded on its own after splitting, so a search holding '&'
// or '=' survives a reload, and a stray '%' renders the page instead of
// throwing.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import {
  assertNoProblems, freeSerial, GATEWAY_URL, isoDatePlus, launch, newPage, rest, restLogin, settled, shot,
  signIn, withdrawOpen,
} from './lib.mjs';

let browser;
let token;
let page;
const posted = [];

before(async () => {
  browser = await launch();
  token = await restLogin('john');
  page = (await newPage(browser)).page;
  await signIn(page, 'bob');
});

after(async () => {
  if (token) await withdrawOpen(token, posted);
  if (browser) await browser.close();
});

test('a search for R&D is still R&D after a reload, with its results', async () => {
  const serial = await freeSerial(token, { prefix: 'NET' });
  posted.push(serial);
  const title = `R&D lab switch ${serial}`;
  const { status, data } = await rest(token, 'POST', '/listings', {
    serialNumber: serial, title, category: 'Networking', expirationDate: isoDatePlus(10),
  });
  assert.equal(status, 201, JSON.stringify(data));

  await page.goto(`${GATEWAY_URL}/#/market`);
  await settled(page, 'market');
  await page.getByLabel('Search').fill('R&D');
  // Listings come newest first, so the one just posted leads the results.
  const card = page.locator(`.listing-card[data-serial="${serial}"]`);
  await card.waitFor();
  await page.waitForFunction(() => /search=R%26D/.test(location.hash));

  await page.reload();
  await settled(page, 'market');
  assert.equal(await page.getByLabel('Search').inputValue(), 'R&D');
  await card.waitFor();
  assert.equal(await card.locator('.card-title').textContent(), title);
  for (const shown of await page.locator('.listing-card .card-title').allTextContents()) {
    assert.match(shown, /R&D/i, `every result matches R&D: "${shown}"`);
  }
  await shot(page, 'address-01-search-r-and-d');
  assertNoProblems(page);
});

test('a stray % in the address renders the page without an error', async () => {
  // Each address is a fresh load of the app, as a pasted link would be; an
  // unknown path leads to the marketplace.
  const cases = [
    { route: '/market?search=100%', search: '100%' },
    { route: '/market?search=R%26D%', search: 'R&D%' },
    { route: '/market%', search: '' },
    { route: '/%E0%A4%A', search: '' },
  ];
  for (const { route, search } of cases) {
    await page.goto('about:blank');
    await page.goto(`${GATEWAY_URL}/#${route}`);
    await settled(page, 'market');
    assert.equal(await page.getByLabel('Search').inputValue(), search, route);
    assertNoProblems(page);
  }
  await shot(page, 'address-02-stray-percent');
});
