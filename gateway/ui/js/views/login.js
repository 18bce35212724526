// login.js - the sign-in page, shown whenever no session is alive: email and
// password, and "Sign in with single sign-on" when the site has an IdP
// (GET /api/auth/config), with the reason when a single sign-on failed.
import { h, replace } from '../dom.js';
import { authConfig, signIn } from '../session.js';
import { field, inlineStatus, runAction } from '../ui.js';

// The reasons of GET /api/auth/oidc/callback (docs/API.md), in plain words.
const SSO_REASONS = {
  idp_unavailable: 'the identity provider could not be reached. Try again in a moment.',
  idp_refused: 'the identity provider did not sign you in.',
  invalid_state: 'the sign-in expired or was started in another window. Try again.',
  code_rejected: 'the identity provider refused the sign-in code. Try again.',
  missing_email: 'your account at the identity provider has no verified e-mail address.',
  missing_department: 'your account at the identity provider has no department. Ask your administrator.',
  account_disabled: 'your R-Cycle account is deactivated.',
  sso_busy: 'too many sign-ins at once. Try again in a moment.',
  sso_disabled: 'single sign-on is not configured on this site.',
};

function ssoMessage(reason) {
  const why = SSO_REASONS[reason] ||
    (/^[a-z_]{1,32}$/.test(reason) ? `the identity token was refused (${reason}).` : 'it failed.');
  return `Single sign-on did not work: ${why}`;
}

/** A same-origin place to come back to after single sign-on. */
function nextPath() {
  const hash = location.hash && !location.hash.startsWith('#/login') ? location.hash : '';
  return `/${hash}`;
}

/** loginView(root, {message, ssoError, email, onSignedIn(user)}) */
export function loginView(root, { message, ssoError, email, onSignedIn }) {
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
    ssoError ? h('p', { class: 'login-message login-error', role: 'alert' }, ssoMessage(ssoError)) : null,
    emailField.row, password.row, inline.el, submit);
  const sso = h('div', { class: 'login-sso', hidden: true },
    h('p', { class: 'login-or' }, 'or'),
    h('a', { class: 'btn btn-secondary btn-block', id: 'sso-sign-in',
      href: `/api/auth/oidc/login?next=${encodeURIComponent(nextPath())}` }, 'Sign in with single sign-on'));
  form.append(sso);
  replace(root, h('div', { class: 'login' },
    h('div', { class: 'login-brand', 'aria-hidden': 'true' },
      h('img', { src: 'logo.svg', alt: '', width: 56, height: 56 })),
    form));
  authConfig().then((cfg) => {
    sso.hidden = !cfg.oidc;
    if (!cfg.local && cfg.oidc) {
      // Only single sign-on: no password fields to fill.
      for (const el of [emailField.row, password.row, submit]) el.hidden = true;
      sso.querySelector('.login-or').hidden = true;
    }
  });

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
