// Settings → "Webhooks" (`#/settings/webhooks`): the organisation's
// outbound webhook endpoints (URL, events, on or off), adding one (its
// signing secret is shown once, in createWebhookEndpoint's answer, and
// lives only in this page's DOM until Done or leaving the page), editing
// its URL, events and whether it is on, deleting it after a confirmation,
// and per endpoint the delivery log with "Redeliver" for failed
// deliveries. Only offered to roles with MANAGE_WEBHOOKS.

import { gql, userErrorText } from '../api.js';
import { h, replace, messageBox, announce } from '../dom.js';
import { badge, formatDate, plural } from '../format.js';
import {
  CREATE_WEBHOOK_ENDPOINT,
  DELETE_WEBHOOK_ENDPOINT,
  REDELIVER_WEBHOOK,
  UPDATE_WEBHOOK_ENDPOINT,
  WEBHOOK_DELIVERIES,
  WEBHOOK_ENDPOINTS,
} from '../queries.js';
import { copyField } from '../components/copy-field.js';
import { confirmDialog } from '../components/confirm-dialog.js';
import { checkboxGroup, formField, showUserErrors } from '../components/form-field.js';

/** Every event type, with its wire name (the body's `type`) and what it means. */
const EVENTS = [
  ['LICENSE_ASSIGNED', 'license.assigned', 'A user took a seat.'],
  ['LICENSE_UNASSIGNED', 'license.unassigned', 'A user no longer holds a license.'],
  ['LICENSE_ERROR', 'license.error', 'A user started or stopped waiting for a seat.'],
  ['SEATS_LOW', 'seats.low', 'Free seats fell to the low-seat alert.'],
  ['SUBSCRIPTION_EXPIRING', 'subscription.expiring', 'A subscription entered its notice period.'],
  ['SUBSCRIPTION_EXPIRED', 'subscription.expired', 'A subscription passed its end date.'],
  ['SUBSCRIPTION_DISABLED', 'subscription.disabled', 'A subscription’s grace period ended.'],
  ['SEAT_CHANGE_FINISHED', 'seatChange.finished', 'A seat change with the vendor finished.'],
];
const WIRE_NAME = Object.fromEntries(EVENTS.map(([value, wire]) => [value, wire]));

/** While a shown delivery is PENDING, the log reads itself again this often. */
const FOLLOW_MS = 1500;

const DELIVERY_WORDS = {
  DELIVERED: ['ok', 'Delivered'],
  PENDING: ['info', 'Pending'],
  FAILED: ['danger', 'Failed'],
};

