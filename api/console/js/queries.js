// The GraphQL documents the console sends. Field names are the API contract
// (schema.graphql): the console ships in the same binary as the schema, so
// every document asks for its fields directly.

export const VIEWER = `query ConsoleViewer {
  viewer { subject roles permissions tenant { id name } user { id displayName email } }
}`;

export const APPS = `query ConsoleApps($first: Int, $after: String, $search: String) {
  apps(first: $first, after: $after, search: $search) {
    totalCount
    pageInfo { hasNextPage endCursor }
    nodes { id name vendor { name } seats { purchased assigned available } licenseErrorCount }
  }
}`;

const OPERATION_FIELDS = `id status previousQuantity requestedQuantity message vendorReference createdAt updatedAt
  contact { name email website phone message }`;

const PAGE = 50;
/** Groups named per license ("Inherited from A, B and 3 more"). */
const VIA_GROUPS = 3;

const ASSIGNMENT_FRAGMENTS = `
fragment Assignments on LicenseAssignmentConnection {
  totalCount pageInfo { hasNextPage endCursor }
  nodes {
    id assignedAt assignedBy
    principal {
      __typename
      ... on User { id displayName email }
      ... on Group { id displayName memberCount }
    }
  }
}
fragment LicensedUsers on LicensedUserConnection {
  totalCount pageInfo { hasNextPage endCursor }
  nodes { state errorCode assignedDirectly since user { id displayName email } viaGroups(first: ${VIA_GROUPS}) { totalCount nodes { id displayName } } }
}`;

/** The license details of one app, with its adapter and recent seat changes. */
export const APP_DETAILS = `query ConsoleApp($id: ID!) {
  app(id: $id) {
    id name description adapterKey licenseErrorCount
    vendor { name website supportEmail }
    seats { purchased assigned available }
    canInstall installUnavailableReason
    adapter { key displayName seatChanges }
    seatChangeOperations(first: 5) { nodes { ${OPERATION_FIELDS} } }
    assignments(first: ${PAGE}) { ...Assignments }
    licensedUsers(first: ${PAGE}) { ...LicensedUsers }
    licenseErrors(first: ${PAGE}) { ...LicensedUsers }
  }
}
${ASSIGNMENT_FRAGMENTS}`;

/** The next page of one of an app's lists (`field` names the connection). */
export function appListPage(field) {
  const fragment = field === 'assignments' ? 'Assignments' : 'LicensedUsers';
  return `query ConsoleAppPage($id: ID!, $after: String) {
  app(id: $id) { id ${field}(first: ${PAGE}, after: $after) { ...${fragment} } }
}
${ASSIGNMENT_FRAGMENTS}`;
}

export const SEARCH_PRINCIPALS = `query ConsoleSearch($query: String!) {
  searchPrincipals(query: $query, first: 10) {
    __typename
    ... on User { id displayName email }
    ... on Group { id displayName memberCount }
  }
}`;

const SEAT_PAYLOAD = `app { id seats { purchased assigned available } licenseErrorCount }
  assignments { id principal { __typename ... on User { id displayName } ... on Group { id displayName } } }
  userErrors { field message code needed available }`;

export const ASSIGN = `mutation ConsoleAssign($input: AssignLicensesInput!) {
  assignLicenses(input: $input) { ${SEAT_PAYLOAD} }
}`;

export const UNASSIGN = `mutation ConsoleUnassign($input: UnassignLicensesInput!) {
  unassignLicenses(input: $input) { ${SEAT_PAYLOAD} }
}`;

export const REQUEST_SEAT_CHANGE = `mutation ConsoleRequestSeatChange($input: RequestSeatChangeInput!) {
  requestSeatChange(input: $input) { operation { ${OPERATION_FIELDS} } userErrors { field message code } }
}`;

export const SEAT_CHANGE_OPERATION = `query ConsoleSeatChange($id: ID!) {
  seatChangeOperation(id: $id) { ${OPERATION_FIELDS} }
}`;

export const INSTALL_APP = `mutation ConsoleInstall($input: InstallAppInput!) {
  installApp(input: $input) { redirectUrl expiresAt userErrors { field message code } }
}`;

export const MY_LICENSES = `query ConsoleMyLicenses {
  viewer {
    user {
      id displayName email
      licenses(first: 100) {
        pageInfo { hasNextPage }
        nodes {
          state errorCode assignedDirectly since
          viaGroups(first: ${VIA_GROUPS}) { totalCount nodes { id displayName } }
          app { id name description vendor { name website supportEmail } }
        }
      }
    }
  }
}`;
