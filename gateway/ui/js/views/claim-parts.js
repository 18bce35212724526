// claim-parts.js - what several pages show of a claim: its timeline
// (requested -> owner -> security -> outcome -> handover, with who and when),
// its summary, and the approve / deny / withdraw and handover actions.
import { api } from '../api.js';
import { h } from '../dom.js';
import { HANDOVER_STATE, fmtTime } from '../format.js';
import { user } from '../session.js';
import { claimBadge, confirmDialog, openDialog, runAction } from '../ui.js';

export const OPEN = new Set(['pending_owner', 'pending_security']);

// The actor of a step: you, or their name (from the claim's event of that
// action) with their department, else their email.
function who(email, department, name) {
  const me = user();
  if (me && email && email === me.email) return 'you';
  const shown = name || email;
  if (shown && department) return `${shown} (${department})`;
  return shown || department || 'someone';
}

function nameFor(events, action) {
  if (!Array.isArray(events)) return null;
  const ev = events.find((e) => e.action === action);
  return ev ? ev.actorName : null;
}

function eventFor(events, status) {
  if (!Array.isArray(events)) return null;
  for (let i = events.length - 1; i >= 0; i -= 1) if (events[i].toStatus === status) return events[i];
  return null;
}

function eventActor(ev) {
  const me = user();
  if (!ev) return '';
  if (me && ev.actorId === me.id) return 'you';
  return ev.actorName || ev.actorDepartment || `user #${ev.actorId}`;
}

function when(iso) {
  return iso ? h('time', { datetime: iso }, fmtTime(iso)) : null;
}

/**
 * The steps of a claim as a list of {key, label, state, text: [nodes]}.
 * state: done | current | denied | ended | todo | skipped
 */
export function claimSteps(c, events, ownerDepartment) {
  const steps = [];
  steps.push({
    key: 'requested', label: 'Requested', state: 'done',
    text: ['by ', who(c.requestedBy, c.requestingDepartment, nameFor(events, 'created')), ' on ', when(c.requestedAt)],
  });
  const owner = ownerDepartment || 'the owning department';
  const deniedAtOwner = c.status === 'denied' && !c.ownerApprovedAt;
  const deniedAtSecurity = c.status === 'denied' && Boolean(c.ownerApprovedAt);
  const ended = c.status === 'withdrawn' || c.status === 'cancelled';

  if (c.ownerApprovedAt) {
    steps.push({ key: 'owner', label: 'Owner approved', state: 'done',
      text: ['by ', who(c.ownerApprovedBy, ownerDepartment, nameFor(events, 'owner_approved')), ' on ',
        when(c.ownerApprovedAt)] });
  } else if (deniedAtOwner) {
    steps.push({ key: 'owner', label: 'Owner denied', state: 'denied',
      text: ['by ', who(c.deniedBy, ownerDepartment, nameFor(events, 'denied')), ' on ', when(c.deniedAt)] });
  } else if (c.status === 'pending_owner') {
    steps.push({ key: 'owner', label: 'Owner review', state: 'current', text: [`waiting for ${owner}`] });
  } else {
    steps.push({ key: 'owner', label: 'Owner review', state: 'skipped', text: ['not reached'] });
  }

  if (c.securityApprovedAt) {
    steps.push({ key: 'security', label: 'Security approved', state: 'done',
      text: ['by ', who(c.securityApprovedBy, 'Security Team', nameFor(events, 'security_approved')), ' on ',
        when(c.securityApprovedAt)] });
  } else if (deniedAtSecurity) {
    steps.push({ key: 'security', label: 'Security denied', state: 'denied',
      text: ['by ', who(c.deniedBy, 'Security Team', nameFor(events, 'denied')), ' on ', when(c.deniedAt)] });
  } else if (c.status === 'pending_security') {
    steps.push({ key: 'security', label: 'Security review', state: 'current', text: ['waiting for the Security Team'] });
  } else if (c.status === 'pending_owner') {
    steps.push({ key: 'security', label: 'Security review', state: 'todo', text: ['after the owner approves'] });
  } else {
    steps.push({ key: 'security', label: 'Security review', state: 'skipped', text: ['not reached'] });
  }

  if (c.status === 'approved') {
    steps.push({ key: 'outcome', label: 'Approved', state: 'done',
      text: ['the hardware is yours to collect from ', owner, ' (since ', when(c.securityApprovedAt), ')'] });
  } else if (c.status === 'denied') {
    steps.push({ key: 'outcome', label: 'Denied', state: 'denied',
      text: ['reason: ', h('q', { class: 'reason' }, c.denialReason || 'none given')] });
  } else if (ended) {
    const ev = eventFor(events, c.status);
    const text = c.status === 'withdrawn' ? ['withdrawn'] : ['cancelled'];
    if (ev && ev.actorId === null) text.push(' automatically on ', when(ev.at));
    else if (ev) text.push(' by ', eventActor(ev), ' on ', when(ev.at));
    if (ev && ev.note) text.push(' — ', ev.note);
    if (c.status === 'cancelled' && !(ev && ev.note)) text.push(' (the listing was withdrawn or expired)');
    steps.push({ key: 'outcome', label: c.status === 'withdrawn' ? 'Withdrawn' : 'Cancelled', state: 'ended', text });
  } else {
    steps.push({ key: 'outcome', label: 'Decision', state: 'todo', text: ['approved, denied or withdrawn'] });
  }
  if (c.handover) steps.push(handoverStep(c, events, owner));
  return steps;
}

