// Entry point: the shell (header, navigation, sign-out) and the hash router.
//
// Routes: #/apps (licenses list), #/apps/<id> (license details), #/me (my
// licenses), #/sign-in. Hash routing needs nothing from the server: every
// page is the same index.html at `/`.

import { gql, onUnauthenticated } from './api.js';
import { h, replace, focusHeading, messageBox } from './dom.js';
import { VIEWER } from './queries.js';
import { session } from './session.js';
import { renderSignIn } from './pages/sign-in.js';
import { renderLicenses } from './pages/licenses.js';
import { renderDetails } from './pages/details.js';
import { renderMyLicenses } from './pages/my-licenses.js';

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

function renderShell() {
  const viewer = session.viewer;
  const links = [];
  if (viewer && session.can.read) links.push(['#/apps', 'Licenses']);
  if (viewer && session.can.myLicenses) links.push(['#/me', 'My licenses']);
  const current = location.hash.startsWith('#/apps') ? '#/apps' : location.hash;
  replace(
    nav,
    links.length
      ? h(
          'ul',
          {},
          links.map(([href, label]) =>
            h('li', {}, h('a', { href, 'aria-current': current === href ? 'page' : false }, label)),
          ),
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
  } else if (first === 'me' && session.can.myLicenses) {
    await renderMyLicenses(context);
  } else if (first === 'apps' || first === 'me') {
    replace(
      page,
      h('h1', {}, 'Not available'),
      messageBox(
        'info',
        null,
        h('p', {}, first === 'me' ? 'Your token is not linked to a user, so there are no licenses of your own to show.' : 'Your role cannot view license management.'),
        h('p', {}, h('a', { href: homeHash() }, 'Go to your start page')),
      ),
    );
  } else {
    location.replace(homeHash());
    return;
  }
  if (context.isCurrent() && !page.contains(document.activeElement)) focusHeading(page);
}

window.addEventListener('hashchange', route);
route();
