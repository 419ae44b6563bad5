/**
 * Every diagnosis `agentforce-session doctor` can make: the step that finds it, what the user
 * sees, why, and what to change. docs/real-org.md lists the same rows (a test holds the two
 * together), so a diagnosis is added here and there at once.
 */
import { EXIT } from '../exit-codes.js';

/** The steps of `doctor`, in the order they run. */
export const DOCTOR_STEPS = [
  'config',
  'my-domain',
  'reachable',
  'token',
  'jwt',
  'scopes',
  'api-host',
  'agent',
  'start',
  'send',
  'end',
] as const;

export type DoctorStep = (typeof DOCTOR_STEPS)[number];

/** What each step is called in the checklist. */
export const STEP_TITLES: Readonly<Record<DoctorStep, string>> = {
  config: 'configuration',
  'my-domain': 'My Domain URL',
  reachable: 'My Domain reachable',
  token: 'token request',
  jwt: 'token is a JWT',
  scopes: 'scopes',
  'api-host': 'Agent API host',
  agent: 'agent',
  start: 'start a session',
  send: 'send a message',
  end: 'end the session',
};

/** One diagnosis: a row of the table in docs/real-org.md. */
export interface Diagnosis {
  readonly step: DoctorStep;
  /** What the user sees (the reply or the value that gave it away). */
  readonly symptom: string;
  /** Why. */
  readonly cause: string;
  /** What to change, in plain words. */
  readonly fix: string;
  /** The exit code of `doctor` when this is the first failure (docs/cli.md). */
  readonly exitCode: number;
}

/** The scopes the token needs: the Agent API's two, and `api` for the agent lookup (SOQL). */
export const REQUIRED_SCOPES = ['api', 'sfap_api', 'chatbot_api'] as const;

const CONFIG = EXIT.configuration;
const AUTH = EXIT.authentication;

