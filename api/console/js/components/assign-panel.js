// Flow 3, "Assign licenses": a side panel (a modal <dialog>, so focus stays
// inside and the page behind is inert) with a typeahead over
// searchPrincipals. Admins collect several users and groups, press Assign,
// and read the outcome before they Close.

import { gql, userErrorText } from '../api.js';
import { h, replace, messageBox, announce } from '../dom.js';
import { plural } from '../format.js';
import { ASSIGN, SEARCH_PRINCIPALS } from '../queries.js';
import { combobox } from './combobox.js';

export function openAssignPanel(app, { opener, onChanged }) {
  const chosen = new Map();
  let changed = false;
  let busy = false;

  const dialog = h('dialog', { class: 'side-panel', id: 'assign-panel', 'aria-labelledby': 'assign-title' });
  const outcome = h('div', { id: 'assign-outcome' });
  const chosenList = h('ul', { class: 'chosen', id: 'assign-chosen', 'aria-label': 'Chosen users and groups' });
  const chosenHeading = h('h3', { id: 'assign-chosen-heading' });
  const seatsLine = h('p', { class: 'hint', id: 'assign-seats' });
  const assignButton = h('button', { type: 'submit', class: 'primary', id: 'assign-submit' }, 'Assign');
  const closeButton = h('button', { type: 'button', class: 'secondary', id: 'assign-close', onclick: () => close() }, 'Close');

  const combo = combobox({
    label: 'Search users and groups',
    id: 'assign-search',
    search: async (text, signal) => {
      const data = await gql(SEARCH_PRINCIPALS, { query: text }, { signal });
      return data.searchPrincipals.map((p) => ({
        id: p.id,
        kind: p.__typename === 'Group' ? 'group' : 'user',
        label: p.displayName,
        detail: p.__typename === 'Group' ? `Group · ${plural(p.memberCount, 'member')}` : p.email,
      }));
    },
    isPicked: (option) => chosen.has(option.id),
    onPick: (option) => {
      chosen.set(option.id, option);
      replace(outcome);
      renderChosen();
    },
  });

  function renderSeats() {
    seatsLine.textContent = `${app.name}: ${plural(app.seats.available, 'seat')} available of ${app.seats.purchased}.`;
  }

  function renderChosen() {
    chosenHeading.textContent = chosen.size ? `Chosen (${chosen.size})` : 'Nobody chosen yet';
    replace(
      chosenList,
      [...chosen.values()].map((option) =>
        h(
          'li',
          { dataset: { name: option.label } },
          h('span', {}, option.label, h('span', { class: 'sub' }, option.detail)),
          h(
            'button',
            {
              type: 'button',
              class: 'link',
              'aria-label': `Remove ${option.label}`,
              onclick: () => {
                chosen.delete(option.id);
                renderChosen();
                combo.refresh();
                combo.input.focus();
              },
            },
            'Remove',
          ),
        ),
      ),
    );
    assignButton.disabled = chosen.size === 0 || busy;
  }

  async function submit(event) {
    event.preventDefault();
    if (!chosen.size || busy) return;
    busy = true;
    assignButton.disabled = true;
    replace(outcome, h('p', { role: 'status' }, 'Assigning…'));
    const picked = [...chosen.values()];
    let payload;
    try {
      payload = (await gql(ASSIGN, { input: { appId: app.id, principalIds: picked.map((p) => p.id) } })).assignLicenses;
    } catch (error) {
      busy = false;
      renderChosen();
      replace(outcome, messageBox('error', 'Nothing was assigned', h('p', {}, error.message)));
      return;
    }
    busy = false;
    const errors = payload.userErrors || [];
    if (errors.length) {
      const seats = errors.find((e) => e.code === 'NOT_ENOUGH_SEATS');
      const body = seats
        ? [
            h('p', {}, `This would need ${plural(seats.needed ?? 0, 'seat')}, but only ${plural(seats.available ?? app.seats.available, 'seat is', 'seats are')} available.`),
            h('p', {}, 'Nothing was changed. Remove some users or groups, or add licenses first.'),
          ]
        : [h('p', {}, userErrorText(errors)), h('p', {}, 'Nothing was changed.')];
      replace(outcome, messageBox('error', seats ? 'Not enough seats' : 'Nothing was assigned', ...body));
      renderChosen();
      return;
    }
    changed = true;
    app.seats = payload.app.seats;
    renderSeats();
    const newly = payload.assignments.length;
    const already = picked.length - newly;
    replace(
      outcome,
      messageBox(
        'success',
        `Assigned ${app.name} to ${picked.map((p) => p.label).join(', ')}.`,
        h('p', {}, `${plural(app.seats.available, 'seat')} available now (${app.seats.assigned} of ${app.seats.purchased} assigned).`),
        already > 0 ? h('p', {}, `${plural(already, 'of them', 'of them')} already had it; nothing changed for ${already === 1 ? 'that one' : 'those'}.`) : null,
      ),
    );
    announce(`Licenses assigned. ${plural(app.seats.available, 'seat')} available.`);
    chosen.clear();
    renderChosen();
    closeButton.focus();
  }

  function close() {
    dialog.close();
  }

  dialog.addEventListener('cancel', (event) => {
    // Escape that only closed the typeahead's list keeps the panel open.
    if (combo.takeSwallowedEscape()) event.preventDefault();
  });
  dialog.addEventListener('close', () => {
    dialog.remove();
    opener?.focus();
    if (changed) onChanged();
  });

  dialog.append(
    h(
      'form',
      { method: 'dialog', onsubmit: submit, class: 'panel-form' },
      h('header', { class: 'panel-head' }, h('h2', { id: 'assign-title' }, 'Assign licenses'), h('p', { class: 'hint' }, `Give ${app.name} to users and groups. Everyone in a group gets it; each user takes one seat.`)),
      h('div', { class: 'panel-body' }, seatsLine, combo.element, h('section', { 'aria-labelledby': 'assign-chosen-heading' }, chosenHeading, chosenList), outcome),
      h('footer', { class: 'panel-foot actions' }, assignButton, closeButton),
    ),
  );
  renderSeats();
  renderChosen();
  document.body.append(dialog);
  dialog.showModal();
  combo.input.focus();
}
