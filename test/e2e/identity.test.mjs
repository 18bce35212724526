// identity.test.mjs - the identity pages of Release 2 in the browser: API
// tokens under the user's menu (create, the secret shown once with a copy
// button, the list, revoke), the admin's Users page (edit name, department
// and roles, reset a password, deactivate and reactivate), every user's own
// password change, and the approve/deny buttons that separation of duties
// hides (the API still decides; the integration suite checks that).
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import {
  GATEWAY_URL, assertNoProblems, freeSerial, gotoRoute, isoDatePlus, launch, newPage, rest, restLogin, shot,
  signIn, toast, withdrawOpen,
} from './lib.mjs';

const PASSWORD_1 = 'e2e-password-first-1';
const PASSWORD_2 = 'e2e-password-second-2';

let browser;
let johnToken;
const serials = [];

before(async () => {
  browser = await launch();
  johnToken = await restLogin('john');
});

after(async () => {
  if (johnToken) await withdrawOpen(johnToken, serials);
  if (browser) await browser.close();
});

// A new account over REST (department of its own), for pages that change it.
async function newAccount(prefix) {
  const suffix = `${Date.now().toString(36)}${Math.floor(Math.random() * 1e6).toString(36)}`;
  const body = { email: `${prefix}-${suffix}@e2e.example`, name: `E2E ${prefix} ${suffix}`, department: `E2E ${prefix} ${suffix}`,
    password: PASSWORD_1, roles: ['member'] };
  const { status, data } = await rest(johnToken, 'POST', '/users', body);
  assert.equal(status, 201, JSON.stringify(data));
  return { ...data, password: PASSWORD_1 };
}

async function restLoginAs(email, password) {
  return rest(null, 'POST', '/session', { email, password });
}

async function signInAs(page, account, password) {
  await page.goto(`${GATEWAY_URL}/#/market`);
  await page.getByLabel('E-mail').fill(account.email);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.locator('#user-name', { hasText: account.name }).waitFor({ state: 'attached' });
}

test('API tokens: made under the user menu, the secret shown once, listed, revoked', async () => {
  const { page } = await newPage(browser);
  await signIn(page, 'bob');
  await page.locator('#nav-tokens').click();
  await page.locator('main > .view[data-view="tokens"][data-ready="true"]').waitFor();
  const name = `E2E script ${Date.now().toString(36)}`;
  await page.getByLabel('Name').fill(name);
  await page.getByLabel('Access').selectOption('read');
  await page.getByRole('button', { name: 'Create token' }).click();
  await toast(page, 'Copy it now', 'success');
  const secretBox = page.locator('.new-token input');
  const secret = await secretBox.inputValue();
  assert.match(secret, /^rcy_[A-Za-z0-9_-]{43}$/);
  await page.locator('#copy-token').click();
  await page.locator('.new-token [role="status"]', { hasText: /Copied|copy it with your keyboard/ }).waitFor();
  const row = page.locator('#tokens-table tbody tr', { hasText: name });
  await row.waitFor();
  assert.match(await row.textContent(), /read only/);
  assert.match(await row.textContent(), /never/);
  await shot(page, 'identity-01-token-created');

  // The token works as Bob, read only.
  const me = await rest(secret, 'GET', '/me');
  assert.equal(me.status, 200);
  assert.equal(me.data.email, 'bob.johnson@company.com');
  assert.equal((await rest(secret, 'POST', '/claims', { listingId: 1, justification: 'x' })).status, 403);

  // Shown once: after a reload the page has the row but not the secret.
  await gotoRoute(page, '/tokens');
  await page.locator('#tokens-table tbody tr', { hasText: name }).waitFor();
  assert.equal(await page.locator('.new-token').count(), 0);
  assert.ok(!(await page.content()).includes(secret), 'the secret is nowhere on the page');

  await page.getByRole('button', { name: `Revoke ${name}` }).click();
  const dialog = page.getByRole('dialog');
  await dialog.getByRole('button', { name: 'Revoke token' }).click();
  await toast(page, `Revoked “${name}”`, 'success');
  await page.locator('#tokens-table tbody tr', { hasText: name }).waitFor({ state: 'detached' });
  assert.equal((await rest(secret, 'GET', '/me')).status, 401, 'revoked at once');
  assertNoProblems(page);
});

test('Users page: an admin edits, resets a password, deactivates and reactivates', async () => {
  const account = await newAccount('admin');
  const { page } = await newPage(browser);
  await signIn(page, 'john');
  await gotoRoute(page, '/users');
  const row = () => page.locator(`tr[data-email="${account.email}"]`);
  await row().waitFor();
  assert.equal(await page.locator('tr[data-email="john.doe@company.com"] [data-action="deactivate"]').count(), 0,
    'no Deactivate on the admin\'s own row');

  await row().getByRole('button', { name: `Edit ${account.name}` }).click();
  let dialog = page.getByRole('dialog');
  await dialog.getByLabel('Name').fill('E2E Renamed');
  await dialog.getByLabel('Department').fill('Security Team');
  await dialog.getByLabel('security').check();
  await shot(page, 'identity-02-edit-user', { full: false });
  await dialog.getByRole('button', { name: 'Save' }).click();
  await toast(page, 'Saved E2E Renamed', 'success');
  await row().locator('th', { hasText: 'E2E Renamed' }).waitFor();
  assert.match(await row().textContent(), /Security Team/);
  assert.match(await row().textContent(), /member, security/);

  await row().getByRole('button', { name: 'Reset password E2E Renamed' }).click();
  dialog = page.getByRole('dialog');
  await dialog.getByLabel('New password').fill(PASSWORD_2);
  await dialog.getByRole('button', { name: 'Set password' }).click();
  await toast(page, 'Set a new password', 'success');
  assert.equal((await restLoginAs(account.email, PASSWORD_1)).status, 401);
  assert.equal((await restLoginAs(account.email, PASSWORD_2)).status, 200);

  await row().getByRole('button', { name: 'Deactivate E2E Renamed' }).click();
  await page.getByRole('dialog').getByRole('button', { name: 'Deactivate' }).click();
  await toast(page, 'is deactivated', 'success');
  await row().locator('td', { hasText: 'deactivated' }).waitFor();
  assert.equal((await restLoginAs(account.email, PASSWORD_2)).status, 401, 'cannot sign in');
  await shot(page, 'identity-03-user-deactivated');

  await row().getByRole('button', { name: 'Reactivate E2E Renamed' }).click();
  await page.getByRole('dialog').getByRole('button', { name: 'Reactivate' }).click();
  await toast(page, 'active again', 'success');
  await row().locator('td', { hasText: /^active$/ }).waitFor();
  assert.equal((await restLoginAs(account.email, PASSWORD_2)).status, 200);
  assertNoProblems(page);
});

