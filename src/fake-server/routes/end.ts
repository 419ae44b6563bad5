import { EndReasonSchema } from '../../api/index.js';
import type { Exchange } from '../exchange.js';
import type { JsonReply } from '../reply.js';
import { newApiId } from '../ids.js';

/** `DELETE /sessions/{id}`: the `x-session-end-reason` header is required. */
export function endRoute(x: Exchange, sessionId: string): JsonReply {
  const denied = x.authorize();
  if (denied) return denied;
  const header = x.req.headers['x-session-end-reason'];
  if (header === undefined || header === '') {
    return x.badRequest('Required header x-session-end-reason is missing');
  }
  const reason = EndReasonSchema.safeParse(header);
  if (!reason.success) {
    return x.badRequest(
      `Invalid x-session-end-reason: ${JSON.stringify(header)} (expected one of ${EndReasonSchema.options.join(', ')})`,
    );
  }
  const session = x.openSession(sessionId);
  if (!('id' in session)) return session;
  if (session.inFlight) return x.error(423);
  x.state.sessions.end(sessionId, 'client', reason.data, x.now());
  const ended = { type: 'SessionEnded', id: newApiId(), reason: 'ClientRequest', feedbackId: '' };
  return x.jsonText(200, `{"messages":[${JSON.stringify(ended)}],"_links":${session.linksJson}}`);
}
