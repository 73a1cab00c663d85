// Who is signed in. The token lives in sessionStorage only: it is gone when
// the tab closes and never shared with other tabs or written to disk by us.

const TOKEN_KEY = 'seatwise.token';

function readToken() {
  try {
    return sessionStorage.getItem(TOKEN_KEY);
  } catch {
    return null; // storage disabled: the user signs in for this page only
  }
}

export const session = {
  token: readToken(),
  /** `viewer { tenant roles permissions subject user }`, once loaded. */
  viewer: null,

  signIn(token) {
    this.token = token;
    try {
      sessionStorage.setItem(TOKEN_KEY, token);
    } catch {
      // Kept in memory for this page only.
    }
  },

  signOut() {
    this.token = null;
    this.viewer = null;
    try {
      sessionStorage.removeItem(TOKEN_KEY);
    } catch {
      // Nothing stored.
    }
  },

  /** True when the server lists `permission` (e.g. `ASSIGN_LICENSES`) for the caller. */
  may(permission) {
    return Boolean(this.viewer?.permissions.includes(permission));
  },

  /**
   * What to offer, from `viewer.permissions`: the server's own role matrix,
   * loaded once after sign-in (it enforces the same matrix anyway).
   */
  get can() {
    return {
      read: this.may('READ_TENANT'),
      assign: this.may('ASSIGN_LICENSES'),
      changeSeats: this.may('MANAGE_APPS'),
      install: this.may('INSTALL_APPS'),
      directorySync: this.may('MANAGE_DIRECTORY_SYNC'),
      manageSubscriptions: this.may('MANAGE_SUBSCRIPTIONS'),
      webhooks: this.may('MANAGE_WEBHOOKS'),
      manageUsage: this.may('MANAGE_USAGE'),
      myLicenses: Boolean(this.viewer?.user),
    };
  },
};
