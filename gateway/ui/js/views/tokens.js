// tokens.js - #/tokens: the signed-in user's API tokens, for scripts and
// other systems. A new token's secret is shown once, with a copy button; the
// list never holds secrets (the API never returns them again).
import { api } from '../api.js';
import { h, replace, uid } from '../dom.js';
import { fmtTime } from '../format.js';
import { confirmDialog, emptyState, field, formValues, loadError, loading, pageHeader, runAction, section } from '../ui.js';

function scopeWords(scopes) {
  return (scopes || []).includes('write') ? 'read and write' : 'read only';
}

// The secret of a token just made, in a read-only box with a copy button.
function secretPanel(t) {
  const id = uid('secret');
  const box = h('input', { id, type: 'text', readOnly: true, value: t.token, class: 'secret', spellcheck: 'false',
    autocomplete: 'off', 'aria-describedby': `${id}-hint` });
  const copy = h('button', { type: 'button', class: 'btn btn-secondary', id: 'copy-token' }, 'Copy');
  const status = h('span', { class: 'hint', role: 'status' });
  copy.addEventListener('click', async () => {
    box.select();
    try {
      await navigator.clipboard.writeText(t.token);
      status.textContent = 'Copied.';
    } catch {
      status.textContent = 'Select the text and copy it with your keyboard.';
    }
  });
  return h('div', { class: 'panel new-token', dataset: { tokenId: t.id } },
    h('label', { for: id }, `Your new token “${t.name}”`),
    h('div', { class: 'secret-row' }, box, copy, status),
    h('p', { class: 'hint', id: `${id}-hint` },
      'Copy it now: it is shown only this once. Send it as “Authorization: Bearer …”.'));
}

export async function tokensView(root) {
  const list = h('div');
  const created = h('div');
  const name = field({ name: 'name', label: 'Name', required: true, maxlength: 100, autocomplete: 'off',
    hint: 'What uses it, e.g. “CMDB sync”.' });
  const scope = field({ name: 'scope', label: 'Access', type: 'select',
    options: [{ value: 'read', label: 'Read only' }, { value: 'write', label: 'Read and write' }] });
  const days = field({ name: 'days', label: 'Expires after (days)', type: 'number', value: '90', min: 1, max: 365,
    required: true });
  // What the form goes back to after each token.
  days.control.defaultValue = '90';
  const submit = h('button', { type: 'submit', class: 'btn btn-primary' }, 'Create token');
  const form = h('form', { class: 'panel', id: 'token-form' },
    h('div', { class: 'grid-2' }, name.row, scope.row, days.row),
    h('div', { class: 'form-actions' }, submit));

  replace(root, pageHeader('API tokens', 'Tokens let scripts and other systems use the R-Cycle API as you.'),
    section('New token', form, created), section('Your tokens', list));

  async function revoke(t, button) {
    const ok = await confirmDialog({
      title: `Revoke “${t.name}”?`,
      description: 'Whatever uses it stops working at once. This cannot be undone.',
      submitLabel: 'Revoke token', danger: true, busyText: 'Revoking…', progress: 'Revoking the token…',
      failure: 'Could not revoke the token',
      onSubmit: async () => {
        await api.del(`/tokens/${t.id}`);
        return true;
      },
      success: () => `Revoked “${t.name}”.`,
    });
    if (ok) {
      if (created.querySelector(`[data-token-id="${t.id}"]`)) replace(created);
      load();
    } else if (button.isConnected) button.focus();
  }

  async function load() {
    replace(list, loading('Loading tokens…'));
    try {
      const { data } = await api.get('/tokens');
      if (!data || data.length === 0) {
        replace(list, emptyState('No tokens yet', 'Create one above when a script needs the API.'));
        return;
      }
      replace(list, h('div', { class: 'table-wrap', tabindex: '0', role: 'region', 'aria-label': 'API tokens table' },
        h('table', { class: 'table', id: 'tokens-table' },
          h('thead', null, h('tr', null, ['Name', 'Access', 'Created', 'Expires', 'Last used', 'Actions']
            .map((t) => h('th', { scope: 'col' }, t)))),
          h('tbody', null, data.map((t) => {
            const button = h('button', { type: 'button', class: 'btn btn-danger-outline' }, 'Revoke…');
            button.setAttribute('aria-label', `Revoke ${t.name}`);
            button.addEventListener('click', () => revoke(t, button));
            const expired = Date.parse(t.expiresAt) <= Date.now();
            return h('tr', { dataset: { tokenId: t.id } },
              h('th', { scope: 'row' }, t.name), h('td', null, scopeWords(t.scopes)),
              h('td', null, fmtTime(t.createdAt)),
              h('td', null, expired ? `expired ${fmtTime(t.expiresAt)}` : fmtTime(t.expiresAt)),
              h('td', null, t.lastUsedAt ? fmtTime(t.lastUsedAt) : 'never'),
              h('td', null, button));
          })))));
    } catch (err) {
      replace(list, loadError(err, load));
    }
  }

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    if (!form.reportValidity()) return;
    const v = formValues(form);
    const outcome = await runAction({
      button: submit, busyText: 'Creating…', progress: 'Creating the token…', failure: 'Could not create the token',
      success: (t) => `Created “${t.name}”. Copy it now: it is shown only once.`,
      run: async () => (await api.post('/tokens', {
        name: v.name.trim(), scopes: v.scope === 'write' ? ['read', 'write'] : ['read'],
        expiresInDays: Number.parseInt(v.days, 10),
      })).data,
    });
    if (outcome.ok) {
      form.reset();
      replace(created, secretPanel(outcome.value));
      created.querySelector('input').focus();
      load();
    }
  });

  await load();
}
