// Who is signed in. The token lives in sessionStorage only: it is gone when
// the tab closes and never shared with other tabs or written to disk by us.

const TOKEN_KEY = 'seatwise.token';

const ADMIN_ROLES = ['GLOBAL_ADMIN', 'LICENSE_ADMIN', 'USER_ADMIN', 'BILLING_ADMIN', 'GLOBAL_READER'];

function readToken() {
  try {
    return sessionStorage.getItem(TOKEN_KEY);
  } catch {
    return null; // storage disabled: the user signs in for this page only
  }
}

export const session = {
  token: readToken(),
  /** `viewer { tenant roles subject user }`, once loaded. */
  viewer: null,
  /** Which optional server features exist (see features.js). */
  features: null,

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
    this.features = null;
    try {
      sessionStorage.removeItem(TOKEN_KEY);
    } catch {
      // Nothing stored.
    }
  },

  has(...roles) {
    return roles.some((role) => this.viewer?.roles.includes(role));
  },

  /** What the signed-in roles may do (the server enforces it anyway). */
  get can() {
    return {
      read: this.has(...ADMIN_ROLES),
      assign: this.has('GLOBAL_ADMIN', 'LICENSE_ADMIN', 'USER_ADMIN'),
      changeSeats: this.has('GLOBAL_ADMIN', 'BILLING_ADMIN'),
      install: this.has('GLOBAL_ADMIN'),
      myLicenses: Boolean(this.viewer?.user),
    };
  },
};
