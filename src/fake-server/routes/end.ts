import { EndReasonSchema } from '../../api/index.js';
import type { Exchange } from '../exchange.js';
import type { JsonReply } from '../reply.js';
import { newApiId } from '../ids.js';

/** `DELETE /sessions/{id}`: the `x-session-end-reason` header is required. */
export function endRoute(exchange: Exchange, sessionId: string): JsonReply {
  const denied = exchange.authorize();
  if (denied) return denied;
  const header = exchange.req.headers['x-session-end-reason'];
  if (header === undefined || header === '') {
    return exchange.badRequest('Required header x-session-end-reason is missing');
  }
  const reason = EndReasonSchema.safeParse(header);
  if (!reason.success) {
    return exchange.badRequest(
      `Invalid x-session-end-reason: ${JSON.stringify(header)} (expected one of ${EndReasonSchema.options.join(', ')})`,
    );
  }
  const session = exchange.openSession(sessionId);
  if (!('id' in session)) return session;
  if (session.inFlight) return exchange.error(423);
  exchange.state.sessions.end(sessionId, 'client', reason.data, exchange.now());
  const ended = { type: 'SessionEnded', id: newApiId(), reason: 'ClientRequest', feedbackId: '' };
  return exchange.jsonText(
    200,
    `{"messages":[${JSON.stringify(ended)}],"_links":${session.linksJson}}`,
  );
}
