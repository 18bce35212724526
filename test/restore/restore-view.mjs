// restore-view.mjs - what the API shows of a stack, as admin: every listing,
// claim (with its events) and user, the leaderboard and the hardware
// registry. The restore test compares it before the backup and after the
// restore (scripts/test-restore.sh).
import { api, expectStatus } from '../integration/lib.mjs';
import { admin, allPages } from '../integration/fixtures.mjs';

async function get(path, token) {
  const res = await api('GET', path, { token });
  expectStatus(res, 200);
  return res.json;
}

export async function apiView() {
  const { token } = await admin();
  const listings = (await allPages('/api/listings', token)).items;
  const claims = (await allPages('/api/claims', token)).items;
  const events = {};
  for (const c of claims) events[c.id] = await get(`/api/claims/${c.id}/events`, token);
  const hardware = {};
  for (const l of listings) hardware[l.serialNumber] = await get(`/api/hardware?serial=${encodeURIComponent(l.serialNumber)}`, token);
  return {
    listings,
    claims,
    events,
    hardware,
    users: await get('/api/users', token),
    leaderboard: await get('/api/leaderboard', token),
  };
}
