// mail.test.mjs - email notifications against a real SMTP server: the test
// relay (test/integration/mail/relay.mjs, the npm smtp-server package with
// STARTTLS, mailparser reading what arrives) that scripts/test.sh starts
// beside the stack. The outbox rows are written white-box with svc-users' own
// database role, as the notification writer writes them in its transaction;
// everything after that is svc-users' sender, the relay and the API.
// The podman deploy suite has no test relay: deploy/podman/play.sh skips this
// file (LOCAL_STACK_ONLY).
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { after, before, describe, test } from 'node:test';

import { JOHN, api, expectStatus, session, setting } from './lib.mjs';
import { ITEST_PASSWORD, SERIALS, admin, createClaim, createListing, freshDepartmentUser, waitFor, withdrawListing } from './fixtures.mjs';

const CONTROL = setting('RCYCLE_TEST_SMTP_CONTROL');
const MAIL_FROM = setting('RCYCLE_MAIL_FROM');
const PUBLIC_URL = setting('RCYCLE_PUBLIC_URL');
const RETRY_BASE_MS = Number(setting('RCYCLE_SMTP_RETRY_BASE_MS', '30000'));
const MAX_ATTEMPTS = Number(setting('RCYCLE_SMTP_MAX_ATTEMPTS', '8'));
// Time for the sender (a round a second) to act, on a busy machine.
const DELIVERY_MS = 30000;
// Every backoff of a row that dies, and then some.
const DEATH_MS = DELIVERY_MS + RETRY_BASE_MS * 2 ** MAX_ATTEMPTS;

function usersSql(sql) {
  const url = setting('RCYCLE_USERS_DATABASE_URL', setting('DATABASE_URL'));
  assert.ok(url, 'the stack records the users database URL');
  return execFileSync('psql', [url, '-v', 'ON_ERROR_STOP=1', '-qAt', '-F', '\t', '-c', sql], { encoding: 'utf8', timeout: 10000 }).trim();
}
const quote = (s) => `'${String(s).replaceAll("'", "''")}'`;

// Queues an email for user as the notification writer would; its id.
function enqueue(user, { subject, body, link = '/#/claims/12' }) {
  return Number(usersSql(`INSERT INTO users.mail_outbox (user_id, subject, body_text, link)
    VALUES (${Number(user.id)}, ${quote(subject)}, ${quote(body)}, ${link === null ? 'NULL' : quote(link)}) RETURNING id`));
}

function row(id) {
  const [state, attempts, lastError, sentAt] = usersSql(
    `SELECT state, attempts, coalesce(last_error, ''), coalesce(sent_at::text, '') FROM users.mail_outbox WHERE id = ${id}`).split('\t');
  return { state, attempts: Number(attempts), lastError, sentAt };
}

async function relay(method, p, body) {
  const res = await fetch(`${CONTROL}${p}`, {
    method,
    headers: body ? { 'content-type': 'application/json' } : {},
    body: body ? JSON.stringify(body) : undefined,
  });
  assert.equal(res.status, 200, `relay ${method} ${p}`);
  return res.json();
}
const messagesTo = async (email) => (await relay('GET', '/messages')).filter((m) => m.envelope.rcptTo.includes(email));
const attemptsTo = async (email) => (await relay('GET', '/attempts')).filter((a) => a.rcpt === email);

const waitState = (id, state, ms = DELIVERY_MS) => waitFor(() => row(id).state === state, ms, 200);

// The rows that are due now: the emails of the files before this one, which
// each claim's notifications queue to every member of a department.
const due = () => Number(usersSql(`SELECT count(*) FROM users.mail_outbox
  WHERE state = 'pending' AND next_attempt_at <= now()`));

let john, member;
before(async () => {
  assert.ok(CONTROL, 'the stack has the test relay (RCYCLE_TEST_SMTP_CONTROL; scripts/test.sh starts it)');
  [john, member] = [await session(JOHN), await freshDepartmentUser('mail')];
  // Each wait below is for one email, not for the suite's backlog.
  const backlog = due();
  assert.ok(await waitFor(() => due() === 0, DELIVERY_MS + backlog * 100, 500),
    `the outbox's backlog of ${backlog} is sent: ${due()} still due`);
});