// The last step of an approved claim: the item moving between departments.
function handoverStep(c, events, owner) {
  const ho = c.handover;
  const text = [];
  if (ho.handedOverAt) {
    text.push('handed over by ', who(ho.handedOverBy, owner, nameFor(events, 'handed_over')), ' on ',
      when(ho.handedOverAt));
  }
  if (ho.receivedAt) {
    if (text.length) text.push('; ');
    text.push('received by ', who(ho.receivedBy, c.requestingDepartment, nameFor(events, 'received')), ' on ',
      when(ho.receivedAt));
  }
  if (!text.length) text.push(`waiting for ${owner} to hand it over and ${c.requestingDepartment} to confirm receipt`);
  return { key: 'handover', label: HANDOVER_STATE[ho.state] || ho.state,
    state: ho.state === 'received' ? 'done' : 'current', text };
}

/** A badge with where the item of an approved claim is, or null. */
export function handoverBadge(c) {
  if (!c.handover) return null;
  return h('span', { class: ['badge', `badge-handover-${c.handover.state}`], dataset: { handover: c.handover.state } },
    HANDOVER_STATE[c.handover.state] || c.handover.state);
}

const STATE_WORDS = {
  done: 'done', current: 'in progress', denied: 'denied', ended: 'ended', todo: 'not yet', skipped: 'skipped',
};

export function timeline(c, events, ownerDepartment) {
  return h('ol', { class: 'timeline', 'aria-label': `Progress of request ${c.id}` },
    claimSteps(c, events, ownerDepartment).map((s) => h('li', {
      class: ['step', `step-${s.state}`], dataset: { step: s.key, state: s.state },
      'aria-current': s.state === 'current' ? 'step' : null,
    },
    h('span', { class: 'step-dot', 'aria-hidden': 'true' }),
    h('span', { class: 'step-body' },
      h('span', { class: 'step-label' }, s.label),
      h('span', { class: 'visually-hidden' }, ` (${STATE_WORDS[s.state]})`),
      h('span', { class: 'step-text' }, ...s.text)))));
}

export function claimHeading(c, tag = 'h2') {
  return h('div', { class: 'card-head' },
    h(tag, { class: 'card-title' }, c.listingTitle || `Listing ${c.listingId}`),
    h('div', { class: 'card-badges' }, h('span', { class: 'tag' }, c.category), claimBadge(c.status),
      handoverBadge(c)));
}

// ---- actions --------------------------------------------------------------------

export function denyDialog(c) {
  return openDialog({
    title: `Deny the request for “${c.listingTitle}”`,
    description: `${c.requestingDepartment} will see your reason.`,
    fields: [{ name: 'reason', label: 'Reason', type: 'textarea', required: true, rows: 3, maxlength: 2000,
      hint: 'Say why, in a sentence the requester can act on.' }],
    submitLabel: 'Deny request',
    danger: true,
    busyText: 'Denying…',
    progress: 'Denying the request…',
    failure: 'Could not deny the request',
    onSubmit: async ({ reason }) => {
      const text = reason.trim();
      if (!text) throw new Error('Write a reason first');
      return (await api.post(`/claims/${c.id}/deny`, { reason: text })).data;
    },
    success: () => `Denied the request of ${c.requestingDepartment} for “${c.listingTitle}”.`,
  });
}

