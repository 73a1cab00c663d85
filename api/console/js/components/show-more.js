// "Show more" under a list read from a connection: fetches the page after
// the last cursor, hands its nodes to the caller, and says (aria-live) how
// many rows came, so a screen-reader user learns the list grew.

import { h } from '../dom.js';
import { plural } from '../format.js';

/**
 * @param {object} options
 * @param {{ pageInfo: { hasNextPage, endCursor } }} options.connection the page shown
 * @param {(after: string) => Promise<object>} options.fetchPage the next connection page
 * @param {(nodes: Array) => void} options.addRows appends the nodes to the list
 * @param {string} [options.label] the button's text
 * @param {string} [options.id] the button's id
 * @returns {HTMLElement|null} null when there is nothing more
 */
export function showMore({ connection, fetchPage, addRows, label = 'Show more', id }) {
  if (!connection.pageInfo.hasNextPage) return null;
  let cursor = connection.pageInfo.endCursor;
  const status = h('span', { role: 'status', class: 'hint' });
  const button = h(
    'button',
    {
      type: 'button',
      class: 'secondary',
      id,
      onclick: async () => {
        button.disabled = true;
        try {
          const next = await fetchPage(cursor);
          addRows(next.nodes);
          cursor = next.pageInfo.endCursor;
          status.textContent = `${plural(next.nodes.length, 'more row')} shown.`;
          if (next.pageInfo.hasNextPage) button.disabled = false;
          else button.remove();
        } catch (error) {
          button.disabled = false;
          status.textContent = `Could not load more: ${error.message}`;
        }
      },
    },
    label,
  );
  return h('div', { class: 'more' }, button, status);
}