export async function renderWebhooks({ page, isCurrent }) {
  const endpointsArea = h('div', { id: 'webhook-endpoints-area' });
  const created = h('div', { id: 'webhook-created' });
  const outcome = h('div', { id: 'webhook-outcome' });
  const logArea = h('div', { id: 'webhook-log-area' });
  /** The endpoint whose log is open: `{ endpoint, before }`. */
  let openLog = null;
  let followTimer = null;

  async function loadEndpoints() {
    const endpoints = [];
    let after = null;
    let before = null;
    // A handful per organisation; read them all, remembering for each the
    // cursor of the one before it (its delivery log is read from there).
    do {
      const connection = (await gql(WEBHOOK_ENDPOINTS, { after })).webhookEndpoints;
      for (const edge of connection.edges) {
        endpoints.push({ endpoint: edge.node, before });
        before = edge.cursor;
      }
      after = connection.pageInfo.hasNextPage ? connection.pageInfo.endCursor : null;
    } while (after);
    return endpoints;
  }

  async function refresh() {
    endpointsArea.setAttribute('aria-busy', 'true');
    let endpoints;
    try {
      endpoints = await loadEndpoints();
    } catch (error) {
      if (!isCurrent()) return;
      endpointsArea.removeAttribute('aria-busy');
      replace(endpointsArea, messageBox('error', 'Could not load the endpoints', h('p', {}, error.message), h('button', { type: 'button', class: 'secondary', onclick: refresh }, 'Try again')));
      return;
    }
    if (!isCurrent()) return;
    endpointsArea.removeAttribute('aria-busy');
    renderEndpoints(endpoints);
    // The open log follows its endpoint to its new place, or closes.
    if (openLog) {
      const still = endpoints.find((e) => e.endpoint.id === openLog.endpoint.id);
      if (still) showLog(still, { focus: false });
      else closeLog();
    }
  }

  function renderEndpoints(endpoints) {
    if (!endpoints.length) {
      replace(endpointsArea, h('p', { class: 'empty', id: 'webhook-endpoints-empty' }, 'No endpoint yet: no events are sent. Add one below.'));
      return;
    }
    replace(
      endpointsArea,
      h(
        'div',
        { class: 'table-scroll' },
        h(
          'table',
          { class: 'data', id: 'webhook-endpoints' },
          h('caption', { class: 'visually-hidden' }, 'Webhook endpoints'),
          h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'URL'), h('th', { scope: 'col' }, 'Events'), h('th', { scope: 'col' }, 'Status'), h('th', { scope: 'col' }, h('span', { class: 'visually-hidden' }, 'Actions')))),
          h(
            'tbody',
            {},
            endpoints.map((entry) => {
              const { endpoint } = entry;
              return h(
                'tr',
                { dataset: { url: endpoint.url } },
                h('th', { scope: 'row', class: 'mono url' }, endpoint.url, endpoint.description ? h('span', { class: 'sub' }, endpoint.description) : null, h('span', { class: 'sub' }, `Added ${formatDate(endpoint.createdAt)} by ${endpoint.createdBy}`)),
                h('td', { 'data-label': 'Events' }, h('ul', { class: 'plain' }, endpoint.events.map((e) => h('li', { class: 'mono' }, WIRE_NAME[e] || e)))),
                h('td', { 'data-label': 'Status' }, endpoint.enabled ? badge('ok', 'Enabled') : badge('warning', 'Disabled: sends nothing')),
                h(
                  'td',
                  { class: 'row-actions' },
                  h('button', { type: 'button', class: 'secondary', 'aria-label': `Delivery log of ${endpoint.url}`, onclick: () => showLog(entry, { focus: true }) }, 'Delivery log'),
                  h('button', { type: 'button', class: 'secondary', 'aria-label': `Edit ${endpoint.url}`, onclick: (event) => edit(endpoint, event.currentTarget) }, 'Edit'),
                  h('button', { type: 'button', class: 'secondary', 'aria-label': `Delete ${endpoint.url}`, onclick: (event) => remove(endpoint, event.currentTarget) }, 'Delete'),
                ),
              );
            }),
          ),
        ),
      ),
    );
  }

  // --- Adding an endpoint ---------------------------------------------------

  const url = formField({ id: 'webhook-url', label: 'URL', hint: 'Where events are POSTed: an https address on the public internet.', attributes: { type: 'url', inputmode: 'url', required: true, maxlength: 2048, spellcheck: 'false' } });
  const description = formField({ id: 'webhook-description', label: 'Description (optional)', hint: 'What receives the events, e.g. “Ticketing system”.', attributes: { maxlength: 1024 } });
  const events = checkboxGroup({ id: 'webhook-events', legend: 'Events to send', hint: 'At least one.', options: EVENTS });
  const createButton = h('button', { type: 'submit', class: 'primary', id: 'webhook-create' }, 'Add endpoint');
  const createFields = { url, description, events };

  async function create(event) {
    event.preventDefault();
    for (const f of Object.values(createFields)) f.setError(null);
    const input = { url: url.input.value.trim(), events: events.values(), description: description.input.value.trim() || null };
    let bad = null;
    if (!input.url) {
      url.setError('Give the URL events are sent to.');
      bad = url.input;
    }
    if (!input.events.length) {
      events.setError('Choose at least one event.');
      bad ??= events.first;
    }
    if (bad) {
      bad.focus();
      return;
    }
    createButton.disabled = true;
    replace(outcome, h('p', { role: 'status' }, 'Adding the endpoint…'));
    let payload;
    try {
      payload = (await gql(CREATE_WEBHOOK_ENDPOINT, { input })).createWebhookEndpoint;
    } catch (error) {
      createButton.disabled = false;
      replace(outcome, messageBox('error', 'No endpoint was added', h('p', {}, error.message)));
      return;
    }
    createButton.disabled = false;
    if (!isCurrent()) return;
    if (payload.userErrors.length || !payload.secret) {
      const unclaimed = showUserErrors(createFields, payload.userErrors);
      replace(outcome, messageBox('error', 'No endpoint was added', h('p', {}, unclaimed.length ? userErrorText(unclaimed) : payload.userErrors.length ? 'Check the highlighted fields.' : 'The server sent no secret.')));
      url.input.focus();
      return;
    }
    replace(outcome);
    url.input.value = '';
    description.input.value = '';
    createForm.reset();
    showSecret(payload.endpoint, payload.secret);
    await refresh();
  }

  /** The one time the secret is on screen; Done removes it from the page. */
  function showSecret(endpoint, secret) {
    const done = h(
      'button',
      {
        type: 'button',
        class: 'secondary',
        id: 'webhook-secret-done',
        onclick: () => {
          replace(created);
          announce('The secret was removed from the page.');
          url.input.focus();
        },
      },
      'Done, I saved it',
    );
    replace(
      created,
      h(
        'div',
        { class: 'message message-warning secret', role: 'region', 'aria-labelledby': 'webhook-secret-title', tabindex: '-1', id: 'webhook-secret-box' },
        h('p', { class: 'message-title', id: 'webhook-secret-title' }, `Endpoint ${endpoint.url} added. Copy its signing secret now.`),
        h('p', { id: 'webhook-secret-warning' }, 'This is the only time the secret is shown: Seatwise cannot show it again. If you lose it, delete the endpoint and add it again.'),
        copyField({ id: 'webhook-secret', label: 'Signing secret', value: secret, describedBy: 'webhook-secret-warning' }),
        h('p', { class: 'hint' }, 'The receiver verifies each request’s webhook-signature header with it (Standard Webhooks), and deduplicates by webhook-id.'),
        h('div', { class: 'actions' }, done),
      ),
    );
    announce(`Endpoint added. Its signing secret is shown once; copy it now.`);
    document.getElementById('webhook-secret-box')?.focus();
  }

  // --- Editing and deleting ----------------------------------------------

  function edit(endpoint, opener) {
    const editUrl = formField({ id: 'webhook-edit-url', label: 'URL', attributes: { type: 'url', value: endpoint.url, required: true, maxlength: 2048, spellcheck: 'false' } });
    const editDescription = formField({ id: 'webhook-edit-description', label: 'Description', attributes: { value: endpoint.description, maxlength: 1024 } });
    const editEvents = checkboxGroup({ id: 'webhook-edit-events', legend: 'Events to send', hint: 'At least one.', options: EVENTS, checked: endpoint.events });
    const enabled = formField({ id: 'webhook-edit-enabled', label: 'Send events to this endpoint', hint: 'When off, new events are not sent; what was queued waits until it is on again.', attributes: { type: 'checkbox', checked: endpoint.enabled } });
    const fields = { url: editUrl, description: editDescription, events: editEvents, enabled };
    const status = h('div', { id: 'webhook-edit-status' });
    const save = h('button', { type: 'submit', class: 'primary', id: 'webhook-edit-save' }, 'Save');
    const cancel = h('button', { type: 'button', class: 'secondary', id: 'webhook-edit-cancel', onclick: () => dialog.close() }, 'Cancel');
    let busy = false;
    let changed = null;

    async function submit(event) {
      event.preventDefault();
      if (busy) return;
      for (const f of Object.values(fields)) f.setError(null);
      const input = {
        endpointId: endpoint.id,
        url: editUrl.input.value.trim(),
        description: editDescription.input.value.trim(),
        events: editEvents.values(),
        enabled: enabled.input.checked,
      };
      if (!input.events.length) {
        editEvents.setError('Choose at least one event.');
        editEvents.first?.focus();
        return;
      }
      busy = true;
      save.disabled = true;
      replace(status, h('p', { role: 'status' }, 'Saving…'));
      let payload;
      try {
        payload = (await gql(UPDATE_WEBHOOK_ENDPOINT, { input })).updateWebhookEndpoint;
      } catch (error) {
        payload = { userErrors: [{ message: error.message }] };
      }
      busy = false;
      save.disabled = false;
      if (payload.userErrors.length) {
        const unclaimed = showUserErrors(fields, payload.userErrors);
        replace(status, messageBox('error', 'Nothing was changed', h('p', {}, unclaimed.length ? userErrorText(unclaimed) : 'Check the highlighted fields.')));
        return;
      }
      changed = payload.endpoint;
      dialog.close();
    }

    const dialog = h(
      'dialog',
      { class: 'side-panel', id: 'webhook-edit-panel', 'aria-labelledby': 'webhook-edit-title' },
      h(
        'form',
        { method: 'dialog', onsubmit: submit, class: 'panel-form', novalidate: true },
        h('header', { class: 'panel-head' }, h('h2', { id: 'webhook-edit-title' }, 'Edit endpoint'), h('p', { class: 'hint mono' }, endpoint.url)),
        h('div', { class: 'panel-body' }, editUrl.element, editDescription.element, editEvents.element, enabled.element, status),
        h('footer', { class: 'panel-foot actions' }, save, cancel),
      ),
    );
    dialog.addEventListener('cancel', (event) => {
      if (busy) event.preventDefault();
    });
    dialog.addEventListener('close', async () => {
      dialog.remove();
      opener?.focus();
      if (!changed || !isCurrent()) return;
      replace(outcome, messageBox('success', `Endpoint ${changed.url} saved.`, h('p', {}, changed.enabled ? `It receives ${plural(changed.events.length, 'kind')} of event.` : 'It is disabled: no events are sent to it.')));
      await refresh();
    });
    document.body.append(dialog);
    dialog.showModal();
    editEvents.first?.focus();
  }

  async function remove(endpoint, opener) {
    const result = await confirmDialog({
      id: 'delete-webhook-dialog',
      title: `Delete the endpoint ${endpoint.url}?`,
      body: [
        h('p', {}, 'No more events are sent to it. Its queued events and its delivery log are deleted with it.'),
        h('p', {}, 'This cannot be undone; to receive events there again, add the endpoint again (it gets a new secret).'),
      ],
      confirmLabel: 'Delete',
      busyText: 'Deleting…',
      opener,
      action: async () => {
        const payload = (await gql(DELETE_WEBHOOK_ENDPOINT, { input: { endpointId: endpoint.id } })).deleteWebhookEndpoint;
        return payload.userErrors.length ? { error: userErrorText(payload.userErrors) } : { deleted: true };
      },
    });
    if (!result || !isCurrent()) return;
    if (result.error) {
      replace(outcome, messageBox('error', 'The endpoint was not deleted', h('p', {}, result.error)));
      return;
    }
    replace(outcome, messageBox('success', `Endpoint ${endpoint.url} deleted.`, h('p', {}, 'No more events are sent to it.')));
    await refresh();
    document.getElementById('webhook-endpoints-heading')?.focus();
  }

  // --- Delivery log -------------------------------------------------------

  function closeLog() {
    clearTimeout(followTimer);
    openLog = null;
    replace(logArea);
  }

  /** Read the log of `entry`'s endpoint: the first page, or the one after `after`. */
  async function readLog(entry, after) {
    const data = await gql(WEBHOOK_DELIVERIES, { before: entry.before, after });
    const node = data.webhookEndpoints.nodes[0];
    // Another admin deleted or added endpoints meanwhile: the cursor now
    // leads elsewhere.
    if (!node || node.id !== entry.endpoint.id) return null;
    return node.deliveries;
  }

  async function showLog(entry, { focus }) {
    clearTimeout(followTimer);
    openLog = entry;
    const { endpoint } = entry;
    let deliveries;
    try {
      deliveries = await readLog(entry, null);
    } catch (error) {
      if (!isCurrent() || openLog !== entry) return;
      replace(logArea, logSection(endpoint, messageBox('error', 'Could not load the delivery log', h('p', {}, error.message))));
      return;
    }
    if (!isCurrent() || openLog !== entry) return;
    if (!deliveries) {
      await refresh();
      return;
    }
    const rows = h('tbody', {});
    const addRows = (nodes) => nodes.forEach((d) => rows.append(deliveryRow(d)));
    addRows(deliveries.nodes);
    let cursor = deliveries.pageInfo.endCursor;
    const more = deliveries.pageInfo.hasNextPage
      ? h('button', {
          type: 'button',
          class: 'secondary',
          id: 'webhook-log-more',
          onclick: async (event) => {
            const button = event.currentTarget;
            button.disabled = true;
            try {
              const next = await readLog(entry, cursor);
              if (!next) return;
              addRows(next.nodes);
              cursor = next.pageInfo.endCursor;
              if (next.pageInfo.hasNextPage) button.disabled = false;
              else button.remove();
            } catch {
              button.disabled = false;
            }
          },
        }, 'Show more')
      : null;
    replace(
      logArea,
      logSection(
        endpoint,
        deliveries.totalCount === 0
          ? h('p', { class: 'empty', id: 'webhook-deliveries-empty' }, 'Nothing was sent to this endpoint yet.')
          : [
              h('p', { class: 'hint' }, `${plural(deliveries.totalCount, 'delivery', 'deliveries')}, newest event first. Failed ones can be sent again.`),
              h(
                'div',
                { class: 'table-scroll' },
                h(
                  'table',
                  { class: 'data', id: 'webhook-deliveries' },
                  h('caption', { class: 'visually-hidden' }, `Deliveries to ${endpoint.url}`),
                  h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Event'), h('th', { scope: 'col' }, 'Status'), h('th', { scope: 'col', class: 'num' }, 'Attempts'), h('th', { scope: 'col' }, 'Last answer'), h('th', { scope: 'col' }, 'Time'), h('th', { scope: 'col' }, h('span', { class: 'visually-hidden' }, 'Actions')))),
                  rows,
                ),
              ),
              more ? h('div', { class: 'more' }, more) : null,
            ],
      ),
    );
    if (focus) document.getElementById('webhook-log-heading')?.focus();
    // Follow deliveries under way until they are delivered or failed.
    if (deliveries.nodes.some((d) => d.status === 'PENDING')) {
      followTimer = setTimeout(() => {
        if (isCurrent() && openLog === entry) showLog(entry, { focus: false });
      }, FOLLOW_MS);
    }
  }

  function logSection(endpoint, body) {
    return h(
      'section',
      { class: 'list-section', id: 'webhook-log', 'aria-labelledby': 'webhook-log-heading' },
      h('h2', { id: 'webhook-log-heading', tabindex: '-1' }, 'Delivery log ', h('span', { class: 'mono sub' }, endpoint.url)),
      h('div', { id: 'webhook-log-outcome' }),
      h('div', { class: 'actions' }, h('button', { type: 'button', class: 'secondary', id: 'webhook-log-refresh', onclick: () => openLog && showLog(openLog, { focus: false }) }, 'Refresh'), h('button', { type: 'button', class: 'link', id: 'webhook-log-close', onclick: closeLog }, 'Close the log')),
      body,
    );
  }

  function deliveryRow(delivery) {
    const [level, words] = DELIVERY_WORDS[delivery.status] || ['info', delivery.status];
    const answer = delivery.lastStatusCode ? `HTTP ${delivery.lastStatusCode}` : delivery.attempts ? 'No answer' : 'Not tried yet';
    let when = `Happened ${formatDate(delivery.createdAt)}`;
    if (delivery.deliveredAt) when = `Delivered ${formatDate(delivery.deliveredAt)}`;
    else if (delivery.status === 'PENDING' && delivery.nextAttemptAt) when = `Next try ${formatDate(delivery.nextAttemptAt)}`;
    return h(
      'tr',
      { dataset: { eventType: WIRE_NAME[delivery.eventType] || delivery.eventType, status: delivery.status } },
      h('th', { scope: 'row' }, h('span', { class: 'mono' }, WIRE_NAME[delivery.eventType] || delivery.eventType), h('span', { class: 'sub mono' }, delivery.eventId)),
      h('td', { 'data-label': 'Status' }, badge(level, words)),
      h('td', { class: 'num', 'data-label': 'Attempts' }, String(delivery.attempts)),
      h('td', { 'data-label': 'Last answer' }, answer, delivery.lastError ? h('span', { class: 'sub' }, delivery.lastError) : null),
      h('td', { 'data-label': 'Time' }, when, delivery.deliveredAt ? null : h('span', { class: 'sub' }, `Event ${formatDate(delivery.createdAt)}`)),
      h('td', {}, delivery.status === 'FAILED' ? h('button', { type: 'button', class: 'secondary redeliver', 'aria-label': `Redeliver ${WIRE_NAME[delivery.eventType] || delivery.eventType} ${delivery.eventId}`, onclick: (event) => redeliver(delivery, event.currentTarget) }, 'Redeliver') : null),
    );
  }

  async function redeliver(delivery, button) {
    button.disabled = true;
    const say = (box) => {
      const slot = document.getElementById('webhook-log-outcome');
      if (slot) replace(slot, box);
    };
    let payload;
    try {
      payload = (await gql(REDELIVER_WEBHOOK, { input: { deliveryId: delivery.id } })).redeliverWebhook;
    } catch (error) {
      payload = { userErrors: [{ message: error.message }] };
    }
    if (!isCurrent() || !openLog) return;
    if (payload.userErrors.length) {
      button.disabled = false;
      say(messageBox('error', 'Not sent again', h('p', {}, userErrorText(payload.userErrors))));
      return;
    }
    const entry = openLog;
    await showLog(entry, { focus: false });
    say(messageBox('success', `Event ${delivery.eventId} queued again.`, h('p', {}, 'It is sent at once, with its attempts counted afresh; this log follows it.')));
    announce('The event was queued again.');
    document.getElementById('webhook-log-heading')?.focus();
  }

  const createForm = h(
    'form',
    { class: 'create-webhook', id: 'webhook-create-form', onsubmit: create, novalidate: true },
    url.element,
    description.element,
    events.element,
    h('div', { class: 'actions' }, createButton),
  );

  replace(
    page,
    h('nav', { 'aria-label': 'Breadcrumb', class: 'breadcrumb' }, h('ol', {}, h('li', {}, 'Settings'), h('li', {}, h('span', { 'aria-current': 'page' }, 'Webhooks')))),
    h(
      'div',
      { class: 'page-head' },
      h('h1', {}, 'Webhooks'),
      h('p', { class: 'hint' }, 'Send your organisation’s license events (assignments, license errors, seats running low, subscriptions expiring, finished seat changes) to other systems as signed HTTPS requests.'),
    ),
    h(
      'section',
      { class: 'list-section', 'aria-labelledby': 'webhook-endpoints-heading' },
      h('h2', { id: 'webhook-endpoints-heading', tabindex: '-1' }, 'Endpoints'),
      created,
      outcome,
      endpointsArea,
    ),
    logArea,
    h('section', { class: 'card list-section', 'aria-labelledby': 'webhook-create-heading' }, h('h2', { id: 'webhook-create-heading' }, 'Add an endpoint'), createForm),
  );
  replace(endpointsArea, h('p', { class: 'loading', role: 'status' }, 'Loading endpoints…'));
  await refresh();
}
