// One user (`#/users/<id>`): their account (sign-in, where they came from,
// the identity provider's id, department), every app license they hold
// with its path (direct, inherited from groups) and state, and their
// groups. A disabled account keeps its licenses, so the page says so next
// to the "Sign-in blocked" badge instead of hiding the licenses. A user the
// identity provider deactivated is a different case, told apart: their
// licenses were released, and only the identity provider can bring them
// (and the licenses) back.

import { gql } from '../api.js';
import { h, replace, messageBox, breadcrumb, fact } from '../dom.js';
import { accountBadge, formatDate, howHeld, isDeactivatedInDirectory, licenseStateBadge, sourceLabel } from '../format.js';
import { USER_DETAILS, userListPage } from '../queries.js';
import { listSection } from '../components/list-section.js';

export async function renderUser({ page, isCurrent }, userId) {
  replace(page, h('p', { class: 'loading', role: 'status' }, 'Loading the user…'));
  let user;
  try {
    user = (await gql(USER_DETAILS, { id: userId })).user;
  } catch (error) {
    if (!isCurrent()) return;
    replace(page, breadcrumb(['#/users', 'Users']), h('h1', {}, 'User'), messageBox('error', 'Could not load this user', h('p', {}, error.message)));
    return;
  }
  if (!isCurrent()) return;
  if (!user) {
    replace(page, breadcrumb(['#/users', 'Users']), h('h1', {}, 'User not found'), messageBox('error', null, h('p', {}, 'No user with this id exists in your organisation.')));
    return;
  }
  const nextPage = (field) => async (after) => (await gql(userListPage(field), { id: user.id, after })).user[field];
  replace(
    page,
    breadcrumb(['#/users', 'Users'], user.displayName),
    h('div', { class: 'page-head' }, h('h1', { id: 'user-title' }, user.displayName), h('p', { class: 'hint' }, user.email), h('p', { id: 'user-status' }, accountBadge(user))),
    accountNotice(user),
    h(
      'section',
      { class: 'card', 'aria-labelledby': 'account-heading' },
      h('h2', { id: 'account-heading' }, 'Account'),
      h(
        'dl',
        { class: 'facts', id: 'user-facts' },
        fact('Email', user.email),
        fact('Sign-in', signIn(user)),
        fact('Source', sourceLabel(user.source)),
        fact('External id', user.externalId || '—'),
        fact('Department', user.department || '—'),
        fact('Created', formatDate(user.createdAt)),
      ),
    ),
    listSection({
      id: 'user-licenses',
      title: 'Licenses',
      caption: `Apps licensed to ${user.displayName}`,
      columns: [{ label: 'App' }, { label: 'Assignment' }, { label: 'State' }, { label: 'Since' }],
      empty: `${user.displayName} holds no app licenses.`,
      connection: user.licenses,
      fetchPage: nextPage('licenses'),
      row: (license) =>
        license.app
          ? h(
              'tr',
              { dataset: { app: license.app.name } },
              h('th', { scope: 'row' }, appLink(license.app), h('span', { class: 'sub' }, license.app.vendor.name)),
              h('td', { 'data-label': 'Assignment' }, howHeld(license)),
              h('td', { 'data-label': 'State' }, licenseStateBadge(license)),
              h('td', { 'data-label': 'Since' }, formatDate(license.since)),
            )
          : null,
    }),
    listSection({
      id: 'user-groups',
      title: 'Groups',
      caption: `Groups ${user.displayName} belongs to`,
      columns: [{ label: 'Group' }, { label: 'Members', num: true }, { label: 'Source' }],
      empty: `${user.displayName} is in no group.`,
      connection: user.groups,
      fetchPage: nextPage('groups'),
      row: (group) =>
        h(
          'tr',
          { dataset: { group: group.displayName } },
          h('th', { scope: 'row' }, h('a', { href: `#/groups/${encodeURIComponent(group.id)}` }, group.displayName), group.description ? h('span', { class: 'sub' }, group.description) : null),
          h('td', { class: 'num', 'data-label': 'Members' }, String(group.memberCount)),
          h('td', { 'data-label': 'Source' }, sourceLabel(group.source)),
        ),
    }),
  );
}

/** Why the user cannot sign in, and what happened to their licenses. */
function accountNotice(user) {
  if (isDeactivatedInDirectory(user)) {
    return messageBox(
      'warning',
      'Deactivated in the directory: licenses released',
      h('p', {}, `Your identity provider deactivated ${user.displayName}: they cannot sign in, and their licenses were released (their seats went back to the app, or to users waiting for one). Their assignments and groups are kept.`),
      h('p', {}, 'To give them their licenses back, reactivate them in your identity provider; they cannot be enabled here.'),
    );
  }
  if (user.accountEnabled) return null;
  return messageBox(
    'warning',
    'Sign-in blocked: keeps licenses',
    h('p', {}, `${user.displayName} cannot sign in: the account is disabled. Their licenses and seats stay assigned until an admin unassigns them or deletes the user.`),
  );
}

function signIn(user) {
  if (isDeactivatedInDirectory(user)) return 'Blocked (deactivated in the directory; licenses released)';
  return user.accountEnabled ? 'Enabled' : 'Blocked (account disabled; keeps licenses)';
}

function appLink(app) {
  return h('a', { href: `#/apps/${encodeURIComponent(app.id)}` }, app.name);
}
