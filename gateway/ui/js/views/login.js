// login.js - the sign-in page, shown whenever no session is alive.
import { h, replace } from '../dom.js';
import { signIn } from '../session.js';
import { field, inlineStatus, runAction } from '../ui.js';

/** loginView(root, {message, email, onSignedIn(user)}) */
export function loginView(root, { message, email, onSignedIn }) {
  const emailField = field({ name: 'email', label: 'E-mail', type: 'email', required: true,
    autocomplete: 'username', value: email || '', spellcheck: 'false' });
  const password = field({ name: 'password', label: 'Password', type: 'password', required: true,
    autocomplete: 'current-password' });
  const inline = inlineStatus();
  const submit = h('button', { type: 'submit', class: 'btn btn-primary btn-block' }, 'Sign in');
  const form = h('form', { class: 'login-form', 'aria-labelledby': 'login-title' },
    h('h1', { id: 'login-title', class: 'page-title', tabindex: '-1' }, 'Sign in to R-Cycle'),
    h('p', { class: 'page-intro' }, 'Give decommissioned hardware a second life inside the company.'),
    message ? h('p', { class: 'login-message', role: 'status' }, message) : null,
    emailField.row, password.row, inline.el, submit);
  replace(root, h('div', { class: 'login' },
    h('div', { class: 'login-brand', 'aria-hidden': 'true' },
      h('img', { src: 'logo.svg', alt: '', width: 56, height: 56 })),
    form));

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    if (!form.reportValidity()) return;
    const outcome = await runAction({
      button: submit,
      busyText: 'Signing in…',
      progress: 'Signing in…',
      failure: 'Could not sign in',
      inline,
      run: () => signIn(emailField.control.value.trim(), password.control.value),
    });
    if (outcome.ok) {
      onSignedIn(outcome.value);
    } else {
      password.control.value = '';
      password.control.focus();
    }
  });
  (email ? password.control : emailField.control).focus();
}
