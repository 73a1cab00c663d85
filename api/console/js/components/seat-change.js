// Flow 5, "Add or remove licenses": ask the vendor for a new total, then
// follow the operation (polling seatChangeOperation) until it ends. When the
// vendor arranges seat changes itself, show how to contact them.

import { gql, userErrorText } from '../api.js';
import { h, replace, messageBox, announce } from '../dom.js';
import { FINAL_STATUSES, formatDate, safeLink, statusBadge } from '../format.js';
import { REQUEST_SEAT_CHANGE, SEAT_CHANGE_OPERATION } from '../queries.js';

const POLL_MS = 1500;

/** A random v4 UUID; crypto.randomUUID needs a secure context, this does not. */
export function idempotencyKey() {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  bytes[6] = (bytes[6] & 0x0f) | 0x40;
  bytes[8] = (bytes[8] & 0x3f) | 0x80;
  const hex = [...bytes].map((b) => b.toString(16).padStart(2, '0')).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

export function openSeatChange(app, { opener, onFinished }) {
  // One key per dialog: pressing Request again (a retry after a network
  // error) cannot create a second operation.
  const key = idempotencyKey();
  let polling = null;
  let finished = false;

  const quantity = h('input', { type: 'number', id: 'seat-quantity', name: 'quantity', min: 0, max: 10000000, step: 1, required: true, value: String(app.seats.purchased), 'aria-describedby': 'seat-quantity-help' });
  const progress = h('div', { id: 'seat-change-status', 'aria-live': 'polite' });
  const submit = h('button', { type: 'submit', class: 'primary', id: 'seat-change-submit' }, 'Request change');
  const closeButton = h('button', { type: 'button', class: 'secondary', id: 'seat-change-close', onclick: () => dialog.close() }, 'Close');

  function show(operation) {
    const final = FINAL_STATUSES.has(operation.status);
    replace(
      progress,
      h(
        'div',
        { class: 'card operation', dataset: { status: operation.status } },
        h('p', {}, statusBadge(operation.status), ` ${operation.previousQuantity} → ${operation.requestedQuantity} seats`),
        operation.message ? h('p', {}, operation.message) : null,
        operation.vendorReference ? h('p', { class: 'hint' }, `Vendor reference: ${operation.vendorReference}`) : null,
        h('p', { class: 'hint' }, `Last update ${formatDate(operation.updatedAt)}.${final ? '' : ' This updates by itself.'}`),
        operation.status === 'CONTACT_VENDOR' ? contactDetails(operation.contact, app, operation.message) : null,
      ),
    );
    if (final) {
      finished = true;
      announce(`Seat change ${operation.status === 'SUCCEEDED' ? 'done' : 'ended'}: ${operation.status.toLowerCase().replaceAll('_', ' ')}.`);
    }
  }

  async function poll(id) {
    if (!dialog.open) return;
    try {
      const data = await gql(SEAT_CHANGE_OPERATION, { id });
      if (!data.seatChangeOperation) {
        replace(progress, messageBox('error', null, h('p', {}, 'The operation is gone.')));
        return;
      }
      show(data.seatChangeOperation);
      if (!FINAL_STATUSES.has(data.seatChangeOperation.status)) polling = setTimeout(() => poll(id), POLL_MS);
    } catch (error) {
      replace(progress, messageBox('error', 'Could not read the status', h('p', {}, error.message), h('p', {}, 'Retrying…')));
      polling = setTimeout(() => poll(id), POLL_MS * 2);
    }
  }

  async function request(event) {
    event.preventDefault();
    const wanted = Number(quantity.value);
    if (!Number.isInteger(wanted) || wanted < 0) {
      replace(progress, messageBox('error', null, h('p', {}, 'Enter a whole number of licenses (0 or more).')));
      quantity.focus();
      return;
    }
    submit.disabled = true;
    replace(progress, h('p', { role: 'status' }, 'Sending the request to the vendor…'));
    let payload;
    try {
      payload = (await gql(REQUEST_SEAT_CHANGE, { input: { appId: app.id, quantity: wanted, idempotencyKey: key } })).requestSeatChange;
    } catch (error) {
      submit.disabled = false;
      replace(progress, messageBox('error', 'The request was not sent', h('p', {}, error.message)));
      return;
    }
    if (payload.userErrors.length) {
      submit.disabled = false;
      replace(progress, messageBox('error', 'The request was refused', h('p', {}, userErrorText(payload.userErrors)), h('p', {}, 'Nothing was changed.')));
      return;
    }
    quantity.disabled = true;
    show(payload.operation);
    if (!FINAL_STATUSES.has(payload.operation.status)) polling = setTimeout(() => poll(payload.operation.id), POLL_MS);
  }

  const dialog = h(
    'dialog',
    { class: 'side-panel', id: 'seat-change-panel', 'aria-labelledby': 'seat-change-title' },
    h(
      'form',
      { method: 'dialog', class: 'panel-form', onsubmit: request },
      h('header', { class: 'panel-head' }, h('h2', { id: 'seat-change-title' }, 'Add or remove licenses'), h('p', { class: 'hint' }, `${app.name} from ${app.vendor.name}: ${app.seats.purchased} purchased, ${app.seats.assigned} assigned.`)),
      h(
        'div',
        { class: 'panel-body' },
        h('label', { for: 'seat-quantity' }, 'Total licenses wanted'),
        h('p', { id: 'seat-quantity-help', class: 'hint' }, `The vendor is asked for this total. It cannot go below the ${app.seats.assigned} seats in use.`),
        quantity,
        progress,
      ),
      h('footer', { class: 'panel-foot actions' }, submit, closeButton),
    ),
  );
  dialog.addEventListener('close', () => {
    clearTimeout(polling);
    dialog.remove();
    opener?.focus();
    if (finished || quantity.disabled) onFinished();
  });
  document.body.append(dialog);
  dialog.showModal();
  quantity.focus();
  quantity.select();
}

/**
 * The vendor's contact for CONTACT_VENDOR, falling back to the app's
 * vendor; its message is left out when it repeats `shownMessage`.
 */
export function contactDetails(contact, app, shownMessage = null) {
  const c = contact || {};
  const email = c.email || app.vendor.supportEmail;
  return h(
    'div',
    { class: 'contact', id: 'vendor-contact' },
    h('p', { class: 'message-title' }, `Contact ${c.name || app.vendor.name} to change the number of licenses.`),
    c.message && c.message !== shownMessage ? h('p', {}, c.message) : null,
    h(
      'dl',
      { class: 'facts' },
      email ? [h('dt', {}, 'Email'), h('dd', {}, h('a', { href: `mailto:${email}` }, email))] : null,
      c.phone ? [h('dt', {}, 'Phone'), h('dd', {}, h('a', { href: `tel:${c.phone.replace(/[^+\d]/g, '')}` }, c.phone))] : null,
      [h('dt', {}, 'Website'), h('dd', {}, safeLink(c.website || app.vendor.website))],
    ),
  );
}
