// Labelled form fields whose errors are shown next to them (and announced:
// the input is aria-invalid and described by its error), and the mapping of
// a mutation's `userErrors` onto them by `field`.

import { h } from '../dom.js';

/**
 * A labelled input with a hint and an error slot.
 * @param {object} options
 * @param {string} options.id the input's id; its error is `<id>-error`
 * @param {string} options.label visible label
 * @param {string} [options.hint] a line under the label
 * @param {object} [options.attributes] the input's other attributes
 * @returns {{ element: HTMLElement, input: HTMLInputElement, setError: (message: string|null) => void }}
 */
export function formField({ id, label, hint, attributes = {} }) {
  const hintId = hint ? `${id}-hint` : null;
  const errorId = `${id}-error`;
  const input = h('input', { type: 'text', id, name: id, autocomplete: 'off', 'aria-describedby': [hintId, errorId].filter(Boolean).join(' '), ...attributes });
  const error = h('p', { class: 'field-error', id: errorId, hidden: true });
  const element = h(
    'div',
    { class: input.type === 'checkbox' ? 'field field-check' : 'field' },
    input.type === 'checkbox' ? [input, h('label', { for: id }, label)] : [h('label', { for: id }, label), input],
    hint ? h('p', { class: 'hint', id: hintId }, hint) : null,
    error,
  );
  return { element, input, setError: (message) => setError(input, error, message) };
}

/** A group of checkboxes (a fieldset) with one error slot. */
export function checkboxGroup({ id, legend, hint, options, checked = [] }) {
  const errorId = `${id}-error`;
  const hintId = hint ? `${id}-hint` : null;
  const boxes = options.map(([value, label, detail]) => {
    const boxId = `${id}-${value.toLowerCase()}`;
    const box = h('input', { type: 'checkbox', id: boxId, name: id, value, checked: checked.includes(value) });
    return { value, box, element: h('div', { class: 'field-check' }, box, h('label', { for: boxId }, label, detail ? h('span', { class: 'sub' }, detail) : null)) };
  });
  const error = h('p', { class: 'field-error', id: errorId, hidden: true });
  const fieldset = h(
    'fieldset',
    { class: 'field checkbox-group', id, 'aria-describedby': [hintId, errorId].filter(Boolean).join(' ') },
    h('legend', {}, legend),
    hint ? h('p', { class: 'hint', id: hintId }, hint) : null,
    boxes.map((b) => b.element),
    error,
  );
  return {
    element: fieldset,
    first: boxes[0]?.box,
    values: () => boxes.filter((b) => b.box.checked).map((b) => b.value),
    setError: (message) => setError(fieldset, error, message),
  };
}

function setError(target, slot, message) {
  slot.textContent = message || '';
  slot.hidden = !message;
  if (message) target.setAttribute('aria-invalid', 'true');
  else target.removeAttribute('aria-invalid');
}

/**
 * Show `userErrors` next to the fields they name (`fields` maps a
 * `field` to something with `setError`); the errors no field claims are
 * returned, for a message of their own.
 */
export function showUserErrors(fields, userErrors) {
  const unclaimed = [];
  for (const error of userErrors) {
    const field = error.field && fields[error.field];
    if (field) field.setError(error.message);
    else unclaimed.push(error);
  }
  return unclaimed;
}
