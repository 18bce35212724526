// authz.test.mjs - the authorization matrix: every route of
// gateway/routes.c against every kind of caller, with the status docs/API.md
// gives each cell. A test checks that the matrix names every route of
// routes.c, so a new route cannot go without its row.
//
// Callers (columns):
//   anonymous  no credentials
//   owner      jane.smith, Data Center Operations: owns the listings the rows use
//   requester  bob.johnson, Development Team: made the claims the rows use
//              (for routes without a claim, just a member of another department)
//   other      carol.qa@itest.example, QA Team (made once per database): a member
//              of a department that neither owns the listing nor made the claim
//   security   alice.williams, Security Team, security reviewer
//   admin      john.doe, IT Infrastructure, admin
//
// Every cell starts from the state its row names (the fixture column), made
// or checked through the API just before the request, so a cell that
// changes the state (a 2xx) does not decide the next cell's answer.
// Session Bearer tokens in MATRIX; the CSRF table at the end checks the
// cookie sessions on every unsafe route.
//
// Credentials (docs/API.md, API tokens): every MATRIX cell but anonymous runs
// again with an API token of the same user, scope read and scope write. The
// contract gives their answers from the session's: a read token gets 403 on
// any method but GET; a write token gets 403 on the routes that need a
// session (SESSION_ONLY); otherwise each answers what the session does.
// State: a deactivated member, security reviewer and admin get 401 on every
// route that needs credentials, with their session and both tokens.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, test } from 'node:test';

import {
  ALICE,
  BOB,
  JANE,
  JOHN,
  SEED_PASSWORD,
  api,
  describe as describeRes,
  expectStatus,
  login,
  session,
  uniqueSuffix,
} from './lib.mjs';
import {
  inTurn,
  CAROL,
  CAROL_DEPT,
  DEPT,
  ITEST_PASSWORD,
  SERIALS,
  freshDepartmentUser,
  carol as carolSession,
  claimAction,
  claimsOf,
  createClaim,
  createListing,
  getClaim,
  getListing,
  isOpen,
  listingBody,
  retireSerial,
  waitListingStatus,
  withdrawListing,
} from './fixtures.mjs';

const ROLES = ['anonymous', 'owner', 'requester', 'other', 'security', 'admin'];

