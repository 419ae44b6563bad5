import { randomUUID } from 'node:crypto';
import { customAlphabet, nanoid } from 'nanoid';

/**
 * Identifier makers. The API's own ids (sessions, messages, plans, feedback) are UUIDs; the ids
 * that are not UUIDs on the wire (request ids, trace ids) come from nanoid.
 */

/** A new id for an API object: session, message, plan or feedback id (a v4 UUID). */
export function newApiId(): string {
  return randomUUID();
}

/** A new request id for the `X-Request-ID` header and the `requestId` of error bodies. */
export function newRequestId(): string {
  return nanoid();
}

const hex32 = customAlphabet('0123456789abcdef', 32);

/** A new 32-hex-digit trace id, as SSE envelopes carry. */
export function newTraceId(): string {
  return hex32();
}

/** The `originEventId` of a streamed turn: the request time in ms with the suffix `-REQ`. */
export function originEventIdAt(ms: number): string {
  return `${ms}-REQ`;
}
