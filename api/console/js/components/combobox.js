// A typeahead following the WAI-ARIA combobox pattern (list autocomplete):
// the input keeps focus, ArrowUp/ArrowDown move the active option
// (aria-activedescendant), Enter picks it, Escape closes the list (and a
// second Escape is left to the surrounding dialog).

import { h, replace, debounce, uid } from '../dom.js';

/**
 * @param {object} options
 * @param {string} options.label visible label
 * @param {(text: string, signal: AbortSignal) => Promise<Array<{id, label, detail}>>} options.search
 * @param {(option) => void} options.onPick
 * @param {(option) => boolean} [options.isPicked] shown as already chosen
 * @param {number} [options.delay] debounce in milliseconds
 */
export function combobox({ label, search, onPick, isPicked = () => false, delay = 250, id = uid('combo') }) {
  const listId = `${id}-list`;
  const statusId = `${id}-status`;
  const input = h('input', {
    id,
    type: 'text',
    role: 'combobox',
    autocomplete: 'off',
    spellcheck: 'false',
    'aria-autocomplete': 'list',
    'aria-expanded': 'false',
    'aria-controls': listId,
    'aria-describedby': statusId,
  });
  const list = h('ul', { id: listId, role: 'listbox', class: 'listbox', 'aria-label': `${label} results`, hidden: true });
  const status = h('p', { id: statusId, class: 'hint combo-status', 'aria-live': 'polite' });
  let options = [];
  let active = -1;
  let controller = null;
  let sequence = 0;
  /** The text the shown options answer; keys act on them only while the
   * field still holds it, never on an earlier keystroke's results. */
  let answered = '';
  /** Set when Escape closed the list, so the dialog does not close too. */
  let swallowedEscape = false;

  function open(show) {
    list.hidden = !show;
    input.setAttribute('aria-expanded', String(show));
    if (!show) setActive(-1);
  }

  function setActive(index) {
    active = index;
    [...list.children].forEach((item, i) => item.setAttribute('aria-selected', String(i === index)));
    if (index >= 0 && list.children[index]) {
      input.setAttribute('aria-activedescendant', list.children[index].id);
      list.children[index].scrollIntoView({ block: 'nearest' });
    } else {
      input.removeAttribute('aria-activedescendant');
    }
  }

  function render() {
    replace(
      list,
      options.map((option, index) =>
        h(
          'li',
          {
            id: `${id}-option-${index}`,
            role: 'option',
            class: 'option',
            'aria-selected': 'false',
            'aria-disabled': isPicked(option) ? 'true' : false,
            dataset: { name: option.label },
            // mousedown, not click: keeps the focus in the input.
            onmousedown: (event) => {
              event.preventDefault();
              pick(index);
            },
          },
          h('span', { class: 'option-label' }, option.label),
          h('span', { class: 'option-detail' }, isPicked(option) ? `${option.detail} · already chosen` : option.detail),
        ),
      ),
    );
    open(options.length > 0);
  }

  function pick(index) {
    const option = options[index];
    if (!option || isPicked(option)) return;
    onPick(option);
    input.value = '';
    options = [];
    answered = '';
    render();
    status.textContent = `${option.label} added.`;
    input.focus();
  }

  const run = debounce(async (text) => {
    controller?.abort();
    controller = new AbortController();
    const mine = ++sequence;
    status.textContent = 'Searching…';
    try {
      const found = await search(text, controller.signal);
      if (mine !== sequence) return; // a later search answered already
      options = found;
      answered = text;
      render();
      // The status names the text it answers, so a reader (or a screen
      // reader) never mistakes the results of an earlier keystroke for
      // those of what the field now holds.
      status.textContent = found.length
        ? `${found.length} result${found.length === 1 ? '' : 's'} for “${text}”. Use the up and down arrows to choose, Enter to add.`
        : `No user or group matches “${text}”.`;
    } catch (error) {
      if (error.name === 'AbortError' || mine !== sequence) return;
      options = [];
      answered = '';
      render();
      status.textContent = `Search failed: ${error.message}`;
    }
  }, delay);

  input.addEventListener('input', () => {
    const text = input.value.trim();
    if (!text) {
      run.cancel();
      controller?.abort();
      sequence += 1;
      options = [];
      answered = '';
      render();
      status.textContent = '';
      return;
    }
    run(text);
  });

  input.addEventListener('keydown', (event) => {
    swallowedEscape = false;
    // Until the search for what the field holds has answered, the options
    // belong to other text: moving through or picking them would choose
    // someone the admin did not type.
    const current = input.value.trim() === answered;
    if (event.key === 'ArrowDown' || event.key === 'ArrowUp') {
      if (!options.length || !current) return;
      event.preventDefault();
      if (list.hidden) open(true);
      const step = event.key === 'ArrowDown' ? 1 : -1;
      setActive((active + step + options.length) % options.length);
    } else if (event.key === 'Enter') {
      // Enter never submits the surrounding form from here.
      event.preventDefault();
      if (!current) return;
      if (active >= 0) pick(active);
      else if (options.length === 1) pick(0);
    } else if (event.key === 'Escape') {
      if (!list.hidden || input.value) {
        event.preventDefault();
        event.stopPropagation();
        swallowedEscape = true;
        if (list.hidden) input.value = '';
        open(false);
      }
    }
  });

  input.addEventListener('blur', () => open(false));

  const element = h('div', { class: 'combobox' }, h('label', { for: id }, label), h('div', { class: 'combobox-field' }, input, list), status);
  return {
    element,
    input,
    /** True once, right after Escape closed the list (read by the dialog). */
    takeSwallowedEscape() {
      const was = swallowedEscape;
      swallowedEscape = false;
      return was;
    },
    refresh: render,
  };
}
