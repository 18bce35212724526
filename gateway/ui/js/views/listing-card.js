// listing-card.js - one listing as a card: specs, expiry, CO2, status.
import { h, uid } from '../dom.js';
import { co2For, daysUntil, fmtExpiry, fmtKg } from '../format.js';
import { details, listingBadge } from '../ui.js';

export function specPairs(l) {
  return [
    ['Condition', l.condition],
    ['Location', l.location],
    ['CPU', l.cpu],
    ['RAM', l.ram],
    ['Storage', l.storage],
    ['Ports', l.ports],
    ['Other', l.otherSpecs],
  ];
}

/** listingCard(listing, {actions: [elements], showDepartment}) -> <li> */
export function listingCard(l, { actions = [], note = null, tag = 'li', heading = 'h2' } = {}) {
  const titleId = uid('lt');
  const days = daysUntil(l.expirationDate);
  const open = l.status === 'available' || l.status === 'claimed';
  const card = h(tag, {
    class: ['card', 'listing-card', `is-${l.status}`],
    'aria-labelledby': titleId,
    dataset: { listingId: l.id, serial: l.serialNumber },
  },
  h('div', { class: 'card-head' },
    h(heading, { class: 'card-title', id: titleId }, l.title),
    h('div', { class: 'card-badges' },
      h('span', { class: ['tag', `tag-${String(l.category).toLowerCase()}`] }, l.category),
      listingBadge(l.status))),
  h('p', { class: 'card-sub' },
    h('span', { class: 'mono' }, l.serialNumber), ' · ', l.department),
  l.description ? h('p', { class: 'card-desc' }, l.description) : null,
  details(specPairs(l)),
  h('div', { class: 'card-foot' },
    h('p', { class: ['expiry', open && days !== null && days <= 7 && 'expiry-soon'] },
      fmtExpiry(l.expirationDate)),
    h('p', { class: 'co2' },
      h('span', { class: 'co2-icon', 'aria-hidden': 'true' }, '♻'),
      ` ${fmtKg(co2For(l.category))} CO2 saved when reused`)),
  note ? h('p', { class: 'card-note' }, note) : null,
  actions.length ? h('div', { class: 'card-actions' }, actions) : null);
  card.titleId = titleId;
  return card;
}
