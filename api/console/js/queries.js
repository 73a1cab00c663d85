// The GraphQL documents the console sends. Field names are the API contract
// (schema.graphql): the console ships in the same binary as the schema, so
// every document asks for its fields directly.

export const VIEWER = `query ConsoleViewer {
  viewer { subject roles permissions tenant { id name } user { id displayName email } }
}`;

/** What the licenses list shows of a subscription, and what its alerts need. */
const SUBSCRIPTION_ROW = 'state renewsOn daysToRenewal currency annualCost unusedSeatCost lowSeatThreshold';

/** The window of the licenses list's idle-seat columns, in days. */
export const LIST_IDLE_DAYS = 30;

export const APPS = `query ConsoleApps($first: Int, $after: String, $search: String) {
  apps(first: $first, after: $after, search: $search) {
    totalCount
    pageInfo { hasNextPage endCursor }
    nodes {
      id name vendor { name } seats { purchased assigned available } licenseErrorCount subscription { ${SUBSCRIPTION_ROW} }
      usage(idleDays: ${LIST_IDLE_DAYS}) { idleSeatCount idleSeatCost }
    }
  }
}`;

/** Apps per request of the alert scan (the API's largest page). */
const ALERT_SCAN_PAGE = 100;

/**
 * Every app's alert fields, for the banner above the licenses list (which
 * covers all apps, not only the page shown), and with the first page the
 * organisation's spend per currency.
 */
export const APP_ALERTS = `query ConsoleAppAlerts($after: String, $withSpend: Boolean!) {
  viewer @include(if: $withSpend) { tenant { id spend { currency subscriptions annualCost unusedSeatCost } } }
  apps(first: ${ALERT_SCAN_PAGE}, after: $after) {
    pageInfo { hasNextPage endCursor }
    nodes { id name seats { available } licenseErrorCount subscription { state daysToRenewal lowSeatThreshold } }
  }
}`;

const SUBSCRIPTION_FIELDS = `termStart termEnd autoRenew pricePerSeat currency noticeDays graceDays lowSeatThreshold
  state renewsOn daysToRenewal annualCost unusedSeatCost`;

const OPERATION_FIELDS = `id status previousQuantity requestedQuantity message vendorReference createdAt updatedAt
  contact { name email website phone message }`;

const PAGE = 50;
/** Groups named per license ("Inherited from A, B and 3 more"). */
const VIA_GROUPS = 3;

// GraphQL refuses a document with an unused fragment: a page query carries
// only the one it spreads.
const APP_FRAGMENTS = {
  Assignments: `fragment Assignments on LicenseAssignmentConnection {
  totalCount pageInfo { hasNextPage endCursor }
  nodes {
    id assignedAt assignedBy
    principal {
      __typename
      ... on User { id displayName email }
      ... on Group { id displayName memberCount }
    }
  }
}`,
  LicensedUsers: `fragment LicensedUsers on LicensedUserConnection {
  totalCount pageInfo { hasNextPage endCursor }
  nodes { state errorCode assignedDirectly since user { id displayName email } viaGroups(first: ${VIA_GROUPS}) { totalCount nodes { id displayName } } }
}`,
};

/** The license details of one app, with its adapter and recent seat changes. */
export const APP_DETAILS = `query ConsoleApp($id: ID!) {
  app(id: $id) {
    id name description adapterKey licenseErrorCount
    vendor { name website supportEmail }
    seats { purchased assigned available }
    canInstall installUnavailableReason
    subscription { ${SUBSCRIPTION_FIELDS} }
    adapter { key displayName seatChanges }
    seatChangeOperations(first: 5) { nodes { ${OPERATION_FIELDS} } }
    assignments(first: ${PAGE}) { ...Assignments }
    licensedUsers(first: ${PAGE}) { ...LicensedUsers }
    licenseErrors(first: ${PAGE}) { ...LicensedUsers }
  }
}
${APP_FRAGMENTS.Assignments}
${APP_FRAGMENTS.LicensedUsers}`;

/** The next page of one of an app's lists (`field` names the connection). */
export function appListPage(field) {
  const fragment = field === 'assignments' ? 'Assignments' : 'LicensedUsers';
  return `query ConsoleAppPage($id: ID!, $after: String) {
  app(id: $id) { id ${field}(first: ${PAGE}, after: $after) { ...${fragment} } }
}
${APP_FRAGMENTS[fragment]}`;
}

