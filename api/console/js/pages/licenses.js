// Page 1, "Licenses": every app with its vendor, seats and subscription
// (renewal, state, costs), its idle seats over LIST_IDLE_DAYS and what they
// cost (when the app has a price), a marker on each row with an alert, a banner
// above the list summarising the alerts of all apps (alerts.js decides
// both), the organisation's yearly spend, a search box and cursor paging.

import { gql } from '../api.js';
import { h, replace, messageBox, debounce, announce } from '../dom.js';
import { badge, seatHealth, formatDay, daysFromToday, formatMoney, subscriptionBadge } from '../format.js';
import { APPS, LIST_IDLE_DAYS } from '../queries.js';
import { appAlerts } from '../alerts.js';
import { alertBanner } from '../components/alert-banner.js';

const PAGE_SIZE = 20;

/** Survives navigation to the details and back (same tab only). */
const state = { search: '', cursors: [null] };

export async function renderLicenses({ page, isCurrent }) {
  const results = h('div', { id: 'apps-results' });
  // The banner and spend load beside the list: a slow scan never holds it up.
  const overview = h('div', { id: 'apps-overview' });
  const searchInput = h('input', {
    type: 'search',
    id: 'app-search',
    name: 'search',
    value: state.search,
    autocomplete: 'off',
    placeholder: 'Search by app name',
  });

  async function load({ announceCount = false } = {}) {
    const after = state.cursors[state.cursors.length - 1];
    results.setAttribute('aria-busy', 'true');
    let data;
    try {
      data = await gql(APPS, { first: PAGE_SIZE, after, search: state.search || null });
    } catch (error) {
      if (!isCurrent()) return;
      results.removeAttribute('aria-busy');
      replace(results, messageBox('error', 'Could not load the apps', h('p', {}, error.message), h('button', { type: 'button', class: 'secondary', onclick: () => load() }, 'Try again')));
      return;
    }
    if (!isCurrent()) return;
    results.removeAttribute('aria-busy');
    renderResults(data.apps);
    if (announceCount) announce(`${data.apps.totalCount} apps found`);
  }

  function renderResults(apps) {
    const pageIndex = state.cursors.length - 1;
    const from = apps.nodes.length ? pageIndex * PAGE_SIZE + 1 : 0;
    const to = pageIndex * PAGE_SIZE + apps.nodes.length;
    if (apps.totalCount === 0) {
      replace(results, h('p', { class: 'empty' }, state.search ? `No apps match “${state.search}”.` : 'Your organisation has no apps yet.'));
      return;
    }
    const table = h(
      'table',
      { class: 'data', id: 'apps-table' },
      h('caption', { class: 'visually-hidden' }, 'Apps and their seats'),
      h(
        'thead',
        {},
        h(
          'tr',
          {},
          h('th', { scope: 'col' }, 'App'),
          h('th', { scope: 'col' }, 'Vendor'),
          h('th', { scope: 'col', class: 'num' }, 'Purchased'),
          h('th', { scope: 'col', class: 'num' }, 'Assigned'),
          h('th', { scope: 'col', class: 'num' }, 'Available'),
          h('th', { scope: 'col' }, 'Status'),
          h('th', { scope: 'col' }, 'Renewal'),
          h('th', { scope: 'col' }, 'Subscription'),
          h('th', { scope: 'col', class: 'num' }, 'Annual cost'),
          h('th', { scope: 'col', class: 'num' }, 'Unused-seat cost'),
          h('th', { scope: 'col', class: 'num', title: `Seats whose holders were not active in the last ${LIST_IDLE_DAYS} days` }, 'Idle seats', h('span', { class: 'sub' }, `${LIST_IDLE_DAYS} days`)),
          h('th', { scope: 'col', class: 'num' }, 'Idle-seat cost'),
        ),
      ),
      h(
        'tbody',
        {},
        apps.nodes.map((app) => {
          const health = seatHealth(app);
          const subscription = app.subscription;
          return h(
            'tr',
            { dataset: { appName: app.name } },
            h('th', { scope: 'row' }, h('a', { href: `#/apps/${encodeURIComponent(app.id)}` }, app.name), alertMarker(app)),
            h('td', { 'data-label': 'Vendor' }, app.vendor.name),
            h('td', { class: 'num', 'data-label': 'Purchased' }, String(app.seats.purchased)),
            h('td', { class: 'num', 'data-label': 'Assigned' }, String(app.seats.assigned)),
            h('td', { class: 'num seats-available', 'data-label': 'Available' }, String(app.seats.available)),
            h('td', { 'data-label': 'Status' }, badge(health.level, health.label)),
            h('td', { 'data-label': 'Renewal', class: 'renewal' }, subscription ? [formatDay(subscription.renewsOn), h('span', { class: 'sub' }, daysFromToday(subscription.daysToRenewal))] : '—'),
            h('td', { 'data-label': 'Subscription', class: 'subscription-state' }, subscriptionBadge(subscription)),
            h('td', { class: 'num annual-cost', 'data-label': 'Annual cost' }, subscription ? formatMoney(subscription.annualCost, subscription.currency) : '—'),
            h('td', { class: 'num unused-cost', 'data-label': 'Unused-seat cost' }, subscription ? formatMoney(subscription.unusedSeatCost, subscription.currency) : '—'),
            h('td', { class: 'num idle-seats', 'data-label': `Idle seats (${LIST_IDLE_DAYS} days)` }, String(app.usage.idleSeatCount)),
            h('td', { class: 'num idle-cost', 'data-label': 'Idle-seat cost' }, subscription && app.usage.idleSeatCost !== null ? formatMoney(app.usage.idleSeatCost, subscription.currency) : '—'),
          );
        }),
      ),
    );
    const prev = h('button', { type: 'button', class: 'secondary', id: 'apps-prev', disabled: pageIndex === 0, onclick: () => move(-1) }, '‹ Previous');
    const next = h('button', { type: 'button', class: 'secondary', id: 'apps-next', disabled: !apps.pageInfo.hasNextPage, onclick: () => move(1, apps.pageInfo.endCursor) }, 'Next ›');
    replace(
      results,
      h('div', { class: 'table-scroll' }, table),
      h('nav', { class: 'pager', 'aria-label': 'Pages of apps' }, prev, h('p', { id: 'apps-range' }, `${from}–${to} of ${apps.totalCount}`), next),
    );
  }

  async function move(direction, cursor) {
    if (direction > 0) state.cursors.push(cursor);
    else if (state.cursors.length > 1) state.cursors.pop();
    await load({ announceCount: false });
    if (!isCurrent()) return;
    const target = document.getElementById(direction > 0 ? 'apps-next' : 'apps-prev');
    // Keep the focus on the pager; fall back to the table when at an end.
    (target && !target.disabled ? target : document.getElementById('apps-table'))?.focus?.();
  }

  const search = debounce(() => {
    state.search = searchInput.value.trim();
    state.cursors = [null];
    load({ announceCount: true });
  }, 300);
  searchInput.addEventListener('input', search);

  replace(
    page,
    h('div', { class: 'page-head' }, h('h1', {}, 'Licenses'), h('p', { class: 'hint' }, 'Third-party apps your organisation bought, and how many of their seats are in use. Open an app to assign or unassign licenses.')),
    overview,
    h(
      'form',
      {
        role: 'search',
        class: 'toolbar',
        onsubmit: (event) => {
          event.preventDefault();
          search.cancel();
          state.search = searchInput.value.trim();
          state.cursors = [null];
          load({ announceCount: true });
        },
      },
      h('label', { for: 'app-search' }, 'Search apps'),
      searchInput,
    ),
    results,
  );
  replace(results, h('p', { class: 'loading', role: 'status' }, 'Loading apps…'));
  await Promise.all([load(), alertBanner(overview, isCurrent)]);
}

/** The row's alerts in words (not only an icon), most serious first. */
function alertMarker(app) {
  const alerts = appAlerts(app);
  if (!alerts.length) return null;
  const level = alerts.some((a) => a.level === 'danger') ? 'danger' : 'warning';
  return h(
    'span',
    { class: `alert-marker alert-${level}` },
    h('span', { 'aria-hidden': 'true' }, '⚠ '),
    h('span', { class: 'visually-hidden' }, 'Alerts: '),
    alerts.map((a) => a.text).join(' · '),
  );
}
