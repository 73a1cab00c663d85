// The Subscription panel of the license details page: the terms bought
// from the vendor, where they stand today and what the seats cost, and
// the warning a person must not miss when the subscription has expired or
// is disabled (new assignments refused, existing ones kept).

import { h, messageBox, fact } from '../dom.js';
import { addDays, daysFromToday, formatDay, formatMoney, plural, subscriptionBadge } from '../format.js';

/**
 * The warning for an app whose subscription needs renewing (EXPIRED,
 * DISABLED); an EXPIRING one gets a gentler note; null otherwise.
 */
export function subscriptionWarning(app) {
  const s = app.subscription;
  if (!s) return null;
  const id = 'subscription-warning';
  if (s.state === 'DISABLED') {
    return messageBox(
      'error',
      `${app.name} is disabled: new assignments are refused.`,
      h('p', { id }, `The subscription ended on ${formatDay(s.renewsOn)} and its grace period is over. Users and groups who hold the license keep their assignments and seats, but no one can be assigned until the subscription is renewed.`),
      h('p', {}, 'Renew it with the vendor, then set the new term end here (Edit subscription): the app is active again at once.'),
    );
  }
  if (s.state === 'EXPIRED') {
    return messageBox(
      'warning',
      `The subscription of ${app.name} has expired.`,
      h('p', { id }, `The term ended on ${formatDay(s.renewsOn)}. Everything still works during the grace period, until ${formatDay(addDays(s.renewsOn, s.graceDays))}; after that new assignments are refused. Renew it with the vendor and set the new term end here.`),
    );
  }
  if (s.state === 'EXPIRING') {
    return messageBox('info', null, h('p', { id }, `The subscription of ${app.name} ends ${daysFromToday(s.daysToRenewal)}, on ${formatDay(s.renewsOn)}.`));
  }
  return null;
}

/**
 * The panel. `onEdit(opener)` is given only to roles with
 * MANAGE_SUBSCRIPTIONS: then it has an "Edit subscription" button.
 */
export function subscriptionCard(app, onEdit) {
  const s = app.subscription;
  const edit = onEdit
    ? h('button', { type: 'button', class: 'secondary', id: 'subscription-edit', onclick: (e) => onEdit(e.currentTarget) }, s ? 'Edit subscription' : 'Set subscription')
    : null;
  if (!s) {
    return h(
      'section',
      { class: 'card subscription', id: 'subscription', 'aria-labelledby': 'subscription-heading' },
      h('h2', { id: 'subscription-heading' }, 'Subscription'),
      h('p', { class: 'hint', id: 'subscription-none' }, 'No subscription terms are recorded for this app: no renewal date, costs or alerts.'),
      edit ? h('div', { class: 'actions' }, edit) : null,
    );
  }
  return h(
    'section',
    { class: 'card subscription', id: 'subscription', 'aria-labelledby': 'subscription-heading' },
    h('h2', { id: 'subscription-heading' }, 'Subscription ', subscriptionBadge(s)),
    h(
      'dl',
      { class: 'facts' },
      fact('Term', `${formatDay(s.termStart)} – ${formatDay(s.termEnd)}`),
      fact('Renews on', h('span', { id: 'subscription-renews' }, `${formatDay(s.renewsOn)} (${daysFromToday(s.daysToRenewal)})`)),
      fact('Auto-renew', s.autoRenew ? 'Yes: the term renews itself' : 'No'),
      fact('Price per seat', h('span', { id: 'subscription-price' }, `${formatMoney(s.pricePerSeat, s.currency)} a year`)),
      fact('Annual cost', h('span', { id: 'subscription-annual' }, formatMoney(s.annualCost, s.currency))),
      fact('Unused seats cost', h('span', { id: 'subscription-unused' }, `${formatMoney(s.unusedSeatCost, s.currency)} a year`)),
      fact('Notice period', plural(s.noticeDays, 'day')),
      fact('Grace period', plural(s.graceDays, 'day')),
      fact('Low-seat alert', s.lowSeatThreshold === 0 ? 'When no seat is free' : `At ${plural(s.lowSeatThreshold, 'free seat')} or fewer`),
    ),
    edit ? h('div', { class: 'actions' }, edit) : null,
  );
}