test('every user changes their own password; their other sessions end', async () => {
  const account = await newAccount('pw');
  const other = await restLoginAs(account.email, PASSWORD_1);
  assert.equal(other.status, 200);
  const { page } = await newPage(browser);
  await signInAs(page, account, PASSWORD_1);
  await page.locator('#nav-password').click();
  await page.locator('main > .view[data-view="password"][data-ready="true"]').waitFor();
  await page.getByLabel('Current password').fill('not-my-password');
  await page.locator('#password-form input[name="newPassword"]').fill(PASSWORD_2);
  await page.getByLabel('New password again').fill(PASSWORD_2);
  await page.getByRole('button', { name: 'Change password' }).click();
  await toast(page, 'current password is wrong', 'error');
  await page.getByLabel('Current password').fill(PASSWORD_1);
  await page.getByRole('button', { name: 'Change password' }).click();
  await toast(page, 'Your password is changed', 'success');
  await shot(page, 'identity-04-password-changed');
  assert.equal((await rest(other.data.token, 'GET', '/me')).status, 401, 'the other session ended');
  assert.equal((await restLoginAs(account.email, PASSWORD_2)).status, 200);
  await gotoRoute(page, '/market');
  assert.equal(await page.locator('#user-name').textContent(), account.name, 'this session goes on');
  assertNoProblems(page);
});

// A listing of owner's department over REST, requested by requester.
async function claimOn(ownerToken, requesterToken) {
  const serial = await freeSerial(johnToken);
  serials.push(serial);
  const listing = await rest(ownerToken, 'POST', '/listings', {
    serialNumber: serial, title: `E2E duties ${serial}`, category: serial.startsWith('NET') ? 'Networking' : serial.startsWith('STR') ? 'Storage' : 'Server',
    expirationDate: isoDatePlus(20),
  });
  assert.equal(listing.status, 201, JSON.stringify(listing.data));
  const claim = await rest(requesterToken, 'POST', '/claims', { listingId: listing.data.id, justification: 'E2E separation of duties' });
  assert.equal(claim.status, 201, JSON.stringify(claim.data));
  return claim.data;
}

test('separation of duties: the requester and the owner approver see no approve or deny button; another reviewer does', async () => {
  const [janeToken, aliceToken, carolToken, bobToken] = await Promise.all(['jane', 'alice', 'carol', 'bob'].map((u) => restLogin(u)));
  // Alice requested this one; Jane approved it for the owner.
  const requested = await claimOn(janeToken, aliceToken);
  assert.equal((await rest(janeToken, 'POST', `/claims/${requested.id}/approve`)).status, 200);
  // Bob requested this one on a Security Team listing; Alice approved it for the owner.
  const ownerApproved = await claimOn(carolToken, bobToken);
  assert.equal((await rest(aliceToken, 'POST', `/claims/${ownerApproved.id}/approve`)).status, 200);

  const alice = (await newPage(browser)).page;
  await signIn(alice, 'alice');
  await gotoRoute(alice, '/review');
  for (const [c, why] of [[requested, /You made this request/], [ownerApproved, /You approved this request for the owning department/]]) {
    const card = alice.locator(`.claim-card[data-claim-id="${c.id}"]`);
    await card.waitFor();
    assert.match(await card.locator('[data-duty="separation"]').textContent(), why);
    assert.equal(await card.getByRole('button', { name: 'Approve' }).count(), 0);
    assert.equal(await card.getByRole('button', { name: 'Deny…' }).count(), 0);
  }
  await shot(alice, 'identity-05-review-duties');
  await gotoRoute(alice, `/claims/${requested.id}`);
  assert.equal(await alice.getByRole('button', { name: 'Approve' }).count(), 0, 'nor on the request page');

  const carol = (await newPage(browser)).page;
  await signIn(carol, 'carol');
  await gotoRoute(carol, '/review');
  const card = carol.locator(`.claim-card[data-claim-id="${requested.id}"]`);
  await card.waitFor();
  assert.equal(await card.locator('[data-duty="separation"]').count(), 0);
  await card.getByRole('button', { name: 'Approve' }).click();
  await toast(carol, 'Approved:', 'success');
  const other = carol.locator(`.claim-card[data-claim-id="${ownerApproved.id}"]`);
  await other.getByRole('button', { name: 'Deny…' }).click();
  const dialog = carol.getByRole('dialog');
  await dialog.getByLabel('Reason').fill('E2E: a second reviewer decides');
  await dialog.getByRole('button', { name: 'Deny request' }).click();
  await toast(carol, 'Denied the request', 'success');
  assertNoProblems(alice);
  assertNoProblems(carol);
});
