// Entry point: the shell (header, navigation, sign-out) and the hash router.
//
// Routes: #/apps (licenses list), #/apps/<id> (license details), #/users
// and #/users/<id>, #/groups and #/groups/<id>, #/settings/directory-sync,
// #/settings/webhooks, #/me (my licenses), #/sign-in. Hash routing needs nothing from the
// server: every page is the same index.html at `/`.

import { gql, onUnauthenticated } from './api.js';
import { h, replace, focusHeading, messageBox } from './dom.js';
import { VIEWER } from './queries.js';
import { session } from './session.js';
import { renderSignIn } from './pages/sign-in.js';
import { renderLicenses } from './pages/licenses.js';
import { renderDetails } from './pages/details.js';
import { renderMyLicenses } from './pages/my-licenses.js';
import { renderUsers } from './pages/users.js';
import { renderUser } from './pages/user.js';
import { renderGroups } from './pages/groups.js';
import { renderGroup } from './pages/group.js';
import { renderDirectorySync } from './pages/directory-sync.js';
import { renderWebhooks } from './pages/webhooks.js';

const main = document.getElementById('main');
const nav = document.getElementById('nav');
const account = document.getElementById('account');

/** Set once a sign-in was refused, shown on the sign-in page. */
let signInNotice = null;

onUnauthenticated((error) => {
  session.signOut();
  signInNotice = error.message;
  renderShell();
  if (location.hash !== '#/sign-in') location.hash = '#/sign-in';
  else route();
});

/** Load who is signed in and what they may do. */
export async function loadViewer() {
  const data = await gql(VIEWER);
  session.viewer = data.viewer;
}

function homeHash() {
  if (!session.token) return '#/sign-in';
  if (session.can.read) return '#/apps';
  return '#/me';
}

/** The section of the console a hash belongs to (`#/users/<id>` → `#/users`). */
function section(hash) {
  const [, first, second] = hash.split('/');
  if (first === 'settings') return `#/settings/${second || ''}`;
  return `#/${first || ''}`;
}

function navList(links, current, attributes = {}) {
  return h(
    'ul',
    attributes,
    links.map(([href, label]) => h('li', {}, h('a', { href, 'aria-current': current === href ? 'page' : false }, label))),
  );
}

function renderShell() {
  const viewer = session.viewer;
  const can = session.can;
  const links = [];
  if (viewer && can.read) links.push(['#/apps', 'Licenses'], ['#/users', 'Users'], ['#/groups', 'Groups']);
  if (viewer && can.myLicenses) links.push(['#/me', 'My licenses']);
  // Settings lists only what the role may manage; with nothing, no heading.
  const settings = [];
  if (viewer && can.directorySync) settings.push(['#/settings/directory-sync', 'Directory sync']);
  if (viewer && can.webhooks) settings.push(['#/settings/webhooks', 'Webhooks']);
  const current = section(location.hash);
  replace(
    nav,
    links.length ? navList(links, current) : null,
    settings.length
      ? h(
          'div',
          { class: 'nav-group', id: 'nav-settings' },
          h('p', { class: 'nav-heading', id: 'nav-settings-heading' }, 'Settings'),
          navList(settings, current, { 'aria-labelledby': 'nav-settings-heading' }),
        )
      : null,
  );
  if (!viewer) {
    replace(account);
    return;
  }
  const who = viewer.user ? viewer.user.displayName : viewer.subject;
  const roles = viewer.roles.length ? viewer.roles.map(roleName).join(', ') : 'User';
  replace(
    account,
    h(
      'p',
      { class: 'account-who' },
      h('span', { class: 'account-tenant' }, viewer.tenant.name),
      h('span', {}, `${who} · ${roles}`),
    ),
    h('button', { type: 'button', class: 'secondary', id: 'sign-out', onclick: signOut }, 'Sign out'),
  );
}

export function roleName(role) {
  return role
    .toLowerCase()
    .split('_')
    .map((w) => w[0].toUpperCase() + w.slice(1))
    .join(' ');
}

