// post.js - #/post: post hardware. The serial number is looked up in the
// hardware registry as it is typed and fills in the specs; hardware that
// still holds storage media is refused before anything is sent.
import { api } from '../api.js';
import { debounce, h, replace } from '../dom.js';
import { CATEGORIES, CONDITIONS, co2For, fmtKg, fmtNumber, isoDatePlus, treesFor } from '../format.js';
import { go } from '../router.js';
import { user } from '../session.js';
import { announce, errorText, field, pageHeader, runAction } from '../ui.js';

const SPEC_FIELDS = [
  ['cpu', 'CPU'],
  ['ram', 'RAM'],
  ['storage', 'Storage'],
  ['ports', 'Ports'],
  ['otherSpecs', 'Other'],
];

export async function postView(root) {
  const me = user();
  const serial = field({
    name: 'serialNumber', label: 'Serial number', required: true, autocomplete: 'off',
    spellcheck: 'false', autocapitalize: 'characters', maxlength: 100,
    hint: 'As printed on the asset tag, for example SRV004-DELL-R740. The specs fill in from the hardware registry.',
  });
  const lookupMsg = h('p', { class: 'lookup-msg', role: 'status', 'aria-live': 'polite', id: 'lookup-status' },
    'Type the serial number to look it up.');
  const refusal = h('div', { class: 'refusal', role: 'alert', tabindex: '-1', hidden: true });
  const title = field({ name: 'title', label: 'Title', required: true, maxlength: 200, wide: true,
    hint: 'What people will see in the marketplace.' });
  const category = field({ name: 'category', label: 'Category', type: 'select', required: true,
    options: [{ value: '', label: 'Filled in from the registry' }, ...CATEGORIES] });
  const condition = field({ name: 'condition', label: 'Condition', type: 'select', value: 'Good',
    options: CONDITIONS });
  const expiry = field({ name: 'expirationDate', label: 'Offer ends on', type: 'date', required: true,
    value: isoDatePlus(30), min: isoDatePlus(1), max: isoDatePlus(365),
    hint: 'After this date the item leaves the marketplace (at most a year ahead).' });
  const location = field({ name: 'location', label: 'Location', maxlength: 200,
    placeholder: 'Building, floor, rack' });
  const description = field({ name: 'description', label: 'Description', type: 'textarea', rows: 3,
    maxlength: 2000, wide: true });
  const specs = SPEC_FIELDS.map(([name, label]) => field({ name, label, maxlength: 500,
    hint: name === 'storage' ? 'What the registry says about drives.' : null }));
  const impact = h('p', { class: 'impact', 'aria-live': 'polite' });
  const submit = h('button', { type: 'submit', class: 'btn btn-primary' }, 'Post hardware');

  const form = h('form', { class: 'post-form', novalidate: true },
    h('fieldset', { class: 'panel' },
      h('legend', null, '1. Look up the serial number'),
      serial.row, lookupMsg, refusal),
    h('fieldset', { class: 'panel' },
      h('legend', null, '2. Describe the item'),
      h('div', { class: 'grid-2' }, title.row, category.row, condition.row, expiry.row, location.row,
        description.row)),
    h('fieldset', { class: 'panel' },
      h('legend', null, '3. Check the specs'),
      h('p', { class: 'hint' }, 'Filled in from the hardware registry; correct them if the item differs.'),
      h('div', { class: 'grid-2' }, specs.map((s) => s.row))),
    h('div', { class: 'panel impact-panel' }, h('h2', null, 'Impact'), impact),
    h('div', { class: 'form-actions' }, submit));

  replace(root,
    pageHeader('Post hardware',
      `Offer hardware ${me.department} no longer needs. It must hold no storage media.`),
    form);

  let found = null; // the registry record of the serial in the field, when known
  let lastAutoTitle = '';
  let seq = 0;

  function updateImpact() {
    const cat = category.control.value;
    if (!cat) {
      impact.textContent = 'Look up the serial number to see the CO2 this item would save.';
      return;
    }
    const kg = co2For(cat);
    impact.replaceChildren(
      'Reusing this ', h('strong', null, cat.toLowerCase()), ' saves about ',
      h('strong', { class: 'impact-kg' }, `${fmtKg(kg)} of CO2`),
      ` — what ${fmtNumber(treesFor(kg))} trees absorb in a year.`);
  }

  function showRefusal(media) {
    const list = (media || []).filter(Boolean);
    refusal.replaceChildren(
      h('p', { class: 'refusal-title' }, 'This hardware cannot be posted: it still holds storage media.'),
      list.length ? h('ul', null, list.map((m) => h('li', null, m))) : null,
      h('p', null, 'Remove and destroy the media as the security policy requires, have the asset ' +
        'registry updated, then post it again.'));
    refusal.hidden = false;
    submit.disabled = true;
  }

  function hideRefusal() {
    refusal.hidden = true;
    refusal.replaceChildren();
    submit.disabled = false;
  }

  function setLookup(kind, text) {
    lookupMsg.dataset.kind = kind;
    lookupMsg.textContent = text;
  }

  function apply(hw) {
    found = hw;
    const name = [hw.manufacturer, hw.model].filter(Boolean).join(' ');
    if (!title.control.value || title.control.value === lastAutoTitle) {
      title.control.value = name;
      lastAutoTitle = name;
    }
    if (CATEGORIES.includes(hw.category)) category.control.value = hw.category;
    const s = hw.specs || {};
    const values = {
      cpu: s.cpu, ram: s.ram,
      storage: Array.isArray(s.storage) ? s.storage.join(', ') : s.storage,
      ports: s.ports, otherSpecs: s.other,
    };
    for (const spec of specs) spec.control.value = values[spec.control.name] || '';
    updateImpact();
    if (hw.hasStorageMedia) {
      setLookup('refused', `Found ${name} (${hw.category}) in the registry, with storage media.`);
      showRefusal(Array.isArray(s.storage) ? s.storage : [s.storage]);
    } else {
      hideRefusal();
      setLookup('found', `Found in the registry: ${name} (${hw.category}), no storage media. Specs filled in.`);
    }
  }

  async function lookup() {
    const value = serial.control.value.trim();
    const mine = ++seq;
    found = null;
    if (!value) {
      hideRefusal();
      setLookup('idle', 'Type the serial number to look it up.');
      return null;
    }
    setLookup('progress', `Looking up ${value} in the hardware registry…`);
    try {
      const { data } = await api.get('/hardware', { serial: value });
      if (mine !== seq) return null;
      apply(data);
      return data;
    } catch (err) {
      if (mine !== seq) return null;
      hideRefusal();
      if (err.status === 404) {
        setLookup('notfound', `${value} is not in the hardware registry. Check the serial number on the asset tag.`);
      } else {
        setLookup('error', errorText(err, 'Could not check the registry'));
      }
      return null;
    }
  }

  const typed = debounce(lookup, 250);
  serial.control.addEventListener('input', () => {
    setLookup('progress', 'Waiting for you to finish typing…');
    typed();
  });
  category.control.addEventListener('change', updateImpact);
  updateImpact();

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    typed.cancel();
    const value = serial.control.value.trim();
    if (!value) {
      announce('error', 'Enter the serial number first.');
      serial.control.focus();
      return;
    }
    const hw = found && found.serialNumber === value ? found : await lookup();
    if (!hw) {
      announce('error', 'This serial number is not in the hardware registry, so it cannot be posted.');
      serial.control.focus();
      return;
    }
    if (hw.hasStorageMedia) {
      announce('error', 'This hardware still holds storage media and cannot be posted.');
      refusal.focus();
      return;
    }
    for (const f of [title, category, expiry]) {
      if (!f.control.value.trim()) {
        announce('error', `${f.label.firstChild.textContent} is required.`);
        f.control.focus();
        return;
      }
    }
    const body = {
      serialNumber: value,
      title: title.control.value.trim(),
      category: category.control.value,
      expirationDate: expiry.control.value,
    };
    for (const f of [condition, location, description, ...specs]) {
      const v = f.control.value.trim();
      if (v) body[f.control.name] = v;
    }
    const outcome = await runAction({
      button: submit,
      busyText: 'Posting…',
      progress: `Posting ${body.title}…`,
      failure: 'Could not post the hardware',
      success: (l) => `Posted “${l.title}”. It is now in the marketplace.`,
      run: async () => (await api.post('/listings', body)).data,
    });
    if (outcome.ok) {
      go('/mine');
    } else if (outcome.error && outcome.error.body && outcome.error.body.blocked) {
      showRefusal(outcome.error.body.media || []);
    }
  });

  serial.control.focus();
  return () => typed.cancel();
}
