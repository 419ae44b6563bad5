import { FeedbackRequestSchema } from '../../api/index.js';
import type { Exchange } from '../exchange.js';
import type { JsonReply } from '../reply.js';

/**
 * `POST /sessions/{id}/feedback`: 202 with no body. Any non-empty `feedbackId` is accepted and
 * recorded (with whether the session issued it). Feedback does not take the session lock.
 */
export function feedbackRoute(exchange: Exchange, sessionId: string): JsonReply {
  const denied = exchange.authorize();
  if (denied) return denied;
  const bodyError = exchange.requireJsonBody();
  if (bodyError) return bodyError;
  const parsed = exchange.validate(FeedbackRequestSchema);
  if (!parsed.ok) return parsed.reply;
  const session = exchange.openSession(sessionId);
  if (!('id' in session)) return session;
  session.feedback.push({
    ...parsed.value,
    at: exchange.now(),
    known: session.feedbackIds.has(parsed.value.feedbackId),
  });
  return { kind: 'json', status: 202, body: '' };
}
