// One group (`#/groups/<id>`): what it is for, where it came from, the
// apps it carries (every member holds their license through it) and its
// members, each with whether they may sign in.

import { gql } from '../api.js';
import { h, replace, messageBox, breadcrumb, fact } from '../dom.js';
import { accountBadge, badge, formatDate, plural, seatHealth, sourceLabel } from '../format.js';
import { GROUP_DETAILS, groupListPage } from '../queries.js';
import { listSection } from '../components/list-section.js';

export async function renderGroup({ page, isCurrent }, groupId) {
  replace(page, h('p', { class: 'loading', role: 'status' }, 'Loading the group…'));
  let group;
  try {
    group = (await gql(GROUP_DETAILS, { id: groupId })).group;
  } catch (error) {
    if (!isCurrent()) return;
    replace(page, breadcrumb(['#/groups', 'Groups']), h('h1', {}, 'Group'), messageBox('error', 'Could not load this group', h('p', {}, error.message)));
    return;
  }
  if (!isCurrent()) return;
  if (!group) {
    replace(page, breadcrumb(['#/groups', 'Groups']), h('h1', {}, 'Group not found'), messageBox('error', null, h('p', {}, 'No group with this id exists in your organisation.')));
    return;
  }
  const nextPage = (field) => async (after) => (await gql(groupListPage(field), { id: group.id, after })).group[field];
  replace(
    page,
    breadcrumb(['#/groups', 'Groups'], group.displayName),
    h('div', { class: 'page-head' }, h('h1', { id: 'group-title' }, group.displayName), h('p', { class: 'hint' }, group.description || '')),
    h(
      'section',
      { class: 'card', 'aria-labelledby': 'group-facts-heading' },
      h('h2', { id: 'group-facts-heading' }, 'Group'),
      h(
        'dl',
        { class: 'facts', id: 'group-facts' },
        fact('Members', plural(group.memberCount, 'member')),
        fact('Source', sourceLabel(group.source)),
        fact('External id', group.externalId || '—'),
        fact('Created', formatDate(group.createdAt)),
      ),
    ),
    listSection({
      id: 'group-licenses',
      title: 'Licenses',
      intro: 'Every member holds these apps through the group, one seat per user.',
      caption: `Apps assigned to ${group.displayName}`,
      columns: [{ label: 'App' }, { label: 'Seats in use', num: true }, { label: 'Status' }],
      empty: `No app is assigned to ${group.displayName}.`,
      connection: group.assignedApps,
      fetchPage: nextPage('assignedApps'),
      row: (app) => {
        const health = seatHealth(app);
        return h(
          'tr',
          { dataset: { app: app.name } },
          h('th', { scope: 'row' }, h('a', { href: `#/apps/${encodeURIComponent(app.id)}` }, app.name), h('span', { class: 'sub' }, app.vendor.name)),
          h('td', { class: 'num', 'data-label': 'Seats in use' }, `${app.seats.assigned} of ${app.seats.purchased}`),
          h('td', { 'data-label': 'Status' }, badge(health.level, health.label)),
        );
      },
    }),
    listSection({
      id: 'group-members',
      title: 'Members',
      caption: `Members of ${group.displayName}`,
      columns: [{ label: 'User' }, { label: 'Sign-in' }, { label: 'Source' }],
      empty: `${group.displayName} has no members.`,
      connection: group.members,
      fetchPage: nextPage('members'),
      row: (user) =>
        h(
          'tr',
          { dataset: { user: user.displayName } },
          h('th', { scope: 'row' }, h('a', { href: `#/users/${encodeURIComponent(user.id)}` }, user.displayName), h('span', { class: 'sub' }, user.email)),
          h('td', { 'data-label': 'Sign-in' }, accountBadge(user)),
          h('td', { 'data-label': 'Source' }, sourceLabel(user.source)),
        ),
    }),
  );
}
