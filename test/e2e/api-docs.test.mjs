// api-docs.test.mjs - #/api renders the server's own contract
// (/api/openapi.json): every operation of the document shows with its
// responses, schema names lead to their schema, and nothing breaks the
// page's Content-Security-Policy (no CDN, no external font, no inline code).
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { GATEWAY_URL, assertNoProblems, gotoRoute, launch, newPage, shot, signIn } from './lib.mjs';

let browser;

before(async () => {
  browser = await launch();
});

after(async () => {
  if (browser) await browser.close();
});

test('the REST API page lists every operation and schema of /api/openapi.json', async () => {
  const doc = await (await fetch(`${GATEWAY_URL}/api/openapi.json`)).json();
  const expected = [];
  for (const [p, item] of Object.entries(doc.paths))
    for (const m of ['get', 'post', 'put', 'patch', 'delete']) if (item[m]) expected.push(`${m} ${p}`);

  const { page, context } = await newPage(browser);
  const external = [];
  page.on('request', (req) => {
    if (!req.url().startsWith(GATEWAY_URL)) external.push(req.url());
  });
  await signIn(page, 'bob');
  await page.locator('#api-docs-link').click();
  await page.locator('main > .view[data-view="api"][data-ready="true"]').waitFor({ state: 'attached' });
  await page.locator('main h1', { hasText: 'REST API' }).waitFor();

  const shown = await page.$$eval('.api-op', (els) => els.map((e) => `${e.dataset.method} ${e.dataset.path}`));
  assert.deepEqual(shown.sort(), expected.sort());
  const schemas = await page.$$eval('.api-schema', (els) => els.map((e) => e.dataset.schema));
  assert.deepEqual(schemas.sort(), Object.keys(doc.components.schemas).sort());

  // The 201 of POST /api/claims names the Claim schema; its link opens it.
  const createClaim = page.locator('.api-op[data-method="post"][data-path="/api/claims"]');
  await createClaim.locator('tr[data-status="201"] .schema-ref', { hasText: 'Claim' }).click();
  assert.equal(await page.locator('#schema-Claim').evaluate((d) => d.open), true);
  assert.ok(await page.locator('#schema-Claim th', { hasText: 'requestingDepartment' }).count() > 0);

  await shot(page, 'api-docs');
  await gotoRoute(page, '/api'); // a reload of the page itself
  assert.deepEqual(external, [], 'no request leaves the gateway');
  assertNoProblems(page);
  await context.close();
});
