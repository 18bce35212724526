// app.js - the R-Cycle browser UI: the page shell (header, navigation, the
// signed-in user, sign out), the routes, and the start-up that asks the API
// whether this browser's session is still alive.
import { onUnauthorized } from './api.js';
import { h, replace } from './dom.js';
import { go, matchRoute, onRoute, parseHash } from './router.js';
import * as session from './session.js';
import { announce, clearAnnouncement, loadError, runAction } from './ui.js';
import { accountView } from './views/account.js';
import { apiDocsView } from './views/api-docs.js';
import { auditView } from './views/audit.js';
import { startBell, stopBell } from './views/bell.js';
import { inboxView } from './views/inbox.js';
import { claimView } from './views/claim.js';
import { leaderboardView } from './views/leaderboard.js';
import { loginView } from './views/login.js';
import { mailView } from './views/mail.js';
import { marketView } from './views/market.js';
import { mineView } from './views/mine.js';
import { passwordView } from './views/password.js';
import { postView } from './views/post.js';
import { requestsView } from './views/requests.js';
import { reviewView } from './views/review.js';
import { tokensView } from './views/tokens.js';
import { usersView } from './views/users.js';

const ROUTES = [
  { pattern: /^\/market$/, key: 'market', label: 'Marketplace', view: marketView, nav: true },
  { pattern: /^\/post$/, key: 'post', label: 'Post hardware', view: postView, nav: true },
  { pattern: /^\/mine$/, key: 'mine', label: 'My listings', view: mineView, nav: true },
  { pattern: /^\/requests$/, key: 'requests', label: 'My requests', view: requestsView, nav: true },
  { pattern: /^\/review$/, key: 'review', label: 'Security review', view: reviewView, nav: true, role: 'security' },
  { pattern: /^\/leaderboard$/, key: 'leaderboard', label: 'Leaderboard', view: leaderboardView, nav: true },
  { pattern: /^\/users$/, key: 'users', label: 'Users', view: usersView, nav: true, role: 'admin' },
  { pattern: /^\/audit$/, key: 'audit', label: 'Audit', view: auditView, nav: true, role: ['security', 'admin'] },
  { pattern: /^\/mail$/, key: 'mail', label: 'Mail', view: mailView, nav: true, role: 'admin' },
  { pattern: /^\/claims\/([1-9][0-9]{0,17})$/, key: 'claim', label: 'Request', view: claimView, navKey: 'requests' },
  { pattern: /^\/api$/, key: 'api', label: 'REST API', view: apiDocsView },
  // Reached from the bell in the user box.
  { pattern: /^\/notifications$/, key: 'notifications', label: 'Notifications', view: inboxView },
  // Under the user's menu (the user box), not the main navigation.
  { pattern: /^\/account$/, key: 'account', label: 'Account', view: accountView },
  { pattern: /^\/tokens$/, key: 'tokens', label: 'API tokens', view: tokensView },
  { pattern: /^\/password$/, key: 'password', label: 'Password', view: passwordView },
];

// route.role: one role, or a list of which any one will do.
function allowed(route) {
  if (!route.role) return true;
  return (Array.isArray(route.role) ? route.role : [route.role]).some((r) => session.hasRole(r));
}

const main = document.getElementById('main');
const navList = document.getElementById('nav-list');
const nav = document.getElementById('site-nav');
const menuToggle = document.getElementById('menu-toggle');
const userbox = document.getElementById('userbox');

let renderSeq = 0;
let cleanup = null;
let loginMessage = '';
let loginEmail = '';

// ---- shell ------------------------------------------------------------------------

function closeMenu() {
  menuToggle.setAttribute('aria-expanded', 'false');
  document.body.classList.remove('menu-open');
}

function buildShell() {
  const user = session.user();
  document.body.classList.remove('signed-out');
  nav.hidden = false;
  menuToggle.hidden = false;
  userbox.hidden = false;
  replace(navList, ROUTES.filter((r) => r.nav && allowed(r)).map((r) =>
    h('li', null, h('a', { href: `#/${r.key}`, dataset: { nav: r.key } }, r.label))));
  // The link of the page on show loads it afresh (no hashchange would).
  for (const a of navList.querySelectorAll('a')) {
    a.addEventListener('click', (event) => {
      if (location.hash === a.getAttribute('href')) {
        event.preventDefault();
        render({ navigated: true });
      }
    });
  }
  const signOut = h('button', { type: 'button', class: 'btn btn-ghost', id: 'sign-out' }, 'Sign out');
  signOut.addEventListener('click', async () => {
    const outcome = await runAction({
      button: signOut, busyText: 'Signing out…', progress: 'Signing out…', failure: 'Could not sign out',
      run: () => session.signOut(),
    });
    if (outcome.ok) {
      loginMessage = 'You are signed out.';
      loginEmail = '';
      clearAnnouncement();
      history.replaceState(null, '', '#/market');
      render({ navigated: true });
    }
  });
  const roles = (user.roles || []).filter((r) => r !== 'member');
  const account = h('nav', { class: 'user-links', 'aria-label': 'Your account' },
    h('a', { href: '#/account', id: 'nav-account' }, 'Account'),
    h('a', { href: '#/tokens', id: 'nav-tokens' }, 'API tokens'),
    h('a', { href: '#/password', id: 'nav-password' }, 'Password'));
  replace(userbox,
    startBell(),
    h('div', { class: 'user' },
      h('span', { class: 'user-name', id: 'user-name' }, user.name),
      h('span', { class: 'user-dept' }, user.department,
        roles.length ? ` · ${roles.join(', ')}` : ''),
      account),
    signOut);
}