/** Every diagnosis, by id. */
export const DIAGNOSES = {
  'config-invalid': {
    step: 'config',
    symptom: 'a flag or SF_* variable is missing or malformed',
    cause: 'the configuration cannot name an org, an app and an agent',
    fix: 'set what the message names (SF_MY_DOMAIN_URL, SF_CLIENT_ID, SF_CLIENT_SECRET, SF_AGENT_ID or their flags), or pass --emulator',
    exitCode: EXIT.usage,
  },
  'my-domain-lightning': {
    step: 'my-domain',
    symptom: 'the URL is a Lightning URL (*.lightning.force.com)',
    cause:
      'the token endpoint and instanceConfig.endpoint need the My Domain URL; a Lightning URL gets 500 EngineConfigLookupException at start',
    fix: 'use the My Domain URL, https://NAME.my.salesforce.com',
    exitCode: CONFIG,
  },
  'my-domain-login-host': {
    step: 'my-domain',
    symptom: 'the URL is login.salesforce.com or test.salesforce.com',
    cause:
      'the client credentials flow posts to the org’s own My Domain, not to the generic login host',
    fix: 'use the org’s My Domain URL, https://NAME.my.salesforce.com (a sandbox’s ends in .sandbox.my.salesforce.com)',
    exitCode: CONFIG,
  },
  'my-domain-api-host': {
    step: 'my-domain',
    symptom: 'the URL is the Agent API host (api.salesforce.com)',
    cause:
      'the token is requested from the My Domain; api.salesforce.com only serves the Agent API',
    fix: 'put the My Domain URL in SF_MY_DOMAIN_URL / --my-domain; the API host goes in --api-base, if anywhere',
    exitCode: CONFIG,
  },
  'my-domain-unreachable': {
    step: 'reachable',
    symptom:
      'no HTTP answer from the My Domain URL (name not found, connection refused, TLS error or timeout)',
    cause:
      'the host name is misspelt, or the network (proxy, firewall, VPN) does not let this machine reach it',
    fix: 'check the spelling of the URL and open it in a browser from this machine',
    exitCode: CONFIG,
  },
  'token-endpoint-not-found': {
    step: 'token',
    symptom: 'the token endpoint answered 404 or a page that is not an OAuth reply',
    cause: 'the URL is not a Salesforce My Domain (or has a path after the host)',
    fix: 'use the bare My Domain URL, https://NAME.my.salesforce.com, with nothing after the host',
    exitCode: CONFIG,
  },
  'token-invalid-client-id': {
    step: 'token',
    symptom: 'invalid_client_id (client identifier invalid)',
    cause:
      'the org knows no app with this consumer key: a typo, another org’s key, or a new app not yet available',
    fix: 'copy the consumer key again from the app’s OAuth settings into SF_CLIENT_ID; a new app can take a few minutes to become usable',
    exitCode: AUTH,
  },
  'token-invalid-client': {
    step: 'token',
    symptom: 'invalid_client (invalid client credentials)',
    cause: 'the consumer secret does not match the consumer key',
    fix: 'copy the consumer secret again from the app’s OAuth settings into SF_CLIENT_SECRET or the --client-secret-file file',
    exitCode: AUTH,
  },
  'token-no-run-as-user': {
    step: 'token',
    symptom: 'invalid_grant: no client credentials user enabled',
    cause: 'the client credentials flow of the app has no Run As user',
    fix: 'in the app’s policies, turn on Enable Client Credentials Flow and pick a Run As user with at least API Only access',
    exitCode: AUTH,
  },
  'token-max-logins': {
    step: 'token',
    symptom: 'invalid_grant: Maximum Logins Exceeded',
    cause:
      'the Run As user cannot log in this way (a reported cause: an Einstein Agent service user as Run As user)',
    fix: 'pick another Run As user for the client credentials flow, a full-license user with API access',
    exitCode: AUTH,
  },
  'token-invalid-grant': {
    step: 'token',
    symptom: 'invalid_grant (another description)',
    cause: 'the org refused to issue a token for the Run As user',
    fix: 'check the Run As user of the client credentials flow: active, allowed to use the app, with API access',
    exitCode: AUTH,
  },
  'token-unsupported-grant': {
    step: 'token',
    symptom: 'unsupported_grant_type',
    cause: 'the token endpoint does not accept the client_credentials grant for this request',
    fix: 'turn on Enable Client Credentials Flow in the app’s OAuth settings and make sure the URL is the org’s My Domain',
    exitCode: AUTH,
  },
  'token-rate-limited': {
    step: 'token',
    symptom: 'login rate exceeded (or 429)',
    cause: 'too many token requests for this user in a short time',
    fix: 'wait 15 to 30 minutes; cache the token (the library does) instead of requesting one per call',
    exitCode: AUTH,
  },
  'token-refused': {
    step: 'token',
    symptom: 'another OAuth error or status from the token endpoint',
    cause: 'the org refused the request for a reason not listed here',
    fix: 'read the error and its description shown above; docs/real-org.md lists the common ones',
    exitCode: AUTH,
  },
  'token-not-jwt': {
    step: 'jwt',
    symptom: 'the access token is not a JWT (no three dot-separated parts)',
    cause:
      'the app issues opaque tokens; the Agent API answers every call made with one by 404 with an empty body',
    fix: 'in the app’s OAuth settings, turn on Issue JSON Web Token (JWT)-based access tokens for named users',
    exitCode: CONFIG,
  },
  'scope-missing': {
    step: 'scopes',
    symptom: 'the token reply’s scope lacks api, sfap_api or chatbot_api',
    cause: 'the app’s selected OAuth scopes do not include them',
    fix: 'add the scopes Manage user data via APIs (api), Access chatbot services (chatbot_api) and Access the Salesforce API Platform (sfap_api) to the app',
    exitCode: CONFIG,
  },
  'api-host-my-domain': {
    step: 'api-host',
    symptom: 'the Agent API host is a My Domain or Lightning host',
    cause:
      'the Agent API is served by api.salesforce.com, not by the org (404 "URL No Longer Exists")',
    fix: 'drop --api-base (the token names the host) or set it to https://api.salesforce.com (a sandbox: https://test.api.salesforce.com)',
    exitCode: CONFIG,
  },
  'api-host-sandbox': {
    step: 'api-host',
    symptom: 'a sandbox My Domain with the production API host (api.salesforce.com)',
    cause: 'a sandbox’s sessions live on test.api.salesforce.com; the production host answers 404',
    fix: 'pass --api-base https://test.api.salesforce.com',
    exitCode: CONFIG,
  },
  'agent-lookup-failed': {
    step: 'agent',
    symptom: 'the BotDefinition query was refused',
    cause:
      'the Run As user cannot query agents through the REST API (a 403 usually means no api scope or no permission)',
    fix: 'give the app the api scope and the Run As user read access to agents, or check the error shown above',
    exitCode: CONFIG,
  },
  'agent-not-found': {
    step: 'agent',
    symptom: 'no BotDefinition with this id or API name in the org',
    cause: 'the agent id or API name is wrong, or belongs to another org',
    fix: 'copy the agent’s id (0Xx…, in the URL of the agent’s page in Setup) or its API name into SF_AGENT_ID / --agent-id or --agent-name',
    exitCode: CONFIG,
  },
  'agent-unknown': {
    step: 'start',
    symptom: '500 HttpServerErrorException when the session starts',
    cause: 'the Agent API knows no agent with this id in the org',
    fix: 'check SF_AGENT_ID / --agent-id: the BotDefinition id (0Xx…) of an agent of this org',
    exitCode: CONFIG,
  },
  'endpoint-mismatch': {
    step: 'start',
    symptom: '500 EngineConfigLookupException when the session starts',
    cause: 'instanceConfig.endpoint (the My Domain URL given) is not the org’s My Domain',
    fix: 'set SF_MY_DOMAIN_URL / --my-domain to the org’s My Domain URL exactly: no Lightning URL, no path, no trailing newline',
    exitCode: CONFIG,
  },
  'agent-not-attached': {
    step: 'start',
    symptom: '401 "Connected app is not attached to Agent"',
    cause: 'the agent has no API connection to this app',
    fix: 'open the agent (Setup → Agentforce Agents), and under Connections add an API connection that names this app',
    exitCode: CONFIG,
  },
  'agent-inactive': {
    step: 'start',
    symptom: '422 "Cannot determine the active version for the agent"',
    cause: 'the agent has no active version',
    fix: 'activate the agent (open it from Setup → Agentforce Agents)',
    exitCode: CONFIG,
  },
  'employee-bypass-user': {
    step: 'start',
    symptom: '400 AgentApiException "Invalid user ID provided on start session"',
    cause: 'an Employee agent runs as the token’s user and refuses bypassUser: true',
    fix: 'start sessions of an Employee agent with bypassUser: false (session option bypassUser)',
    exitCode: CONFIG,
  },
  'start-not-found': {
    step: 'start',
    symptom: '404 with an empty body or no session-not-found body when the session starts',
    cause:
      'the request reached a host that does not serve this org’s Agent API (wrong API host), or the token is not a JWT',
    fix: 'drop --api-base or set the host the token names (a sandbox: https://test.api.salesforce.com)',
    exitCode: CONFIG,
  },
  'start-unauthorized': {
    step: 'start',
    symptom: '401 from the Agent API with a fresh token',
    cause: 'the Agent API does not accept tokens of this app',
    fix: 'check the app’s scopes (sfap_api, chatbot_api) and its JWT setting, then request a new token',
    exitCode: AUTH,
  },
  'start-refused': {
    step: 'start',
    symptom: 'another 4xx when the session starts',
    cause: 'the Agent API refused the start request',
    fix: 'read the error shown above; docs/real-org.md lists the common ones',
    exitCode: CONFIG,
  },
  'api-unreachable': {
    step: 'start',
    symptom: 'no HTTP answer from the Agent API host',
    cause: 'the API host is misspelt or the network does not let this machine reach it',
    fix: 'check --api-base (or drop it); the production host is https://api.salesforce.com',
    exitCode: CONFIG,
  },
  'start-failed': {
    step: 'start',
    symptom: 'another server error when the session starts',
    cause: 'the Agent API failed on its side',
    fix: 'try again in a minute; if it persists, give Salesforce support the request id shown above',
    exitCode: EXIT.session,
  },
  'send-failed': {
    step: 'send',
    symptom: 'the message got no reply',
    cause:
      'the session started but the agent failed to answer (its topics, actions or a 120 s timeout)',
    fix: 'try the same message in Agentforce Builder’s preview; the error shown above names the failure',
    exitCode: EXIT.session,
  },
  'end-failed': {
    step: 'end',
    symptom: 'the session could not be ended',
    cause: 'the DELETE of the session failed; the server ends idle sessions on its own later',
    fix: 'nothing to change in the set-up; read the error shown above if it repeats',
    exitCode: EXIT.session,
  },
} as const satisfies Record<string, Diagnosis>;

export type DiagnosisId = keyof typeof DIAGNOSES;
