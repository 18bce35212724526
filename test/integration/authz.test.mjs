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
// Bearer tokens throughout; the CSRF table at the end checks the cookie
// sessions on every unsafe route.
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
  ['GET',    '/api/hardware?serial=SRV001-DELL-R730',       null,               null,           401, 200, 200, 200, 200, 200],
  ['GET',    '/api/listings',                               null,               null,           401, 200, 200, 200, 200, 200],
  ['GET',    '/api/listings/{listing}',                     'listing',          null,           401, 200, 200, 200, 200, 200],
  ['POST',   '/api/listings',                               'free serial',      'listing',      401, 201, 201, 201, 201, 201],
  ['PATCH',  '/api/listings/{listing}',                     'listing',          'edit',         401, 200, 403, 403, 403, 200],
  ['DELETE', '/api/listings/{victim}',                      'victim',           null,           401, 204, 403, 403, 403, 204],
  ['GET',    '/api/leaderboard',                            null,               null,           401, 200, 200, 200, 200, 200],
  ['GET',    '/api/users',                                  null,               null,           401, 403, 403, 403, 403, 200],
  ['POST',   '/api/users',                                  null,               'user',         401, 403, 403, 403, 403, 201],
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
  ['POST',   '/api/claims',                       'available',     'claim',   'requester', 201],
  ['POST',   '/api/claims/{claim}/approve',       'pending_owner', null,      'owner',     200],
  ['POST',   '/api/claims/{claim}/deny',          'pending_owner', 'reason',  'owner',     200],
  ['POST',   '/api/claims/{claim}/withdraw',      'pending_owner', null,      'requester', 200],
  ['DELETE', '/api/session',                      'own session',   null,      'other',     204],
];

const [SERIAL_LISTING, SERIAL_VICTIM, SERIAL_FREE] = SERIALS.authz;

let sessions; // role -> session (null for anonymous)
let byDept; // department -> session, to close leftover claims
const EMAIL = { owner: JANE, requester: BOB, other: CAROL, security: ALICE, admin: JOHN };
const PASSWORD = { owner: SEED_PASSWORD, requester: SEED_PASSWORD, other: ITEST_PASSWORD, security: SEED_PASSWORD, admin: SEED_PASSWORD };

before(async () => {
  const [jane, bob, carol, alice, john] = await inTurn(() => session(JANE), () => session(BOB), () => carolSession(), () => session(ALICE), () => session(JOHN));
  sessions = { anonymous: null, owner: jane, requester: bob, other: carol, security: alice, admin: john };
  byDept = { [DEPT.jane]: jane, [DEPT.bob]: bob, [CAROL_DEPT]: carol, [DEPT.alice]: alice, [DEPT.john]: john };
  for (const serial of SERIALS.authz) await retireSerial(serial);
});

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
}

// ---- the matrix ---------------------------------------------------------------------

describe('the matrix covers every route of gateway/routes.c', () => {
  test('each {method, path} of gw_routes has a row', () => {
    const here = path.dirname(fileURLToPath(import.meta.url));
    const src = readFileSync(path.join(here, '..', '..', 'gateway', 'routes.c'), 'utf8');
    const routes = [...src.matchAll(/\{\s*"([A-Z]+)"\s*,\s*"([^"]+)"/g)].map((m) => `${m[1]} ${m[2]}`);
    assert.ok(routes.length >= 21, `routes found in routes.c: ${routes.length}`);
    const norm = (p) => p.replace(/\?.*$/, '').replace(/\{[a-z]+\}/g, '{id}');
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
          assert.equal(res.status, expected[i], `${role}: ${describeRes(res)}`);
          if (expected[i] >= 400) {
            assert.ok(res.json && typeof res.json.error === 'string' && typeof res.json.code === 'string', `an docs/API.md error body: ${describeRes(res)}`);
            const code = { 401: ['UNAUTHENTICATED'], 403: ['PERMISSION_DENIED'], 409: ['FAILED_PRECONDITION', 'ABORTED', 'ALREADY_EXISTS'] }[expected[i]];
            if (code) assert.ok(code.includes(res.json.code), `code ${res.json.code}: ${describeRes(res)}`);
          }
        });
      });
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
