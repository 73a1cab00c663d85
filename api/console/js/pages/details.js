// Page 2, "License details" of one app: seats, the subscription (terms,
// state, costs; a warning when it expired or is disabled), who holds the
// license (users with how they hold it, and groups), license errors,
// recent seat changes, the vendor's contact, and its usage (idle seats,
// reclaim). Actions open the assign panel (3), the unassign dialog (4),
// the seat-change dialog (5), install the product (6) or edit the
// subscription.

import { gql } from '../api.js';
import { h, replace, messageBox, announce } from '../dom.js';
import { badge, formatDate, howHeld, plural, safeLink, seatHealth, statusBadge } from '../format.js';
import { APP_DETAILS, appListPage } from '../queries.js';
import { session } from '../session.js';
import { openAssignPanel } from '../components/assign-panel.js';
import { confirmUnassign } from '../components/unassign-dialog.js';
import { openSeatChange, contactDetails } from '../components/seat-change.js';
import { installProduct } from '../components/install.js';
import { subscriptionCard, subscriptionWarning } from '../components/subscription-card.js';
import { openSubscriptionPanel } from '../components/subscription-panel.js';
import { usagePanel } from '../components/usage-panel.js';

export async function renderDetails({ page, isCurrent }, appId) {
  replace(page, h('p', { class: 'loading', role: 'status' }, 'Loading license details…'));
  let app;
  try {
    app = await loadApp(appId);
  } catch (error) {
    if (!isCurrent()) return;
    replace(page, breadcrumb(null), h('h1', {}, 'License details'), messageBox('error', 'Could not load this app', h('p', {}, error.message)));
    return;
  }
  if (!isCurrent()) return;
  if (!app) {
    replace(page, breadcrumb(null), h('h1', {}, 'App not found'), messageBox('error', null, h('p', {}, 'No app with this id exists in your organisation.')));
    return;
  }
  const view = new DetailsView(page, app, isCurrent);
  view.render();
}

/** Load an app with everything this page shows; `null` when it does not exist. */
async function loadApp(appId) {
  return (await gql(APP_DETAILS, { id: appId })).app;
}

function breadcrumb(app) {
  return h(
    'nav',
    { 'aria-label': 'Breadcrumb', class: 'breadcrumb' },
    h('ol', {}, h('li', {}, h('a', { href: '#/apps' }, 'Licenses')), app ? h('li', {}, h('span', { 'aria-current': 'page' }, app.name)) : null),
  );
}

class DetailsView {
  constructor(page, app, isCurrent) {
    this.page = page;
    this.app = app;
    this.isCurrent = isCurrent;
    /** principal id -> { id, name, kind } chosen for unassigning. */
    this.selected = new Map();
    this.outcome = h('div', { id: 'details-outcome' });
    this.activeTab = 'users';
  }

  async reload(outcome) {
    let app;
    try {
      app = await loadApp(this.app.id);
    } catch (error) {
      replace(this.outcome, messageBox('error', 'Could not reload the app', h('p', {}, error.message)));
      return;
    }
    if (!this.isCurrent() || !app) return;
    this.app = app;
    this.selected.clear();
    this.render();
    if (outcome) replace(this.outcome, outcome);
  }

