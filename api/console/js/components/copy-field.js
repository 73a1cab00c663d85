// A read-only field with a Copy button, for values an admin pastes into
// another system (the SCIM base URL, a token's one-time secret).

import { h } from '../dom.js';

/**
 * @param {object} options
 * @param {string} options.id the input's id
 * @param {string} options.label visible label
 * @param {string} options.value what to copy
 * @param {string} [options.describedBy] id of a hint for the field
 */
export function copyField({ id, label, value, describedBy }) {
  const input = h('input', {
    type: 'text',
    id,
    value,
    readonly: true,
    spellcheck: 'false',
    autocomplete: 'off',
    class: 'mono',
    'aria-describedby': describedBy,
    // One click selects everything, ready for Ctrl+C.
    onfocus: (event) => event.currentTarget.select(),
  });
  const status = h('span', { class: 'hint copy-status', role: 'status', id: `${id}-copied` });
  const button = h(
    'button',
    {
      type: 'button',
      class: 'secondary',
      id: `${id}-copy`,
      'aria-label': `Copy ${label}`,
      onclick: async () => {
        status.textContent = (await copy(input)) ? 'Copied.' : 'Could not copy: select the text and copy it yourself.';
      },
    },
    'Copy',
  );
  return h('div', { class: 'copy-field' }, h('label', { for: id }, label), h('div', { class: 'copy-row' }, input, button), status);
}

/** Copy the input's value; false when the browser allows neither way. */
async function copy(input) {
  try {
    await navigator.clipboard.writeText(input.value);
    return true;
  } catch {
    // Clipboard API refused (no secure context, or no permission): fall
    // back to the selection, which works from a click in every browser.
    input.focus();
    input.select();
    try {
      return document.execCommand('copy');
    } catch {
      return false;
    }
  }
}
