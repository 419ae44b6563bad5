import { StartSessionRequestSchema, isAgentId } from '../../api/index.js';
import { completeReply } from '../agents/drafts.js';
import type { Exchange } from '../exchange.js';
import type { JsonReply } from '../reply.js';
import { newApiId } from '../ids.js';

/** The 400 message of a malformed agent id, as the Agent API words it. */
export function invalidAgentIdMessage(value: string): string {
  return `${value} is not a valid agent ID`;
}

/** `POST /agents/{id}/sessions`: starts a session and answers with the agent's greeting. */
export async function startRoute(x: Exchange, agentId: string): Promise<JsonReply> {
  const denied = x.authorize();
  if (denied) return denied;
  if (!isAgentId(agentId)) return x.badRequest(invalidAgentIdMessage(agentId));
  const bodyError = x.requireJsonBody();
  if (bodyError) return bodyError;
  const parsed = x.validate(StartSessionRequestSchema);
  if (!parsed.ok) return parsed.reply;
  const req = parsed.value;
  const { state } = x;
  const sessionId = newApiId();
  const session = state.sessions.create({
    id: sessionId,
    agentId,
    externalSessionKey: req.externalSessionKey,
    tz: req.tz,
    bypassUser: req.bypassUser,
    variables: req.variables ?? [],
    now: x.now(),
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
      state.sessions.end(sessionId, 'server', reason, x.now());
    }
  } catch (err) {
    state.sessions.end(sessionId, 'server', 'Error', x.now());
    const text = err instanceof Error ? err.message : String(err);
    return x.error(500, 'HttpServerErrorException', `The agent failed: ${text}`);
  }
  return x.jsonText(
    200,
    `{"sessionId":${JSON.stringify(sessionId)},"_links":${session.linksJson},"messages":${messagesJson}}`,
    { 'x-session-mode': 'default' },
  );
}
