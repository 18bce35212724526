// users.js - #/users (admin): the accounts (edit name, department and roles,
// deactivate and reactivate, reset a password), and a form to add one. The
// API refuses what an admin may not do to themselves; the page does not offer
// it either.
import { api } from '../api.js';
import { h, replace, uid } from '../dom.js';
import { user as me } from '../session.js';
import { confirmDialog, field, formValues, loadError, loading, openDialog, pageHeader, runAction, section } from '../ui.js';
import { PASSWORD_MIN } from './password.js';

const ROLES = ['member', 'security', 'admin'];

function roleBoxes(checked, lockAdmin) {
  return ROLES.map((r) => {
    const id = uid('role');
    // member always holds (everyone is one); an admin keeps their own admin role.
    const locked = r === 'member' || (lockAdmin && r === 'admin');
    return h('div', { class: 'check' },
      h('input', { type: 'checkbox', id, name: 'roles', value: r, checked: checked.includes(r) || r === 'member',
        disabled: locked }),
      h('label', { for: id }, r));
  });
}

// The roles a dialog's form asks for: the checked boxes and the locked ones.
function chosenRoles(form) {
  return [...form.querySelectorAll('input[name="roles"]')].filter((b) => b.checked).map((b) => b.value);
}

function editUser(u) {
  const self = me() && me().id === u.id;
  const roles = h('fieldset', { class: 'roles' }, h('legend', null, 'Roles'), roleBoxes(u.roles || [], self));
  return openDialog({
    title: `Edit ${u.name}`,
    description: u.email,
    fields: [
      { name: 'name', label: 'Name', required: true, value: u.name, maxlength: 200, autocomplete: 'off' },
      { name: 'department', label: 'Department', required: true, value: u.department, maxlength: 200,
        autocomplete: 'off', list: 'department-names' },
    ],
    extra: roles,
    submitLabel: 'Save',
    busyText: 'Saving…',
    progress: `Saving ${u.email}…`,
    failure: 'Could not save the user',
    onSubmit: async (v) => (await api.patch(`/users/${u.id}`, {
      name: v.name.trim(), department: v.department.trim(), roles: chosenRoles(roles),
    })).data,
    success: (saved) => `Saved ${saved.name}.`,
  });
}

function setActive(u, active) {
  return confirmDialog({
    title: active ? `Reactivate ${u.name}?` : `Deactivate ${u.name}?`,
    description: active
      ? 'They can sign in again. Their old sessions and API tokens stay ended.'
      : 'They are signed out everywhere at once, their API tokens stop working, and they cannot sign in.',
    submitLabel: active ? 'Reactivate' : 'Deactivate',
    danger: !active,
    busyText: active ? 'Reactivating…' : 'Deactivating…',
    progress: `${active ? 'Reactivating' : 'Deactivating'} ${u.email}…`,
    failure: `Could not ${active ? 'reactivate' : 'deactivate'} the user`,
    onSubmit: async () => (await api.patch(`/users/${u.id}`, { active })).data,
    success: () => `${u.name} is ${active ? 'active again' : 'deactivated'}.`,
  });
}

function resetPassword(u) {
  return openDialog({
    title: `Set a new password for ${u.name}`,
    description: 'They are signed out everywhere; give them the new password in a safe way.',
    fields: [{ name: 'password', label: 'New password', type: 'password', required: true, minlength: PASSWORD_MIN,
      maxlength: 256, autocomplete: 'new-password', hint: `At least ${PASSWORD_MIN} characters, not their e-mail.` }],
    submitLabel: 'Set password',
    busyText: 'Setting…',
    progress: `Setting a new password for ${u.email}…`,
    failure: 'Could not set the password',
    onSubmit: async ({ password }) => {
      await api.post(`/users/${u.id}/password`, { password });
      return true;
    },
    success: () => `Set a new password for ${u.name}.`,
  });
}

function rowActions(u, reload) {
  const self = me() && me().id === u.id;
  const button = (label, cls, fn) => {
    const b = h('button', { type: 'button', class: ['btn', cls], dataset: { action: label.split(/\W/)[0].toLowerCase() } }, label);
    b.setAttribute('aria-label', `${label.replace('…', '')} ${u.name}`);
    b.addEventListener('click', async () => {
      if (await fn(u)) reload();
      else if (b.isConnected) b.focus();
    });
    return b;
  };
  const actions = [button('Edit…', 'btn-secondary', editUser)];
  if (u.authSource !== 'oidc') actions.push(button('Reset password…', 'btn-secondary', resetPassword));
  if (!self) {
    actions.push(u.active === false
      ? button('Reactivate…', 'btn-secondary', (x) => setActive(x, true))
      : button('Deactivate…', 'btn-danger-outline', (x) => setActive(x, false)));
  }
  return h('div', { class: 'row-actions' }, actions);
}

export async function usersView(root) {
  const list = h('div');
  const email = field({ name: 'email', label: 'E-mail', type: 'email', required: true, autocomplete: 'off' });
  const name = field({ name: 'name', label: 'Name', required: true, autocomplete: 'off' });
  const department = field({ name: 'department', label: 'Department', required: true, autocomplete: 'off',
    list: 'department-names' });
  const password = field({ name: 'password', label: 'Initial password', type: 'password', required: true,
    minlength: PASSWORD_MIN, maxlength: 256, autocomplete: 'new-password',
    hint: `At least ${PASSWORD_MIN} characters. Give it to the person in a safe way; they sign in with it.` });
  const departments = h('datalist', { id: 'department-names' });
  const submit = h('button', { type: 'submit', class: 'btn btn-primary' }, 'Add user');
  const form = h('form', { class: 'panel' },
    h('div', { class: 'grid-2' }, email.row, name.row, department.row, password.row),
    h('fieldset', { class: 'roles' }, h('legend', null, 'Roles'), roleBoxes([], false)),
    h('div', { class: 'form-actions' }, submit));

  replace(root, pageHeader('Users', 'Accounts that can sign in to R-Cycle.'),
    section('People', list), section('Add a user', form), departments);

  // Suggestions for the department fields; the page works without them.
  api.get('/departments').then(({ data }) => replace(departments,
    (data || []).map((d) => h('option', { value: d.name })))).catch(() => {});

  async function load() {
    replace(list, loading('Loading users…'));
    try {
      const { data } = await api.get('/users');
      replace(list, h('div', { class: 'table-wrap', tabindex: '0', role: 'region', 'aria-label': 'Users table' },
        h('table', { class: 'table' },
          h('thead', null, h('tr', null, ['Name', 'E-mail', 'Department', 'Roles', 'Status', 'Actions']
            .map((t) => h('th', { scope: 'col' }, t)))),
          h('tbody', null, (data || []).map((u) => h('tr', { dataset: { userId: u.id, email: u.email } },
            h('th', { scope: 'row' }, u.name), h('td', null, u.email), h('td', null, u.department),
            h('td', null, (u.roles || []).join(', ')),
            h('td', null, u.active === false ? 'deactivated' : 'active'),
            h('td', null, rowActions(u, load))))))));
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
        password: v.password, roles: chosenRoles(form),
      })).data,
    });
    if (outcome.ok) {
      form.reset();
      load();
    }
  });

  await load();
}
