// mail.js - #/mail (admin): the email outbox, dead letters first: what the
// relay refused or never took, with its last error, and a button that sends
// one again once the cause is fixed.
import { api } from '../api.js';
import { h, replace } from '../dom.js';
import { fmtTime } from '../format.js';
import { confirmDialog, emptyState, field, loadError, loading, pageHeader, pager, section } from '../ui.js';

const PAGE_SIZE = 50;
const STATES = [
  { value: 'dead', label: 'Dead letters' },
  { value: 'pending', label: 'Waiting' },
  { value: 'sent', label: 'Sent' },
  { value: '', label: 'Every email' },
];

function retry(m) {
  return confirmDialog({
    title: `Send email ${m.id} again?`,
    description: `To ${m.email}: “${m.subject}”. It gets every attempt again, with the Message-ID it always had.`,
    submitLabel: 'Send again',
    busyText: 'Queueing…',
    progress: `Queueing email ${m.id}…`,
    failure: 'Could not queue the email',
    onSubmit: async () => (await api.post(`/admin/mail/${m.id}/retry`)).data,
    success: () => `Email ${m.id} is queued again.`,
  });
}

function row(m, reload) {
  let action = null;
  if (m.state === 'dead') {
    action = h('button', { type: 'button', class: 'btn btn-secondary', dataset: { action: 'retry' } }, 'Send again…');
    action.setAttribute('aria-label', `Send email ${m.id} again`);
    action.addEventListener('click', async () => {
      if (await retry(m)) reload();
      else if (action.isConnected) action.focus();
    });
  }
  const when = m.state === 'sent' ? `sent ${fmtTime(m.sentAt)}`
    : m.state === 'pending' ? `next try ${fmtTime(m.nextAttemptAt)}` : 'given up';
  return h('tr', { dataset: { mailId: m.id, state: m.state } },
    h('th', { scope: 'row' }, String(m.id)), h('td', null, m.email), h('td', null, m.subject),
    h('td', null, m.state), h('td', null, String(m.attempts)), h('td', null, fmtTime(m.createdAt)),
    h('td', null, when), h('td', null, m.lastError || '—'), h('td', null, action));
}

export async function mailView(root) {
  const list = h('div');
  const state = field({ name: 'state', label: 'Show', type: 'select', value: 'dead', options: STATES });
  let offset = 0;
  replace(root, pageHeader('Mail', 'Emails R-Cycle sent or is sending for notifications.'),
    h('div', { class: 'panel filters filters-narrow' }, state.row), section('Outbox', list));

  async function load() {
    replace(list, loading('Loading emails…'));
    try {
      const query = { limit: PAGE_SIZE, offset };
      if (state.control.value) query.state = state.control.value;
      const { data, total } = await api.get('/admin/mail', query);
      if (!data || data.length === 0) {
        replace(list, emptyState('No emails here', state.control.value === 'dead'
          ? 'Every email was delivered or is still being tried.' : 'Nothing matches.'));
        return;
      }
      replace(list, h('div', { class: 'table-wrap', tabindex: '0', role: 'region', 'aria-label': 'Emails table' },
        h('table', { class: 'table' },
          h('thead', null, h('tr', null, ['#', 'To', 'Subject', 'State', 'Attempts', 'Queued', 'Delivery', 'Last error', 'Actions']
            .map((t) => h('th', { scope: 'col' }, t)))),
          h('tbody', null, data.map((m) => row(m, load))))),
      pager({ offset, limit: PAGE_SIZE, total, label: 'Email pages', onChange: (next) => { offset = next; load(); } }));
    } catch (err) {
      replace(list, loadError(err, load));
    }
  }
  state.control.addEventListener('change', () => { offset = 0; load(); });
  await load();
}
