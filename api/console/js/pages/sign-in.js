// Sign-in for now: paste a token (`seatwise serve --demo` prints one, and
// `seatwise token` mints others). It is checked with a `viewer` query
// before the console opens.

import { gql } from '../api.js';
import { h, replace, messageBox } from '../dom.js';
import { VIEWER } from '../queries.js';
import { session } from '../session.js';

export function renderSignIn(page, { notice, onSignedIn }) {
  const errorArea = h('div', { id: 'sign-in-error' });
  const input = h('textarea', {
    id: 'token',
    name: 'token',
    rows: 4,
    required: true,
    autocomplete: 'off',
    spellcheck: 'false',
    'aria-describedby': 'token-help',
  });
  const button = h('button', { type: 'submit', class: 'primary' }, 'Sign in');

  async function submit(event) {
    event.preventDefault();
    // Accept the header form the demo prints, too.
    const token = input.value.trim().replace(/^\{?\s*"?Authorization"?\s*:\s*"?/i, '').replace(/^Bearer\s+/i, '').replace(/"?\s*\}?$/, '');
    if (!token) {
      replace(errorArea, messageBox('error', null, h('p', {}, 'Paste a token first.')));
      input.focus();
      return;
    }
    button.disabled = true;
    replace(errorArea, h('p', { role: 'status' }, 'Checking the token…'));
    try {
      await gql(VIEWER, {}, { token, signOutOnRefusal: false });
    } catch (error) {
      button.disabled = false;
      replace(errorArea, messageBox('error', 'Sign-in failed', h('p', {}, error.message)));
      input.focus();
      return;
    }
    session.signIn(token);
    onSignedIn();
  }

  replace(
    page,
    h(
      'section',
      { class: 'sign-in card' },
      h('h1', {}, 'Sign in to Seatwise'),
      notice ? messageBox('info', null, h('p', {}, notice)) : null,
      h(
        'form',
        { onsubmit: submit, novalidate: true },
        h('label', { for: 'token' }, 'Access token'),
        h(
          'p',
          { id: 'token-help', class: 'hint' },
          'Paste the token that `seatwise serve --demo` printed, or one from `seatwise token`. It is kept in this browser tab only and removed when you sign out or close the tab.',
        ),
        input,
        errorArea,
        h('div', { class: 'actions' }, button),
      ),
    ),
  );
}
