// ui.js - the pieces every page uses: the status message area, actions with
// progress, dialogs, badges, empty states, paging and form fields.
import { h, replace, uid } from './dom.js';
import { CLAIM_STATUS, LISTING_STATUS } from './format.js';

// ---- status messages --------------------------------------------------------
// One area under the header: progress and success go to a polite live region,
// errors to an alert region, so a screen reader hears each once.

let toastTimer = 0;

function toastParts() {
  return {
    box: document.getElementById('toast'),
    polite: document.getElementById('toast-status'),
    alert: document.getElementById('toast-alert'),
  };
}

/** A sentence from an API message: capital first letter, final full stop. */
export function sentence(text) {
  const s = String(text || '').trim();
  if (!s) return '';
  const first = s.charAt(0).toUpperCase() + s.slice(1);
  return /[.!?]$/.test(first) ? first : `${first}.`;
}

export function errorText(err, prefix) {
  const msg = sentence(err && err.message ? err.message : 'Something went wrong');
  return prefix ? `${prefix}: ${msg}` : msg;
}

/** announce('progress' | 'success' | 'error' | 'info', text) */
export function announce(kind, text) {
  const { box, polite, alert } = toastParts();
  if (!box) return;
  clearTimeout(toastTimer);
  polite.textContent = '';
  alert.textContent = '';
  if (!text) {
    box.classList.add('is-empty');
    delete box.dataset.kind;
    return;
  }
  box.dataset.kind = kind;
  box.classList.remove('is-empty');
  (kind === 'error' ? alert : polite).textContent = text;
  if (kind === 'success' || kind === 'info') {
    toastTimer = setTimeout(() => announce('info', ''), 10000);
  }
}

export function clearAnnouncement() {
  announce('info', '');
}

/** An inline message area (inside a dialog or a form). */
export function inlineStatus() {
  const polite = h('p', { class: 'inline-status', role: 'status', 'aria-live': 'polite' });
  const alert = h('p', { class: 'inline-status inline-error', role: 'alert' });
  const el = h('div', { class: 'inline-messages' }, polite, alert);
  return {
    el,
    show(kind, text) {
      polite.textContent = kind === 'error' ? '' : text;
      alert.textContent = kind === 'error' ? text : '';
      el.dataset.kind = kind;
    },
    clear() {
      polite.textContent = '';
      alert.textContent = '';
      delete el.dataset.kind;
    },
  };
}

/**
 * Runs one user action: the button shows it is busy, a progress message is
 * announced, then success or the API's error message in plain words.
 * -> {ok: true, value} | {ok: false, error}
 */
export async function runAction({ button, busyText, progress, success, failure, run, inline }) {
  const oldLabel = button ? button.textContent : '';
  if (button) {
    button.disabled = true;
    button.setAttribute('aria-busy', 'true');
    if (busyText) button.textContent = busyText;
  }
  const report = inline ? (kind, text) => inline.show(kind, text) : announce;
  if (progress) report('progress', progress);
  try {
    const value = await run();
    const msg = typeof success === 'function' ? success(value) : success;
    if (inline) inline.clear();
    if (msg) announce('success', msg);
    else if (!inline && progress) clearAnnouncement();
    return { ok: true, value };
  } catch (error) {
    report('error', errorText(error, failure));
    return { ok: false, error };
  } finally {
    if (button) {
      button.disabled = false;
      button.removeAttribute('aria-busy');
      if (busyText) button.textContent = oldLabel;
    }
  }
}

// ---- form fields ------------------------------------------------------------

/**
 * field({label, name, type, value, required, options, hint, ...}) -> {row, control}
 * type: text (default), email, password, date, number, textarea, select.
 */
export function field(spec) {
  const id = spec.id || uid(spec.name || 'f');
  const hintId = spec.hint ? `${id}-hint` : null;
  const common = {
    id,
    name: spec.name,
    required: spec.required,
    'aria-describedby': hintId,
    autocomplete: spec.autocomplete,
    placeholder: spec.placeholder,
    maxlength: spec.maxlength,
    minlength: spec.minlength,
    readOnly: spec.readOnly,
    spellcheck: spec.spellcheck,
    autocapitalize: spec.autocapitalize,
    inputmode: spec.inputmode,
    list: spec.list,
  };
  let control;
  if (spec.type === 'textarea') {
    control = h('textarea', { ...common, rows: spec.rows || 3 });
    control.value = spec.value || '';
  } else if (spec.type === 'select') {
    control = h('select', common,
      (spec.options || []).map((opt) => {
        const o = typeof opt === 'string' ? { value: opt, label: opt } : opt;
        return h('option', { value: o.value }, o.label);
      }));
    if (spec.value !== undefined && spec.value !== null) control.value = spec.value;
  } else {
    control = h('input', { ...common, type: spec.type || 'text', min: spec.min, max: spec.max });
    if (spec.value !== undefined && spec.value !== null) control.value = spec.value;
  }
  const label = h('label', { for: id }, spec.label,
    spec.required ? h('span', { class: 'req', 'aria-hidden': 'true' }, ' *') : null);
  const row = h('div', { class: ['field', spec.wide && 'field-wide'] }, label, control,
    spec.hint ? h('p', { class: 'hint', id: hintId }, spec.hint) : null);
  return { row, control, label };
}

export function formValues(form) {
  const values = {};
  for (const el of form.elements) {
    if (!el.name) continue;
    if (el.type === 'checkbox') {
      if (!values[el.name]) values[el.name] = [];
      if (el.checked) values[el.name].push(el.value);
    } else {
      values[el.name] = el.value;
    }
  }
  return values;
}