/** An app's usage over `days` (the Usage tab; its own query). */
export const APP_USAGE = `query ConsoleAppUsage($id: ID!, $days: Int!) {
  app(id: $id) {
    id
    usage(idleDays: $days) {
      activeUsers
      idleSeats(first: ${PAGE}) {
        totalCount pageInfo { hasNextPage }
        nodes { user { id displayName } lastActiveAt seatSince assignedDirectly }
      }
    }
  }
}`;

export const RECLAIM_IDLE_SEATS = `mutation ConsoleReclaim($input: ReclaimIdleSeatsInput!) {
  reclaimIdleSeats(input: $input) {
    app { id seats { purchased assigned available } }
    dryRun count seatsFreed
    seats { user { id displayName } lastActiveAt seatFreed }
    userErrors { field message code }
  }
}`;

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

// --- Users, groups and directory sync ------------------------------------

/** Rows per page of the users and groups lists, and per "Show more". */
const DIRECTORY_PAGE = 20;

const USER_ROW = 'id displayName email accountEnabled directoryStatus source department';
const GROUP_ROW = 'id displayName description source memberCount';

export const USERS = `query ConsoleUsers($after: String, $search: String) {
  users(first: ${DIRECTORY_PAGE}, after: $after, search: $search) {
    totalCount pageInfo { hasNextPage endCursor }
    nodes { ${USER_ROW} }
  }
}`;

export const GROUPS = `query ConsoleGroups($after: String, $search: String) {
  groups(first: ${DIRECTORY_PAGE}, after: $after, search: $search) {
    totalCount pageInfo { hasNextPage endCursor }
    nodes { ${GROUP_ROW} }
  }
}`;

// GraphQL refuses a document with an unused fragment: each page query
// carries only the one it spreads.
const USER_FRAGMENTS = {
  licenses: `fragment UserLicenses on UserLicenseConnection {
  totalCount pageInfo { hasNextPage endCursor }
  nodes {
    state errorCode assignedDirectly since
    viaGroups(first: ${VIA_GROUPS}) { totalCount nodes { id displayName } }
    app { id name vendor { name } }
  }
}`,
  groups: `fragment UserGroups on GroupConnection {
  totalCount pageInfo { hasNextPage endCursor }
  nodes { ${GROUP_ROW} }
}`,
};

/** One user: their account, where they came from, licenses and groups. */
export const USER_DETAILS = `query ConsoleUser($id: ID!) {
  user(id: $id) {
    id displayName email accountEnabled directoryStatus source externalId department createdAt
    licenses(first: ${DIRECTORY_PAGE}) { ...UserLicenses }
    groups(first: ${DIRECTORY_PAGE}) { ...UserGroups }
  }
}
${USER_FRAGMENTS.licenses}
${USER_FRAGMENTS.groups}`;

/** The next page of a user's `licenses` or `groups`. */
export function userListPage(field) {
  const fragment = field === 'licenses' ? 'UserLicenses' : 'UserGroups';
  return `query ConsoleUserPage($id: ID!, $after: String) {
  user(id: $id) { id ${field}(first: ${DIRECTORY_PAGE}, after: $after) { ...${fragment} } }
}
${USER_FRAGMENTS[field]}`;
}

const GROUP_FRAGMENTS = {
  members: `fragment GroupMembers on UserConnection {
  totalCount pageInfo { hasNextPage endCursor }
  nodes { ${USER_ROW} }
}`,
  assignedApps: `fragment GroupApps on AssignedAppConnection {
  totalCount pageInfo { hasNextPage endCursor }
  nodes { id name vendor { name } seats { purchased assigned available } licenseErrorCount }
}`,
};

/** One group: where it came from, its members and the apps it carries. */
export const GROUP_DETAILS = `query ConsoleGroup($id: ID!) {
  group(id: $id) {
    id displayName description source externalId createdAt memberCount
    members(first: ${DIRECTORY_PAGE}) { ...GroupMembers }
    assignedApps(first: ${DIRECTORY_PAGE}) { ...GroupApps }
  }
}
${GROUP_FRAGMENTS.members}
${GROUP_FRAGMENTS.assignedApps}`;

