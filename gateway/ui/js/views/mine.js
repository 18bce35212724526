// mine.js - #/mine: my department's listings (edit, withdraw) and the
// requests other departments made for them (approve, deny with a reason).
import { api } from '../api.js';
import { h, replace } from '../dom.js';
import { CLAIM_STATUS, CONDITIONS, HANDOVER_STATE, fmtTime, isoDatePlus, plural } from '../format.js';
import { user } from '../session.js';
import { confirmDialog, emptyState, loadError, loading, openDialog, pageHeader, pager, section } from '../ui.js';
import { claimActions, claimHeading, handoverActions, OPEN, timeline } from './claim-parts.js';
import { listingCard } from './listing-card.js';

const PAGE_SIZE = 10;
const EDITABLE = new Set(['available', 'claimed']);

const EDIT_FIELDS = [
  ['title', 'Title', 'text', true],
  ['description', 'Description', 'textarea'],
  ['location', 'Location', 'text'],
  ['condition', 'Condition', 'select'],
  ['expirationDate', 'Offer ends on', 'date', true],
  ['cpu', 'CPU', 'text'],
  ['ram', 'RAM', 'text'],
  ['storage', 'Storage', 'text'],
  ['ports', 'Ports', 'text'],
  ['otherSpecs', 'Other', 'text'],
];

function editDialog(l) {
  return openDialog({
    title: `Edit “${l.title}”`,
    description: `Serial ${l.serialNumber}. The serial number and category come from the registry and stay as they are.`,
    fields: EDIT_FIELDS.map(([name, label, type, required]) => ({
      name, label, type, required, value: l[name] || '',
      options: name === 'condition' ? [{ value: '', label: 'Not stated' }, ...CONDITIONS] : undefined,
      rows: 3, maxlength: name === 'description' ? 2000 : 500,
      min: type === 'date' ? isoDatePlus(1) : undefined,
      max: type === 'date' ? isoDatePlus(365) : undefined,
    })),
    submitLabel: 'Save changes',
    busyText: 'Saving…',
    progress: 'Saving your changes…',
    failure: 'Could not save the changes',
    onSubmit: async (values) => {
      const body = {};
      for (const [name, , , required] of EDIT_FIELDS) {
        const v = (values[name] || '').trim();
        if (required && !v) throw new Error(`${name === 'title' ? 'Title' : 'The end date'} is required`);
        if (v !== (l[name] || '')) body[name] = v;
      }
      if (Object.keys(body).length === 0) return l;
      return (await api.patch(`/listings/${l.id}`, body)).data;
    },
    success: (updated) => `Saved “${updated.title}”.`,
  });
}

function withdrawListingDialog(l) {
  return confirmDialog({
    title: `Withdraw “${l.title}”?`,
    description: l.status === 'claimed'
      ? 'It leaves the marketplace, and the open request on it is cancelled. This cannot be undone.'
      : 'It leaves the marketplace. This cannot be undone.',
    submitLabel: 'Withdraw listing',
    danger: true,
    busyText: 'Withdrawing…',
    progress: `Withdrawing ${l.title}…`,
    failure: 'Could not withdraw the listing',
    onSubmit: async () => {
      await api.del(`/listings/${l.id}`);
      return true;
    },
    success: () => `Withdrew “${l.title}”. It is no longer in the marketplace.`,
  });
}

export async function mineView(root) {
  const me = user();
  const incoming = h('div', { class: 'incoming' });
  const listings = h('div', { class: 'my-listings' });
  let offset = 0;

  replace(root,
    pageHeader('My listings', `Hardware ${me.department} offers, and the requests other departments made for it.`,
      h('a', { class: 'btn btn-primary', href: '#/post' }, 'Post hardware')),
    section('Incoming requests', incoming),
    section(`${me.department}'s listings`, listings));

  async function loadIncoming() {
    replace(incoming, loading('Loading requests…'));
    try {
      const { data } = await api.get('/claims', { scope: 'incoming', limit: 200 });
      const claims = data || [];
      const open = claims.filter((c) => OPEN.has(c.status));
      const closed = claims.filter((c) => !OPEN.has(c.status));
      const cards = open.map((c) => h('li', { class: 'card claim-card', dataset: { claimId: c.id } },
        claimHeading(c, 'h3'),
        h('p', { class: 'card-sub' }, h('span', { class: 'mono' }, c.serialNumber), ' · requested by ',
          c.requestingDepartment),
        h('blockquote', { class: 'justification' }, c.justification),
        timeline(c, null, me.department),
        h('div', { class: 'card-actions' }, claimActions(c, {
          canDecide: c.status === 'pending_owner',
          canWithdraw: false,
          onDone: () => { loadIncoming(); loadListings(); },
        }))));
      replace(incoming,
        open.length
          ? h('ul', { class: 'cards cards-wide', 'aria-label': 'Open requests' }, cards)
          : emptyState('No open requests.',
            'When another department requests one of your listings, approve or deny it here.'),
        closed.length ? h('details', { class: 'history' },
          h('summary', null, `Decided and closed requests (${closed.length})`),
          h('ul', { class: 'plain-list' }, closed.map((c) => h('li', { dataset: { claimId: c.id } },
            h('a', { href: `#/claims/${c.id}` }, c.listingTitle), ' — ', c.requestingDepartment, ', ',
            CLAIM_STATUS[c.status] || c.status, ' (', fmtTime(c.deniedAt || c.securityApprovedAt || c.requestedAt), ')',
            c.handover ? ` · ${HANDOVER_STATE[c.handover.state]}` : '', ' ',
            ...handoverActions(c, me.department, loadIncoming)))))
          : null);
    } catch (err) {
      replace(incoming, loadError(err, loadIncoming));
    }
  }

  async function loadListings() {
    replace(listings, loading('Loading your listings…'));
    try {
      const { data, total } = await api.get('/listings', { department: me.department, limit: PAGE_SIZE, offset });
      const items = data || [];
      if (items.length === 0 && offset > 0) {
        offset = 0;
        loadListings();
        return;
      }
      if (items.length === 0) {
        replace(listings, emptyState(`${me.department} has not posted any hardware yet.`,
          'Post a server, switch or storage shelf your team no longer needs.',
          { href: '#/post', label: 'Post hardware' }));
        return;
      }
      const cards = items.map((l) => {
        const actions = [];
        if (EDITABLE.has(l.status)) {
          const edit = h('button', { type: 'button', class: 'btn btn-secondary' }, 'Edit…');
          const wd = h('button', { type: 'button', class: 'btn btn-danger-outline' }, 'Withdraw…');
          edit.addEventListener('click', async () => {
            if (await editDialog(l)) loadListings();
          });
          wd.addEventListener('click', async () => {
            if (await withdrawListingDialog(l)) { loadListings(); loadIncoming(); }
          });
          actions.push(edit, wd);
        }
        const note = l.status === 'claimed' ? 'Requested: see Incoming requests above.' : null;
        const card = listingCard(l, { actions, note, heading: 'h3' });
        for (const a of actions) a.setAttribute('aria-describedby', card.titleId);
        return card;
      });
      replace(listings,
        h('p', { class: 'result-count' }, `${plural(total ?? items.length, 'listing')} in all.`),
        h('ul', { class: 'cards', 'aria-label': 'Your listings' }, cards),
        pager({ offset, limit: PAGE_SIZE, total, label: 'Listing pages',
          onChange: (o) => { offset = o; loadListings(); } }));
    } catch (err) {
      replace(listings, loadError(err, loadListings));
    }
  }

  await Promise.all([loadIncoming(), loadListings()]);
}
