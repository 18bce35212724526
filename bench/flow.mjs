// flow.mjs - the claim workflow of bench/flow.sh, driven through the
// gateway: CLIENTS clients, each looping for SECONDS over one flow on a
// registry device of its own (FLOW-<n>): Jane (Data Center Operations)
// posts the listing, Bob (Development Team) claims it, Jane approves it as
// owner and Alice (Security Team) as security reviewer, after which the
// listing is approved and the device free for the next flow.
//
// Usage: node bench/flow.mjs GATEWAY_URL CLIENTS SECONDS
// Prints one line: "flows/s p50 p99 errors flows" then one line per step
// "step p50 p99", latencies in ms of each write as the client waited for it.
const [base, clientsArg, secondsArg] = process.argv.slice(2);
const CLIENTS = Number(clientsArg);
const SECONDS = Number(secondsArg);
const PASSWORD = process.env.RCYCLE_SEED_PASSWORD ?? 'rcycle-dev';

async function call(method, path, token, body) {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  if (res.status >= 300) throw new Error(`${method} ${path}: ${res.status} ${text.slice(0, 200)}`);
  return JSON.parse(text);
}

async function login(email) {
  const res = await fetch(`${base}/api/session`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ email, password: PASSWORD }),
  });
  if (res.status !== 200) throw new Error(`login ${email}: ${res.status}`);
  return (await res.json()).token;
}

const STEPS = ['post', 'claim', 'owner approve', 'security approve'];
const latencies = Object.fromEntries(STEPS.map((s) => [s, []]));
let flows = 0;
let errors = 0;

async function timed(step, fn) {
  const t0 = process.hrtime.bigint();
  const out = await fn();
  latencies[step].push(Number(process.hrtime.bigint() - t0) / 1e6);
  return out;
}

function expiration() {
  const d = new Date(Date.now() + 30 * 86400e3);
  return d.toISOString().slice(0, 10);
}

async function client(n, tokens, deadline) {
  const serial = `FLOW-${n}`;
  while (Date.now() < deadline) {
    let listing;
    try {
      listing = await timed('post', () =>
        call('POST', '/api/listings', tokens.jane, {
          serialNumber: serial,
          title: `Flow bench server ${n}`,
          category: 'Server',
          expirationDate: expiration(),
        }),
      );
      const claim = await timed('claim', () =>
        call('POST', '/api/claims', tokens.bob, { listingId: listing.id, justification: 'bench/flow.sh' }),
      );
      await timed('owner approve', () => call('POST', `/api/claims/${claim.id}/approve`, tokens.jane));
      await timed('security approve', () => call('POST', `/api/claims/${claim.id}/approve`, tokens.alice));
      flows++;
    } catch (e) {
      errors++;
      if (errors <= 5) console.error(`flow bench: client ${n}: ${e.message}`);
      // The device takes one open listing at a time: a flow that failed
      // half-way gives its listing up, or every later post would be refused.
      if (listing !== undefined) await call('DELETE', `/api/listings/${listing.id}`, tokens.jane).catch(() => {});
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

function percentile(sorted, p) {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(sorted.length * p) - 1))];
}

const tokens = {
  jane: await login('jane.smith@company.com'),
  bob: await login('bob.johnson@company.com'),
  alice: await login('alice.williams@company.com'),
};
const t0 = Date.now();
const deadline = t0 + SECONDS * 1000;
await Promise.all(Array.from({ length: CLIENTS }, (_, i) => client(i + 1, tokens, deadline)));
const elapsed = (Date.now() - t0) / 1000;
const all = STEPS.flatMap((s) => latencies[s]).sort((a, b) => a - b);
const fmt = (v) => (Number.isNaN(v) ? '-' : v.toFixed(2));
console.log(`${(flows / elapsed).toFixed(1)} ${fmt(percentile(all, 0.5))} ${fmt(percentile(all, 0.99))} ${errors} ${flows}`);
for (const s of STEPS) {
  const v = latencies[s].sort((a, b) => a - b);
  console.log(`${s.replace(/ /g, '_')} ${fmt(percentile(v, 0.5))} ${fmt(percentile(v, 0.99))}`);
}
