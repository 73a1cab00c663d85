// "Users": everyone in the organisation, with whether they may sign in and
// where they came from (manual, SCIM, CSV); search by name or email, and
// open one for their licenses and groups.

import { h } from '../dom.js';
import { accountBadge, sourceLabel } from '../format.js';
import { USERS } from '../queries.js';
import { renderDirectoryList } from '../components/directory-list.js';

/** Survives navigation to a user and back (same tab only). */
const state = { search: '' };

export function renderUsers(context) {
  return renderDirectoryList(context, {
    key: 'users',
    title: 'Users',
    intro: 'People in your organisation. Open a user to see the app licenses they hold, how they got them, and their groups.',
    searchLabel: 'Search users',
    placeholder: 'Name or email',
    query: USERS,
    field: 'users',
    noun: 'user',
    caption: 'Users of your organisation',
    firstColumn: 'User',
    columns: [{ label: 'Sign-in' }, { label: 'Source' }, { label: 'Department' }],
    state,
    row: (user) =>
      h(
        'tr',
        { dataset: { user: user.displayName } },
        h('th', { scope: 'row' }, h('a', { href: `#/users/${encodeURIComponent(user.id)}` }, user.displayName), h('span', { class: 'sub' }, user.email)),
        h('td', { 'data-label': 'Sign-in' }, accountBadge(user)),
        h('td', { 'data-label': 'Source' }, sourceLabel(user.source)),
        h('td', { 'data-label': 'Department' }, user.department || '—'),
      ),
  });
}
