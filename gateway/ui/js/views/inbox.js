// inbox.js - #/notifications: my notifications, newest first, each linking
// to its request or listing; mark one read (by opening it or its button),
// or all of them.
import { api } from '../api.js';
import { h, replace } from '../dom.js';
import { fmtTime, plural } from '../format.js';
import { emptyState, loadError, loading, pageHeader, pager, runAction } from '../ui.js';
import { UNREAD_CHANGED } from './bell.js';

const PAGE_SIZE = 20;

function changed() {
  document.dispatchEvent(new Event(UNREAD_CHANGED));
}

async function markRead(ids) {
  await api.post('/notifications/read', { ids });
  changed();
}

export async function inboxView(root) {
  let offset = 0;
  const count = h('p', { class: 'result-count', role: 'status', 'aria-live': 'polite' });
  const list = h('div');
  const allRead = h('button', { type: 'button', class: 'btn btn-secondary', id: 'mark-all-read' }, 'Mark all read');
  allRead.addEventListener('click', async () => {
    const outcome = await runAction({
      button: allRead, busyText: 'Marking…', progress: 'Marking every notification read…',
      failure: 'Could not mark the notifications read',
      run: () => api.post('/notifications/read', { all: true }),
      success: () => 'Every notification is marked read.',
    });
    if (outcome.ok) {
      changed();
      load();
    }
  });
  replace(root, pageHeader('Notifications', 'What happened to your requests, your listings and the reviews you do.', allRead),
    count, list);

  function item(n) {
    const open = h('a', { class: 'notification-link', href: n.link }, n.title);
    open.addEventListener('click', () => { if (!n.read) markRead([n.id]).catch(() => {}); });
    const actions = [];
    if (!n.read) {
      const mark = h('button', { type: 'button', class: 'btn btn-link', dataset: { action: 'mark-read' } }, 'Mark read');
      mark.addEventListener('click', async () => {
        const outcome = await runAction({
          button: mark, busyText: 'Marking…', progress: 'Marking it read…', failure: 'Could not mark it read',
          run: () => markRead([n.id]),
        });
        if (outcome.ok) load();
      });
      actions.push(mark);
    }
    return h('li', { class: ['notification', n.read ? 'is-read' : 'is-unread'], dataset: { id: n.id, kind: n.kind, read: n.read } },
      h('div', { class: 'notification-head' },
        open,
        n.read ? null : h('span', { class: 'badge badge-unread' }, 'New'),
        h('time', { class: 'notification-at', datetime: n.at }, fmtTime(n.at))),
      h('p', { class: 'notification-body' }, n.body),
      actions.length ? h('div', { class: 'notification-actions' }, actions) : null);
  }

  async function load() {
    replace(list, loading('Loading your notifications…'));
    try {
      const { data, total, unread } = await api.get('/notifications', { limit: PAGE_SIZE, offset });
      const items = data || [];
      allRead.disabled = !unread;
      if (items.length === 0) {
        count.textContent = '';
        replace(list, emptyState('No notifications yet.',
          'You hear here when someone requests your hardware, decides your request, or an item waits for you.'));
        return;
      }
      count.textContent = `${plural(total ?? items.length, 'notification')}, ${unread ?? 0} unread.`;
      replace(list,
        h('ul', { class: 'notifications', 'aria-label': 'Your notifications' }, items.map(item)),
        pager({ offset, limit: PAGE_SIZE, total, label: 'Notification pages', onChange: (o) => { offset = o; load(); } }));
    } catch (err) {
      count.textContent = '';
      replace(list, loadError(err, load));
    }
  }

  await load();
}
