// user-admin.test.mjs - user administration (docs/API.md, Release 2):
// PATCH /api/users/{id} (name, department, roles, active), deactivation that
// ends sessions at once on this gateway (its auth cache included) and
// refuses sign-in with the generic message, the admin's self-lockout guard,
// the admin password reset, POST /api/me/password, the 12-character rule
// for every new password, and GET /api/departments.
import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';

import {
  BOB,
  JOHN,
  api,
  assertError,
  expectStatus,
  login,
  session,
  uniqueSuffix,
} from './lib.mjs';
import { ITEST_PASSWORD, freshDepartmentUser } from './fixtures.mjs';

const NEW_PASSWORD = 'a-new-password-4567';

let john, bob;
before(async () => {
  john = await session(JOHN);
  bob = await session(BOB);
});

const patch = (s, id, body) => api('PATCH', `/api/users/${id}`, { token: s.token, body });

describe('PATCH /api/users/{id}', () => {
  test('an admin changes name, department and roles; the user sees it at once', async () => {
    const u = await freshDepartmentUser('adm');
    expectStatus(await api('GET', '/api/me', { token: u.token }), 200); // cached now
    const dept = `Moved ${uniqueSuffix()}`;
    const res = await patch(john, u.user.id, { name: 'Renamed Person', department: dept, roles: ['security'] });
    expectStatus(res, 200);
    assert.equal(res.json.name, 'Renamed Person');
    assert.equal(res.json.department, dept);
    assert.deepEqual(res.json.roles, ['member', 'security']);
    assert.equal(res.json.active, true);
    assert.equal(res.json.authSource, 'local');
    const me = await api('GET', '/api/me', { token: u.token });
    expectStatus(me, 200);
    assert.equal(me.json.department, dept, 'the gateway forgot its cached copy');
    assert.deepEqual(me.json.roles, ['member', 'security']);
    const same = await patch(john, u.user.id, {});
    expectStatus(same, 200);
    assert.equal(same.json.name, 'Renamed Person', 'an empty body changes nothing');
    const cleared = await patch(john, u.user.id, { roles: [] });
    assert.deepEqual(cleared.json.roles, ['member'], 'no roles is member');
  });

  test('bad fields: 400; unknown user: 404; bad id: 400', async () => {
    const u = await freshDepartmentUser('adm');
    for (const body of [{ name: '' }, { department: 'x'.repeat(201) }, { roles: ['root'] }, { active: 'no' }, { name: 5 }, { roles: 'admin' }])
      assertError(await patch(john, u.user.id, body), 400, 'INVALID_ARGUMENT');
    assertError(await patch(john, 999999999, { name: 'x' }), 404, 'NOT_FOUND');
    assertError(await api('PATCH', '/api/users/abc', { token: john.token, body: {} }), 400);
  });

  test('not an admin: 403, nothing changes', async () => {
    const u = await freshDepartmentUser('adm');
    assertError(await patch(bob, u.user.id, { name: 'Hacked' }), 403, 'PERMISSION_DENIED');
    assertError(await patch(u, u.user.id, { roles: ['admin'] }), 403, 'PERMISSION_DENIED');
    const me = await api('GET', '/api/me', { token: u.token });
    assert.notEqual(me.json.name, 'Hacked');
    assert.deepEqual(me.json.roles, ['member']);
  });

  test('an admin cannot deactivate themselves or drop their own admin role: 409', async () => {
    assertError(await patch(john, john.user.id, { active: false }), 409, 'FAILED_PRECONDITION');
    assertError(await patch(john, john.user.id, { roles: ['member'] }), 409, 'FAILED_PRECONDITION');
    const me = await api('GET', '/api/me', { token: john.token });
    assert.equal(me.json.active, true);
    assert.ok(me.json.roles.includes('admin'));
  });

  test('deactivation ends every session at once and sign-in gets the generic 401; reactivation lets them sign in again', async () => {
    const u = await freshDepartmentUser('adm');
    const second = await login(u.email, ITEST_PASSWORD);
    expectStatus(await api('GET', '/api/me', { token: u.token }), 200);
    expectStatus(await api('GET', '/api/me', { cookie: second.cookie }), 200);
    const off = await patch(john, u.user.id, { active: false });
    expectStatus(off, 200);
    assert.equal(off.json.active, false);
    assertError(await api('GET', '/api/me', { token: u.token }), 401, 'UNAUTHENTICATED');
    assertError(await api('GET', '/api/me', { cookie: second.cookie }), 401, 'UNAUTHENTICATED');
    const refused = await api('POST', '/api/session', { body: { email: u.email, password: ITEST_PASSWORD } });
    const wrong = await api('POST', '/api/session', { body: { email: u.email, password: 'not-the-password' } });
    assertError(refused, 401, 'UNAUTHENTICATED');
    assert.equal(refused.json.error, wrong.json.error, 'the same generic message as a wrong password');
    const listed = (await api('GET', '/api/users', { token: john.token })).json.find((x) => x.id === u.user.id);
    assert.equal(listed.active, false);

    expectStatus(await patch(john, u.user.id, { active: true }), 200);
    assert.equal((await api('GET', '/api/me', { token: u.token })).status, 401, 'old sessions stay ended');
    expectStatus(await api('GET', '/api/me', { token: (await login(u.email, ITEST_PASSWORD)).token }), 200);
  });
});

