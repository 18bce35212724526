// bell.js - the bell in the header: a link to the inbox with the number of
// unread notifications, asked for every POLL_MS (and at once when a page
// says the count changed), so that it follows without a reload.
import { api } from '../api.js';
import { h } from '../dom.js';

const POLL_MS = 15000;
export const UNREAD_CHANGED = 'rcycle:unread-changed';

let timer = null;
let link = null;

function show(count) {
  if (!link) return;
  const badge = link.querySelector('.bell-count');
  badge.textContent = count > 99 ? '99+' : String(count);
  badge.hidden = count === 0;
  link.dataset.unread = String(count);
  link.setAttribute('aria-label', count === 1 ? 'Notifications, 1 unread' : `Notifications, ${count} unread`);
}

async function refresh() {
  try {
    const { unread } = await api.get('/notifications', { unread: 1, limit: 1 });
    show(unread ?? 0);
  } catch {
    // The next poll tries again; a signed-out browser stops polling.
  }
}

function onChanged() {
  refresh();
}

/** The bell's link, polling until stopBell. */
export function startBell() {
  stopBell();
  link = h('a', { href: '#/notifications', id: 'bell', class: 'bell', 'aria-label': 'Notifications' },
    h('span', { class: 'bell-icon', 'aria-hidden': 'true' }, '🔔'),
    h('span', { class: 'bell-count', hidden: true }, '0'));
  timer = setInterval(refresh, POLL_MS);
  document.addEventListener(UNREAD_CHANGED, onChanged);
  refresh();
  return link;
}

export function stopBell() {
  if (timer) clearInterval(timer);
  timer = null;
  link = null;
  document.removeEventListener(UNREAD_CHANGED, onChanged);
}
