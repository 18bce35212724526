// load.mjs - the load of play.sh spread: requests through the gateway that
// reach svc-users (sign-in, /api/me) and svc-listings (listing queries, and
// claims made and withdrawn, which svc-claims turns into Reserve/Release
// calls to svc-listings). Bounded in count; loopback only.
//
//   node load.mjs                    the full run
//   node load.mjs --listings-only N  N listing queries, every one must be 200
const BASE = (process.env.GATEWAY_URL ?? 'http://127.0.0.1:3400').replace(/\/+$/, '');
const PASSWORD = process.env.RCYCLE_SEED_PASSWORD ?? 'rcycle-dev';

async function call(method, path, { token, body } = {}) {
  const headers = {};
  if (token) headers.authorization = `Bearer ${token}`;
  if (body) headers['content-type'] = 'application/json';
  const res = await fetch(BASE + path, { method, headers, body: body && JSON.stringify(body), signal: AbortSignal.timeout(10000) });
  const text = await res.text();
  let json;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, json, text };
}

async function login(email) {
  const r = await call('POST', '/api/session', { body: { email, password: PASSWORD } });
  if (r.status !== 200) throw new Error(`login ${email}: ${r.status} ${r.text}`);
  return r.json.token;
}

async function expect200(p) {
  const r = await p;
  if (r.status !== 200 && r.status !== 201) throw new Error(`${r.status} ${r.text.slice(0, 200)}`);
  return r;
}

const listingsOnly = process.argv.indexOf('--listings-only');
if (listingsOnly >= 0) {
  const n = Number(process.argv[listingsOnly + 1] ?? 30);
  const token = await login('jane.smith@company.com');
  let ok = 0;
  for (let i = 0; i < n; i++) if ((await call('GET', '/api/listings?limit=5', { token })).status === 200) ok++;
  console.log(`load.mjs: ${ok}/${n} listing queries answered 200`);
  process.exit(ok === n ? 0 : 1);
}

const started = Date.now();
let requests = 0;
const tokens = [];
for (const email of ['john.doe@company.com', 'jane.smith@company.com', 'bob.johnson@company.com']) {
  tokens.push(await login(email));
  requests++;
}
// Sign-ins reach svc-users every time (other calls hit the gateway's
// short auth cache): three at a time.
for (let round = 0; round < 10; round++) {
  await Promise.all(['john.doe@company.com', 'jane.smith@company.com', 'alice.williams@company.com'].map((e) => login(e)));
  requests += 3;
}
// Several at a time, so that several connections of the gateway are busy.
for (let round = 0; round < 40; round++) {
  await Promise.all(
    tokens.flatMap((token) => [
      expect200(call('GET', '/api/me', { token })),
      expect200(call('GET', '/api/listings?limit=5', { token })),
      expect200(call('GET', '/api/listings?limit=2&offset=2', { token })),
    ]),
  );
  requests += tokens.length * 3;
}
// Claims made and withdrawn: svc-claims calls svc-listings (Reserve, Release).
const bob = tokens[2];
const me = await expect200(call('GET', '/api/me', { token: bob }));
const listings = await expect200(call('GET', '/api/listings?status=available&limit=50', { token: bob }));
const target = listings.json.find((l) => l.department !== me.json.department && l.status === 'available');
let claims = 0;
if (target) {
  for (let i = 0; i < 8; i++) {
    const c = await call('POST', '/api/claims', { token: bob, body: { listingId: target.id, justification: `load spreading check ${i}` } });
    if (c.status !== 201) break;
    await expect200(call('POST', `/api/claims/${c.json.id}/withdraw`, { token: bob }));
    claims++;
    requests += 2;
  }
}
console.log(`load.mjs: ${requests} requests (${claims} claims made and withdrawn) in ${Date.now() - started} ms`);
