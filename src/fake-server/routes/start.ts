import { StartSessionRequestSchema, isAgentId } from '../../api/index.js';
import { completeReply } from '../agents/drafts.js';
import type { Exchange } from '../exchange.js';
import type { JsonReply } from '../reply.js';
import { newApiId } from '../ids.js';

/** The 400 message of a malformed agent id, as the Agent API words it. */
export function invalidAgentIdMessage(value: string): string {
  return `${value} is not a valid agent ID`;
}

/** The 400 message of `bypassUser: true` on an Employee agent, as the Agent API words it. */
export const INVALID_USER_MESSAGE = 'Invalid user ID provided on start session: ';
/** The 401 message of an agent the connected app is not attached to, as captured. */
export const NOT_ATTACHED_MESSAGE = 'Connected app is not attached to Agent';
/** The error class of a 500 for an `instanceConfig.endpoint` that is not the org's My Domain. */
export const ENGINE_CONFIG_ERROR = 'EngineConfigLookupException';

/** The 500 message of a well-formed agent id that names no agent (as recorded from the real API). */
function unknownAgentMessage(requestId: string): string {
  const upstream = [
    {
      message: `An unexpected error occurred. Please include this ErrorId if you contact support: ${requestId}`,
      errorCode: 'UNKNOWN_EXCEPTION',
    },
  ];
  return `500 ${JSON.stringify(upstream)}`;
}

/** `https://Example.my.salesforce.com/` and `https://example.my.salesforce.com` are one endpoint. */
function sameOrigin(a: string, b: string): boolean {
  try {
    return (
      new URL(a).origin === new URL(b).origin && !/[?#]/.test(a) && !/\/./.test(new URL(a).pathname)
    );
  } catch {
    return false;
  }
}

/**
 * `POST /agents/{id}/sessions`: starts a session and answers with the agent's greeting. Fails as
 * the real API does: a malformed id 400, a well-formed id of no agent 500
 * `HttpServerErrorException`, an agent the app is not attached to 401, an endpoint other than the
 * org's My Domain 500 `EngineConfigLookupException`, an inactive agent 422, `bypassUser: true` on
 * an Employee agent 400 `AgentApiException`.
 */
export async function startRoute(exchange: Exchange, agentId: string): Promise<JsonReply> {
  const denied = exchange.authorize();
  if (denied) return denied;
  if (!isAgentId(agentId)) return exchange.badRequest(invalidAgentIdMessage(agentId));
  const bodyError = exchange.requireJsonBody();
  if (bodyError) return bodyError;
  const parsed = exchange.validate(StartSessionRequestSchema);
  if (!parsed.ok) return parsed.reply;
  const req = parsed.value;
  const { state } = exchange;
  const agent = state.agents.find(agentId);
  if (agent === undefined) {
    return exchange.error(500, 'HttpServerErrorException', unknownAgentMessage(exchange.requestId));
  }
  if (agent.connected === false)
    return exchange.error(401, 'UnauthorizedException', NOT_ATTACHED_MESSAGE);
  if (!sameOrigin(req.instanceConfig.endpoint, state.myDomainUrl)) {
    return exchange.error(
      500,
      ENGINE_CONFIG_ERROR,
      `Could not find the engine config for the endpoint ${req.instanceConfig.endpoint}`,
    );
  }
  if (!agent.active) return exchange.error(422);
  if (agent.type === 'employee' && req.bypassUser === true) {
    return exchange.error(400, 'AgentApiException', INVALID_USER_MESSAGE);
  }
  const sessionId = newApiId();
  const session = state.sessions.create({
    id: sessionId,
    agentId,
    externalSessionKey: req.externalSessionKey,
    tz: req.tz,
    bypassUser: req.bypassUser,
    variables: req.variables ?? [],
    now: exchange.now(),
    baseUrl: state.url,
  });
  let messagesJson: string;
  try {
    const greeting = await state.agent.greeting({
      sessionId,
      agentId,
      externalSessionKey: req.externalSessionKey,
      variables: Object.fromEntries(session.variables),
      tz: req.tz,
      bypassUser: req.bypassUser,
    });
    const messages = completeReply(greeting, '');
    messagesJson = JSON.stringify(messages);
    // A greeting may already end the session (e.g. an agent that is closed): end it here too.
    const ended = messages.find((m) => m.type === 'SessionEnded');
    if (ended !== undefined) {
      const reason = typeof ended.reason === 'string' ? ended.reason : 'Action';
      state.sessions.end(sessionId, 'server', reason, exchange.now());
    }
  } catch (err) {
    state.sessions.end(sessionId, 'server', 'Error', exchange.now());
    const text = err instanceof Error ? err.message : String(err);
    return exchange.error(500, 'HttpServerErrorException', `The agent failed: ${text}`);
  }
  return exchange.jsonText(
    200,
    `{"sessionId":${JSON.stringify(sessionId)},"_links":${session.linksJson},"messages":${messagesJson}}`,
    { 'x-session-mode': 'default' },
  );
}
