// requests.js - #/requests: the requests my department made, each with its
// timeline (requested -> owner -> security -> outcome) and withdraw.
import { api } from '../api.js';
import { h, replace } from '../dom.js';
import { CLAIM_STATUS, plural } from '../format.js';
import { user } from '../session.js';
import { emptyState, field, loadError, loading, pageHeader, pager } from '../ui.js';
import { claimActions, claimHeading, handoverActions, timeline } from './claim-parts.js';

const PAGE_SIZE = 10;

export async function requestsView(root) {
  const me = user();
  let offset = 0;
  const status = field({
    name: 'status', label: 'Show', type: 'select', value: '',
    options: [{ value: '', label: 'All requests' },
      ...Object.entries(CLAIM_STATUS).map(([value, label]) => ({ value, label }))],
  });
  const count = h('p', { class: 'result-count', role: 'status', 'aria-live': 'polite' });
  const list = h('div');
  replace(root,
    pageHeader('My requests', `Hardware ${me.department} asked for, and where each request stands.`,
      h('a', { class: 'btn btn-secondary', href: '#/market' }, 'Browse the marketplace')),
    h('form', { class: 'filters filters-narrow', 'aria-label': 'Filter requests' }, status.row),
    count, list);
  status.control.addEventListener('change', () => { offset = 0; load(); });

  async function load() {
    replace(list, loading('Loading your requests…'));
    try {
      const { data, total } = await api.get('/claims', {
        scope: 'mine', status: status.control.value, limit: PAGE_SIZE, offset,
      });
      const claims = data || [];
      if (claims.length === 0) {
        count.textContent = '';
        replace(list, status.control.value
          ? emptyState('No requests with this status.', 'Choose “All requests” to see every one.')
          : emptyState(`${me.department} has not requested any hardware yet.`,
            'Find something useful in the marketplace and request it with a short justification.',
            { href: '#/market', label: 'Browse the marketplace' }));
        return;
      }
      count.textContent = `${plural(total ?? claims.length, 'request')}.`;
      // The audit trail says who withdrew or cancelled and when, which the
      // claim itself does not carry; the listing says who owns it.
      const extra = await Promise.all(claims.map(async (c) => {
        const [events, listing] = await Promise.all([
          api.get(`/claims/${c.id}/events`).then((r) => r.data).catch(() => null),
          api.get(`/listings/${c.listingId}`).then((r) => r.data).catch(() => null),
        ]);
        return { events, owner: listing ? listing.department : null };
      }));
      replace(list,
        h('ul', { class: 'cards cards-wide', 'aria-label': 'Your requests' }, claims.map((c, i) => h('li', {
          class: ['card', 'claim-card', `claim-${c.status}`], dataset: { claimId: c.id },
        },
        claimHeading(c),
        h('p', { class: 'card-sub' }, h('span', { class: 'mono' }, c.serialNumber),
          extra[i].owner ? ` · offered by ${extra[i].owner}` : ''),
        h('blockquote', { class: 'justification' }, c.justification),
        timeline(c, extra[i].events, extra[i].owner),
        h('div', { class: 'card-actions' }, ...handoverActions(c, extra[i].owner, load), ...claimActions(c, {
          canDecide: false,
          canWithdraw: c.requestingDepartment === me.department,
          onDone: load,
        }))))),
        pager({ offset, limit: PAGE_SIZE, total, label: 'Request pages',
          onChange: (o) => { offset = o; load(); } }));
    } catch (err) {
      count.textContent = '';
      replace(list, loadError(err, load));
    }
  }

  await load();
}
