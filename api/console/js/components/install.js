// Flow 6, "Install this product": ask the server for the vendor's
// install URL (installApp) and send the browser there.

import { gql, userErrorText } from '../api.js';
import { h, replace, messageBox } from '../dom.js';
import { INSTALL_APP } from '../queries.js';

export async function installProduct(app, button, outcome) {
  button.disabled = true;
  replace(outcome, h('p', { role: 'status' }, `Preparing the installation of ${app.name}…`));
  let payload;
  try {
    // Come back to these license details after the vendor's site.
    payload = (await gql(INSTALL_APP, { input: { appId: app.id, returnUrl: location.href } })).installApp;
  } catch (error) {
    button.disabled = false;
    replace(outcome, messageBox('error', 'Could not start the installation', h('p', {}, error.message)));
    return;
  }
  if (payload.userErrors?.length || !payload.redirectUrl) {
    button.disabled = false;
    replace(outcome, messageBox('error', 'Could not start the installation', h('p', {}, userErrorText(payload.userErrors) || 'The server gave no installation address.')));
    return;
  }
  let target;
  try {
    target = new URL(payload.redirectUrl, location.href);
  } catch {
    target = null;
  }
  // Only web addresses: a `javascript:` URL from a plugin must not run here.
  if (!target || (target.protocol !== 'https:' && target.protocol !== 'http:')) {
    button.disabled = false;
    replace(outcome, messageBox('error', 'Could not start the installation', h('p', {}, 'The vendor gave an address that is not a web page.')));
    return;
  }
  replace(outcome, h('p', { role: 'status' }, `Opening ${target.host} to install ${app.name}…`));
  location.assign(target.href);
}