describe('passwords', () => {
  test('an admin resets a password: 204, the user\'s sessions end, the new one signs in', async () => {
    const u = await freshDepartmentUser('pw');
    expectStatus(await api('GET', '/api/me', { token: u.token }), 200);
    expectStatus(await api('POST', `/api/users/${u.user.id}/password`, { token: john.token, body: { password: NEW_PASSWORD } }), 204);
    assertError(await api('GET', '/api/me', { token: u.token }), 401);
    assertError(await api('POST', '/api/session', { body: { email: u.email, password: ITEST_PASSWORD } }), 401);
    await login(u.email, NEW_PASSWORD);
  });

  test('reset: not an admin 403; unknown user 404; short or email-equal password 400', async () => {
    const u = await freshDepartmentUser('pw');
    assertError(await api('POST', `/api/users/${u.user.id}/password`, { token: bob.token, body: { password: NEW_PASSWORD } }), 403);
    assertError(await api('POST', '/api/users/999999999/password', { token: john.token, body: { password: NEW_PASSWORD } }), 404);
    for (const password of ['short-pw-11', u.email.toUpperCase(), 'x'.repeat(257), ''])
      assertError(await api('POST', `/api/users/${u.user.id}/password`, { token: john.token, body: { password } }), 400, 'INVALID_ARGUMENT');
    expectStatus(await api('POST', `/api/users/${u.user.id}/password`, { token: john.token, body: { password: 'twelve-chars' } }), 204);
    expectStatus(await api('POST', `/api/users/${u.user.id}/password`, { token: john.token, body: { password: 'é'.repeat(12) } }), 204);
  });

  test('POST /api/me/password: 204, other sessions end, this one goes on', async () => {
    const u = await freshDepartmentUser('pw');
    const other = await login(u.email, ITEST_PASSWORD);
    expectStatus(await api('GET', '/api/me', { token: other.token }), 200);
    expectStatus(await api('POST', '/api/me/password', { token: u.token, body: { currentPassword: ITEST_PASSWORD, newPassword: NEW_PASSWORD } }), 204);
    assertError(await api('GET', '/api/me', { token: other.token }), 401);
    expectStatus(await api('GET', '/api/me', { token: u.token }), 200);
    await login(u.email, NEW_PASSWORD);
  });

  test('POST /api/me/password: wrong current 403; a new one too short or the email 400; cookie needs CSRF', async () => {
    const u = await freshDepartmentUser('pw');
    assertError(await api('POST', '/api/me/password', { token: u.token, body: { currentPassword: 'wrong-password-1', newPassword: NEW_PASSWORD } }), 403, 'PERMISSION_DENIED');
    assertError(await api('POST', '/api/me/password', { token: u.token, body: { currentPassword: ITEST_PASSWORD, newPassword: 'elevenchars' } }), 400);
    assertError(await api('POST', '/api/me/password', { token: u.token, body: { currentPassword: ITEST_PASSWORD, newPassword: u.email } }), 400);
    assertError(await api('POST', '/api/me/password', { token: u.token, body: { newPassword: NEW_PASSWORD } }), 400);
    assertError(await api('POST', '/api/me/password', { cookie: u.cookie, body: { currentPassword: ITEST_PASSWORD, newPassword: NEW_PASSWORD } }), 403);
    await login(u.email, ITEST_PASSWORD);
  });

  test('POST /api/users takes new passwords of 12 characters or more only', async () => {
    const suffix = uniqueSuffix();
    const body = { email: `short-${suffix}@itest.example`, name: 'Short', department: 'QA Team', password: 'elevenchars' };
    assertError(await api('POST', '/api/users', { token: john.token, body }), 400, 'INVALID_ARGUMENT');
    expectStatus(await api('POST', '/api/users', { token: john.token, body: { ...body, password: 'twelve-chars' } }), 201);
  });
});

describe('GET /api/departments', () => {
  test('the departments of active users with their member counts, by name', async () => {
    const u = await freshDepartmentUser('dep');
    const res = await api('GET', '/api/departments', { token: bob.token });
    expectStatus(res, 200);
    const names = res.json.map((d) => d.name);
    assert.equal(new Set(names).size, names.length, 'each once');
    const byCodepoint = [...names].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    const byLocale = [...names].sort((a, b) => a.localeCompare(b, 'en'));
    assert.ok([byCodepoint, byLocale].some((o) => o.every((n, i) => n === names[i])), `sorted by name: ${names}`);
    assert.ok(res.json.find((d) => d.name === 'Security Team')?.members >= 2, 'Alice and Carol at least');
    assert.equal(res.json.find((d) => d.name === u.department)?.members, 1);
    expectStatus(await patch(john, u.user.id, { active: false }), 200);
    const after = await api('GET', '/api/departments', { token: bob.token });
    assert.ok(!after.json.some((d) => d.name === u.department), 'a department with only deactivated users is gone');
    assertError(await api('GET', '/api/departments'), 401);
  });
});
