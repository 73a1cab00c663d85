// One titled list on a details page (a user's licenses, a group's
// members): heading with the total, a table, a sentence when it is empty,
// and "Show more" for the next page of the connection.

import { h } from '../dom.js';
import { showMore } from './show-more.js';

/**
 * @param {object} options
 * @param {string} options.id the table's id; the heading is `<id>-heading`
 * @param {string} options.title e.g. "Licenses"
 * @param {Node|string} [options.intro] a hint under the heading
 * @param {string} options.caption the table's caption (for screen readers)
 * @param {Array<{ label: string, num?: boolean }>} options.columns every header cell, row header first
 * @param {string} options.empty shown when the list is empty
 * @param {object} options.connection the first page
 * @param {(node) => HTMLTableRowElement} options.row one row
 * @param {(after: string) => Promise<object>} options.fetchPage the next page
 */
export function listSection({ id, title, intro, caption, columns, empty, connection, row, fetchPage }) {
  const headingId = `${id}-heading`;
  const heading = h('h2', { id: headingId }, `${title} (${connection.totalCount})`);
  if (connection.totalCount === 0) {
    return h('section', { class: 'list-section', 'aria-labelledby': headingId }, heading, h('p', { class: 'empty', id: `${id}-empty` }, empty));
  }
  const body = h('tbody', {});
  const addRows = (nodes) => {
    for (const node of nodes) {
      const tr = row(node);
      if (tr) body.append(tr);
    }
  };
  addRows(connection.nodes);
  return h(
    'section',
    { class: 'list-section', 'aria-labelledby': headingId },
    heading,
    intro ? h('p', { class: 'hint' }, intro) : null,
    h(
      'div',
      { class: 'table-scroll' },
      h(
        'table',
        { class: 'data', id },
        h('caption', { class: 'visually-hidden' }, caption),
        h('thead', {}, h('tr', {}, columns.map((c) => h('th', { scope: 'col', class: c.num ? 'num' : null }, c.label)))),
        body,
      ),
    ),
    showMore({ connection, fetchPage, addRows, id: `${id}-more` }),
  );
}
