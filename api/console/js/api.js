// The only way the console talks to the server: POST /graphql with fetch.
// Every failure becomes an ApiError whose message is written for people.

import { session } from './session.js';

/** A failed call: `code` is the server's `extensions.code` (or NETWORK/HTTP). */
export class ApiError extends Error {
  constructor(message, code, errors = []) {
    super(message);
    this.name = 'ApiError';
    this.code = code;
    this.errors = errors;
  }
}

const CODE_WORDS = {
  UNAUTHENTICATED: 'Your sign-in is not valid or has expired. Sign in again with a new token.',
  FORBIDDEN: 'Your role does not allow this. Nothing was changed.',
  NOT_FOUND: 'This item does not exist (any more) in your organisation.',
  INTERNAL: 'The server had a problem. Try again; if it persists, ask your Seatwise operator.',
  BAD_REQUEST: 'The server could not read the request.',
};

function describe(error) {
  const code = error.extensions?.code;
  const words = CODE_WORDS[code];
  const detail = error.message ? ` (${error.message})` : '';
  return words ? `${words}${code === 'UNAUTHENTICATED' || code === 'FORBIDDEN' ? detail : ''}` : error.message || 'Unknown error';
}

const listeners = new Set();

/** Be told when a call was refused as UNAUTHENTICATED (sign-in expired). */
export function onUnauthenticated(listener) {
  listeners.add(listener);
}

/**
 * Run a GraphQL document; its `data`. Throws ApiError for network errors,
 * non-GraphQL answers and any top-level GraphQL error. An UNAUTHENTICATED
 * answer also signs the tab out (unless `signOutOnRefusal` is false, as
 * when the sign-in page checks a pasted token).
 */
export async function gql(query, variables = {}, { token = session.token, signal, signOutOnRefusal = true } = {}) {
  const headers = { 'Content-Type': 'application/json', Accept: 'application/json' };
  if (token) headers.Authorization = `Bearer ${token}`;
  let response;
  try {
    response = await fetch('/graphql', {
      method: 'POST',
      headers,
      body: JSON.stringify({ query, variables }),
      signal,
      credentials: 'omit',
    });
  } catch (e) {
    if (e.name === 'AbortError') throw e;
    throw new ApiError(`Could not reach the Seatwise server: ${e.message}. Check your connection and try again.`, 'NETWORK');
  }
  let body;
  try {
    body = await response.json();
  } catch {
    throw new ApiError(`The server answered HTTP ${response.status} ${response.statusText} without a GraphQL response.`, 'HTTP');
  }
  const errors = Array.isArray(body.errors) ? body.errors : [];
  if (errors.length > 0) {
    const code = errors[0].extensions?.code || 'ERROR';
    const message = [...new Set(errors.map(describe))].join(' ');
    const error = new ApiError(message, code, errors);
    if (code === 'UNAUTHENTICATED' && signOutOnRefusal) listeners.forEach((listener) => listener(error));
    throw error;
  }
  if (!response.ok || !body.data) {
    throw new ApiError(`The server answered HTTP ${response.status} without data.`, 'HTTP');
  }
  return body.data;
}

/** The words for a mutation's `userErrors` (empty string when none). */
export function userErrorText(userErrors) {
  return (userErrors || []).map((e) => e.message).join(' ');
}
