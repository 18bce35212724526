// market.js - #/market: browse, search, filter, page; request an item.
import { api } from '../api.js';
import { debounce, h, replace } from '../dom.js';
import { CATEGORIES, LISTING_STATUS, plural } from '../format.js';
import { setParams } from '../router.js';
import { inMyDepartment, user } from '../session.js';
import { emptyState, loadError, loading, openDialog, pageHeader, pager, field } from '../ui.js';
import { listingCard } from './listing-card.js';
import { watchPanel } from './watches.js';

const PAGE_SIZE = 12;
const MAX_PAGE_SIZE = 100;

export function requestDialog(listing) {
  return openDialog({
    title: `Request “${listing.title}”`,
    description: `Serial ${listing.serialNumber}, offered by ${listing.department}. ` +
      'The owning department reviews your request first, then the Security Team.',
    fields: [{
      name: 'justification', label: 'Justification', type: 'textarea', required: true, rows: 4,
      maxlength: 2000, hint: 'Why does your team need this hardware, and what will it be used for?',
    }],
    submitLabel: 'Send request',
    busyText: 'Sending…',
    progress: 'Sending your request…',
    failure: 'Could not send the request',
    onSubmit: async ({ justification }) => {
      const text = justification.trim();
      if (!text) throw new Error('Write a short justification first');
      const { data } = await api.post('/claims', { listingId: listing.id, justification: text });
      return data;
    },
    success: (claim) => `Request sent for “${claim.listingTitle}”. ${listing.department} reviews it next; ` +
      'follow it under My requests.',
  });
}

export async function marketView(root, { params }) {
  const state = {
    search: params.get('search') || '',
    category: params.get('category') || 'all',
    status: params.get('status') || 'available',
    offset: Math.max(0, Number.parseInt(params.get('offset') || '0', 10) || 0),
    // Items per page: 12 unless the address says otherwise (?limit=, 1-100).
    limit: Math.min(MAX_PAGE_SIZE, Math.max(1, Number.parseInt(params.get('limit') || '', 10) || PAGE_SIZE)),
  };
  let controller = null;

  const search = field({
    name: 'search', label: 'Search', type: 'search', value: state.search, autocomplete: 'off',
    placeholder: 'Title, serial number, department or description',
  });
  const category = field({
    name: 'category', label: 'Category', type: 'select', value: state.category,
    options: [{ value: 'all', label: 'All categories' }, ...CATEGORIES],
  });
  const status = field({
    name: 'status', label: 'Status', type: 'select', value: state.status,
    options: [...Object.entries(LISTING_STATUS).map(([value, label]) => ({ value, label })),
      { value: 'any', label: 'Any status' }],
  });
  const submit = h('button', { type: 'submit', class: 'btn btn-primary' }, 'Search');
  const form = h('form', { class: 'filters', role: 'search', 'aria-label': 'Filter hardware' },
    search.row, category.row, status.row, h('div', { class: 'field field-button' }, submit));
  const count = h('p', { class: 'result-count', role: 'status', 'aria-live': 'polite', tabindex: '-1' });
  let focusCount = false;
  const results = h('div', { class: 'results' });

  const watching = watchPanel(() => ({ search: search.control.value, category: category.control.value }));
  replace(root,
    pageHeader('Marketplace', 'Hardware other departments no longer need. Request it for your team.',
      watching.button, h('a', { class: 'btn btn-secondary', href: '#/post' }, 'Post hardware')),
    form, watching.panel, count, results);

  function filtersActive() {
    return state.search !== '' || state.category !== 'all' || state.status !== 'available';
  }

  async function load() {
    setParams('/market', {
      search: state.search,
      category: state.category === 'all' ? '' : state.category,
      status: state.status === 'available' ? '' : state.status,
      offset: state.offset || '',
      limit: state.limit === PAGE_SIZE ? '' : state.limit,
    });
    if (controller) controller.abort();
    controller = new AbortController();
    const mine = controller;
    replace(results, loading('Loading hardware…'));
    results.setAttribute('aria-busy', 'true');
    try {
      const { data, total } = await api.get('/listings', {
        search: state.search.trim(),
        category: state.category,
        status: state.status === 'any' ? '' : state.status,
        limit: state.limit,
        offset: state.offset,
      }, { signal: mine.signal });
      if (mine !== controller) return;
      results.removeAttribute('aria-busy');
      render(data || [], total === null ? (data || []).length : total);
    } catch (err) {
      if (err.name === 'AbortError' || mine !== controller) return;
      results.removeAttribute('aria-busy');
      count.textContent = '';
      replace(results, loadError(err, load));
    }
  }

  function render(items, total) {
    if (items.length === 0 && state.offset > 0 && total > 0) {
      state.offset = Math.max(0, (Math.ceil(total / state.limit) - 1) * state.limit);
      load();
      return;
    }
    if (items.length === 0) {
      count.textContent = 'No items found.';
      replace(results, filtersActive()
        ? h('div', { class: 'empty' },
          h('p', { class: 'empty-title' }, 'No hardware matches these filters.'),
          h('p', null, 'Try another search word, or show every category and status.'),
          h('button', { type: 'button', class: 'btn btn-secondary', on: { click: clearFilters } }, 'Clear filters'))
        : emptyState('Nothing is on offer right now.',
          'When a department posts hardware it appears here. Have something your team no longer needs?',
          { href: '#/post', label: 'Post hardware' }));
      return;
    }
    const first = state.offset + 1;
    const last = state.offset + items.length;
    count.textContent = `Showing ${first}–${last} of ${plural(total, 'item')}.`;
    if (focusCount) {
      focusCount = false;
      count.focus();
    }
    const me = user();
    const cards = items.map((l) => {
      const actions = [];
      let note = null;
      if (l.status === 'available' && !inMyDepartment(l.department)) {
        const btn = h('button', { type: 'button', class: 'btn btn-primary' }, 'Request this hardware');
        actions.push(btn);
        btn.addEventListener('click', async () => {
          const claim = await requestDialog(l);
          if (claim) load();
        });
      } else if (inMyDepartment(l.department)) {
        note = `Posted by your department (${me.department}). Manage it under My listings.`;
      } else if (l.status === 'claimed') {
        note = 'Another department has requested this item.';
      }
      const card = listingCard(l, { actions, note });
      for (const a of actions) a.setAttribute('aria-describedby', card.titleId);
      return card;
    });
    replace(results,
      h('ul', { class: 'cards', 'aria-label': 'Hardware on offer' }, cards),
      pager({
        offset: state.offset, limit: state.limit, total, label: 'Marketplace pages',
        onChange: (offset) => {
          state.offset = offset;
          focusCount = true;
          load();
        },
      }));
  }

  function clearFilters() {
    state.search = '';
    state.category = 'all';
    state.status = 'available';
    state.offset = 0;
    search.control.value = '';
    category.control.value = 'all';
    status.control.value = 'available';
    load();
  }

  function fromForm() {
    state.search = search.control.value;
    state.category = category.control.value;
    state.status = status.control.value;
    state.offset = 0;
  }

  const typed = debounce(() => {
    fromForm();
    load();
  }, 300);
  search.control.addEventListener('input', typed);
  category.control.addEventListener('change', () => { typed.cancel(); fromForm(); load(); });
  status.control.addEventListener('change', () => { typed.cancel(); fromForm(); load(); });
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    typed.cancel();
    fromForm();
    load();
  });

  await load();
  return () => {
    typed.cancel();
    if (controller) controller.abort();
  };
}