// method, path, fixture, body, then the expected status per caller in ROLES
// order. {listing}, {victim} and {claim} stand for the fixture's ids.
// prettier-ignore
const MATRIX = [
  //  method    path                                        fixture             body            anon owner reqr other secu admin
  ['GET',    '/healthz',                                    null,               null,           200, 200, 200, 200, 200, 200],
  ['GET',    '/readyz',                                     null,               null,           200, 200, 200, 200, 200, 200],
  ['GET',    '/api/openapi.json',                           null,               null,           200, 200, 200, 200, 200, 200],
  ['POST',   '/api/session',                                null,               'credentials',  200, 200, 200, 200, 200, 200],
  ['DELETE', '/api/session',                                'own session',      null,           401, 204, 204, 204, 204, 204],
  ['GET',    '/api/me',                                     null,               null,           401, 200, 200, 200, 200, 200],
  ['PATCH',  '/api/me',                                     null,               'email on',     401, 200, 200, 200, 200, 200],
  ['POST',   '/api/me/password',                            null,               'bad password', 401, 400, 400, 400, 400, 400],
  ['POST',   '/api/tokens',                                 null,               'token',        401, 201, 201, 201, 201, 201],
  ['GET',    '/api/tokens',                                 null,               null,           401, 200, 200, 200, 200, 200],
  ['DELETE', '/api/tokens/{token}',                         'own token',        null,           401, 204, 204, 204, 204, 204],
  ['DELETE', '/api/tokens/{token}',                         'owner token',      null,           401, 204, 404, 404, 404, 204],
  ['GET',    '/api/departments',                            null,               null,           401, 200, 200, 200, 200, 200],
  ['GET',    '/api/auth/config',                            null,               null,           200, 200, 200, 200, 200, 200],
  // Browser navigations: a redirect for everyone (to the IdP; the callback
  // without a sign-in under way back to the login page).
  ['GET',    '/api/auth/oidc/login?next=/',                 null,               null,           302, 302, 302, 302, 302, 302],
  ['GET',    '/api/auth/oidc/callback?code=c&state=s',      null,               null,           302, 302, 302, 302, 302, 302],
  ['GET',    '/api/hardware?serial=SRV001-DELL-R730',       null,               null,           401, 200, 200, 200, 200, 200],
  ['GET',    '/api/listings',                               null,               null,           401, 200, 200, 200, 200, 200],
  ['GET',    '/api/listings/{listing}',                     'listing',          null,           401, 200, 200, 200, 200, 200],
  ['POST',   '/api/listings',                               'free serial',      'listing',      401, 201, 201, 201, 201, 201],
  ['PATCH',  '/api/listings/{listing}',                     'listing',          'edit',         401, 200, 403, 403, 403, 200],
  ['DELETE', '/api/listings/{victim}',                      'victim',           null,           401, 204, 403, 403, 403, 204],
  ['GET',    '/api/leaderboard',                            null,               null,           401, 200, 200, 200, 200, 200],
  ['GET',    '/api/users',                                  null,               null,           401, 403, 403, 403, 403, 200],
  ['POST',   '/api/users',                                  null,               'user',         401, 403, 403, 403, 403, 201],
  ['PATCH',  '/api/users/{user}',                           'target user',      'rename',       401, 403, 403, 403, 403, 200],
  ['POST',   '/api/users/{user}/password',                  'target user',      'new password', 401, 403, 403, 403, 403, 204],
  ['POST',   '/api/claims',                                 'available',        'claim',        401, 403, 201, 201, 201, 201],
  ['GET',    '/api/claims',                                 null,               null,           401, 200, 200, 200, 200, 200],
  ['GET',    '/api/claims?scope=mine',                      null,               null,           401, 200, 200, 200, 200, 200],
  ['GET',    '/api/claims?scope=incoming',                  null,               null,           401, 200, 200, 200, 200, 200],
  ['GET',    '/api/claims?scope=review',                    null,               null,           401, 403, 403, 403, 200, 403],
  ['GET',    '/api/claims/{claim}',                         'pending_owner',    null,           401, 200, 200, 403, 200, 200],
  ['GET',    '/api/claims/{claim}/events',                  'pending_owner',    null,           401, 200, 200, 403, 200, 200],
  ['POST',   '/api/claims/{claim}/approve',                 'pending_owner',    null,           401, 200, 403, 403, 403, 403],
  ['POST',   '/api/claims/{claim}/approve',                 'pending_security', null,           401, 403, 403, 403, 200, 403],
  ['POST',   '/api/claims/{claim}/deny',                    'pending_owner',    'reason',       401, 200, 403, 403, 403, 403],
  ['POST',   '/api/claims/{claim}/deny',                    'pending_security', 'reason',       401, 403, 403, 403, 200, 403],
  ['POST',   '/api/claims/{claim}/withdraw',                'pending_owner',    null,           401, 403, 200, 403, 403, 403],
  ['POST',   '/api/claims/{claim}/withdraw',                'pending_security', null,           401, 403, 200, 403, 403, 403],
  ['GET',    '/api/claims/{claim}',                         'closed',           null,           401, 200, 200, 403, 200, 200],
  ['GET',    '/api/claims/{claim}/events',                  'closed',           null,           401, 200, 200, 403, 200, 200],
  ['POST',   '/api/claims/{claim}/approve',                 'closed',           null,           401, 409, 409, 403, 409, 409],
  ['POST',   '/api/claims/{claim}/deny',                    'closed',           'reason',       401, 409, 409, 403, 409, 409],
  ['POST',   '/api/claims/{claim}/withdraw',                'closed',           null,           401, 409, 409, 403, 409, 409],
  ['POST',   '/api/claims/{claim}/handover',                'approved',         null,           401, 200, 403, 403, 403, 403],
  ['POST',   '/api/claims/{claim}/receive',                 'approved',         null,           401, 403, 200, 403, 403, 403],
  ['POST',   '/api/claims/{claim}/handover',                'closed',           null,           401, 409, 403, 403, 403, 403],
  ['POST',   '/api/claims/{claim}/receive',                 'closed',           null,           401, 403, 409, 403, 403, 403],
  ['POST',   '/api/watches',                                null,               'watch',        401, 201, 201, 201, 201, 201],
  ['GET',    '/api/watches',                                null,               null,           401, 200, 200, 200, 200, 200],
  ['DELETE', '/api/watches/{watch}',                        'owner watch',      null,           401, 204, 404, 404, 404, 404],
  ['GET',    '/api/notifications',                          null,               null,           401, 200, 200, 200, 200, 200],
  ['GET',    '/api/notifications?unread=1',                 null,               null,           401, 200, 200, 200, 200, 200],
  ['POST',   '/api/notifications/read',                     null,               'mark all',     401, 204, 204, 204, 204, 204],
  ['GET',    '/api/audit',                                  null,               null,           401, 403, 403, 403, 200, 200],
  ['GET',    '/api/audit?entity=claim',                     null,               null,           401, 403, 403, 403, 200, 200],
  ['GET',    '/api/audit/export',                           null,               null,           401, 403, 403, 403, 200, 200],
  ['GET',    '/api/admin/mail',                             null,               null,           401, 403, 403, 403, 403, 200],
  ['GET',    '/api/admin/mail?state=dead',                  null,               null,           401, 403, 403, 403, 403, 200],
  ['POST',   '/api/admin/mail/{mail}/retry',                'no mail',          null,           401, 403, 403, 403, 403, 404],
];

