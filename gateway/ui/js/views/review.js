// review.js - #/review: the Security Team's queue of requests the owners
// approved. Each shows what the hardware registry says about storage media.
import { api } from '../api.js';
import { h, replace } from '../dom.js';
import { plural } from '../format.js';
import { details, emptyState, loadError, loading, pageHeader, pager } from '../ui.js';
import { claimActions, claimHeading, timeline } from './claim-parts.js';
import { specPairs } from './listing-card.js';

const PAGE_SIZE = 10;

function registryNote(hw) {
  if (!hw) return h('p', { class: 'registry registry-unknown' }, 'The hardware registry has no record of this serial number.');
  if (hw.hasStorageMedia) {
    const media = (hw.specs && hw.specs.storage) || [];
    return h('p', { class: 'registry registry-media' },
      h('strong', null, 'Registry: storage media present'), ` — ${media.join(', ') || 'unspecified'}.`);
  }
  return h('p', { class: 'registry registry-clean' }, h('strong', null, 'Registry: no storage media'),
    ` — ${[hw.manufacturer, hw.model].filter(Boolean).join(' ')}.`);
}

export async function reviewView(root) {
  let offset = 0;
  const count = h('p', { class: 'result-count', role: 'status', 'aria-live': 'polite' });
  const list = h('div');
  replace(root,
    pageHeader('Security review',
      'Requests the owning department approved. Check each item and approve the hand-over, or deny it with a reason.'),
    count, list);

  async function load() {
    replace(list, loading('Loading the review queue…'));
    try {
      const { data, total } = await api.get('/claims', { scope: 'review', limit: PAGE_SIZE, offset });
      const claims = data || [];
      if (claims.length === 0) {
        if (offset > 0) { offset = 0; load(); return; }
        count.textContent = '';
        replace(list, emptyState('The review queue is empty.',
          'Requests appear here once the owning department has approved them.'));
        return;
      }
      count.textContent = `${plural(total ?? claims.length, 'request')} waiting for review.`;
      const extra = await Promise.all(claims.map(async (c) => {
        const [listing, hw] = await Promise.all([
          api.get(`/listings/${c.listingId}`).then((r) => r.data).catch(() => null),
          api.get('/hardware', { serial: c.serialNumber }).then((r) => r.data).catch(() => null),
        ]);
        return { listing, hw };
      }));
      replace(list,
        h('ul', { class: 'cards cards-wide', 'aria-label': 'Requests waiting for security review' },
          claims.map((c, i) => {
            const { listing, hw } = extra[i];
            return h('li', { class: 'card claim-card', dataset: { claimId: c.id } },
              claimHeading(c),
              h('p', { class: 'card-sub' }, h('span', { class: 'mono' }, c.serialNumber),
                listing ? ` · from ${listing.department}` : '', ` · to ${c.requestingDepartment}`),
              registryNote(hw),
              h('blockquote', { class: 'justification' }, c.justification),
              listing ? details(specPairs(listing)) : null,
              timeline(c, null, listing ? listing.department : null),
              h('div', { class: 'card-actions' }, claimActions(c, {
                canDecide: true, canWithdraw: false, onDone: load,
              })));
          })),
        pager({ offset, limit: PAGE_SIZE, total, label: 'Review queue pages',
          onChange: (o) => { offset = o; load(); } }));
    } catch (err) {
      count.textContent = '';
      replace(list, loadError(err, load));
    }
  }

  await load();
}
