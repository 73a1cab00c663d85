// A modal confirmation (a <dialog>: focus stays inside, Escape cancels)
// that runs the action itself, so the dialog shows "Working…" and closes
// only once the server answered. Focus starts on Cancel, the safe choice.

import { h, replace } from '../dom.js';

/**
 * @param {object} options
 * @param {string} options.id the dialog's id (its buttons are `<id>-confirm`, `<id>-cancel`)
 * @param {string} options.title the question, e.g. "Revoke “Entra ID”?"
 * @param {Node|Node[]} options.body what will happen, in words
 * @param {string} options.confirmLabel e.g. "Revoke"
 * @param {string} options.busyText e.g. "Revoking…"
 * @param {() => Promise<any>} options.action what to do; its value resolves
 *   the dialog (a throw becomes `{ error: message }`)
 * @param {HTMLElement} [options.opener] gets the focus back
 * @returns {Promise<any>} null when cancelled, else the action's value
 */
export function confirmDialog({ id, title, body, confirmLabel, busyText, action, opener }) {
  return new Promise((resolve) => {
    let result = null;
    const status = h('div', { id: `${id}-status` });
    const confirm = h('button', { type: 'submit', class: 'danger', id: `${id}-confirm` }, confirmLabel);
    const cancel = h('button', { type: 'button', class: 'secondary', id: `${id}-cancel`, onclick: () => dialog.close() }, 'Cancel');
    const dialog = h(
      'dialog',
      { class: 'confirm', id, 'aria-labelledby': `${id}-title`, 'aria-describedby': `${id}-what` },
      h(
        'form',
        {
          method: 'dialog',
          onsubmit: async (event) => {
            event.preventDefault();
            confirm.disabled = true;
            cancel.disabled = true;
            replace(status, h('p', { role: 'status' }, busyText));
            try {
              result = await action();
            } catch (error) {
              result = { error: error.message };
            }
            dialog.close();
          },
        },
        h('h2', { id: `${id}-title` }, title),
        h('div', { id: `${id}-what` }, body),
        status,
        h('div', { class: 'actions' }, confirm, cancel),
      ),
    );
    dialog.addEventListener('cancel', (event) => {
      // Escape while the action runs would hide its answer.
      if (confirm.disabled) event.preventDefault();
    });
    dialog.addEventListener('close', () => {
      dialog.remove();
      opener?.focus();
      resolve(result);
    });
    document.body.append(dialog);
    dialog.showModal();
    cancel.focus();
  });
}