// Unsafe routes with a cookie session: no X-CSRF-Token or a wrong one 403
// (and nothing happens), the right one the caller's usual answer.
// prettier-ignore
const CSRF = [
  //  method    path                              fixture          body       caller       with the right token
  ['POST',   '/api/listings',                     'free serial',   'listing', 'owner',     201],
  ['PATCH',  '/api/listings/{listing}',           'listing',       'edit',    'owner',     200],
  ['DELETE', '/api/listings/{victim}',            'victim',        null,      'owner',     204],
  ['POST',   '/api/users',                        null,            'user',    'admin',     201],
  ['PATCH',  '/api/users/{user}',                 'target user',   'rename',  'admin',     200],
  ['POST',   '/api/users/{user}/password',        'target user',   'new password', 'admin', 204],
  ['POST',   '/api/me/password',                  null,            'bad password', 'other', 400],
  ['POST',   '/api/tokens',                       null,            'token',   'owner',     201],
  ['DELETE', '/api/tokens/{token}',               'own token',     null,      'owner',     204],
  ['POST',   '/api/claims',                       'available',     'claim',   'requester', 201],
  ['POST',   '/api/claims/{claim}/approve',       'pending_owner', null,      'owner',     200],
  ['POST',   '/api/claims/{claim}/deny',          'pending_owner', 'reason',  'owner',     200],
  ['POST',   '/api/claims/{claim}/withdraw',      'pending_owner', null,      'requester', 200],
  ['POST',   '/api/claims/{claim}/handover',      'approved',      null,      'owner',     200],
  ['POST',   '/api/claims/{claim}/receive',       'approved',      null,      'requester', 200],
  ['POST',   '/api/notifications/read',           null,            'mark all', 'other',    204],
  ['POST',   '/api/watches',                      null,            'watch',   'other',     201],
  ['DELETE', '/api/watches/{watch}',              'owner watch',   null,      'owner',     204],
  ['DELETE', '/api/session',                      'own session',   null,      'other',     204],
  ['PATCH',  '/api/me',                           null,            'email on', 'other',    200],
  ['POST',   '/api/admin/mail/{mail}/retry',      'no mail',       null,      'admin',     404],
];

const [SERIAL_LISTING, SERIAL_VICTIM, SERIAL_FREE] = SERIALS.authz;

// The routes an API token may not use whatever its scope (docs/API.md: token
// and user administration writes; signing out is a session's own act).
const SESSION_ONLY = new Set([
  'DELETE /api/session', 'POST /api/tokens', 'DELETE /api/tokens/{id}', 'POST /api/users',
  'PATCH /api/users/{id}', 'POST /api/users/{id}/password', 'POST /api/admin/mail/{id}/retry',
]);
const PUBLIC = new Set([
  'GET /healthz', 'GET /readyz', 'GET /api/openapi.json', 'POST /api/session',
  'GET /api/auth/config', 'GET /api/auth/oidc/login', 'GET /api/auth/oidc/callback',
]);
const norm = (p) => p.replace(/\?.*$/, '').replace(/\{[a-z]+\}/g, '{id}');

