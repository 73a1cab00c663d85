// Page 7, "My licenses": the apps the signed-in user holds (viewer.user),
// how they hold each one, and whether they have a seat.

import { gql } from '../api.js';
import { h, replace, messageBox } from '../dom.js';
import { badge, formatDate, howHeld, safeLink } from '../format.js';
import { MY_LICENSES } from '../queries.js';

export async function renderMyLicenses({ page, isCurrent }) {
  replace(page, h('h1', {}, 'My licenses'), h('p', { class: 'loading', role: 'status' }, 'Loading your licenses…'));
  let user;
  try {
    user = (await gql(MY_LICENSES)).viewer.user;
  } catch (error) {
    if (!isCurrent()) return;
    replace(page, h('h1', {}, 'My licenses'), messageBox('error', 'Could not load your licenses', h('p', {}, error.message)));
    return;
  }
  if (!isCurrent()) return;
  const licenses = (user?.licenses?.nodes || []).filter((l) => l.app);
  const more = user?.licenses?.pageInfo?.hasNextPage
    ? h('p', { class: 'hint' }, 'Showing your first 100 licenses.')
    : null;
  replace(
    page,
    h('div', { class: 'page-head' }, h('h1', {}, 'My licenses'), h('p', { class: 'hint' }, user ? `Apps licensed to ${user.displayName} (${user.email}).` : '')),
    licenses.length === 0
      ? h('p', { class: 'empty' }, 'You hold no app licenses. Ask your administrator if you need one.')
      : h(
          'ul',
          { class: 'my-licenses', id: 'my-licenses' },
          licenses.map((license) =>
            h(
              'li',
              { class: 'card', dataset: { app: license.app.name } },
              h('h2', {}, license.app.name),
              h('p', {}, license.app.description),
              h('p', {}, license.state === 'ACTIVE' ? badge('ok', 'Active') : badge('danger', 'Waiting for a free seat')),
              h(
                'dl',
                { class: 'facts' },
                h('dt', {}, 'How you got it'),
                h('dd', {}, howHeld(license)),
                h('dt', {}, 'Since'),
                h('dd', {}, formatDate(license.since)),
                h('dt', {}, 'Vendor'),
                h('dd', {}, license.app.vendor.name, ' · ', safeLink(license.app.vendor.website)),
                h('dt', {}, 'Help'),
                h('dd', {}, h('a', { href: `mailto:${license.app.vendor.supportEmail}` }, license.app.vendor.supportEmail)),
              ),
            ),
          ),
        ),
    more,
  );
}