  render() {
    const { app } = this;
    const can = session.can;
    const health = seatHealth(app);

    const actions = [];
    if (can.assign) {
      actions.push(
        h('button', { type: 'button', class: 'primary', id: 'assign-open', onclick: (e) => this.openAssign(e.currentTarget) }, '+ Assign licenses'),
        (this.unassignButton = h('button', { type: 'button', class: 'secondary', id: 'unassign-open', disabled: true, onclick: (e) => this.unassign(e.currentTarget) }, 'Unassign licenses')),
      );
    }
    if (can.changeSeats) {
      actions.push(h('button', { type: 'button', class: 'secondary', id: 'seats-open', onclick: (e) => this.changeSeats(e.currentTarget) }, 'Add or remove licenses'));
    }
    let installNote = null;
    if (app.canInstall && can.install) {
      actions.push(h('button', { type: 'button', class: 'secondary', id: 'install', onclick: (e) => installProduct(app, e.currentTarget, this.outcome) }, 'Install this product'));
    } else if (!app.canInstall) {
      installNote = h('p', { class: 'hint', id: 'install-unavailable' }, `Install this product: not available. ${app.installUnavailableReason || 'The vendor offers no installation through Seatwise.'}`);
    } else {
      installNote = h('p', { class: 'hint', id: 'install-unavailable' }, 'Install this product: only a Global admin can install products.');
    }

    replace(
      this.page,
      breadcrumb(app),
      h(
        'div',
        { class: 'page-head' },
        h('h1', { id: 'app-title', tabindex: '-1' }, app.name),
        h('p', { class: 'hint' }, app.description || ''),
        h('p', {}, badge(health.level, health.label)),
      ),
      subscriptionWarning(app),
      h(
        'div',
        { class: 'details-grid' },
        h(
          'section',
          { class: 'card seats', 'aria-labelledby': 'seats-heading' },
          h('h2', { id: 'seats-heading' }, 'Seats'),
          h(
            'dl',
            { class: 'seat-counts' },
            seatCount('Purchased', app.seats.purchased, 'seat-purchased'),
            seatCount('Assigned', app.seats.assigned, 'seat-assigned'),
            seatCount('Available', app.seats.available, 'seat-available'),
          ),
          app.licenseErrorCount > 0
            ? messageBox(
                'warning',
                `${plural(app.licenseErrorCount, 'user')} without a seat`,
                h('p', {}, 'They should hold this license through a group, but no seat was free. Add licenses or unassign someone; waiting users get freed seats automatically.'),
              )
            : null,
        ),
        this.vendorCard(),
      ),
      subscriptionCard(app, can.manageSubscriptions ? (opener) => this.editSubscription(opener) : null),
      actions.length ? h('div', { class: 'actions toolbar', role: 'group', 'aria-label': 'License actions' }, actions) : null,
      installNote,
      this.outcome,
      this.tabs(),
    );
  }

  vendorCard() {
    const { app } = this;
    const adapter = app.adapter;
    return h(
      'section',
      { class: 'card vendor', 'aria-labelledby': 'vendor-heading' },
      h('h2', { id: 'vendor-heading' }, 'Vendor'),
      h(
        'dl',
        { class: 'facts' },
        h('dt', {}, 'Name'),
        h('dd', { id: 'vendor-name' }, app.vendor.name),
        h('dt', {}, 'Website'),
        h('dd', {}, safeLink(app.vendor.website)),
        h('dt', {}, 'Support'),
        h('dd', {}, h('a', { href: `mailto:${app.vendor.supportEmail}` }, app.vendor.supportEmail)),
        adapter ? [h('dt', {}, 'Seats managed by'), h('dd', {}, adapterWords(adapter))] : null,
      ),
    );
  }

