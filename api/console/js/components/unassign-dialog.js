// Flow 4: confirm before unassigning, in words that say what will happen.
// Resolves to null (cancelled), { app } (done) or { error } (nothing done).

import { gql, userErrorText } from '../api.js';
import { h, replace, messageBox } from '../dom.js';
import { plural } from '../format.js';
import { UNASSIGN } from '../queries.js';

export function confirmUnassign(app, chosen, opener) {
  return new Promise((resolve) => {
    const users = chosen.filter((c) => c.kind === 'user');
    const groups = chosen.filter((c) => c.kind === 'group');
    const who = [users.length ? plural(users.length, 'user') : null, groups.length ? plural(groups.length, 'group') : null].filter(Boolean).join(' and ');
    const status = h('div', { id: 'unassign-status' });
    const confirm = h('button', { type: 'submit', class: 'danger', id: 'unassign-confirm' }, 'Unassign');
    const cancel = h('button', { type: 'button', class: 'secondary', id: 'unassign-cancel', onclick: () => dialog.close() }, 'Cancel');
    let result = null;

    const dialog = h(
      'dialog',
      { class: 'confirm', id: 'unassign-dialog', 'aria-labelledby': 'unassign-title', 'aria-describedby': 'unassign-what' },
      h(
        'form',
        {
          method: 'dialog',
          onsubmit: async (event) => {
            event.preventDefault();
            confirm.disabled = true;
            cancel.disabled = true;
            replace(status, h('p', { role: 'status' }, 'Unassigning…'));
            try {
              const payload = (await gql(UNASSIGN, { input: { appId: app.id, principalIds: chosen.map((c) => c.id) } })).unassignLicenses;
              result = payload.userErrors.length ? { error: `${userErrorText(payload.userErrors)} Nothing was changed.` } : { app: payload.app };
            } catch (error) {
              result = { error: `${error.message} Nothing was changed.` };
            }
            dialog.close();
          },
        },
        h('h2', { id: 'unassign-title' }, `Unassign ${app.name}?`),
        h(
          'div',
          { id: 'unassign-what' },
          h('p', {}, `${app.name} will be unassigned from ${who}:`),
          h('ul', {}, chosen.map((c) => h('li', {}, c.kind === 'group' ? `${c.name} (group)` : c.name))),
          h(
            'p',
            {},
            groups.length
              ? 'Members of these groups lose the app unless they also hold it directly or through another group. '
              : '',
            'Users who lose the app can no longer use it. Their seats return to the pool and go first to users waiting for a seat.',
          ),
        ),
        status,
        h('div', { class: 'actions' }, confirm, cancel),
      ),
    );
    dialog.addEventListener('close', () => {
      dialog.remove();
      opener?.focus();
      resolve(result);
    });
    // When the dialog is showing, a user can still cancel with Escape.
    document.body.append(dialog);
    dialog.showModal();
    cancel.focus();
    if (!chosen.length) replace(status, messageBox('error', null, h('p', {}, 'Choose users or groups first.')));
  });
}