// ---- dialogs ------------------------------------------------------------------

/**
 * openDialog({title, description, fields, submitLabel, busyText, progress,
 *             success, failure, danger, onSubmit(values)}) -> Promise<value|null>
 * A modal <dialog> with a labelled form. onSubmit's rejection is shown in the
 * dialog (which stays open); its result closes the dialog and resolves.
 */
export function openDialog(opts) {
  return new Promise((resolve) => {
    const titleId = uid('dlg-title');
    const descId = uid('dlg-desc');
    const inline = inlineStatus();
    const fields = (opts.fields || []).map((spec) => field(spec));
    const submit = h('button', { type: 'submit', class: ['btn', opts.danger ? 'btn-danger' : 'btn-primary'] },
      opts.submitLabel || 'Save');
    const cancel = h('button', { type: 'button', class: 'btn btn-secondary' }, 'Cancel');
    const form = h('form', { method: 'dialog', class: 'dialog-form' },
      h('h2', { id: titleId }, opts.title),
      opts.description ? h('p', { id: descId, class: 'dialog-desc' }, opts.description) : null,
      opts.extra || null,
      fields.map((f) => f.row),
      inline.el,
      h('div', { class: 'dialog-actions' }, cancel, submit));
    const dialog = h('dialog', {
      class: 'dialog',
      'aria-labelledby': titleId,
      'aria-describedby': opts.description ? descId : null,
    }, form);
    const opener = document.activeElement;
    let busy = false;
    let result = null;

    cancel.addEventListener('click', () => dialog.close());
    dialog.addEventListener('cancel', (event) => {
      if (busy) event.preventDefault();
    });
    dialog.addEventListener('close', () => {
      dialog.remove();
      if (opener && opener.isConnected && typeof opener.focus === 'function') opener.focus();
      resolve(result);
    });
    form.addEventListener('submit', async (event) => {
      event.preventDefault();
      if (busy) return;
      busy = true;
      cancel.disabled = true;
      const outcome = await runAction({
        button: submit,
        busyText: opts.busyText,
        progress: opts.progress || 'Working…',
        success: opts.success,
        failure: opts.failure,
        inline,
        run: () => opts.onSubmit(formValues(form)),
      });
      busy = false;
      cancel.disabled = false;
      if (outcome.ok) {
        result = outcome.value === undefined ? true : outcome.value;
        dialog.close();
      } else {
        const first = fields[0];
        if (first) first.control.focus();
      }
    });

    document.body.appendChild(dialog);
    dialog.showModal();
    const first = fields[0] ? fields[0].control : submit;
    first.focus();
  });
}

export function confirmDialog(opts) {
  return openDialog({ ...opts, fields: [] });
}

// ---- small pieces ---------------------------------------------------------------

export function listingBadge(status) {
  return h('span', { class: ['badge', `badge-${status}`] }, LISTING_STATUS[status] || status);
}

export function claimBadge(status) {
  return h('span', { class: ['badge', `badge-claim-${status}`] }, CLAIM_STATUS[status] || status);
}

/** emptyState('Nothing here yet', 'What to do next', {href, label}) */
export function emptyState(title, text, action) {
  return h('div', { class: 'empty' },
    h('p', { class: 'empty-title' }, title),
    text ? h('p', null, text) : null,
    action ? h('a', { class: 'btn btn-primary', href: action.href }, action.label) : null);
}

export function loading(text = 'Loading…') {
  return h('p', { class: 'loading', role: 'status', 'aria-live': 'polite' }, text);
}

/** A failed load: the error in plain words and a retry button. */
export function loadError(err, retry) {
  return h('div', { class: 'load-error', role: 'alert' },
    h('p', null, errorText(err, 'Could not load this page')),
    retry ? h('button', { type: 'button', class: 'btn btn-secondary', on: { click: retry } }, 'Try again') : null);
}

/** pager({offset, limit, total, onChange(offset), label}) -> element or null */
export function pager({ offset, limit, total, onChange, label = 'Pages' }) {
  if (total === null || total <= limit) return null;
  const page = Math.floor(offset / limit) + 1;
  const pages = Math.max(1, Math.ceil(total / limit));
  const prev = h('button', { type: 'button', class: 'btn btn-secondary', disabled: page <= 1 },
    '← Previous');
  const next = h('button', { type: 'button', class: 'btn btn-secondary', disabled: page >= pages },
    'Next →');
  prev.addEventListener('click', () => onChange(Math.max(0, offset - limit)));
  next.addEventListener('click', () => onChange(offset + limit));
  return h('nav', { class: 'pager', 'aria-label': label },
    prev, h('span', { class: 'pager-info', 'aria-live': 'polite' }, `Page ${page} of ${pages}`), next);
}

/** A definition list of label/value pairs, leaving out empty values. */
export function details(pairs, cls = 'specs') {
  const rows = pairs.filter(([, v]) => v !== null && v !== undefined && v !== '');
  return h('dl', { class: cls }, rows.map(([k, v]) => h('div', { class: 'spec' }, h('dt', null, k), h('dd', null, v))));
}

export function pageHeader(title, intro, ...actions) {
  return h('header', { class: 'page-header' },
    h('div', null,
      h('h1', { tabindex: '-1', class: 'page-title' }, title),
      intro ? h('p', { class: 'page-intro' }, intro) : null),
    actions.length ? h('div', { class: 'page-actions' }, actions) : null);
}

export function section(title, ...children) {
  const id = uid('sec');
  return h('section', { class: 'section', 'aria-labelledby': id }, h('h2', { id }, title), children);
}

export { replace };