  tabs() {
    const { app } = this;
    const users = app.licensedUsers;
    const groupAssignments = app.assignments.nodes.filter((a) => a.principal.__typename === 'Group');
    const tabs = [
      ['users', `Users (${users.totalCount})`, () => this.usersPanel()],
      ['groups', `Groups (${groupAssignments.length}${app.assignments.pageInfo.hasNextPage ? '+' : ''})`, () => this.groupsPanel(groupAssignments)],
      ['errors', `License errors (${app.licenseErrors.totalCount})`, () => this.errorsPanel()],
    ];
    if (app.seatChangeOperations) {
      tabs.push(['changes', 'Seat changes', () => this.changesPanel()]);
    }
    tabs.push(['usage', 'Usage', () => usagePanel(app, { onReclaimed: (outcome) => this.reload(outcome) })]);
    const tablist = h('div', { role: 'tablist', 'aria-label': 'Who holds this license', class: 'tabs' });
    const panels = h('div', {});
    const buttons = [];
    const select = (key, focus) => {
      this.activeTab = key;
      for (const button of buttons) {
        const on = button.dataset.tab === key;
        button.setAttribute('aria-selected', String(on));
        button.tabIndex = on ? 0 : -1;
        if (on && focus) button.focus();
      }
      for (const panel of panels.children) panel.hidden = panel.dataset.tab !== key;
    };
    for (const [key, label, build] of tabs) {
      const tabId = `tab-${key}`;
      const panelId = `panel-${key}`;
      const button = h('button', { type: 'button', role: 'tab', id: tabId, 'aria-controls': panelId, dataset: { tab: key }, onclick: () => select(key, false) }, label);
      button.addEventListener('keydown', (event) => {
        const index = buttons.indexOf(button);
        let next = null;
        if (event.key === 'ArrowRight') next = (index + 1) % buttons.length;
        else if (event.key === 'ArrowLeft') next = (index - 1 + buttons.length) % buttons.length;
        else if (event.key === 'Home') next = 0;
        else if (event.key === 'End') next = buttons.length - 1;
        if (next === null) return;
        event.preventDefault();
        select(buttons[next].dataset.tab, true);
      });
      buttons.push(button);
      tablist.append(button);
      panels.append(h('div', { role: 'tabpanel', id: panelId, 'aria-labelledby': tabId, tabindex: 0, dataset: { tab: key } }, build()));
    }
    select(tabs.some(([key]) => key === this.activeTab) ? this.activeTab : 'users', false);
    return h('section', { class: 'holders', 'aria-label': 'License holders' }, tablist, panels);
  }

  selectionBox(principal, name, kind) {
    if (!session.can.assign) return null;
    const box = h('input', {
      type: 'checkbox',
      'aria-label': `Select ${name}`,
      checked: this.selected.has(principal.id),
      dataset: { principal: principal.id },
      onchange: (event) => {
        if (event.currentTarget.checked) this.selected.set(principal.id, { id: principal.id, name, kind });
        else this.selected.delete(principal.id);
        // The same principal may appear in two tabs; keep the boxes in step.
        for (const other of this.page.querySelectorAll(`input[type=checkbox][data-principal="${CSS.escape(principal.id)}"]`)) {
          other.checked = event.currentTarget.checked;
        }
        this.updateUnassign();
      },
    });
    return box;
  }

  updateUnassign() {
    if (!this.unassignButton) return;
    const count = this.selected.size;
    this.unassignButton.disabled = count === 0;
    this.unassignButton.textContent = count ? `Unassign licenses (${count})` : 'Unassign licenses';
  }

  usersPanel() {
    const connection = this.app.licensedUsers;
    const rows = h('tbody', {});
    const addRows = (nodes) => {
      for (const entry of nodes) {
        const user = entry.user;
        if (!user) continue;
        const direct = entry.assignedDirectly;
        const select = direct
          ? this.selectionBox(user, user.displayName, 'user')
          : session.can.assign
            ? h('span', { class: 'hint', title: 'Inherited: unassign the group instead' }, h('span', { class: 'visually-hidden' }, `${user.displayName} inherits the license from a group; unassign the group instead`), '—')
            : null;
        rows.append(
          h(
            'tr',
            { dataset: { user: user.displayName } },
            session.can.assign ? h('td', { class: 'select' }, select) : null,
            h('th', { scope: 'row' }, user.displayName, h('span', { class: 'sub' }, user.email)),
            h('td', { 'data-label': 'Assignment' }, howHeld(entry)),
            h('td', { 'data-label': 'State' }, entry.state === 'ACTIVE' ? badge('ok', 'Active') : badge('danger', 'No seat free')),
            h('td', { 'data-label': 'Since' }, formatDate(entry.since)),
          ),
        );
      }
    };
    addRows(connection.nodes);
    if (connection.totalCount === 0) return h('p', { class: 'empty' }, 'No user holds this license yet.');
    return h(
      'div',
      {},
      h(
        'div',
        { class: 'table-scroll' },
        h(
          'table',
          { class: 'data', id: 'users-table' },
          h('caption', { class: 'visually-hidden' }, `Users who hold ${this.app.name}`),
          h('thead', {}, h('tr', {}, session.can.assign ? h('th', { scope: 'col', class: 'select' }, h('span', { class: 'visually-hidden' }, 'Select')) : null, h('th', { scope: 'col' }, 'User'), h('th', { scope: 'col' }, 'Assignment'), h('th', { scope: 'col' }, 'State'), h('th', { scope: 'col' }, 'Since'))),
          rows,
        ),
      ),
      this.moreButton('licensedUsers', connection, addRows),
    );
  }

