// claim.js - #/claims/{id}: one request, its timeline and its audit trail.
import { api } from '../api.js';
import { h, replace } from '../dom.js';
import { CLAIM_STATUS, EVENT_ACTION, LISTING_STATUS, fmtTime } from '../format.js';
import { hasRole, user } from '../session.js';
import { claimBadge, details, loadError, loading, pageHeader, section } from '../ui.js';
import { claimActions, handoverActions, handoverBadge, OPEN, timeline } from './claim-parts.js';

function statusName(s) {
  return CLAIM_STATUS[s] || LISTING_STATUS[s] || s || '—';
}

export async function claimView(root, { match }) {
  const id = match[1];
  const body = h('div');
  replace(root, pageHeader(`Request #${id}`, 'Where this request stands, and every step it took.',
    h('a', { class: 'btn btn-secondary', href: '#/requests' }, 'My requests')), body);

  async function load() {
    replace(body, loading('Loading the request…'));
    try {
      const [{ data: c }, { data: events }] = await Promise.all([
        api.get(`/claims/${id}`),
        api.get(`/claims/${id}/events`),
      ]);
      const listing = await api.get(`/listings/${c.listingId}`).then((r) => r.data).catch(() => null);
      const me = user();
      // Names of the people behind actor ids: admins can list users; for
      // everyone else the claim's own fields name who did each step.
      let names = new Map();
      if (hasRole('admin')) {
        const users = await api.get('/users').then((r) => r.data).catch(() => []);
        names = new Map((users || []).map((u) => [u.id, u.email]));
      }
      const byAction = {
        created: c.requestedBy, owner_approved: c.ownerApprovedBy,
        security_approved: c.securityApprovedBy, denied: c.deniedBy,
      };
      const actor = (ev) => {
        if (ev.actorId === null || ev.actorId === undefined) return 'R-Cycle (automatic)';
        if (me && ev.actorId === me.id) return `you (${me.email})`;
        const email = names.get(ev.actorId) || byAction[ev.action];
        return email ? `${email} (${ev.actorDepartment})` : `${ev.actorDepartment} (user #${ev.actorId})`;
      };
      const owner = listing ? listing.department : null;
      const canDecide = (c.status === 'pending_owner' && owner && owner === me.department) ||
        (c.status === 'pending_security' && hasRole('security'));
      const canWithdraw = OPEN.has(c.status) && c.requestingDepartment === me.department;
      const actions = [...handoverActions(c, owner, load),
        ...claimActions(c, { canDecide, canWithdraw, onDone: load, withTrail: false })];

      replace(body,
        h('div', { class: 'card claim-card claim-detail', dataset: { claimId: c.id } },
          h('div', { class: 'card-head' },
            h('h2', { class: 'card-title' }, c.listingTitle),
            h('div', { class: 'card-badges' }, h('span', { class: 'tag' }, c.category), claimBadge(c.status),
              handoverBadge(c))),
          details([
            ['Serial number', c.serialNumber],
            ['Offered by', owner],
            ['Requested by', `${c.requestedBy} (${c.requestingDepartment})`],
            ['Listing status', listing ? statusName(listing.status) : null],
            ['Denial reason', c.denialReason],
          ], 'specs specs-wide'),
          h('blockquote', { class: 'justification' }, c.justification),
          timeline(c, events, owner),
          actions.length ? h('div', { class: 'card-actions' }, actions) : null),
        section('Audit trail',
          h('p', { class: 'hint' }, 'Every change of this request, oldest first. Entries are never changed or deleted.'),
          h('div', { class: 'table-wrap', tabindex: '0', role: 'region', 'aria-label': 'Audit trail table' },
            h('table', { class: 'table audit' },
              h('thead', null, h('tr', null, ['When', 'Who', 'What', 'Status change', 'Note']
                .map((t) => h('th', { scope: 'col' }, t)))),
              h('tbody', null, (events || []).map((ev) => h('tr', null,
                h('td', null, h('time', { datetime: ev.at }, fmtTime(ev.at))),
                h('td', null, actor(ev)),
                h('td', null, EVENT_ACTION[ev.action] || ev.action),
                h('td', null, `${ev.fromStatus ? statusName(ev.fromStatus) : 'new'} → ${statusName(ev.toStatus)}`),
                h('td', null, ev.note || ''))))))));
    } catch (err) {
      replace(body, loadError(err, load));
    }
  }

  await load();
}