// What an API token of scope gets where the session got sessionStatus.
function tokenExpected(method, template, sessionStatus, scope) {
  const route = `${method} ${norm(template)}`;
  if (PUBLIC.has(route)) return sessionStatus;
  if (scope === 'read' && method !== 'GET') return 403;
  if (SESSION_ONLY.has(route)) return 403;
  return sessionStatus;
}

let sessions; // role -> session (null for anonymous)
let tokens; // role -> {read, write}: the secrets of API tokens of the role's user
let target; // the user the user-administration rows change
let byDept; // department -> session, to close leftover claims
const EMAIL = { owner: JANE, requester: BOB, other: CAROL, security: ALICE, admin: JOHN };
const PASSWORD = { owner: SEED_PASSWORD, requester: SEED_PASSWORD, other: ITEST_PASSWORD, security: SEED_PASSWORD, admin: SEED_PASSWORD };

before(async () => {
  const [jane, bob, carol, alice, john] = await inTurn(() => session(JANE), () => session(BOB), () => carolSession(), () => session(ALICE), () => session(JOHN));
  sessions = { anonymous: null, owner: jane, requester: bob, other: carol, security: alice, admin: john };
  byDept = { [DEPT.jane]: jane, [DEPT.bob]: bob, [CAROL_DEPT]: carol, [DEPT.alice]: alice, [DEPT.john]: john };
  for (const serial of SERIALS.authz) await retireSerial(serial);
  tokens = {};
  for (const role of ROLES.slice(1)) {
    tokens[role] = {};
    for (const [scope, scopes] of [['read', ['read']], ['write', ['read', 'write']]])
      tokens[role][scope] = (await newToken(sessions[role], `authz ${scope}`, scopes)).token;
  }
  target = await freshDepartmentUser('authz-target');
});

async function newToken(s, name, scopes = ['read']) {
  const res = await api('POST', '/api/tokens', { token: s.token, body: { name, scopes, expiresInDays: 1 } });
  expectStatus(res, 201);
  return res.json;
}

after(async () => {
  for (const serial of SERIALS.authz) await retireSerial(serial).catch(() => {});
});

// ---- fixtures -------------------------------------------------------------------

let listing; // Jane's listing the claim rows use
let victim; // Jane's listing for DELETE
let closedClaimId;

async function activeOrNew(current, serial) {
  if (current) {
    const now = await getListing(current.id);
    if (['available', 'claimed'].includes(now.status)) return now;
  }
  return createListing(sessions.owner, serial);
}

// Closes every open claim on l (each withdrawn by its own department).
async function closeOpenClaims(l) {
  for (const c of await claimsOf(l.id)) {
    if (!isOpen(c.status)) continue;
    const res = await claimAction(byDept[c.requestingDepartment], c.id, 'withdraw');
    assert.ok([200, 409].includes(res.status), describeRes(res));
  }
  await waitListingStatus(l.id, 'available', 10000);
}

async function availableListing() {
  listing = await activeOrNew(listing, SERIAL_LISTING);
  if (listing.status !== 'available') await closeOpenClaims(listing);
  return listing;
}

// A claim of Bob's on the listing, in stage (pending_owner or pending_security).
async function claimIn(stage) {
  listing = await activeOrNew(listing, SERIAL_LISTING);
  const open = (await claimsOf(listing.id)).filter((c) => isOpen(c.status));
  if (open.length === 1 && open[0].status === stage && open[0].requestingDepartment === DEPT.bob) return open[0];
  if (open.length > 0 || listing.status !== 'available') await closeOpenClaims(listing);
  const c = await createClaim(sessions.requester, listing.id);
  if (stage === 'pending_security') expectStatus(await claimAction(sessions.owner, c.id, 'approve'), 200);
  return getClaim(c.id);
}