function hideShell() {
  stopBell();
  document.body.classList.add('signed-out');
  nav.hidden = true;
  menuToggle.hidden = true;
  userbox.hidden = true;
  replace(navList);
  replace(userbox);
}

function markNav(key) {
  for (const a of navList.querySelectorAll('a')) {
    if (a.dataset.nav === key) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
}

function focusHeading(root) {
  const heading = root.querySelector('h1');
  (heading || main).focus();
}

// ---- pages ------------------------------------------------------------------------

function showLogin() {
  hideShell();
  document.title = 'Sign in · R-Cycle';
  const root = h('div', { class: 'view', dataset: { view: 'login' } });
  replace(main, root);
  root.dataset.ready = 'true';
  const message = loginMessage;
  loginMessage = '';
  const { path, params } = parseHash();
  loginView(root, {
    message,
    ssoError: path === '/login' ? params.get('error') : null,
    email: loginEmail,
    onSignedIn: (user) => {
      loginEmail = '';
      buildShell();
      announce('success', `Signed in as ${user.name}, ${user.department}.`);
      if (!location.hash || location.hash === '#') history.replaceState(null, '', '#/market');
      render({ navigated: true });
    },
  });
}

function notAllowed(root, route) {
  replace(root,
    h('h1', { class: 'page-title', tabindex: '-1' }, route.label),
    h('div', { class: 'empty' },
      h('p', { class: 'empty-title' }, route.role === 'security'
        ? 'This page is for the Security Team.'
        : Array.isArray(route.role) ? 'This page is for the Security Team and administrators.'
          : 'This page is for administrators.'),
      h('p', null, 'Your account does not have that role. Ask an administrator if you need it.'),
      h('a', { class: 'btn btn-primary', href: '#/market' }, 'Go to the marketplace')));
}

async function render({ navigated = false } = {}) {
  const seq = ++renderSeq;
  if (cleanup) {
    try { cleanup(); } catch { /* a page's cleanup never stops the next page */ }
    cleanup = null;
  }
  closeMenu();
  for (const d of document.querySelectorAll('dialog[open]')) d.close();
  if (!session.user()) {
    showLogin();
    return;
  }
  const { path, params } = parseHash();
  const found = matchRoute(ROUTES, path);
  if (!found) {
    go('/market');
    return;
  }
  const { route, match } = found;
  markNav(route.navKey || route.key);
  document.title = `${route.label} · R-Cycle`;
  const root = h('div', { class: 'view', dataset: { view: route.key } });
  replace(main, root);
  if (!allowed(route)) {
    notAllowed(root, route);
    root.dataset.ready = 'true';
    if (navigated) focusHeading(root);
    return;
  }
  root.setAttribute('aria-busy', 'true');
  let pending;
  try {
    pending = route.view(root, { params, match });
  } catch (err) {
    replace(root, loadError(err));
  }
  if (navigated) focusHeading(root);
  let done = null;
  try {
    done = await pending;
  } catch (err) {
    if (seq === renderSeq) replace(root, loadError(err, () => render()));
  }
  // Tests and assistive technology can tell when the page has loaded.
  root.removeAttribute('aria-busy');
  root.dataset.ready = 'true';
  if (typeof done === 'function') {
    if (seq === renderSeq) cleanup = done;
    else done();
  }
}

// ---- start ------------------------------------------------------------------------

async function boot() {
  const result = await session.restore();
  if (!result.reason) {
    buildShell();
    render();
  } else if (result.reason === 'csrf-missing') {
    loginMessage = `You are still signed in as ${result.user.email}, but this browser tab lost its ` +
      'security token. Sign in again to continue.';
    loginEmail = result.user.email || '';
    showLogin();
  } else if (result.reason === 'error') {
    hideShell();
    replace(main, h('div', { class: 'view' },
      h('h1', { class: 'page-title' }, 'R-Cycle'),
      loadError(result.error, () => boot())));
  } else {
    showLogin();
  }
}

onUnauthorized(() => {
  if (!session.user()) return;
  session.forget();
  loginMessage = 'Your session has ended. Please sign in again.';
  clearAnnouncement();
  render();
});

document.getElementById('skip-link').addEventListener('click', (event) => {
  event.preventDefault();
  focusHeading(main);
});
document.getElementById('toast-close').addEventListener('click', () => clearAnnouncement());
menuToggle.addEventListener('click', () => {
  const open = menuToggle.getAttribute('aria-expanded') !== 'true';
  menuToggle.setAttribute('aria-expanded', String(open));
  document.body.classList.toggle('menu-open', open);
});
document.addEventListener('keydown', (event) => {
  if (event.key === 'Escape' && document.body.classList.contains('menu-open')) {
    closeMenu();
    menuToggle.focus();
  }
});

onRoute(render);
boot();
