// "Edit subscription": a side panel (modal <dialog>) with the terms of an
// app's subscription, sent whole with setSubscription. Values are checked
// here first, because a malformed Date or Decimal is refused by GraphQL
// itself with no field named; the server's own checks (an unknown
// currency, an end before the start) come back as userErrors and are
// shown next to their fields too. Nothing is changed until the server
// accepts the whole form.

import { gql, userErrorText } from '../api.js';
import { h, replace, messageBox, announce } from '../dom.js';
import { SET_SUBSCRIPTION } from '../queries.js';
import { formField, showUserErrors } from './form-field.js';

const DAY = /^(\d{4})-(\d{2})-(\d{2})$/;
const DECIMAL = /^\d{1,10}(\.\d{1,4})?$/;
const CURRENCY = /^[A-Z]{3}$/;

/** Whether `text` is a real calendar day written YYYY-MM-DD. */
function isDay(text) {
  const match = DAY.exec(text);
  if (!match) return false;
  const date = new Date(`${text}T00:00:00Z`);
  return !Number.isNaN(date.getTime()) && date.toISOString().slice(0, 10) === text;
}

/** Checks of one field: its value, or throws the words to show. */
const CHECKS = {
  day: (text) => {
    if (!isDay(text)) throw new Error('Write a date as YYYY-MM-DD, e.g. 2027-01-31.');
    return text;
  },
  decimal: (text) => {
    if (!DECIMAL.test(text)) throw new Error('Write an amount with a point and at most 4 decimals, e.g. 12.50 (no currency sign, no thousands separator).');
    return text;
  },
  currency: (text) => {
    const code = text.toUpperCase();
    if (!CURRENCY.test(code)) throw new Error('Write the 3-letter ISO 4217 code, e.g. EUR or USD.');
    return code;
  },
  days: (text) => {
    if (!/^\d{1,3}$/.test(text) || Number(text) > 365) throw new Error('Write a whole number of days from 0 to 365.');
    return Number(text);
  },
  seats: (text) => {
    if (!/^\d{1,9}$/.test(text)) throw new Error('Write a whole number of seats, 0 or more.');
    return Number(text);
  },
};

/**
 * Open the panel for `app` (with its `subscription`, or null). `onSaved(app)`
 * gets the app with its new subscription after the panel closed.
 */
export function openSubscriptionPanel(app, { opener, onSaved }) {
  const s = app.subscription;
  const today = new Date().toISOString().slice(0, 10);
  let saved = null;
  let busy = false;

  const field = (name, label, hint, check, value, attributes = {}) => {
    const f = formField({ id: `subscription-${name}`, label, hint, attributes: { value, ...attributes } });
    return { ...f, name, check };
  };
  const fields = [
    field('termStart', 'Term start', 'The first day of the term, YYYY-MM-DD.', 'day', s?.termStart ?? today, { inputmode: 'numeric', placeholder: 'YYYY-MM-DD', required: true }),
    field('termEnd', 'Term end', 'The last day of the term, YYYY-MM-DD.', 'day', s?.termEnd ?? '', { inputmode: 'numeric', placeholder: 'YYYY-MM-DD', required: true }),
    field('pricePerSeat', 'Price per seat a year', 'An exact amount, e.g. 12.50.', 'decimal', s?.pricePerSeat ?? '', { inputmode: 'decimal', required: true }),
    field('currency', 'Currency', 'ISO 4217 code, e.g. EUR.', 'currency', s?.currency ?? '', { maxlength: 3, class: 'short', required: true }),
    field('noticeDays', 'Notice period (days)', 'From this many days before the end the subscription is Expiring.', 'days', String(s?.noticeDays ?? 30), { inputmode: 'numeric', class: 'short' }),
    field('graceDays', 'Grace period (days)', 'For this many days after the end assignments still work; then the subscription is Disabled.', 'days', String(s?.graceDays ?? 30), { inputmode: 'numeric', class: 'short' }),
    field('lowSeatThreshold', 'Low-seat alert at', 'Alert when this many seats or fewer are free (0: when none is).', 'seats', String(s?.lowSeatThreshold ?? 0), { inputmode: 'numeric', class: 'short' }),
  ];
  const byName = Object.fromEntries(fields.map((f) => [f.name, f]));
  const autoRenew = formField({ id: 'subscription-autoRenew', label: 'Renews automatically', hint: 'An ended term rolls forward by its own length; the subscription never expires.', attributes: { type: 'checkbox', checked: Boolean(s?.autoRenew) } });
  byName.autoRenew = autoRenew;

  const outcome = h('div', { id: 'subscription-outcome' });
  const save = h('button', { type: 'submit', class: 'primary', id: 'subscription-save' }, 'Save');
  const cancel = h('button', { type: 'button', class: 'secondary', id: 'subscription-cancel', onclick: () => dialog.close() }, 'Cancel');

  async function submit(event) {
    event.preventDefault();
    if (busy) return;
    replace(outcome);
    const input = { appId: app.id, autoRenew: autoRenew.input.checked };
    let firstBad = null;
    for (const f of fields) {
      try {
        input[f.name] = CHECKS[f.check](f.input.value.trim());
        // Show what is sent (a currency in capitals).
        if (typeof input[f.name] === 'string') f.input.value = input[f.name];
        f.setError(null);
      } catch (error) {
        f.setError(error.message);
        firstBad ??= f;
      }
    }
    if (firstBad) {
      replace(outcome, messageBox('error', 'Check the highlighted fields', h('p', {}, 'Nothing was saved.')));
      firstBad.input.focus();
      return;
    }
    busy = true;
    save.disabled = true;
    replace(outcome, h('p', { role: 'status' }, 'Saving…'));
    let payload;
    try {
      payload = (await gql(SET_SUBSCRIPTION, { input })).setSubscription;
    } catch (error) {
      busy = false;
      save.disabled = false;
      replace(outcome, messageBox('error', 'Nothing was saved', h('p', {}, error.message)));
      return;
    }
    busy = false;
    save.disabled = false;
    if (payload.userErrors.length) {
      const unclaimed = showUserErrors(byName, payload.userErrors);
      replace(outcome, messageBox('error', 'Nothing was saved', h('p', {}, unclaimed.length ? userErrorText(unclaimed) : 'Check the highlighted fields.')));
      const bad = fields.find((f) => f.input.getAttribute('aria-invalid') === 'true');
      (bad?.input ?? save).focus();
      return;
    }
    saved = payload.app;
    announce(`Subscription of ${app.name} saved.`);
    dialog.close();
  }

  const dialog = h(
    'dialog',
    { class: 'side-panel', id: 'subscription-panel', 'aria-labelledby': 'subscription-title' },
    h(
      'form',
      { method: 'dialog', onsubmit: submit, class: 'panel-form', novalidate: true },
      h('header', { class: 'panel-head' }, h('h2', { id: 'subscription-title' }, s ? 'Edit subscription' : 'Set subscription'), h('p', { class: 'hint' }, `The terms of ${app.name} as bought from ${app.vendor.name}. They replace the terms recorded so far.`)),
      h('div', { class: 'panel-body' }, fields.slice(0, 2).map((f) => f.element), autoRenew.element, fields.slice(2).map((f) => f.element), outcome),
      h('footer', { class: 'panel-foot actions' }, save, cancel),
    ),
  );
  dialog.addEventListener('cancel', (event) => {
    if (busy) event.preventDefault();
  });
  dialog.addEventListener('close', () => {
    dialog.remove();
    opener?.focus();
    if (saved) onSaved(saved);
  });
  document.body.append(dialog);
  dialog.showModal();
  fields[0].input.focus();
}