export function withdrawDialog(c) {
  return confirmDialog({
    title: `Withdraw your request for “${c.listingTitle}”?`,
    description: 'The item goes back to the marketplace for everyone. This cannot be undone.',
    submitLabel: 'Withdraw request',
    danger: true,
    busyText: 'Withdrawing…',
    progress: 'Withdrawing the request…',
    failure: 'Could not withdraw the request',
    onSubmit: async () => (await api.post(`/claims/${c.id}/withdraw`)).data,
    success: () => `Withdrew your request for “${c.listingTitle}”.`,
  });
}

export async function approve(c, button) {
  const outcome = await runAction({
    button,
    busyText: 'Approving…',
    progress: 'Approving the request…',
    failure: 'Could not approve the request',
    run: async () => (await api.post(`/claims/${c.id}/approve`)).data,
    success: (claim) => (claim.status === 'approved'
      ? `Approved: “${c.listingTitle}” goes to ${c.requestingDepartment}.`
      : `Approved for ${c.requestingDepartment}. The Security Team reviews it next.`),
  });
  return outcome.ok ? outcome.value : null;
}

/**
 * The separation-of-duties rule (docs/API.md) that keeps the signed-in user
 * from deciding c at its current stage, or null. The API decides; this only
 * spares people a button that would be refused.
 */
export function dutyConflict(c) {
  const me = user();
  if (!me || !OPEN.has(c.status)) return null;
  if (c.requestedBy === me.email) return 'You made this request, so someone else decides it.';
  if (c.status === 'pending_security' && c.ownerApprovedBy === me.email)
    return 'You approved this request for the owning department, so another security reviewer decides it.';
  return null;
}

async function recordHandover(c, button, action, words) {
  const outcome = await runAction({
    button,
    busyText: words.busy,
    progress: words.progress,
    failure: words.failure,
    run: async () => (await api.post(`/claims/${c.id}/${action}`)).data,
    success: () => words.success,
  });
  return outcome.ok ? outcome.value : null;
}

/**
 * The handover buttons of an approved claim: "Handed over" for the owning
 * department (ownerDepartment), "Received" for the requesting one; each
 * until its step is taken. The API decides; this only offers what it allows.
 */
export function handoverActions(c, ownerDepartment, onDone) {
  const me = user();
  const ho = c.handover;
  if (!me || !ho) return [];
  const buttons = [];
  const add = (label, action, words) => {
    const b = h('button', { type: 'button', class: 'btn btn-primary', dataset: { action } }, label);
    b.addEventListener('click', async () => {
      const done = await recordHandover(c, b, action, words);
      if (done) onDone(done);
    });
    buttons.push(b);
  };
  if (!ho.handedOverAt && ownerDepartment && me.department === ownerDepartment) {
    add('Handed over', 'handover', {
      busy: 'Saving…', progress: 'Recording the handover…', failure: 'Could not record the handover',
      success: `Recorded: “${c.listingTitle}” was handed over to ${c.requestingDepartment}.`,
    });
  }
  if (!ho.receivedAt && me.department === c.requestingDepartment) {
    add('Received', 'receive', {
      busy: 'Saving…', progress: 'Confirming receipt…', failure: 'Could not confirm receipt',
      success: `Confirmed: ${c.requestingDepartment} received “${c.listingTitle}”.`,
    });
  }
  return buttons;
}

/** Buttons for approve / deny (by who may decide at this stage) and withdraw. */
export function claimActions(c, { canDecide, canWithdraw, onDone, withTrail = true }) {
  const buttons = [];
  const conflict = canDecide ? dutyConflict(c) : null;
  if (conflict) buttons.push(h('p', { class: 'duty-note', dataset: { duty: 'separation' } }, conflict));
  if (canDecide && !conflict && OPEN.has(c.status)) {
    const ok = h('button', { type: 'button', class: 'btn btn-primary' }, 'Approve');
    const no = h('button', { type: 'button', class: 'btn btn-danger-outline' }, 'Deny…');
    ok.addEventListener('click', async () => {
      const done = await approve(c, ok);
      if (done) onDone(done);
    });
    no.addEventListener('click', async () => {
      const done = await denyDialog(c);
      if (done) onDone(done);
    });
    buttons.push(ok, no);
  }
  if (canWithdraw && OPEN.has(c.status)) {
    const wd = h('button', { type: 'button', class: 'btn btn-secondary' }, 'Withdraw request…');
    wd.addEventListener('click', async () => {
      const done = await withdrawDialog(c);
      if (done) onDone(done);
    });
    buttons.push(wd);
  }
  if (withTrail) buttons.push(h('a', { class: 'btn btn-link', href: `#/claims/${c.id}` }, 'Audit trail'));
  return buttons;
}
