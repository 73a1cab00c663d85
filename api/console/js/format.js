// How values are shown: dates, counts, seat health and operation statuses.

import { h } from './dom.js';

const dateFormat = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });

export function formatDate(iso) {
  if (!iso) return '—';
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? iso : dateFormat.format(date);
}

export function plural(count, one, many = `${one}s`) {
  return `${count} ${count === 1 ? one : many}`;
}

/** At or above this share of seats in use, an app is "nearly full". */
const NEARLY_FULL = 0.8;

/**
 * Seat health of an app: `{ level, label }` with level ok, warning or
 * danger; several problems are joined into one label.
 */
export function seatHealth(app) {
  const { purchased, available } = app.seats;
  const problems = [];
  let level = 'ok';
  if (app.licenseErrorCount > 0) {
    problems.push(plural(app.licenseErrorCount, 'license error'));
    level = 'danger';
  }
  if (available <= 0) {
    problems.push('All seats used');
    level = 'danger';
  } else if (purchased > 0 && (purchased - available) / purchased >= NEARLY_FULL) {
    problems.push(available === 1 ? 'Nearly full: 1 seat left' : `Nearly full: ${available} seats left`);
    if (level === 'ok') level = 'warning';
  }
  return { level, label: problems.length ? problems.join(' · ') : 'OK' };
}

// Glyphs every common system font has (DejaVu, Segoe UI, SF).
const ICONS = { ok: '✓', warning: '⚠', danger: '✕', info: 'ℹ' };

/** A badge that says its meaning in words, not by colour alone. */
export function badge(level, label) {
  return h('span', { class: `badge badge-${level}` }, h('span', { 'aria-hidden': 'true' }, `${ICONS[level] || ''} `), label);
}

export const FINAL_STATUSES = new Set(['SUCCEEDED', 'FAILED', 'CONTACT_VENDOR', 'REJECTED']);

const STATUS_WORDS = {
  PENDING: ['info', 'Waiting for the vendor'],
  IN_PROGRESS: ['info', 'In progress at the vendor'],
  SUCCEEDED: ['ok', 'Done'],
  FAILED: ['danger', 'Failed'],
  CONTACT_VENDOR: ['warning', 'Contact the vendor'],
  REJECTED: ['danger', 'Rejected by the vendor'],
};

export function statusBadge(status) {
  const [level, words] = STATUS_WORDS[status] || ['info', status];
  return badge(level, words);
}

/** How a user holds a license: "Direct", "Inherited from Sales", or both. */
export function howHeld(entry) {
  const parts = [];
  if (entry.assignedDirectly) parts.push('Direct');
  const shown = (entry.viaGroups?.nodes || []).map((g) => g.displayName);
  const more = (entry.viaGroups?.totalCount || 0) - shown.length;
  if (more > 0) shown.push(`${more} more group${more === 1 ? '' : 's'}`);
  if (shown.length) parts.push(`Inherited from ${shown.join(', ')}`);
  return parts.join(' and ') || '—';
}

/** A link only for http(s) URLs, so a vendor cannot plant `javascript:`. */
export function safeLink(url) {
  if (!url) return '—';
  try {
    const parsed = new URL(url);
    if (parsed.protocol === 'http:' || parsed.protocol === 'https:') {
      return h('a', { href: parsed.href, target: '_blank', rel: 'noopener noreferrer' }, url, h('span', { class: 'visually-hidden' }, ' (opens in a new tab)'));
    }
  } catch {
    // Not a URL: shown as text.
  }
  return url;
}

const SOURCE_WORDS = {
  MANUAL: 'Manual',
  SCIM: 'SCIM (identity provider)',
  CSV: 'CSV import',
};

/** Where a user or group came from (`DirectorySource`), in words. */
export function sourceLabel(source) {
  return SOURCE_WORDS[source] || source;
}

/**
 * Whether a user may sign in. A disabled account keeps its licenses and
 * seats (as in the model product), so the badge says sign-in, not access.
 * A user the identity provider deactivated is not merely blocked: their
 * licenses were released, so the badge names the directory instead of
 * looking like an admin's sign-in block.
 */
export function accountBadge(user) {
  if (isDeactivatedInDirectory(user)) return badge('danger', 'Deactivated in the directory');
  return user.accountEnabled ? badge('ok', 'Enabled') : badge('danger', 'Sign-in blocked');
}

/** The identity provider (SCIM `active: false`) deactivated the user. */
export function isDeactivatedInDirectory(user) {
  return user.directoryStatus === 'DEACTIVATED';
}

/** A license's state: active, or waiting for a seat (`COUNT_VIOLATION`). */
export function licenseStateBadge(entry) {
  if (entry.state === 'ACTIVE') return badge('ok', 'Active');
  if (entry.errorCode === 'COUNT_VIOLATION') return badge('danger', 'No seat free (count violation)');
  return badge('danger', entry.errorCode ? `Error: ${entry.errorCode}` : 'Error');
}

// --- Subscriptions: days, money and states ---------------------------------

const dayFormat = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeZone: 'UTC' });

/** A `Date` scalar (`YYYY-MM-DD`, a UTC day) as the reader writes days. */
export function formatDay(day) {
  if (!day) return '—';
  const date = new Date(`${day}T00:00:00Z`);
  return Number.isNaN(date.getTime()) ? day : dayFormat.format(date);
}

/** The `YYYY-MM-DD` day `days` after `day` (UTC, so no daylight-saving drift). */
export function addDays(day, days) {
  const date = new Date(`${day}T00:00:00Z`);
  date.setUTCDate(date.getUTCDate() + days);
  return date.toISOString().slice(0, 10);
}

/** `daysToRenewal` in words: "in 12 days", "today", "5 days ago". */
export function daysFromToday(days) {
  if (days === 0) return 'today';
  if (days === 1) return 'tomorrow';
  if (days > 0) return `in ${days} days`;
  return days === -1 ? 'yesterday' : `${-days} days ago`;
}

/**
 * A `Decimal` amount in its currency ("€1,234.50"). The amount stays a
 * string: `Intl.NumberFormat` formats decimal strings exactly, so money is
 * never rounded through a binary float.
 */
export function formatMoney(amount, currency) {
  if (amount === null || amount === undefined) return '—';
  try {
    return new Intl.NumberFormat(undefined, { style: 'currency', currency, maximumFractionDigits: 4 }).format(amount);
  } catch {
    return `${amount} ${currency}`;
  }
}

const SUBSCRIPTION_WORDS = {
  ACTIVE: ['ok', 'Active'],
  EXPIRING: ['warning', 'Expiring'],
  EXPIRED: ['danger', 'Expired'],
  DISABLED: ['danger', 'Disabled'],
};

/** A subscription's `state` as a badge; apps without terms say so. */
export function subscriptionBadge(subscription) {
  if (!subscription) return badge('info', 'No subscription');
  const [level, words] = SUBSCRIPTION_WORDS[subscription.state] || ['info', subscription.state];
  return badge(level, words);
}
