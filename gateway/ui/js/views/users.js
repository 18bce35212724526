// users.js - #/users (admin): the accounts, and a form to add one.
import { api } from '../api.js';
import { h, replace, uid } from '../dom.js';
import { field, formValues, loadError, loading, pageHeader, runAction, section } from '../ui.js';

const ROLES = ['member', 'security', 'admin'];

export async function usersView(root) {
  const list = h('div');
  const email = field({ name: 'email', label: 'E-mail', type: 'email', required: true, autocomplete: 'off' });
  const name = field({ name: 'name', label: 'Name', required: true, autocomplete: 'off' });
  const department = field({ name: 'department', label: 'Department', required: true, autocomplete: 'off' });
  const password = field({ name: 'password', label: 'Initial password', type: 'password', required: true,
    autocomplete: 'new-password', hint: 'Give it to the person in a safe way; they sign in with it.' });
  const roleBoxes = ROLES.map((r) => {
    const id = uid('role');
    return h('div', { class: 'check' },
      h('input', { type: 'checkbox', id, name: 'roles', value: r, checked: r === 'member' }),
      h('label', { for: id }, r));
  });
  const submit = h('button', { type: 'submit', class: 'btn btn-primary' }, 'Add user');
  const form = h('form', { class: 'panel' },
    h('div', { class: 'grid-2' }, email.row, name.row, department.row, password.row),
    h('fieldset', { class: 'roles' }, h('legend', null, 'Roles'), roleBoxes),
    h('div', { class: 'form-actions' }, submit));

  replace(root, pageHeader('Users', 'Accounts that can sign in to R-Cycle.'),
    section('People', list), section('Add a user', form));

  async function load() {
    replace(list, loading('Loading users…'));
    try {
      const { data } = await api.get('/users');
      replace(list, h('div', { class: 'table-wrap', tabindex: '0', role: 'region', 'aria-label': 'Users table' },
        h('table', { class: 'table' },
          h('thead', null, h('tr', null, ['Name', 'E-mail', 'Department', 'Roles'].map((t) => h('th', { scope: 'col' }, t)))),
          h('tbody', null, (data || []).map((u) => h('tr', null,
            h('th', { scope: 'row' }, u.name), h('td', null, u.email), h('td', null, u.department),
            h('td', null, (u.roles || []).join(', '))))))));
    } catch (err) {
      replace(list, loadError(err, load));
    }
  }

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    if (!form.reportValidity()) return;
    const v = formValues(form);
    const outcome = await runAction({
      button: submit, busyText: 'Adding…', progress: `Adding ${v.email}…`, failure: 'Could not add the user',
      success: (u) => `Added ${u.name} (${u.email}).`,
      run: async () => (await api.post('/users', {
        email: v.email.trim(), name: v.name.trim(), department: v.department.trim(),
        password: v.password, roles: v.roles || [],
      })).data,
    });
    if (outcome.ok) {
      form.reset();
      load();
    }
  });

  await load();
}
