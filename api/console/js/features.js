// Optional server features (the vendor-adapter API) are found by schema
// introspection, so this console works against servers with or without
// them. When introspection is turned off, everything is assumed present and
// pages drop a feature when the server answers "Cannot query field".

import { gql } from './api.js';

const FEATURES_QUERY = `query ConsoleFeatures {
  app: __type(name: "App") { fields { name } }
  query: __type(name: "Query") { fields { name } }
  mutation: __type(name: "Mutation") { fields { name } }
}`;

const ALL_ON = { seatChanges: true, requestSeatChange: true, install: true, adapter: true };

export async function detectFeatures() {
  let data;
  try {
    data = await gql(FEATURES_QUERY);
  } catch (error) {
    if (error.code === 'UNAUTHENTICATED' || error.code === 'NETWORK') throw error;
    return { ...ALL_ON };
  }
  const names = (type) => new Set((data[type]?.fields || []).map((f) => f.name));
  const app = names('app');
  const query = names('query');
  const mutation = names('mutation');
  return {
    seatChanges: app.has('seatChangeOperations') && query.has('seatChangeOperation'),
    requestSeatChange: mutation.has('requestSeatChange') && query.has('seatChangeOperation'),
    install: mutation.has('installApp') && app.has('canInstall'),
    adapter: app.has('adapter'),
  };
}