// A new approved claim of Bob's on the listing (each cell takes its steps).
async function approvedClaim() {
  const l = await availableListing();
  const c = await createClaim(sessions.requester, l.id);
  expectStatus(await claimAction(sessions.owner, c.id, 'approve'), 200);
  expectStatus(await claimAction(sessions.security, c.id, 'approve'), 200);
  return c.id;
}

async function closedClaim() {
  if (closedClaimId) return closedClaimId;
  const l = await availableListing();
  const c = await createClaim(sessions.requester, l.id);
  expectStatus(await claimAction(sessions.requester, c.id, 'withdraw'), 200);
  closedClaimId = c.id;
  return c.id;
}

function bodyFor(kind, role) {
  switch (kind) {
    case null:
      return undefined;
    case 'credentials':
      return { email: EMAIL[role] ?? JANE, password: PASSWORD[role] ?? SEED_PASSWORD };
    case 'listing':
      return listingBody(SERIAL_FREE);
    case 'edit':
      return { description: `authz edit ${uniqueSuffix()}` };
    case 'user': {
      const suffix = uniqueSuffix();
      return { email: `authz-${suffix}@itest.example`, name: `Authz ${suffix}`, department: CAROL_DEPT, password: ITEST_PASSWORD, roles: ['member'] };
    }
    case 'claim':
      return { listingId: listing.id, justification: 'authz matrix' };
    case 'reason':
      return { reason: 'authz matrix' };
    case 'bad password':
      return { currentPassword: PASSWORD[role] ?? SEED_PASSWORD, newPassword: 'too-short' };
    case 'token':
      return { name: 'authz matrix', scopes: ['read'], expiresInDays: 1 };
    case 'rename':
      return { name: `Authz Target ${uniqueSuffix()}` };
    case 'new password':
      return { password: ITEST_PASSWORD };
    case 'mark all':
      return { all: true };
    case 'watch':
      return { category: 'Server', search: 'authz matrix' };
    case 'email on':
      return { emailNotifications: true };
    default:
      throw new Error(`no body ${kind}`);
  }
}

// Prepares a cell: returns {path, body, token, cookie/csrf session}.
async function prepare(method, template, fixture, bodyKind, role) {
  let p = template;
  let s = sessions[role];
  switch (fixture) {
    case null:
      break;
    case 'own session':
      s = role === 'anonymous' ? null : await login(EMAIL[role], PASSWORD[role]);
      break;
    case 'listing':
      listing = await activeOrNew(listing, SERIAL_LISTING);
      p = p.replace('{listing}', listing.id);
      break;
    case 'victim':
      victim = await activeOrNew(victim, SERIAL_VICTIM);
      p = p.replace('{victim}', victim.id);
      break;
    case 'free serial':
      await retireSerial(SERIAL_FREE);
      break;
    case 'available':
      await availableListing();
      break;
    case 'pending_owner':
    case 'pending_security':
      p = p.replace('{claim}', (await claimIn(fixture)).id);
      break;
    case 'closed':
      p = p.replace('{claim}', await closedClaim());
      break;
    case 'approved':
      p = p.replace('{claim}', await approvedClaim());
      break;
    case 'owner watch': {
      // The cells that get 404 leave theirs: clear them, so reruns stay under the cap.
      const old = await api('GET', '/api/watches', { token: sessions.owner.token });
      for (const o of old.json.filter((x) => x.search === 'authz')) await api('DELETE', `/api/watches/${o.id}`, { token: sessions.owner.token });
      const w = await api('POST', '/api/watches', { token: sessions.owner.token, body: { search: 'authz' } });
      expectStatus(w, 201);
      p = p.replace('{watch}', w.json.id);
      break;
    }
    case 'own token':
      p = p.replace('{token}', (await newToken(sessions[role] ?? sessions.owner, 'authz own')).id);
      break;
    case 'owner token':
      p = p.replace('{token}', (await newToken(sessions.owner, 'authz owner')).id);
      break;
    case 'target user':
      p = p.replace('{user}', target.user.id);
      break;
    case 'no mail':
      p = p.replace('{mail}', '999999999999');
      break;
    default:
      throw new Error(`no fixture ${fixture}`);
  }
  return { path: p, body: bodyFor(bodyKind, role), session: s };
}