  groupsPanel(assignments) {
    const rows = h('tbody', {});
    const addRows = (nodes) => {
      for (const assignment of nodes) {
        const group = assignment.principal;
        if (group.__typename !== 'Group') continue;
        rows.append(
          h(
            'tr',
            { dataset: { group: group.displayName } },
            session.can.assign ? h('td', { class: 'select' }, this.selectionBox(group, group.displayName, 'group')) : null,
            h('th', { scope: 'row' }, group.displayName),
            h('td', { class: 'num', 'data-label': 'Members' }, String(group.memberCount)),
            h('td', { 'data-label': 'Assigned' }, formatDate(assignment.assignedAt)),
            h('td', { 'data-label': 'By' }, assignment.assignedBy),
          ),
        );
      }
    };
    addRows(assignments);
    const more = this.moreButton('assignments', this.app.assignments, addRows);
    if (assignments.length === 0 && !more) return h('p', { class: 'empty' }, 'No group is assigned this license.');
    return h(
      'div',
      {},
      h(
        'div',
        { class: 'table-scroll' },
        h(
          'table',
          { class: 'data', id: 'groups-table' },
          h('caption', { class: 'visually-hidden' }, `Groups assigned ${this.app.name}`),
          h('thead', {}, h('tr', {}, session.can.assign ? h('th', { scope: 'col', class: 'select' }, h('span', { class: 'visually-hidden' }, 'Select')) : null, h('th', { scope: 'col' }, 'Group'), h('th', { scope: 'col', class: 'num' }, 'Members'), h('th', { scope: 'col' }, 'Assigned'), h('th', { scope: 'col' }, 'By'))),
          rows,
        ),
      ),
      more,
    );
  }

