// The Usage tab of "License details": active users and idle seats over a
// window of 30, 60 or 90 days, and "Reclaim idle seats": a dry run lists
// the direct assignments that would be removed in a confirm dialog, and
// confirming runs it. Loaded on its own query, so the details page itself
// costs what it did.

import { gql } from '../api.js';
import { h, replace, messageBox, announce } from '../dom.js';
import { formatDate, plural } from '../format.js';
import { APP_USAGE, RECLAIM_IDLE_SEATS } from '../queries.js';
import { session } from '../session.js';
import { confirmDialog } from './confirm-dialog.js';

const WINDOWS = [30, 60, 90];

/**
 * @param {object} app the app of the details page
 * @param {object} options
 * @param {(outcome: Node) => void} options.onReclaimed redraws the page with an outcome
 */
export function usagePanel(app, { onReclaimed }) {
  let days = WINDOWS[0];
  const body = h('div', { id: 'usage-body' }, h('p', { class: 'loading', role: 'status' }, 'Loading usage…'));
  const select = h(
    'select',
    { id: 'usage-days', onchange: () => { days = Number(select.value); load(); } },
    ...WINDOWS.map((n) => h('option', { value: String(n) }, `${n} days`)),
  );
  const outcome = h('div', { id: 'usage-outcome' });

  async function load() {
    let usage;
    try {
      usage = (await gql(APP_USAGE, { id: app.id, days })).app.usage;
    } catch (error) {
      replace(body, messageBox('error', 'Could not load usage', h('p', {}, error.message)));
      return;
    }
    const seats = usage.idleSeats;
    const rows = seats.nodes.map((seat) =>
      h(
        'tr',
        {},
        h('td', {}, seat.user.displayName),
        h('td', {}, seat.lastActiveAt ? formatDate(seat.lastActiveAt) : `Never (seat since ${formatDate(seat.seatSince)})`),
        h('td', {}, seat.assignedDirectly ? 'Directly' : 'Through a group only'),
      ),
    );
    const reclaim =
      session.can.manageUsage && seats.totalCount > 0
        ? h('button', { type: 'button', class: 'secondary', id: 'reclaim-open', onclick: (e) => reclaimIdle(e.currentTarget) }, 'Reclaim idle seats')
        : null;
    replace(
      body,
      h('p', { id: 'usage-summary' }, `${plural(usage.activeUsers, 'active user')} and ${plural(seats.totalCount, 'idle seat')} in the last ${days} days.`),
      seats.totalCount
        ? h(
            'div',
            { class: 'table-scroll' },
            h(
              'table',
              { class: 'data', id: 'idle-seats-table' },
              h('caption', { class: 'visually-hidden' }, 'Idle seats'),
              h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'User'), h('th', { scope: 'col' }, 'Last active'), h('th', { scope: 'col' }, 'Assigned'))),
              h('tbody', {}, ...rows),
            ),
            seats.pageInfo.hasNextPage ? h('p', { class: 'hint' }, `Showing the first ${seats.nodes.length}.`) : null,
          )
        : h('p', { class: 'hint', id: 'no-idle-seats' }, 'No idle seats.'),
      reclaim,
    );
  }

  async function reclaimIdle(opener) {
    let dry;
    try {
      dry = (await gql(RECLAIM_IDLE_SEATS, { input: { appId: app.id, idleDays: days, dryRun: true } })).reclaimIdleSeats;
    } catch (error) {
      replace(outcome, messageBox('error', 'Could not list idle seats', h('p', {}, error.message)));
      return;
    }
    if (dry.userErrors.length) {
      replace(outcome, messageBox('error', 'Nothing was reclaimed', h('p', {}, dry.userErrors[0].message)));
      return;
    }
    if (!dry.count) {
      replace(outcome, messageBox('info', null, h('p', {}, 'No direct assignments are idle: licenses held through groups are changed through the group.')));
      return;
    }
    const result = await confirmDialog({
      id: 'reclaim-dialog',
      title: `Reclaim ${plural(dry.count, 'idle seat')} of ${app.name}?`,
      body: [
        h('p', {}, `These users have not used ${app.name} for ${days} days. Their direct assignments will be removed; ${plural(dry.seatsFreed, 'seat')} will be freed for users waiting for one.`),
        h('ul', { id: 'reclaim-list' }, ...dry.seats.map((seat) => h('li', {}, seat.user.displayName, seat.seatFreed ? '' : ' (keeps the app through a group)'))),
      ],
      confirmLabel: 'Reclaim',
      busyText: 'Reclaiming…',
      opener,
      action: async () => (await gql(RECLAIM_IDLE_SEATS, { input: { appId: app.id, idleDays: days, dryRun: false } })).reclaimIdleSeats,
    });
    if (!result) return;
    if (result.error || result.userErrors?.length) {
      replace(outcome, messageBox('error', 'Nothing was reclaimed', h('p', {}, result.error || result.userErrors[0].message)));
      return;
    }
    const seats = result.app.seats;
    announce(`${plural(result.count, 'idle seat')} reclaimed.`);
    onReclaimed(
      messageBox(
        'success',
        `Reclaimed ${plural(result.count, 'idle seat')} of ${app.name}.`,
        h('p', {}, `${plural(seats.available, 'seat')} available now (${seats.assigned} of ${seats.purchased} assigned).`),
      ),
    );
  }

  load();
  return h('div', { id: 'usage-panel' }, h('label', { for: 'usage-days' }, 'Idle for at least '), select, outcome, body);
}