// Undoes what a successful cell made that the fixtures do not redo.
async function cleanup(method, template, res, s) {
  if (res.status !== 201) return;
  if (template === '/api/listings') await withdrawListing(res.json.id);
  if (template === '/api/claims') await claimAction(s, res.json.id, 'withdraw');
  if (template === '/api/watches') expectStatus(await api('DELETE', `/api/watches/${res.json.id}`, { token: s.token }), 204);
  if (template === '/api/tokens') expectStatus(await api('DELETE', `/api/tokens/${res.json.id}`, { token: s.token }), 204);
}

// Checks an answer against the cell's expected status, and the error shape.
function checkCell(res, expected, who) {
  assert.equal(res.status, expected, `${who}: ${describeRes(res)}`);
  if (expected >= 400) {
    assert.ok(res.json && typeof res.json.error === 'string' && typeof res.json.code === 'string', `an docs/API.md error body: ${describeRes(res)}`);
    const code = { 401: ['UNAUTHENTICATED'], 403: ['PERMISSION_DENIED'], 404: ['NOT_FOUND'], 409: ['FAILED_PRECONDITION', 'ABORTED', 'ALREADY_EXISTS'] }[expected];
    if (code) assert.ok(code.includes(res.json.code), `code ${res.json.code}: ${describeRes(res)}`);
  }
}

// ---- the matrix ---------------------------------------------------------------------

