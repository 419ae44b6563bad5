/** The fixes a typed error names in its `hint` (docs/errors.md lists each with its source). */
import type { OAuthErrorKind } from './api/oauth-errors.js';

/** One fix for each setting that causes a reply. */
export const HINTS = {
  jwt: "turn on 'Issue JSON Web Token (JWT)-based access tokens for named users' in the app's OAuth settings: the Agent API takes JWT access tokens only",
  empty404:
    "the Agent API answers 404 with an empty body to a token that is not a JWT (turn on 'Issue JSON Web Token (JWT)-based access tokens for named users' in the app) or on the wrong API host (a sandbox or scratch org uses https://test.api.salesforce.com: set apiBaseUrl)",
  other404: 'check the API host and the agent id (apiBaseUrl, agentId)',
  bypassUser:
    "set bypassUser: false: this is an Employee agent, which runs as the token's user and refuses bypassUser: true",
  notAttached:
    'add the app to the agent: in Setup, open the agent, Connections, add an API connection and pick this app',
  inactive: 'activate the agent (Agentforce Builder: Activate), or use an agent that is active',
  agentNotFound:
    'check agentId: the org knows no agent with this id (copy the 0Xx… id of its BotDefinition from Setup, or pass agentName)',
  endpoint:
    "set myDomainUrl to the org's My Domain URL (https://<name>.my.salesforce.com, not the Lightning URL *.lightning.force.com): the API looks the org up by it",
  unauthorized:
    "check the app's OAuth scopes (api, chatbot_api, sfap_api) and that the app is attached to the agent",
  invalidClientId:
    "check the client id (the app's Consumer Key) and that myDomainUrl is the org the app belongs to",
  invalidClient: "check the client secret (the app's Consumer Secret) of this client id",
  maximumLogins:
    "pick another Run As user for the app's client credentials flow: this one may not log in this way (a service or integration user without a full licence gets 'Maximum Logins Exceeded')",
  invalidGrant:
    "enable the Client Credentials Flow in the app's policies and set its Run As user (a user with at least API Only access)",
  unsupportedGrant: "enable the Client Credentials Flow in the app's OAuth settings",
  loginRate:
    'the org limits logins (3,600 an hour per user): make one client per org and share it, so its token is reused, and wait before retrying',
  token:
    'check the client id and secret, and that the Client Credentials Flow is enabled with a Run As user',
  agentName:
    "check agentName: it is the agent's API name (Setup, Agents; e.g. Customer_Support), or pass agentId",
  apiScope:
    "add the 'api' scope (Manage user data via APIs) to the app to find agents by name, or pass agentId instead of agentName",
} as const;

/** The fix of each OAuth error of the token endpoint. */
export const TOKEN_HINTS: Readonly<Record<OAuthErrorKind, string>> = {
  'rate-limited': HINTS.loginRate,
  'invalid-client-id': HINTS.invalidClientId,
  'invalid-client': HINTS.invalidClient,
  'no-run-as-user': HINTS.invalidGrant,
  'max-logins': HINTS.maximumLogins,
  'invalid-grant': HINTS.invalidGrant,
  'unsupported-grant': HINTS.unsupportedGrant,
  other: HINTS.token,
};
