// password.js - #/password: the signed-in user changes their own password.
// The API ends their other sessions; this one goes on.
import { api } from '../api.js';
import { h, replace } from '../dom.js';
import { field, formValues, pageHeader, runAction, section } from '../ui.js';

export const PASSWORD_MIN = 12;

export async function passwordView(root) {
  const current = field({ name: 'currentPassword', label: 'Current password', type: 'password', required: true,
    autocomplete: 'current-password' });
  const fresh = field({ name: 'newPassword', label: 'New password', type: 'password', required: true,
    minlength: PASSWORD_MIN, maxlength: 256, autocomplete: 'new-password',
    hint: `At least ${PASSWORD_MIN} characters, and not your e-mail address.` });
  const again = field({ name: 'again', label: 'New password again', type: 'password', required: true,
    autocomplete: 'new-password' });
  const submit = h('button', { type: 'submit', class: 'btn btn-primary' }, 'Change password');
  const form = h('form', { class: 'panel', id: 'password-form' }, current.row, fresh.row, again.row,
    h('div', { class: 'form-actions' }, submit));
  replace(root, pageHeader('Password', 'Changing it signs you out everywhere else.'), section('Change your password', form));

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    again.control.setCustomValidity(again.control.value === fresh.control.value ? '' : 'The two new passwords differ.');
    if (!form.reportValidity()) return;
    const v = formValues(form);
    const outcome = await runAction({
      button: submit, busyText: 'Changing…', progress: 'Changing your password…', failure: 'Could not change the password',
      success: () => 'Your password is changed. Your other sessions have ended.',
      run: async () => (await api.post('/me/password', { currentPassword: v.currentPassword, newPassword: v.newPassword })).data,
    });
    if (outcome.ok) form.reset();
  });
  again.control.addEventListener('input', () => again.control.setCustomValidity(''));
}
