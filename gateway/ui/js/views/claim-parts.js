// claim-parts.js - what several pages show of a claim: its timeline
// (requested -> owner -> security -> outcome, with who and when), its
// summary, and the approve / deny / withdraw actions.
import { api } from '../api.js';
import { h } from '../dom.js';
import { fmtTime } from '../format.js';
import { user } from '../session.js';
import { claimBadge, confirmDialog, openDialog, runAction } from '../ui.js';

export const OPEN = new Set(['pending_owner', 'pending_security']);

function who(email, department) {
  const me = user();
  if (me && email && email === me.email) return 'you';
  if (email && department) return `${email} (${department})`;
  return email || department || 'someone';
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
  return ev.actorDepartment || `user #${ev.actorId}`;
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
    text: ['by ', who(c.requestedBy, c.requestingDepartment), ' on ', when(c.requestedAt)],
  });
  const owner = ownerDepartment || 'the owning department';
  const deniedAtOwner = c.status === 'denied' && !c.ownerApprovedAt;
  const deniedAtSecurity = c.status === 'denied' && Boolean(c.ownerApprovedAt);
  const ended = c.status === 'withdrawn' || c.status === 'cancelled';

  if (c.ownerApprovedAt) {
    steps.push({ key: 'owner', label: 'Owner approved', state: 'done',
      text: ['by ', who(c.ownerApprovedBy, ownerDepartment), ' on ', when(c.ownerApprovedAt)] });
  } else if (deniedAtOwner) {
    steps.push({ key: 'owner', label: 'Owner denied', state: 'denied',
      text: ['by ', who(c.deniedBy, ownerDepartment), ' on ', when(c.deniedAt)] });
  } else if (c.status === 'pending_owner') {
    steps.push({ key: 'owner', label: 'Owner review', state: 'current', text: [`waiting for ${owner}`] });
  } else {
    steps.push({ key: 'owner', label: 'Owner review', state: 'skipped', text: ['not reached'] });
  }

  if (c.securityApprovedAt) {
    steps.push({ key: 'security', label: 'Security approved', state: 'done',
      text: ['by ', who(c.securityApprovedBy, 'Security Team'), ' on ', when(c.securityApprovedAt)] });
  } else if (deniedAtSecurity) {
    steps.push({ key: 'security', label: 'Security denied', state: 'denied',
      text: ['by ', who(c.deniedBy, 'Security Team'), ' on ', when(c.deniedAt)] });
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
  return steps;
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
    h('div', { class: 'card-badges' }, h('span', { class: 'tag' }, c.category), claimBadge(c.status)));
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

/** Buttons for approve / deny (by who may decide at this stage) and withdraw. */
export function claimActions(c, { canDecide, canWithdraw, onDone, withTrail = true }) {
  const buttons = [];
  if (canDecide && OPEN.has(c.status)) {
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
