// format.js - numbers, dates and labels as people read them.

export const CO2_KG_BY_CATEGORY = { Server: 1300, Networking: 300, Storage: 800 };
export const CATEGORIES = ['Server', 'Networking', 'Storage'];
export const CONDITIONS = ['Excellent', 'Good', 'Fair'];

export const LISTING_STATUS = {
  available: 'Available',
  claimed: 'Requested',
  approved: 'Reused',
  expired: 'Expired',
  withdrawn: 'Withdrawn',
};

export const CLAIM_STATUS = {
  pending_owner: 'Waiting for owner',
  pending_security: 'Waiting for security',
  approved: 'Approved',
  denied: 'Denied',
  withdrawn: 'Withdrawn',
  cancelled: 'Cancelled',
};

export const HANDOVER_STATE = {
  awaiting: 'Awaiting handover',
  handed_over: 'Handed over',
  received: 'Received',
};

export const EVENT_ACTION = {
  created: 'Requested',
  owner_approved: 'Approved by owner',
  security_approved: 'Approved by security',
  denied: 'Denied',
  withdrawn: 'Withdrawn',
  cancelled: 'Cancelled',
  handed_over: 'Handed over',
  received: 'Received',
};

const numberFormat = new Intl.NumberFormat('en-US', { maximumFractionDigits: 1 });

export function fmtNumber(n) {
  return numberFormat.format(Number(n) || 0);
}

export function fmtKg(n) {
  return `${fmtNumber(n)} kg`;
}

export function co2For(category) {
  return CO2_KG_BY_CATEGORY[category] || 0;
}

/** Trees that absorb as much CO2 in a year (docs/API.md: kg / 22). */
export function treesFor(kg) {
  return Math.round((kg / 22) * 10) / 10;
}

const timeFormat = new Intl.DateTimeFormat('en-GB', {
  year: 'numeric', month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit',
});

/** RFC 3339 -> "26 Nov 2026, 19:03" in the viewer's time zone. */
export function fmtTime(iso) {
  if (!iso) return '';
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? String(iso) : timeFormat.format(d);
}

function todayUtc() {
  const now = new Date();
  return Date.UTC(now.getFullYear(), now.getMonth(), now.getDate());
}

/** Whole days from today (local calendar) until a YYYY-MM-DD date. */
export function daysUntil(date) {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(date || '');
  if (!m) return null;
  const target = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]));
  return Math.round((target - todayUtc()) / 86400000);
}

export function fmtExpiry(date) {
  const days = daysUntil(date);
  if (days === null) return 'No expiry date';
  if (days < 0) return `Expired on ${date}`;
  if (days === 0) return `Expires today (${date})`;
  if (days === 1) return `Expires tomorrow (${date})`;
  return `Expires ${date} (in ${days} days)`;
}

/** YYYY-MM-DD of today + n days, local calendar. */
export function isoDatePlus(n) {
  const d = new Date();
  d.setDate(d.getDate() + n);
  const mm = String(d.getMonth() + 1).padStart(2, '0');
  const dd = String(d.getDate()).padStart(2, '0');
  return `${d.getFullYear()}-${mm}-${dd}`;
}

export function plural(n, one, many = `${one}s`) {
  return `${fmtNumber(n)} ${n === 1 ? one : many}`;
}
