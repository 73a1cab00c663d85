// The banner above the licenses list: what needs attention across all the
// organisation's apps (not only the page shown), one line per kind of alert
// with links to the apps, and the yearly spend per currency.
//
// The API has no alert list of its own, so the banner reads the alert
// fields of every app, 100 apps per request (a fixed number of SQL
// statements each: the subscriptions and error counts go through
// DataLoaders). A tenant has tens of apps; past MAX_PAGES requests the
// banner says which part it covers rather than read on.

import { gql } from '../api.js';
import { h, replace, messageBox } from '../dom.js';
import { formatMoney, plural } from '../format.js';
import { APP_ALERTS } from '../queries.js';
import { alertSummary } from '../alerts.js';

/** At most this many requests of 100 apps (1,000 apps). */
const MAX_PAGES = 10;

/** Apps linked per banner line; the rest are counted. */
const LINKS_PER_LINE = 5;

/** Fill `container` with the alert banner and the spend summary. */
export async function alertBanner(container, isCurrent) {
  const apps = [];
  let spend = [];
  let after = null;
  let pages = 0;
  let more = false;
  try {
    do {
      const data = await gql(APP_ALERTS, { after, withSpend: pages === 0 });
      if (pages === 0) spend = data.viewer.tenant.spend;
      apps.push(...data.apps.nodes);
      pages += 1;
      more = data.apps.pageInfo.hasNextPage;
      after = data.apps.pageInfo.endCursor;
    } while (more && pages < MAX_PAGES && isCurrent());
  } catch (error) {
    if (!isCurrent()) return;
    replace(container, messageBox('error', 'Could not check the apps for alerts', h('p', {}, error.message)));
    return;
  }
  if (!isCurrent()) return;
  replace(container, banner(alertSummary(apps), more ? apps.length : null), spendSummary(spend));
}

function banner(lines, coveredOnly) {
  if (!lines.length) return null;
  const level = lines.some((line) => line.level === 'danger') ? 'error' : 'warning';
  // A labelled section, not role=alert: it is there on every visit and
  // should not interrupt a screen reader each time.
  return h(
    'section',
    { class: `message message-${level} alert-banner`, id: 'alert-banner', 'aria-labelledby': 'alert-banner-title' },
    h('h2', { class: 'message-title', id: 'alert-banner-title' }, 'Needs attention'),
    h(
      'ul',
      {},
      lines.map((line) =>
        h('li', { dataset: { alert: line.kind } }, h('span', { class: 'alert-text' }, line.text), ' ', appLinks(line.apps)),
      ),
    ),
    coveredOnly ? h('p', { class: 'hint' }, `Checked the first ${coveredOnly} apps by name.`) : null,
  );
}

function appLinks(apps) {
  const shown = apps.slice(0, LINKS_PER_LINE);
  const rest = apps.length - shown.length;
  const links = [];
  shown.forEach((app, index) => {
    if (index > 0) links.push(', ');
    links.push(h('a', { href: `#/apps/${encodeURIComponent(app.id)}` }, app.name));
  });
  if (rest > 0) links.push(` and ${rest} more`);
  return h('span', { class: 'alert-apps' }, links);
}

/** The yearly spend, one line per currency (amounts are never converted). */
function spendSummary(spend) {
  if (!spend.length) return null;
  return h(
    'section',
    { class: 'card spend', id: 'spend-summary', 'aria-labelledby': 'spend-heading' },
    h('h2', { id: 'spend-heading' }, 'Yearly spend'),
    h(
      'ul',
      { class: 'spend-list' },
      spend.map((entry) =>
        h(
          'li',
          { dataset: { currency: entry.currency } },
          h('span', { class: 'spend-amount' }, formatMoney(entry.annualCost, entry.currency)),
          h('span', { class: 'sub' }, `${plural(entry.subscriptions, 'subscription')} · unused seats ${formatMoney(entry.unusedSeatCost, entry.currency)}`),
        ),
      ),
    ),
    h('p', { class: 'hint' }, 'Disabled subscriptions are not counted.'),
  );
}