  errorsPanel() {
    const connection = this.app.licenseErrors;
    if (connection.totalCount === 0) return h('p', { class: 'empty' }, 'No license errors: every user who should hold this license has a seat.');
    const rows = h('tbody', {});
    const addRows = (nodes) => {
      for (const entry of nodes) {
        if (!entry.user) continue;
        rows.append(
          h(
            'tr',
            {},
            h('th', { scope: 'row' }, entry.user.displayName, h('span', { class: 'sub' }, entry.user.email)),
            h('td', { 'data-label': 'Error' }, entry.errorCode === 'COUNT_VIOLATION' ? 'Not enough seats (count violation)' : entry.errorCode || '—'),
            h('td', { 'data-label': 'Through' }, howHeld(entry)),
            h('td', { 'data-label': 'Since' }, formatDate(entry.since)),
          ),
        );
      }
    };
    addRows(connection.nodes);
    return h(
      'div',
      {},
      h('p', { class: 'hint' }, 'These users gained the license through a group when no seat was free. They get a seat as soon as one is freed or bought.'),
      h(
        'div',
        { class: 'table-scroll' },
        h('table', { class: 'data', id: 'errors-table' }, h('caption', { class: 'visually-hidden' }, 'License errors'), h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'User'), h('th', { scope: 'col' }, 'Error'), h('th', { scope: 'col' }, 'Through'), h('th', { scope: 'col' }, 'Since'))), rows),
      ),
      this.moreButton('licenseErrors', connection, addRows),
    );
  }

  changesPanel() {
    const operations = this.app.seatChangeOperations?.nodes || [];
    if (operations.length === 0) return h('p', { class: 'empty' }, 'No seat changes were requested for this app yet.');
    return h(
      'ul',
      { class: 'operations', id: 'operations' },
      operations.map((op) =>
        h(
          'li',
          { class: 'card' },
          h('p', {}, statusBadge(op.status), ` ${op.previousQuantity} → ${op.requestedQuantity} seats · requested ${formatDate(op.createdAt)}, updated ${formatDate(op.updatedAt)}`),
          op.message ? h('p', {}, op.message) : null,
          op.vendorReference ? h('p', { class: 'hint' }, `Vendor reference: ${op.vendorReference}`) : null,
          op.status === 'CONTACT_VENDOR' ? contactDetails(op.contact, this.app, op.message) : null,
        ),
      ),
    );
  }

  /** A "Show more" button that appends the next page of a connection. */
  moreButton(field, connection, addRows) {
    if (!connection.pageInfo.hasNextPage) return null;
    let cursor = connection.pageInfo.endCursor;
    const status = h('span', { role: 'status', class: 'hint' });
    const button = h('button', {
      type: 'button',
      class: 'secondary',
      onclick: async () => {
        button.disabled = true;
        try {
          const data = await gql(appListPage(field), { id: this.app.id, after: cursor });
          const next = data.app[field];
          if (field === 'assignments') addRows(next.nodes.filter((a) => a.principal.__typename === 'Group'));
          else addRows(next.nodes);
          cursor = next.pageInfo.endCursor;
          status.textContent = `${plural(next.nodes.length, 'more row')} shown.`;
          if (!next.pageInfo.hasNextPage) button.remove();
          else button.disabled = false;
        } catch (error) {
          button.disabled = false;
          status.textContent = `Could not load more: ${error.message}`;
        }
      },
    }, 'Show more');
    return h('div', { class: 'more' }, button, status);
  }

  openAssign(opener) {
    openAssignPanel(this.app, {
      opener,
      // The page is drawn anew; put the focus back on its Assign button.
      onChanged: () => this.reload().then(() => document.getElementById('assign-open')?.focus()),
    });
  }

  async unassign(opener) {
    const chosen = [...this.selected.values()];
    if (!chosen.length) return;
    const result = await confirmUnassign(this.app, chosen, opener);
    if (!result) return;
    if (result.error) {
      replace(this.outcome, messageBox('error', 'Nothing was unassigned', h('p', {}, result.error)));
      this.outcome.querySelector('[role=alert]')?.focus?.();
      return;
    }
    const seats = result.app.seats;
    const outcome = messageBox(
      'success',
      `Unassigned ${this.app.name} from ${names(chosen)}.`,
      h('p', {}, `${plural(seats.available, 'seat')} available now (${seats.assigned} of ${seats.purchased} assigned). Users who hold it through another group keep it.`),
    );
    await this.reload(outcome);
    announce(`Licenses unassigned. ${plural(seats.available, 'seat')} available.`);
    document.getElementById('app-title')?.focus();
  }

  editSubscription(opener) {
    openSubscriptionPanel(this.app, {
      opener,
      onSaved: async () => {
        await this.reload(messageBox('success', `Subscription of ${this.app.name} saved.`, h('p', {}, 'The renewal date, state and costs below use the new terms.')));
        document.getElementById('subscription-edit')?.focus();
      },
    });
  }

  changeSeats(opener) {
    openSeatChange(this.app, { opener, onFinished: () => this.reload() });
  }
}

function names(chosen) {
  const list = chosen.map((c) => c.name);
  return list.length <= 3 ? list.join(', ') : `${list.slice(0, 3).join(', ')} and ${list.length - 3} more`;
}

function seatCount(label, value, id) {
  return h('div', { class: 'seat-count' }, h('dt', {}, label), h('dd', { id }, String(value)));
}

function adapterWords(adapter) {
  const name = adapter.displayName || adapter.key;
  const changes = adapter.seatChanges;
  if (changes === false || changes === 'NONE' || changes === 'CONTACT_VENDOR') return `${name} (seat changes are arranged with the vendor)`;
  if (changes === true) return `${name} (seat changes through Seatwise)`;
  return changes ? `${name} (${String(changes).toLowerCase().replaceAll('_', ' ')})` : name;
}
