/** The one place where Agent API URLs are built. Every id is encoded. */

/** Path prefix of the Agent API on its host. */
export const AGENT_API_PREFIX = '/einstein/ai-agent/v1';
/** Path of the OAuth token endpoint on the My Domain host. */
export const TOKEN_PATH = '/services/oauth2/token';

/** The REST API version of the SOQL query that resolves an agent by its API name. */
export const REST_API_VERSION = '62.0';

/** Path of the REST API's SOQL query endpoint on the My Domain host. */
export function queryPath(version = REST_API_VERSION): string {
  return `/services/data/v${version}/query`;
}

const enc = encodeURIComponent;

export const apiPaths = {
  startSession: (agentId: string) => `${AGENT_API_PREFIX}/agents/${enc(agentId)}/sessions`,
  messages: (sessionId: string) => `${AGENT_API_PREFIX}/sessions/${enc(sessionId)}/messages`,
  messagesStream: (sessionId: string) =>
    `${AGENT_API_PREFIX}/sessions/${enc(sessionId)}/messages/stream`,
  session: (sessionId: string) => `${AGENT_API_PREFIX}/sessions/${enc(sessionId)}`,
  feedback: (sessionId: string) => `${AGENT_API_PREFIX}/sessions/${enc(sessionId)}/feedback`,
  status: () => `${AGENT_API_PREFIX}/status`,
} as const;

/** Joins a base URL (with or without a trailing slash) and an absolute path. */
export function joinUrl(base: string, path: string): string {
  return base.replace(/\/+$/, '') + path;
}