function signOut() {
  session.signOut();
  signInNotice = 'You are signed out. The token was removed from this browser tab.';
  renderShell();
  location.hash = '#/sign-in';
}

/** Why a known page is not shown to this caller. */
const NOT_ALLOWED = {
  apps: 'Your role cannot view license management.',
  users: 'Your role cannot view users and groups.',
  groups: 'Your role cannot view users and groups.',
  settings: 'Your role cannot change these settings.',
  me: 'Your token is not linked to a user, so there are no licenses of your own to show.',
};

/** Settings pages: `[address, permission flag of session.can, render]`. */
const SETTINGS_PAGES = [
  ['directory-sync', 'directorySync', renderDirectorySync],
  ['webhooks', 'webhooks', renderWebhooks],
];

/** The settings pages this caller may manage. */
function settingsPages() {
  return SETTINGS_PAGES.filter(([, flag]) => session.can[flag]);
}

let routeVersion = 0;

async function route() {
  const version = ++routeVersion;
  const hash = location.hash || '';
  if (!session.token) {
    if (hash !== '#/sign-in') {
      location.replace('#/sign-in');
      return;
    }
  } else if (!session.viewer) {
    replace(main, h('p', { class: 'loading', role: 'status' }, 'Signing in…'));
    try {
      await loadViewer();
    } catch (error) {
      if (version !== routeVersion) return;
      if (error.code !== 'UNAUTHENTICATED') {
        replace(main, messageBox('error', 'Could not load your account', h('p', {}, error.message)));
      }
      return;
    }
    if (version !== routeVersion) return;
  }
  renderShell();
  if (version !== routeVersion) return;

  const page = h('div', { class: 'page' });
  replace(main, page);
  const [, first, second] = hash.split('/');
  const context = { page, isCurrent: () => version === routeVersion };
  if (hash === '#/sign-in') {
    if (session.viewer) {
      location.replace(homeHash());
      return;
    }
    // '#/' picks the start page once the roles are loaded.
    renderSignIn(page, { notice: signInNotice, onSignedIn: () => (location.hash = '#/') });
    signInNotice = null;
  } else if (first === 'apps' && session.can.read) {
    if (second) await renderDetails(context, decodeURIComponent(second));
    else await renderLicenses(context);
  } else if (first === 'users' && session.can.read) {
    if (second) await renderUser(context, decodeURIComponent(second));
    else await renderUsers(context);
  } else if (first === 'groups' && session.can.read) {
    if (second) await renderGroup(context, decodeURIComponent(second));
    else await renderGroups(context);
  } else if (first === 'settings' && settingsPages().length) {
    const pages = settingsPages();
    const chosen = pages.find(([name]) => name === second);
    if (!chosen) {
      // `#/settings` (or an unknown setting) opens the first setting the
      // role has; a known one it may not manage says so.
      if (!SETTINGS_PAGES.some(([name]) => name === second)) {
        location.replace(`#/settings/${pages[0][0]}`);
        return;
      }
      replace(page, h('h1', {}, 'Not available'), messageBox('info', null, h('p', {}, NOT_ALLOWED.settings), h('p', {}, h('a', { href: homeHash() }, 'Go to your start page'))));
    } else {
      await chosen[2](context);
    }
  } else if (first === 'me' && session.can.myLicenses) {
    await renderMyLicenses(context);
  } else if (Object.hasOwn(NOT_ALLOWED, first ?? '')) {
    replace(
      page,
      h('h1', {}, 'Not available'),
      messageBox('info', null, h('p', {}, NOT_ALLOWED[first]), h('p', {}, h('a', { href: homeHash() }, 'Go to your start page'))),
    );
  } else {
    location.replace(homeHash());
    return;
  }
  if (context.isCurrent() && !page.contains(document.activeElement)) focusHeading(page);
}

window.addEventListener('hashchange', route);
route();
