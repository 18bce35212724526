// market.test.mjs - browsing the marketplace: search, category and status
// filters, paging (with X-Total-Count), the empty state, text from the API
// shown as text, never as markup, and the address as the router reads it
// (each part decoded after splitting: a search holding '&' survives a
// reload, and a stray '%' renders the page instead of throwing).
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import {
  assertNoProblems, freeSerial, GATEWAY_URL, gotoRoute, isoDatePlus, launch, newPage, rest, restLogin, settled, shot,
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

async function count() {
  const text = await page.locator('.result-count').textContent();
  const m = /of ([\d,]+) items?/.exec(text);
  return m ? Number(m[1].replace(/,/g, '')) : 0;
}

test('category and status filters narrow the list, and say how many match', async () => {
  const apiAll = Number((await rest(token, 'GET', '/listings?limit=1')).headers.get('x-total-count'));
  assert.ok(apiAll > 0);
  await gotoRoute(page, '/market');
  await page.getByLabel('Status').selectOption('any');
  // The count shown is the API's X-Total-Count, not the length of one page.
  await page.locator('.result-count', { hasText: `of ${apiAll.toLocaleString('en-US')} item` }).waitFor();
  const all = await count();

  await page.getByLabel('Category').selectOption('Networking');
  await page.waitForFunction(() => [...document.querySelectorAll('.listing-card .tag')].every((t) => t.textContent === 'Networking')
    && document.querySelectorAll('.listing-card').length > 0);
  assert.ok((await count()) < all);
  await page.getByLabel('Status').selectOption('available');
  await page.waitForFunction(() => [...document.querySelectorAll('.listing-card .badge')].every((b) => b.textContent === 'Available'));
  assert.match(page.url(), /category=Networking/);
  await shot(page, 'market-01-filtered');

  // The filters live in the address: a reload keeps them.
  await page.reload();
  await settled(page, 'market');
  assert.equal(await page.getByLabel('Category').inputValue(), 'Networking');
});

test('a search with no match says what to do, and Clear filters brings everything back', async () => {
  await gotoRoute(page, '/market');
  await page.getByLabel('Search').fill('no-such-thing-anywhere-e2e');
  await page.locator('.empty', { hasText: 'No hardware matches these filters.' }).waitFor();
  await shot(page, 'market-02-no-match');
  await page.getByRole('button', { name: 'Clear filters' }).click();
  await page.locator('.listing-card').first().waitFor();
  assert.equal(await page.getByLabel('Search').inputValue(), '');
});

test('paging: Next and Previous walk through the list', async () => {
  await gotoRoute(page, '/market?status=any&limit=2');
  await page.locator('.pager-info', { hasText: 'Page 1 of' }).waitFor();
  const total = await count();
  assert.ok(total > 2, `more than one page of items (${total})`);
  assert.equal(await page.locator('.listing-card').count(), 2);
  const first = await page.locator('.listing-card').first().getAttribute('data-listing-id');
  await page.getByRole('button', { name: 'Next →' }).click();
  await page.locator('.pager-info', { hasText: 'Page 2 of' }).waitFor();
  assert.match(await page.locator('.result-count').textContent(), /Showing 3–4 of/);
  assert.notEqual(await page.locator('.listing-card').first().getAttribute('data-listing-id'), first);
  assert.match(page.url(), /offset=2/);
  await shot(page, 'market-03-page-2');
  await page.getByRole('button', { name: '← Previous' }).click();
  await page.locator('.pager-info', { hasText: 'Page 1 of' }).waitFor();
  assert.equal(await page.locator('.listing-card').first().getAttribute('data-listing-id'), first);
});

test('text from the API is shown as text, never run as markup', async () => {
  const serial = await freeSerial(token, { prefix: 'STR' });
  posted.push(serial);
  const evil = `<img src=x id=injected onerror="document.title='pwned'"> ${serial}`;
  const { status, data } = await rest(token, 'POST', '/listings', {
    serialNumber: serial, title: evil, category: 'Storage', expirationDate: isoDatePlus(3),
    description: '<script>document.title="pwned"</script><b>bold?</b>',
  });
  assert.equal(status, 201, JSON.stringify(data));
  await gotoRoute(page, '/market');
  await page.getByLabel('Search').fill(serial);
  await page.locator('.result-count', { hasText: 'Showing 1–1 of 1 item.' }).waitFor();
  const card = page.locator(`.listing-card[data-serial="${serial}"]`);
  await card.waitFor();
  assert.equal(await card.locator('.card-title').textContent(), evil);
  assert.equal(await page.locator('#injected').count(), 0);
  assert.equal(await card.locator('b, script, img').count(), 0);
  assert.notEqual(await page.title(), 'pwned');
  // Expiring in 3 days: the card says so and marks it.
  assert.match(await card.locator('.expiry').textContent(), /in 3 days/);
  assert.equal(await card.locator('.expiry-soon').count(), 1);
  assert.match(await card.textContent(), /800 kg CO2 saved when reused/);
  await shot(page, 'market-04-escaped-text');
  assertNoProblems(page);
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
  await shot(page, 'market-05-search-r-and-d');
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
  await shot(page, 'market-06-stray-percent');
});
