// Settings → "Directory sync" (`#/settings/directory-sync`): the SCIM base
// URL and the bearer tokens an identity provider (Entra ID, Okta) pushes
// users with. A new token's secret is shown once, in the answer to
// createScimToken, and lives only in this page's DOM until the admin
// presses Done or leaves: the server keeps only its hash, and the console
// never stores it. Only offered to roles with MANAGE_DIRECTORY_SYNC.

import { gql, userErrorText } from '../api.js';
import { h, replace, messageBox, announce, fact } from '../dom.js';
import { badge, formatDate } from '../format.js';
import { CREATE_SCIM_TOKEN, REVOKE_SCIM_TOKEN, SCIM_TOKENS } from '../queries.js';
import { copyField } from '../components/copy-field.js';
import { confirmDialog } from '../components/confirm-dialog.js';

export async function renderDirectorySync({ page, isCurrent }) {
  const tokensArea = h('div', { id: 'scim-tokens-area' });
  const created = h('div', { id: 'scim-token-created' });
  const outcome = h('div', { id: 'scim-token-outcome' });
  const nameInput = h('input', { type: 'text', id: 'scim-token-name', name: 'name', autocomplete: 'off', required: true, maxlength: 256, 'aria-describedby': 'scim-token-name-help' });
  const createButton = h('button', { type: 'submit', class: 'primary', id: 'scim-token-create' }, 'Create token');

  async function loadTokens() {
    const tokens = [];
    let after = null;
    // Tenants have a handful of tokens; read them all (pages of 100).
    do {
      const connection = (await gql(SCIM_TOKENS, { after })).scimTokens;
      tokens.push(...connection.nodes);
      after = connection.pageInfo.hasNextPage ? connection.pageInfo.endCursor : null;
    } while (after);
    return tokens;
  }

  async function refresh() {
    tokensArea.setAttribute('aria-busy', 'true');
    let tokens;
    try {
      tokens = await loadTokens();
    } catch (error) {
      if (!isCurrent()) return;
      tokensArea.removeAttribute('aria-busy');
      replace(tokensArea, messageBox('error', 'Could not load the tokens', h('p', {}, error.message), h('button', { type: 'button', class: 'secondary', onclick: refresh }, 'Try again')));
      return;
    }
    if (!isCurrent()) return;
    tokensArea.removeAttribute('aria-busy');
    renderTokens(tokens);
  }

  function renderTokens(tokens) {
    const active = tokens.filter((t) => t.active);
    const revoked = tokens.filter((t) => !t.active);
    replace(
      tokensArea,
      active.length === 0
        ? h('p', { class: 'empty', id: 'scim-tokens-empty' }, 'No active token: no identity provider can sync your directory. Create one below.')
        : h(
            'div',
            { class: 'table-scroll' },
            h(
              'table',
              { class: 'data', id: 'scim-tokens' },
              h('caption', { class: 'visually-hidden' }, 'Active SCIM tokens'),
              h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Name'), h('th', { scope: 'col' }, 'Created'), h('th', { scope: 'col' }, 'Last used'), h('th', { scope: 'col' }, 'Status'), h('th', { scope: 'col' }, h('span', { class: 'visually-hidden' }, 'Actions')))),
              h(
                'tbody',
                {},
                active.map((token) =>
                  h(
                    'tr',
                    { dataset: { token: token.name } },
                    h('th', { scope: 'row' }, token.name),
                    h('td', { 'data-label': 'Created' }, formatDate(token.createdAt), h('span', { class: 'sub' }, `by ${token.createdBy}`)),
                    h('td', { 'data-label': 'Last used' }, token.lastUsedAt ? formatDate(token.lastUsedAt) : 'Never'),
                    h('td', { 'data-label': 'Status' }, badge('ok', 'Active')),
                    h('td', {}, h('button', { type: 'button', class: 'secondary', 'aria-label': `Revoke ${token.name}`, onclick: (event) => revoke(token, event.currentTarget) }, 'Revoke')),
                  ),
                ),
              ),
            ),
          ),
      revoked.length
        ? h(
            'details',
            { class: 'revoked', id: 'revoked-tokens' },
            h('summary', {}, `Revoked tokens (${revoked.length})`),
            h(
              'div',
              { class: 'table-scroll' },
              h(
                'table',
                { class: 'data' },
                h('caption', { class: 'visually-hidden' }, 'Revoked SCIM tokens'),
                h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Name'), h('th', { scope: 'col' }, 'Created'), h('th', { scope: 'col' }, 'Last used'), h('th', { scope: 'col' }, 'Revoked'))),
                h(
                  'tbody',
                  {},
                  revoked.map((token) =>
                    h(
                      'tr',
                      { dataset: { token: token.name } },
                      h('th', { scope: 'row' }, token.name),
                      h('td', { 'data-label': 'Created' }, formatDate(token.createdAt)),
                      h('td', { 'data-label': 'Last used' }, token.lastUsedAt ? formatDate(token.lastUsedAt) : 'Never'),
                      h('td', { 'data-label': 'Revoked' }, formatDate(token.revokedAt)),
                    ),
                  ),
                ),
              ),
            ),
          )
        : null,
    );
  }

  async function create(event) {
    event.preventDefault();
    const name = nameInput.value.trim();
    if (!name) {
      replace(outcome, messageBox('error', null, h('p', {}, 'Give the token a name, e.g. the identity provider that will use it.')));
      nameInput.focus();
      return;
    }
    createButton.disabled = true;
    replace(outcome, h('p', { role: 'status' }, 'Creating the token…'));
    let payload;
    try {
      payload = (await gql(CREATE_SCIM_TOKEN, { input: { name } })).createScimToken;
    } catch (error) {
      createButton.disabled = false;
      replace(outcome, messageBox('error', 'No token was created', h('p', {}, error.message)));
      return;
    }
    createButton.disabled = false;
    if (!isCurrent()) return;
    if (payload.userErrors.length || !payload.secret) {
      replace(outcome, messageBox('error', 'No token was created', h('p', {}, userErrorText(payload.userErrors) || 'The server sent no secret.')));
      nameInput.focus();
      return;
    }
    replace(outcome);
    nameInput.value = '';
    showSecret(payload.token, payload.secret);
    await refresh();
  }

  /** The one time the secret is on screen; Done removes it from the page. */
  function showSecret(token, secret) {
    const done = h(
      'button',
      {
        type: 'button',
        class: 'secondary',
        id: 'scim-secret-done',
        onclick: () => {
          replace(created);
          announce('The secret was removed from the page.');
          nameInput.focus();
        },
      },
      'Done, I saved it',
    );
    replace(
      created,
      h(
        'div',
        { class: 'message message-warning secret', role: 'region', 'aria-labelledby': 'scim-secret-title', tabindex: '-1', id: 'scim-secret-box' },
        h('p', { class: 'message-title', id: 'scim-secret-title' }, `Token “${token.name}” created. Copy its secret now.`),
        h('p', { id: 'scim-secret-warning' }, 'This is the only time the secret is shown. Seatwise keeps only a hash of it and cannot show it again: if you lose it, create a new token and revoke this one.'),
        copyField({ id: 'scim-secret', label: 'Secret (bearer token)', value: secret, describedBy: 'scim-secret-warning' }),
        h('p', { class: 'hint' }, 'Paste it as the secret token (bearer token) of your identity provider\u2019s provisioning settings, with the tenant URL above.'),
        h('div', { class: 'actions' }, done),
      ),
    );
    announce(`Token ${token.name} created. Its secret is shown once; copy it now.`);
    document.getElementById('scim-secret-box')?.focus();
  }

  async function revoke(token, opener) {
    const result = await confirmDialog({
      id: 'revoke-dialog',
      title: `Revoke “${token.name}”?`,
      body: [
        h('p', {}, `The identity provider that uses “${token.name}” can no longer sync users and groups: every request with it is refused from now on.`),
        h('p', {}, 'Users and groups it synced stay as they are. This cannot be undone; to reconnect, create a new token.'),
      ],
      confirmLabel: 'Revoke',
      busyText: 'Revoking…',
      opener,
      action: async () => {
        const payload = (await gql(REVOKE_SCIM_TOKEN, { input: { tokenId: token.id } })).revokeScimToken;
        return payload.userErrors.length ? { error: userErrorText(payload.userErrors) } : { token: payload.token };
      },
    });
    if (!result || !isCurrent()) return;
    if (result.error) {
      replace(outcome, messageBox('error', 'The token was not revoked', h('p', {}, result.error)));
      return;
    }
    replace(outcome, messageBox('success', `Token “${token.name}” revoked.`, h('p', {}, 'It authenticates nothing any more.')));
    await refresh();
    document.getElementById('scim-tokens-heading')?.focus();
  }

  const baseUrl = `${location.origin}/scim/v2`;
  replace(
    page,
    h('nav', { 'aria-label': 'Breadcrumb', class: 'breadcrumb' }, h('ol', {}, h('li', {}, 'Settings'), h('li', {}, h('span', { 'aria-current': 'page' }, 'Directory sync')))),
    h(
      'div',
      { class: 'page-head' },
      h('h1', {}, 'Directory sync'),
      h('p', { class: 'hint' }, 'Let your identity provider (Microsoft Entra ID, Okta or any SCIM 2.0 client) create, update and deactivate users in Seatwise. Give it the tenant URL below and a token from this page.'),
    ),
    h(
      'section',
      { class: 'card', 'aria-labelledby': 'scim-endpoint-heading' },
      h('h2', { id: 'scim-endpoint-heading' }, 'SCIM endpoint'),
      copyField({ id: 'scim-base-url', label: 'Tenant URL (SCIM base URL)', value: baseUrl, describedBy: 'scim-base-url-help' }),
      h('p', { class: 'hint', id: 'scim-base-url-help' }, 'The token decides the organisation: every token from this page syncs into this organisation only.'),
      h('dl', { class: 'facts' }, fact('Authentication', 'Bearer token (a token from this page)')),
    ),
    h(
      'section',
      { class: 'list-section', 'aria-labelledby': 'scim-tokens-heading' },
      h('h2', { id: 'scim-tokens-heading', tabindex: '-1' }, 'Tokens'),
      created,
      h(
        'form',
        { class: 'toolbar create-token', onsubmit: create, novalidate: true },
        h('label', { for: 'scim-token-name' }, 'New token name'),
        nameInput,
        createButton,
        h('p', { class: 'hint', id: 'scim-token-name-help' }, 'Name it after the identity provider that will use it, e.g. “Entra ID”. Its changes are audited under that name.'),
      ),
      outcome,
      tokensArea,
    ),
  );
  replace(tokensArea, h('p', { class: 'loading', role: 'status' }, 'Loading tokens…'));
  await refresh();
}
