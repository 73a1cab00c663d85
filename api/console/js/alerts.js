// The alerts of the licenses list, decided in one place so that a row's
// marker and the banner above the list always agree. They are the events
// the server sends as webhooks, seen as they stand now:
//
// - seats low: available seats at or under the subscription's
//   `lowSeatThreshold` (`seats.low`; only apps with terms have a threshold),
// - the subscription `EXPIRING`, `EXPIRED` or `DISABLED`
//   (`subscription.*`),
// - license errors: users waiting for a seat in `COUNT_VIOLATION`
//   (`license.error`).

import { plural, daysFromToday } from './format.js';

/** Alert kinds, most serious first: the banner lists them in this order. */
export const ALERT_KINDS = ['disabled', 'expired', 'licenseErrors', 'expiring', 'seatsLow'];

/**
 * The alerts of one app (`{ id name seats { available } licenseErrorCount
 * subscription { state daysToRenewal lowSeatThreshold } }`), most serious
 * first: `{ kind, level, text }` with level warning or danger.
 */
export function appAlerts(app) {
  const alerts = [];
  const subscription = app.subscription;
  if (subscription?.state === 'DISABLED') {
    alerts.push({ kind: 'disabled', level: 'danger', text: 'Disabled: new assignments are refused' });
  } else if (subscription?.state === 'EXPIRED') {
    alerts.push({ kind: 'expired', level: 'danger', text: `Expired ${daysFromToday(subscription.daysToRenewal)}: renew it` });
  }
  if (app.licenseErrorCount > 0) {
    alerts.push({ kind: 'licenseErrors', level: 'danger', text: plural(app.licenseErrorCount, 'license error') });
  }
  if (subscription?.state === 'EXPIRING') {
    alerts.push({ kind: 'expiring', level: 'warning', text: `Expires ${daysFromToday(subscription.daysToRenewal)}` });
  }
  if (subscription && app.seats.available <= subscription.lowSeatThreshold) {
    alerts.push({ kind: 'seatsLow', level: 'warning', text: `Low on seats: ${plural(app.seats.available, 'seat')} free` });
  }
  return alerts;
}

/**
 * The banner's lines for a set of apps: one per alert kind that occurs,
 * most serious first, as `{ kind, level, text, apps }` (`apps` are the
 * apps concerned, for links).
 */
export function alertSummary(apps) {
  const byKind = new Map(ALERT_KINDS.map((kind) => [kind, []]));
  for (const app of apps) {
    for (const alert of appAlerts(app)) byKind.get(alert.kind).push(app);
  }
  const lines = [];
  for (const [kind, concerned] of byKind) {
    if (concerned.length) lines.push({ kind, ...summaryWords(kind, concerned), apps: concerned });
  }
  return lines;
}

function summaryWords(kind, apps) {
  const one = apps.length === 1;
  switch (kind) {
    case 'disabled':
      return {
        level: 'danger',
        text: one
          ? `${apps[0].name} is disabled: new assignments are refused.`
          : `${apps.length} subscriptions are disabled: new assignments are refused.`,
      };
    case 'expired':
      return {
        level: 'danger',
        text: one
          ? `${apps[0].name}'s subscription has expired: renew it before its grace period ends.`
          : `${apps.length} subscriptions have expired: renew them before their grace periods end.`,
      };
    case 'licenseErrors': {
      const users = apps.reduce((sum, app) => sum + app.licenseErrorCount, 0);
      return { level: 'danger', text: `${plural(apps.length, 'app has', 'apps have')} license errors: ${plural(users, 'user')} without a seat.` };
    }
    case 'expiring': {
      const within = Math.max(...apps.map((app) => app.subscription.daysToRenewal));
      const days = within === 0 ? 'today' : `within ${plural(within, 'day')}`;
      return { level: 'warning', text: `${plural(apps.length, 'subscription expires', 'subscriptions expire')} ${days}.` };
    }
    case 'seatsLow':
      return { level: 'warning', text: `${plural(apps.length, 'app')} low on seats.` };
    default:
      return { level: 'warning', text: kind };
  }
}
