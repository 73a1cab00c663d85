// The list half of the Users and Groups pages: a search box (debounced, on
// the connection's `search` argument), a table, and "Load more" for the
// next page. The count line is a live region, so a search result or a
// longer list is announced without moving the focus.

import { gql } from '../api.js';
import { h, replace, messageBox, debounce } from '../dom.js';

/**
 * @param {object} context the router's `{ page, isCurrent }`
 * @param {object} config
 * @param {string} config.key ids are `<key>-search`, `<key>-table`, `<key>-count`, `<key>-more`
 * @param {string} config.title the page's heading
 * @param {string} config.intro one sentence under it
 * @param {string} config.searchLabel e.g. "Search users"
 * @param {string} config.placeholder e.g. "Name or email"
 * @param {string} config.query the GraphQL document (variables `after`, `search`)
 * @param {string} config.field the connection's field in `data`
 * @param {string} config.noun e.g. "user" (plural with an s)
 * @param {string} config.caption the table's caption (for screen readers)
 * @param {Array<{ label: string, num?: boolean }>} config.columns header cells after the first
 * @param {string} config.firstColumn the first (row header) column's label
 * @param {(node) => HTMLTableRowElement} config.row one row
 * @param {{ search: string }} config.state survives navigation (same tab)
 */
export async function renderDirectoryList({ page, isCurrent }, config) {
  const { key, state } = config;
  const results = h('div', { id: `${key}-results` });
  const count = h('p', { id: `${key}-count`, class: 'hint', role: 'status' });
  const searchInput = h('input', {
    type: 'search',
    id: `${key}-search`,
    name: 'search',
    value: state.search,
    autocomplete: 'off',
    spellcheck: 'false',
    placeholder: config.placeholder,
  });
  /** Each load gets a number; an older answer arriving late is dropped. */
  let sequence = 0;

  const nouns = (n) => `${n} ${config.noun}${n === 1 ? '' : 's'}`;

  async function load(after = null) {
    const mine = ++sequence;
    results.setAttribute('aria-busy', 'true');
    let connection;
    try {
      connection = (await gql(config.query, { after, search: state.search || null }))[config.field];
    } catch (error) {
      if (!isCurrent() || mine !== sequence) return null;
      results.removeAttribute('aria-busy');
      replace(results, messageBox('error', `Could not load the ${config.noun}s`, h('p', {}, error.message), h('button', { type: 'button', class: 'secondary', onclick: () => load() }, 'Try again')));
      return null;
    }
    if (!isCurrent() || mine !== sequence) return null;
    results.removeAttribute('aria-busy');
    return connection;
  }

  async function firstPage() {
    const connection = await load();
    if (!connection) return;
    if (connection.totalCount === 0) {
      count.textContent = `No ${config.noun}s found.`;
      replace(results, h('p', { class: 'empty' }, state.search ? `No ${config.noun} matches “${state.search}”.` : `Your organisation has no ${config.noun}s yet.`));
      return;
    }
    const body = h('tbody', {});
    const table = h(
      'table',
      { class: 'data', id: `${key}-table` },
      h('caption', { class: 'visually-hidden' }, config.caption),
      h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, config.firstColumn), config.columns.map((c) => h('th', { scope: 'col', class: c.num ? 'num' : null }, c.label)))),
      body,
    );
    let shown = 0;
    const more = h('button', { type: 'button', class: 'secondary', id: `${key}-more` }, 'Load more');
    const show = (page) => {
      for (const node of page.nodes) body.append(config.row(node));
      shown += page.nodes.length;
      count.textContent = `Showing ${shown} of ${nouns(page.totalCount)}`;
      more.hidden = !page.pageInfo.hasNextPage;
      more.dataset.after = page.pageInfo.endCursor || '';
    };
    more.addEventListener('click', async () => {
      more.disabled = true;
      const next = await load(more.dataset.after);
      more.disabled = false;
      if (!next) return;
      const firstNew = body.rows.length;
      show(next);
      // Keep the keyboard where the new rows start once the button goes.
      if (more.hidden) body.rows[firstNew]?.querySelector('a')?.focus();
    });
    show(connection);
    replace(results, h('div', { class: 'table-scroll' }, table), h('div', { class: 'more' }, more));
  }

  const search = debounce(() => {
    state.search = searchInput.value.trim();
    firstPage();
  }, 300);
  searchInput.addEventListener('input', search);

  replace(
    page,
    h('div', { class: 'page-head' }, h('h1', {}, config.title), h('p', { class: 'hint' }, config.intro)),
    h(
      'form',
      {
        role: 'search',
        class: 'toolbar',
        onsubmit: (event) => {
          event.preventDefault();
          search.cancel();
          state.search = searchInput.value.trim();
          firstPage();
        },
      },
      h('label', { for: `${key}-search` }, config.searchLabel),
      searchInput,
    ),
    count,
    results,
  );
  replace(results, h('p', { class: 'loading', role: 'status' }, `Loading ${config.noun}s…`));
  await firstPage();
}
