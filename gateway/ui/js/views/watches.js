// watches.js - on the marketplace: "Watch this search" (the search and
// category on show become a watch, and new matching listings arrive in the
// inbox) and the list of my watches, each with Stop watching.
import { api } from '../api.js';
import { h, replace } from '../dom.js';
import { emptyState, loadError, runAction } from '../ui.js';

function describeWatch(w) {
  const parts = [];
  if (w.search) parts.push(`“${w.search}”`);
  if (w.category) parts.push(w.category);
  if (w.department) parts.push(`from ${w.department}`);
  return parts.join(' · ');
}

/** filter() -> {search, category}: what the marketplace shows now. */
export function watchPanel(filter) {
  const list = h('div', { class: 'watch-list' });
  const summary = h('summary', null, 'My watches');
  const panel = h('details', { class: 'history watches', id: 'my-watches' }, summary, list);
  const watchBtn = h('button', { type: 'button', class: 'btn btn-secondary', id: 'watch-search' }, 'Watch this search');

  async function load() {
    try {
      const { data } = await api.get('/watches');
      const watches = data || [];
      summary.textContent = `My watches (${watches.length})`;
      replace(list, watches.length === 0
        ? emptyState('No watches yet.', 'Search or pick a category, then “Watch this search” to hear of new matches.')
        : h('ul', { class: 'plain-list', 'aria-label': 'My watches' }, watches.map((w) => {
          const stop = h('button', { type: 'button', class: 'btn btn-link' }, 'Stop watching');
          stop.addEventListener('click', async () => {
            const outcome = await runAction({
              button: stop, busyText: 'Stopping…', progress: 'Deleting the watch…', failure: 'Could not delete the watch',
              run: () => api.del(`/watches/${w.id}`),
              success: () => `Stopped watching ${describeWatch(w)}.`,
            });
            if (outcome.ok) load();
          });
          return h('li', { dataset: { watchId: w.id } }, describeWatch(w), ' ', stop);
        })));
    } catch (err) {
      replace(list, loadError(err, load));
    }
  }

  watchBtn.addEventListener('click', async () => {
    const f = filter();
    const body = { search: f.search.trim() || null, category: f.category === 'all' ? null : f.category };
    const outcome = await runAction({
      button: watchBtn, busyText: 'Saving…', progress: 'Saving the watch…', failure: 'Could not watch this search',
      run: async () => {
        if (!body.search && !body.category) throw new Error('Search for something or pick a category first');
        return (await api.post('/watches', body)).data;
      },
      success: (w) => `Watching ${describeWatch(w)}: new matches arrive in your notifications.`,
    });
    if (outcome.ok) {
      panel.open = true;
      load();
    }
  });
  load();
  return { button: watchBtn, panel };
}
