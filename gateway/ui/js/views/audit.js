// audit.js - #/audit (security, admin): the audit trail of every service,
// newest first, with its filters; each event links to its claim (or to the
// trail of its listing or user), and Export downloads the NDJSON the
// auditors check with rcycle-admin verify-audit (docs/AUDIT.md).
import { api } from '../api.js';
import { h, replace } from '../dom.js';
import { fmtTime, plural } from '../format.js';
import { setParams } from '../router.js';
import { emptyState, field, formValues, loadError, loading, pageHeader, pager } from '../ui.js';

const PAGE_SIZE = 50;
// The deepest offset GET /api/audit takes; past it the filters must narrow.
const MAX_OFFSET = 9600;
const FILTERS = ['from', 'to', 'actor', 'action', 'entity', 'entityId'];
const ENTITIES = [
  { value: '', label: 'Any' },
  { value: 'claim', label: 'Claim' },
  { value: 'listing', label: 'Listing' },
  { value: 'user', label: 'User' },
  { value: 'token', label: 'API token' },
  { value: 'registry', label: 'Registry import' },
];

// <input type="datetime-local"> holds local time without a zone; the API
// takes RFC 3339.
function toRfc3339(local) {
  if (!local) return '';
  const d = new Date(local);
  return Number.isNaN(d.getTime()) ? '' : d.toISOString();
}

function toLocalInput(iso) {
  if (!iso) return '';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return '';
  const pad = (n) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

function auditHash(filters) {
  const qs = new URLSearchParams(Object.entries(filters).filter(([, v]) => v)).toString();
  return `#/audit${qs ? `?${qs}` : ''}`;
}

// Where an event leads: a claim to its page, anything else to its own trail.
function entityLink(e) {
  const text = e.entityId ? `${e.entity} ${e.entityId}` : e.entity;
  if (e.entity === 'claim' && e.entityId) return h('a', { href: `#/claims/${e.entityId}` }, text);
  if (!e.entityId) return text;
  return h('a', { href: auditHash({ entity: e.entity, entityId: e.entityId }), title: `Every event of ${text}` }, text);
}

function actorCell(e) {
  if (!e.actorEmail && !e.actorDepartment) return h('span', { class: 'muted' }, 'system');
  const who = e.actorEmail
    ? h('a', { href: auditHash({ actor: e.actorEmail }), title: `Every event by ${e.actorEmail}` }, e.actorEmail)
    : '';
  return h('span', null, who, e.actorDepartment ? h('span', { class: 'user-dept' }, ` · ${e.actorDepartment}`) : null);
}

function change(e) {
  if (e.fromStatus && e.toStatus && e.fromStatus !== e.toStatus) return `${e.fromStatus} → ${e.toStatus}`;
  return e.toStatus || '';
}

function eventsTable(events) {
  return h('div', { class: 'table-wrap', tabindex: '0', role: 'region', 'aria-label': 'Audit events' },
    h('table', { class: 'table', id: 'audit-table' },
      h('thead', null, h('tr', null, ['When', 'Actor', 'Action', 'About', 'Change', 'Note', 'Chain']
        .map((t) => h('th', { scope: 'col' }, t)))),
      h('tbody', null, events.map((e) => h('tr', { dataset: { chain: e.chain, seq: String(e.seq) } },
        h('td', null, h('time', { datetime: e.at, title: e.at }, fmtTime(e.at))),
        h('td', null, actorCell(e)),
        h('th', { scope: 'row' }, e.action),
        h('td', null, entityLink(e)),
        h('td', null, change(e)),
        h('td', null, e.note || ''),
        h('td', null, h('span', { title: `hash ${e.hash}` }, `${e.chain} #${e.seq}`)))))));
}

export async function auditView(root, { params }) {
  const filters = Object.fromEntries(FILTERS.map((k) => [k, params.get(k) || '']));
  let offset = Math.max(0, Number.parseInt(params.get('offset') || '0', 10) || 0);

  const from = field({ name: 'from', label: 'From', type: 'datetime-local', value: toLocalInput(filters.from) });
  const to = field({ name: 'to', label: 'Until', type: 'datetime-local', value: toLocalInput(filters.to) });
  const actor = field({ name: 'actor', label: 'Actor (e-mail)', type: 'email', value: filters.actor, autocomplete: 'off' });
  const action = field({ name: 'action', label: 'Action', value: filters.action, autocomplete: 'off',
    placeholder: 'e.g. signed_in, security_approved' });
  const entity = field({ name: 'entity', label: 'About', type: 'select', value: filters.entity, options: ENTITIES });
  const entityId = field({ name: 'entityId', label: 'Id', value: filters.entityId, autocomplete: 'off', inputmode: 'numeric' });
  const apply = h('button', { type: 'submit', class: 'btn btn-primary' }, 'Apply filters');
  const clear = h('a', { class: 'btn btn-ghost', href: '#/audit' }, 'Clear');
  const form = h('form', { class: 'panel', id: 'audit-filters', 'aria-label': 'Filter the audit trail' },
    h('div', { class: 'grid-2' }, from.row, to.row, actor.row, action.row, entity.row, entityId.row),
    h('div', { class: 'form-actions' }, apply, clear));
  const exportLink = h('a', { class: 'btn btn-secondary', id: 'audit-export', download: '' }, 'Export (NDJSON)');
  const summary = h('p', { class: 'muted', 'aria-live': 'polite' });
  const list = h('div');

  function exportHref() {
    const qs = new URLSearchParams(Object.entries({ from: filters.from, to: filters.to }).filter(([, v]) => v)).toString();
    exportLink.href = `/api/audit/export${qs ? `?${qs}` : ''}`;
    exportLink.setAttribute('download', `rcycle-audit-${new Date().toISOString().slice(0, 10)}.ndjson`);
  }

  replace(root,
    pageHeader('Audit trail', 'Every sign-in and every change to a user, token, listing or claim, newest first. Each event is chained ' +
      'to the one before it; Export gives the whole trail for an offline check with rcycle-admin verify-audit.',
    exportLink),
    form, summary, list);

  async function load() {
    setParams('/audit', { ...filters, offset: offset || '' });
    exportHref();
    replace(list, loading('Loading the audit trail…'));
    try {
      const { data, total, exact } = await api.get('/audit', { ...filters, limit: PAGE_SIZE, offset });
      const events = data || [];
      // A broad filter's count stops at a cap (docs/API.md): say so rather than show a false total.
      summary.textContent = total === null ? ''
        : exact ? `${plural(total, 'event')} match.`
          : `More than ${total.toLocaleString()} events match.`;
      if (events.length === 0) {
        replace(list, emptyState('No events', 'Nothing matches these filters.'));
        return;
      }
      replace(list, eventsTable(events),
        pager({ offset, limit: PAGE_SIZE, total: Math.min(total ?? 0, MAX_OFFSET + PAGE_SIZE), label: 'Audit pages', onChange: (next) => { offset = next; load(); } }));
    } catch (err) {
      replace(list, loadError(err, load));
    }
  }

  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const v = formValues(form);
    filters.from = toRfc3339(v.from);
    filters.to = toRfc3339(v.to);
    filters.actor = (v.actor || '').trim();
    filters.action = (v.action || '').trim();
    filters.entity = v.entity || '';
    filters.entityId = (v.entityId || '').trim();
    offset = 0;
    load();
  });

  await load();
}