describe('the matrix covers every route of gateway/routes.c', () => {
  test('each {method, path} of gw_routes has a row', () => {
    const here = path.dirname(fileURLToPath(import.meta.url));
    const src = readFileSync(path.join(here, '..', '..', 'gateway', 'routes.c'), 'utf8');
    const routes = [...src.matchAll(/\{\s*"([A-Z]+)"\s*,\s*"([^"]+)"/g)].map((m) => `${m[1]} ${m[2]}`);
    assert.ok(routes.length >= 21, `routes found in routes.c: ${routes.length}`);
    const rows = new Set(MATRIX.map(([m, p]) => `${m} ${norm(p)}`));
    const missing = routes.filter((r) => !rows.has(r));
    assert.deepEqual(missing, [], 'routes without a row in MATRIX');
  });
});

describe('authorization matrix (bearer tokens)', () => {
  for (const [method, template, fixture, bodyKind, ...expected] of MATRIX) {
    const label = `${method} ${template}${fixture ? ` [${fixture}]` : ''}`;
    describe(label, () => {
      ROLES.forEach((role, i) => {
        test(`${role}: ${expected[i]}`, async () => {
          const { path: p, body, session: s } = await prepare(method, template, fixture, bodyKind, role);
          const res = await api(method, p, { token: s?.token, body });
          await cleanup(method, template, res, s);
          checkCell(res, expected[i], role);
        });
      });
    });
  }
});

describe('the routes that need a session are those of routes.c with ROUTE_SESSION', () => {
  test('SESSION_ONLY matches the route table', () => {
    const here = path.dirname(fileURLToPath(import.meta.url));
    const src = readFileSync(path.join(here, '..', '..', 'gateway', 'routes.c'), 'utf8');
    const flagged = [...src.matchAll(/\{\s*"([A-Z]+)"\s*,\s*"([^"]+)"\s*,\s*([^,]+),/g)]
      .filter((m) => m[3].includes('ROUTE_SESSION')).map((m) => `${m[1]} ${m[2]}`).sort();
    assert.deepEqual(flagged, [...SESSION_ONLY].sort());
  });
});

describe('authorization matrix (API tokens, scopes read and write)', () => {
  for (const [method, template, fixture, bodyKind, ...expected] of MATRIX) {
    const label = `${method} ${template}${fixture ? ` [${fixture}]` : ''}`;
    describe(label, () => {
      ROLES.forEach((role, i) => {
        if (role === 'anonymous') return;
        for (const scope of ['read', 'write']) {
          const want = tokenExpected(method, template, expected[i], scope);
          test(`${role} (${scope} token): ${want}`, async () => {
            const { path: p, body, session: s } = await prepare(method, template, fixture, bodyKind, role);
            const res = await api(method, p, { token: tokens[role][scope], body });
            await cleanup(method, template, res, sessions[role] ?? s);
            checkCell(res, want, `${role} ${scope}`);
          });
        }
      });
    });
  }
});

describe('authorization matrix (deactivated users: session, read and write tokens)', () => {
  let gone; // role -> {session, read, write}
  before(async () => {
    gone = {};
    const admin = sessions.admin;
    for (const [role, roles] of [['member', []], ['security', ['security']], ['admin', ['admin']]]) {
      const u = await freshDepartmentUser(`authz-gone-${role}`);
      expectStatus(await api('PATCH', `/api/users/${u.user.id}`, { token: admin.token, body: { roles } }), 200);
      const s = await login(u.email, ITEST_PASSWORD);
      const creds = { session: s.token };
      for (const [scope, scopes] of [['read', ['read']], ['write', ['read', 'write']]]) creds[scope] = (await newToken(s, `gone ${scope}`, scopes)).token;
      for (const c of Object.values(creds)) expectStatus(await api('GET', '/api/me', { token: c }), 200);
      expectStatus(await api('PATCH', `/api/users/${u.user.id}`, { token: admin.token, body: { active: false } }), 200);
      gone[role] = { ...creds, email: u.email };
    }
  });

  const rows = MATRIX.filter(([m, p]) => !PUBLIC.has(`${m} ${norm(p)}`));
  for (const role of ['member', 'security', 'admin']) {
    for (const cred of ['session', 'read', 'write']) {
      test(`deactivated ${role} (${cred}): 401 on each of ${rows.length} rows`, async () => {
        for (const [method, template, , bodyKind] of rows) {
          const p = template.replace(/\{[a-z]+\}/g, '1');
          const res = await api(method, p, { token: gone[role][cred], body: bodyKind ? {} : undefined });
          checkCell(res, 401, `${role} ${cred} ${method} ${p}`);
        }
      });
    }
    test(`deactivated ${role}: sign-in 401`, async () => {
      const res = await api('POST', '/api/session', { body: { email: gone[role].email, password: ITEST_PASSWORD } });
      checkCell(res, 401, role);
    });
  }
});

describe('CSRF: cookie sessions on unsafe routes', () => {
  for (const [method, template, fixture, bodyKind, role, ok] of CSRF) {
    test(`${method} ${template} as ${role}: no or wrong X-CSRF-Token 403 and nothing changes; the right one ${ok}`, async () => {
      for (const csrf of [undefined, 'not-the-token']) {
        const { path: p, body, session: s } = await prepare(method, template, fixture, bodyKind, role);
        const before = await snapshot(template, p, body);
        const res = await api(method, p, { cookie: s.cookie, csrf, body });
        await cleanup(method, template, res, s);
        assert.equal(res.status, 403, `X-CSRF-Token ${csrf ?? 'missing'}: ${describeRes(res)}`);
        assert.equal(res.json?.code, 'PERMISSION_DENIED');
        assert.deepEqual(await snapshot(template, p, body), before, 'nothing changed');
        if (template === '/api/session') expectStatus(await api('GET', '/api/me', { token: s.token }), 200);
      }
      const { path: p, body, session: s } = await prepare(method, template, fixture, bodyKind, role);
      const res = await api(method, p, { cookie: s.cookie, csrf: s.csrfToken, body });
      await cleanup(method, template, res, s);
      assert.equal(res.status, ok, describeRes(res));
    });
  }
});

// What an unsafe request would change, to see that a refused one did not.
async function snapshot(template, p, body) {
  const john = sessions.admin;
  const id = /\/(\d+)/.exec(p)?.[1];
  if (template.startsWith('/api/claims/{claim}')) return getClaim(id);
  if (template.startsWith('/api/listings/')) return getListing(id);
  if (template === '/api/claims') return (await claimsOf(listing.id)).map((c) => [c.id, c.status]);
  if (template === '/api/listings') return (await api('GET', `/api/listings?search=${SERIAL_FREE}&limit=500`, { token: john.token })).json.map((l) => l.id);
  if (template === '/api/users') return (await api('GET', '/api/users', { token: john.token })).json.filter((u) => u.email === body.email).length;
  return null;
}