/** The next page of a group's `members` or `assignedApps`. */
export function groupListPage(field) {
  const fragment = field === 'members' ? 'GroupMembers' : 'GroupApps';
  return `query ConsoleGroupPage($id: ID!, $after: String) {
  group(id: $id) { id ${field}(first: ${DIRECTORY_PAGE}, after: $after) { ...${fragment} } }
}
${GROUP_FRAGMENTS[field]}`;
}

const SCIM_TOKEN_FIELDS = 'id name createdBy createdAt lastUsedAt revokedAt active';

/** Every SCIM token of the organisation (a handful), revoked ones included. */
export const SCIM_TOKENS = `query ConsoleScimTokens($after: String) {
  scimTokens(first: 100, after: $after) {
    pageInfo { hasNextPage endCursor }
    nodes { ${SCIM_TOKEN_FIELDS} }
  }
}`;

export const CREATE_SCIM_TOKEN = `mutation ConsoleCreateScimToken($input: CreateScimTokenInput!) {
  createScimToken(input: $input) { token { ${SCIM_TOKEN_FIELDS} } secret userErrors { field message code } }
}`;

export const REVOKE_SCIM_TOKEN = `mutation ConsoleRevokeScimToken($input: RevokeScimTokenInput!) {
  revokeScimToken(input: $input) { token { ${SCIM_TOKEN_FIELDS} } userErrors { field message code } }
}`;

export const SET_SUBSCRIPTION = `mutation ConsoleSetSubscription($input: SetSubscriptionInput!) {
  setSubscription(input: $input) {
    app { id subscription { ${SUBSCRIPTION_FIELDS} } }
    userErrors { field message code }
  }
}`;

// --- Webhooks ---------------------------------------------------------------

const WEBHOOK_ENDPOINT_FIELDS = 'id url description events enabled createdBy createdAt updatedAt';

/** Every webhook endpoint (a handful), with the edge cursors the delivery log pages from. */
export const WEBHOOK_ENDPOINTS = `query ConsoleWebhookEndpoints($after: String) {
  webhookEndpoints(first: 100, after: $after) {
    pageInfo { hasNextPage endCursor }
    edges { cursor node { ${WEBHOOK_ENDPOINT_FIELDS} } }
  }
}`;

/** Rows per page of a delivery log. */
export const DELIVERY_PAGE = 20;

const DELIVERY_FIELDS = 'id eventId eventType status attempts lastStatusCode lastError nextAttemptAt deliveredAt createdAt';

/**
 * One endpoint's delivery log. `WebhookEndpoint` is not a `Node`, so the
 * endpoint is read as the one that follows `$before` (the cursor of the
 * endpoint listed before it; null for the first) in the oldest-first
 * endpoint list: one endpoint, one deliveries query.
 */
export const WEBHOOK_DELIVERIES = `query ConsoleWebhookDeliveries($before: String, $after: String) {
  webhookEndpoints(first: 1, after: $before) {
    nodes {
      id
      deliveries(first: ${DELIVERY_PAGE}, after: $after) {
        totalCount pageInfo { hasNextPage endCursor }
        nodes { ${DELIVERY_FIELDS} }
      }
    }
  }
}`;

export const CREATE_WEBHOOK_ENDPOINT = `mutation ConsoleCreateWebhookEndpoint($input: CreateWebhookEndpointInput!) {
  createWebhookEndpoint(input: $input) { endpoint { ${WEBHOOK_ENDPOINT_FIELDS} } secret userErrors { field message code } }
}`;

export const UPDATE_WEBHOOK_ENDPOINT = `mutation ConsoleUpdateWebhookEndpoint($input: UpdateWebhookEndpointInput!) {
  updateWebhookEndpoint(input: $input) { endpoint { ${WEBHOOK_ENDPOINT_FIELDS} } userErrors { field message code } }
}`;

export const DELETE_WEBHOOK_ENDPOINT = `mutation ConsoleDeleteWebhookEndpoint($input: DeleteWebhookEndpointInput!) {
  deleteWebhookEndpoint(input: $input) { deletedEndpointId userErrors { field message code } }
}`;

export const REDELIVER_WEBHOOK = `mutation ConsoleRedeliverWebhook($input: RedeliverWebhookInput!) {
  redeliverWebhook(input: $input) { delivery { ${DELIVERY_FIELDS} } userErrors { field message code } }
}`;
