// account.js - #/account: the signed-in user's own settings. For now the one
// setting is whether notifications are also mailed (PATCH /api/me); the
// inbox keeps them either way.
import { api } from '../api.js';
import { h, replace, uid } from '../dom.js';
import * as session from '../session.js';
import { details, pageHeader, runAction, section } from '../ui.js';

export async function accountView(root) {
  const me = session.user();
  const id = uid('email-notifications');
  const box = h('input', { type: 'checkbox', id, name: 'emailNotifications', checked: me.emailNotifications !== false,
    'aria-describedby': `${id}-hint` });
  const submit = h('button', { type: 'submit', class: 'btn btn-primary' }, 'Save');
  const form = h('form', { class: 'panel', id: 'account-form' },
    h('div', { class: 'check' }, box, h('label', { for: id }, 'Email me my notifications')),
    h('p', { class: 'hint', id: `${id}-hint` },
      `Sent to ${me.email} when the site has email. Your notifications stay in R-Cycle either way.`),
    h('div', { class: 'form-actions' }, submit));
  replace(root, pageHeader('Account', 'Your account and how R-Cycle reaches you.'),
    section('You', details([['Name', me.name], ['E-mail', me.email], ['Department', me.department]])),
    section('Email notifications', form));

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const on = box.checked;
    const outcome = await runAction({
      button: submit, busyText: 'Saving…', progress: 'Saving your settings…', failure: 'Could not save your settings',
      success: (u) => (u.emailNotifications ? 'Your notifications are emailed to you.' : 'Your notifications are no longer emailed.'),
      run: async () => (await api.patch('/me', { emailNotifications: on })).data,
    });
    if (outcome.ok) session.update(outcome.value);
  });
}