describe('email through the relay', () => {
  test('a queued email arrives over STARTTLS: To, From, Subject, both parts, the link, a stable Message-ID', async () => {
    await relay('POST', '/reset');
    const subject = `Claim #12 received — Dell R740 “ünïcode” ${Date.now()}`;
    const body = 'Bob asked for <your> server & rack kit.';
    const id = enqueue(member.user, { subject, body });
    assert.ok(await waitState(id, 'sent'), `row ${id} sent: ${JSON.stringify(row(id))}`);
    const [m, ...more] = await messagesTo(member.user.email);
    assert.ok(m, 'the relay got the message');
    assert.equal(more.length, 0, 'exactly one message');
    assert.equal(m.secure, true, 'sent after STARTTLS');
    assert.equal(m.envelope.mailFrom, MAIL_FROM);
    assert.deepEqual(m.from, [MAIL_FROM]);
    assert.deepEqual(m.to, [member.user.email]);
    assert.equal(m.subject, subject);
    assert.equal(m.contentType.value, 'multipart/alternative');
    const url = `${PUBLIC_URL}/#/claims/12`;
    assert.ok(m.text.includes(body) && m.text.includes(url), m.text);
    assert.ok(m.html.includes('&lt;your&gt; server &amp; rack kit') && m.html.includes(`href="${url}"`), m.html);
    assert.match(m.messageId, new RegExp(`^<rcycle\\.outbox\\.${id}\\.\\d+@`));
    assert.ok(m.date, 'a Date header');
    const r = row(id);
    assert.equal(r.attempts, 1);
    assert.equal(r.lastError, '');
    assert.ok(r.sentAt);

    const list = await api('GET', '/api/admin/mail?state=sent&limit=500', { token: john.token });
    expectStatus(list, 200);
    const item = list.json.find((x) => x.id === id);
    assert.ok(item, 'the admin sees the sent email');
    assert.equal(item.state, 'sent');
    assert.equal(item.email, member.user.email);
    assert.equal(item.nextAttemptAt, null);
    assert.ok(Number(list.headers.get('x-total-count')) >= 1);
  });

  test('a burst of emails shares the relay\'s connections: fewer connections than messages, each message once', async () => {
    await relay('POST', '/reset');
    const n = 5;
    // One statement, so that one round of the sender finds them all due.
    const ids = usersSql(`INSERT INTO users.mail_outbox (user_id, subject, body_text, link)
      SELECT ${Number(member.user.id)}, 'burst ' || g, 'message ' || g, NULL
      FROM generate_series(1, ${n}) g RETURNING id`).split('\n').map(Number);
    for (const id of ids) assert.ok(await waitState(id, 'sent'), `row ${id}: ${JSON.stringify(row(id))}`);
    const got = await messagesTo(member.user.email);
    assert.deepEqual(got.map((m) => m.subject).sort(), ids.map((_, k) => `burst ${k + 1}`));
    assert.ok(got.every((m) => m.secure), 'every message after STARTTLS');
    const { connections } = await relay('GET', '/connections');
    assert.ok(connections >= 1 && connections < n, `${connections} connections for ${n} messages`);
  });

  test('a link that is not a UI path is not put in the mail: the site\'s front page instead', async () => {
    await relay('POST', '/reset');
    const id = enqueue(member.user, { subject: 'odd link', body: 'x', link: 'https://evil.example/"><script>' });
    assert.ok(await waitState(id, 'sent'));
    const [m] = await messagesTo(member.user.email);
    assert.ok(!m.html.includes('evil.example') && !m.text.includes('evil.example'));
    assert.ok(m.text.includes(`${PUBLIC_URL}/`));
  });

  test('a relay that refuses for now (4xx): retried with backoff, then dead; the admin sees it, a member gets 403; a retry delivers it', async () => {
    await relay('POST', '/reset');
    await relay('POST', '/mode', { mode: 'refuse4xx' });
    const id = enqueue(member.user, { subject: 'refused for now', body: 'try later' });
    assert.ok(await waitState(id, 'dead', DEATH_MS), `row ${id} dead: ${JSON.stringify(row(id))}`);
    const r = row(id);
    assert.equal(r.attempts, MAX_ATTEMPTS);
    assert.match(r.lastError, /451/);
    const tries = await attemptsTo(member.user.email);
    assert.equal(tries.length, MAX_ATTEMPTS, 'one RCPT per attempt');
    // Each wait is at least the base doubled per attempt before it (a lower
    // bound: a busy machine only makes them longer).
    for (let k = 1; k < tries.length; k++)
      assert.ok(tries[k].at - tries[k - 1].at >= RETRY_BASE_MS * 2 ** (k - 1) - 5,
        `wait ${k}: ${tries[k].at - tries[k - 1].at} ms, at least ${RETRY_BASE_MS * 2 ** (k - 1)}`);
    assert.equal((await messagesTo(member.user.email)).length, 0);

    const dead = await api('GET', '/api/admin/mail?state=dead&limit=500', { token: john.token });
    expectStatus(dead, 200);
    const item = dead.json.find((x) => x.id === id);
    assert.ok(item, 'the dead letter is listed');
    assert.equal(item.attempts, MAX_ATTEMPTS);
    assert.match(item.lastError, /451/);
    assert.ok(dead.json.every((x) => x.state === 'dead'));
    const denied = await api('GET', '/api/admin/mail?state=dead', { token: member.token });
    expectStatus(denied, 403);
    expectStatus(await api('POST', `/api/admin/mail/${id}/retry`, { token: member.token }), 403);

    await relay('POST', '/mode', { mode: 'accept' });
    const retried = await api('POST', `/api/admin/mail/${id}/retry`, { token: john.token });
    expectStatus(retried, 200);
    assert.equal(retried.json.state, 'pending');
    assert.equal(retried.json.attempts, 0);
    assert.ok(await waitState(id, 'sent'));
    const got = await messagesTo(member.user.email);
    assert.equal(got.length, 1);
    assert.match(got[0].messageId, new RegExp(`^<rcycle\\.outbox\\.${id}\\.`));
    const again = await api('POST', `/api/admin/mail/${id}/retry`, { token: john.token });
    expectStatus(again, 409);
  });

  test('a relay that refuses for good (5xx): dead after one attempt', async () => {
    await relay('POST', '/reset');
    await relay('POST', '/mode', { mode: 'refuse5xx' });
    const id = enqueue(member.user, { subject: 'refused for good', body: 'no such mailbox' });
    assert.ok(await waitState(id, 'dead'), JSON.stringify(row(id)));
    await relay('POST', '/mode', { mode: 'accept' });
    const r = row(id);
    assert.equal(r.attempts, 1);
    assert.match(r.lastError, /550/);
    assert.equal((await attemptsTo(member.user.email)).length, 1);
  });

  test('an address that would break the envelope or the To header is not mailed: dead at once', async () => {
    await relay('POST', '/reset');
    const a = await admin();
    const email = `mail<odd>${Date.now()}@itest.example`;
    const made = await api('POST', '/api/users', { token: a.token, body: { email, name: 'Odd Address', department: 'QA Team', password: ITEST_PASSWORD } });
    expectStatus(made, 201);
    const id = enqueue(made.json, { subject: 'odd address', body: 'x' });
    assert.ok(await waitState(id, 'dead'), JSON.stringify(row(id)));
    assert.equal(row(id).attempts, 1);
    assert.match(row(id).lastError, /cannot be mailed/);
    assert.equal((await relay('GET', '/attempts')).length, 0, 'nothing reached the relay');
  });

  test('a relay that is down for a while: each email is delivered once it is back, exactly once', async () => {
    await relay('POST', '/reset');
    await relay('POST', '/down');
    let ids;
    try {
      ids = [1, 2, 3].map((n) => enqueue(member.user, { subject: `while down ${n}`, body: `message ${n}` }));
      // The first attempt failed (nobody listens) and the row waits.
      assert.ok(await waitFor(() => row(ids[0]).attempts >= 1, DELIVERY_MS, 100), JSON.stringify(row(ids[0])));
      assert.equal(row(ids[0]).state, 'pending');
      assert.match(row(ids[0]).lastError, /connect|Couldn't|refused/i);
    } finally {
      await relay('POST', '/up');
    }
    for (const id of ids) assert.ok(await waitState(id, 'sent', DEATH_MS), `row ${id}: ${JSON.stringify(row(id))}`);
    const got = await messagesTo(member.user.email);
    assert.equal(got.length, 3, 'one message per row');
    assert.deepEqual(got.map((m) => m.subject).sort(), ['while down 1', 'while down 2', 'while down 3']);
    assert.equal(new Set(got.map((m) => m.messageId)).size, 3);
    for (const id of ids) assert.ok(got.some((m) => m.messageId.startsWith(`<rcycle.outbox.${id}.`)));
  });
});

describe('the opt-out', () => {
  test('PATCH /api/me {"emailNotifications": false} shows in GET /api/me and every User; true turns it back on', async () => {
    const me = await api('GET', '/api/me', { token: member.token });
    expectStatus(me, 200);
    assert.equal(me.json.emailNotifications, true, 'on by default');
    const off = await api('PATCH', '/api/me', { token: member.token, body: { emailNotifications: false } });
    expectStatus(off, 200);
    assert.equal(off.json.emailNotifications, false);
    assert.equal(off.json.email, member.user.email);
    const after = await api('GET', '/api/me', { token: member.token });
    assert.equal(after.json.emailNotifications, false);
    const users = await api('GET', '/api/users', { token: john.token });
    assert.equal(users.json.find((u) => u.id === member.user.id).emailNotifications, false);
    assert.equal(usersSql(`SELECT email_notifications FROM users.accounts WHERE id = ${Number(member.user.id)}`), 'f');
    const on = await api('PATCH', '/api/me', { token: member.token, body: { emailNotifications: true } });
    expectStatus(on, 200);
    assert.equal((await api('GET', '/api/me', { token: member.token })).json.emailNotifications, true);
  });

  test('a read-only API token cannot change it', async () => {
    const t = await api('POST', '/api/tokens', { token: member.token, body: { name: 'mail read', scopes: ['read'], expiresInDays: 1 } });
    expectStatus(t, 201);
    expectStatus(await api('PATCH', '/api/me', { token: t.json.token, body: { emailNotifications: false } }), 403);
    assert.equal((await api('GET', '/api/me', { token: member.token })).json.emailNotifications, true);
  });
});

describe('bad inputs to the new routes', () => {
  for (const [label, body] of [
    ['an empty body', {}],
    ['a string for the flag', { emailNotifications: 'no' }],
    ['null for the flag', { emailNotifications: null }],
  ]) {
    test(`PATCH /api/me with ${label}: 400`, async () => {
      expectStatus(await api('PATCH', '/api/me', { token: member.token, body }), 400);
    });
  }
  for (const q of ['state=bogus', 'limit=0', 'limit=501', 'limit=abc', 'offset=-1']) {
    test(`GET /api/admin/mail?${q}: 400`, async () => {
      expectStatus(await api('GET', `/api/admin/mail?${q}`, { token: john.token }), 400);
    });
  }
  test('POST /api/admin/mail/{id}/retry: 404 for no such email, 409 for one that is not dead', async () => {
    expectStatus(await api('POST', '/api/admin/mail/999999999999/retry', { token: john.token }), 404);
    await relay('POST', '/reset');
    const id = enqueue(member.user, { subject: 'not dead', body: 'x' });
    assert.ok(await waitState(id, 'sent'));
    expectStatus(await api('POST', `/api/admin/mail/${id}/retry`, { token: john.token }), 409);
  });
});

// The whole path: an event, its notification and the notification's email,
// written together by svc-users' follower (svc-users/notify.c).
describe('a notification is mailed', () => {
  const [SERIAL_ON, SERIAL_OFF] = SERIALS.mail;
  const posted = [];
  const outboxOf = (user) =>
    usersSql(`SELECT o.notification_id, n.kind FROM users.mail_outbox o JOIN users.notifications n ON n.id = o.notification_id
      WHERE o.user_id = ${Number(user.id)} ORDER BY o.id`).split('\n').filter(Boolean).map((l) => l.split('\t'));
  const inboxOf = async (s) => (await api('GET', '/api/notifications', { token: s.token })).json ?? [];

  test('a claim on a listing emails the owning department its claim_received, once, from the notification', async () => {
    await relay('POST', '/reset');
    const owner = await freshDepartmentUser('mailflow');
    const listing = await createListing(owner, SERIAL_ON);
    posted.push(listing.id);
    const claim = await createClaim(john, listing.id, 'mail flow: a claim that notifies the owner');
    assert.ok(await waitFor(async () => (await messagesTo(owner.user.email)).length > 0, DELIVERY_MS, 250), 'the owner got an email');
    const [m, ...more] = await messagesTo(owner.user.email);
    assert.equal(more.length, 0, 'one email for one notification');
    assert.ok(m.subject.includes(listing.title), `the subject names the listing: ${m.subject}`);
    assert.ok(m.text.includes(`${PUBLIC_URL}/#/claims/${claim.id}`), 'the text links to the claim');
    const rows = outboxOf(owner.user);
    assert.deepEqual(rows.map(([, kind]) => kind), ['claim_received'], 'the outbox row is the notification\'s');
    const inbox = await inboxOf(owner);
    assert.equal(String(inbox.find((n) => n.kind === 'claim_received')?.id), rows[0][0], 'the email is of the inbox\'s notification');
    assert.equal((await messagesTo(john.user.email)).length, 0, 'the requester, who acted, gets nothing');
  });

  test('an owner who turned emails off gets the notification in the inbox and no email', async () => {
    await relay('POST', '/reset');
    const owner = await freshDepartmentUser('mailoff');
    expectStatus(await api('PATCH', '/api/me', { token: owner.token, body: { emailNotifications: false } }), 200);
    const listing = await createListing(owner, SERIAL_OFF);
    posted.push(listing.id);
    await createClaim(john, listing.id, 'mail flow: the owner opted out');
    assert.ok(await waitFor(async () => (await inboxOf(owner)).some((n) => n.kind === 'claim_received'), DELIVERY_MS, 250), 'the inbox has it');
    assert.deepEqual(outboxOf(owner.user), [], 'nothing queued');
    assert.equal((await messagesTo(owner.user.email)).length, 0, 'nothing sent');
  });

  after(async () => {
    for (const id of posted) await withdrawListing(id);
  });
});
