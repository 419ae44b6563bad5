import type { Exchange } from '../exchange.js';
import type { JsonReply, Reply } from '../reply.js';
import { newTraceId, originEventIdAt } from '../ids.js';
import { planStream } from '../sse.js';
import { processTurn } from '../turn.js';

/** `POST /sessions/{id}/messages` (sync) and `POST /sessions/{id}/messages/stream` (SSE). */

/** Sync send: the whole reply as `{messages, _links}`. */
export async function sendRoute(exchange: Exchange, sessionId: string): Promise<JsonReply> {
  const denied = exchange.authorize();
  if (denied) return denied;
  const bodyError = exchange.requireJsonBody();
  if (bodyError) return bodyError;
  const turn = await processTurn(exchange, sessionId, false);
  if ('kind' in turn) return turn;
  return exchange.jsonText(
    200,
    `{"messages":${JSON.stringify(turn.messages)},"_links":${turn.session.linksJson}}`,
  );
}

/** Whether an `Accept` header allows `text/event-stream` (listed explicitly). */
export function acceptsEventStream(accept: string | undefined): boolean {
  return accept !== undefined && /(^|,)\s*text\/event-stream\s*(;|,|$)/i.test(accept);
}

/**
 * Streaming send. Errors (401, 404, 406, 423, 400...) are plain JSON replies before any SSE;
 * a missing `Accept: text/event-stream` gets 406.
 */
export async function streamRoute(exchange: Exchange, sessionId: string): Promise<Reply> {
  const denied = exchange.authorize();
  if (denied) return denied;
  if (!acceptsEventStream(exchange.req.headers.accept)) {
    return exchange.error(406, 'NotAcceptableError', 'Accept: text/event-stream is required');
  }
  const bodyError = exchange.requireJsonBody();
  if (bodyError) return bodyError;
  const turn = await processTurn(exchange, sessionId, true);
  if ('kind' in turn) return turn;
  const fault = exchange.fault;
  const validation = fault !== undefined && 'validationFailure' in fault ? fault : undefined;
  return {
    kind: 'stream',
    session: turn.session,
    events: planStream(turn.messages, validation, exchange.state.options.streamShape),
    originEventId: originEventIdAt(exchange.now()),
    traceId: newTraceId(),
  };
}
