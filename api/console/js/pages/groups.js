// "Groups": the organisation's groups with their member counts and where
// they came from; search by name, and open one for its members and the
// licenses it carries.

import { h } from '../dom.js';
import { sourceLabel } from '../format.js';
import { GROUPS } from '../queries.js';
import { renderDirectoryList } from '../components/directory-list.js';

/** Survives navigation to a group and back (same tab only). */
const state = { search: '' };

export function renderGroups(context) {
  return renderDirectoryList(context, {
    key: 'groups',
    title: 'Groups',
    intro: 'Groups of users. An app assigned to a group is licensed to every member; open a group to see its members and apps.',
    searchLabel: 'Search groups',
    placeholder: 'Group name',
    query: GROUPS,
    field: 'groups',
    noun: 'group',
    caption: 'Groups of your organisation',
    firstColumn: 'Group',
    columns: [{ label: 'Members', num: true }, { label: 'Source' }],
    state,
    row: (group) =>
      h(
        'tr',
        { dataset: { group: group.displayName } },
        h('th', { scope: 'row' }, h('a', { href: `#/groups/${encodeURIComponent(group.id)}` }, group.displayName), group.description ? h('span', { class: 'sub' }, group.description) : null),
        h('td', { class: 'num', 'data-label': 'Members' }, String(group.memberCount)),
        h('td', { 'data-label': 'Source' }, sourceLabel(group.source)),
      ),
  });
}
