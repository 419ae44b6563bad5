import { z } from 'zod';
import { AnyResponseMessageSchema } from './messages.js';

/** Response bodies of the Agent API. Loose: unknown fields are kept. */

const link = z.looseObject({ href: z.string() }).nullable();

/** `_links` of a sync response. Real responses send `self: null`; clients must not rely on it. */
export const LinksSchema = z.looseObject({
  self: link.optional(),
  messages: link.optional(),
  messagesStream: link.optional(),
  session: link.optional(),
  end: link.optional(),
});
export type Links = z.infer<typeof LinksSchema>;

export const StartSessionResponseSchema = z.looseObject({
  sessionId: z.string().min(1),
  _links: LinksSchema.optional(),
  messages: z.array(AnyResponseMessageSchema),
});

/** Body of a sync send and of an end-session reply: `{ messages, _links }`. */
export const MessagesResponseSchema = z.looseObject({
  messages: z.array(AnyResponseMessageSchema),
  _links: LinksSchema.optional(),
});

/** The `Error` body: all six fields documented as required; real bodies add `mode` and `expected`. */
export const ErrorBodySchema = z.looseObject({
  status: z.number(),
  path: z.string(),
  requestId: z.string(),
  error: z.string(),
  message: z.string(),
  timestamp: z.number(),
  mode: z.string().optional(),
  expected: z.boolean().optional(),
});
export type ErrorBody = z.infer<typeof ErrorBodySchema>;

export const StatusResponseSchema = z.looseObject({ status: z.enum(['UP', 'DOWN']) });

/** 200 of the OAuth token endpoint. */
export const TokenResponseSchema = z.looseObject({
  access_token: z.string().min(1),
  token_type: z.string().optional(),
  instance_url: z.string().optional(),
  api_instance_url: z.string().optional(),
  issued_at: z.string().optional(),
  scope: z.string().optional(),
  token_format: z.string().optional(),
  signature: z.string().optional(),
  id: z.string().optional(),
});
export type TokenResponse = z.infer<typeof TokenResponseSchema>;

/** OAuth error body (HTTP 400 or 401 from the token endpoint). */
export const OAuthErrorBodySchema = z.looseObject({
  error: z.string(),
  error_description: z.string().optional(),
});
export type OAuthErrorBody = z.infer<typeof OAuthErrorBodySchema>;

/** The data of one SSE event of a streamed turn (`CopilotEvent`). */
export const StreamEventDataSchema = z.looseObject({
  timestamp: z.number().optional(),
  originEventId: z.string().optional(),
  traceId: z.string().optional(),
  offset: z.number().optional(),
  message: AnyResponseMessageSchema,
});

/** SSE `event:` names (`EventType`), plus the guessed name of a validation failure chunk. */
export const StreamEventTypeSchema = z.enum([
  'UNKNOWN',
  'END_OF_TURN',
  'PROGRESS_INDICATOR',
  'INFORM',
  'INQUIRE',
  'CONFIRM',
  'FAILURE',
  'SESSION_ENDED',
  'ERROR',
  'ESCALATE',
  'TEXT_CHUNK',
  'VALIDATION_FAILURE_CHUNK',
]);

/** Session-not-found, as the API words it: `error: NotFoundException`, `V6Session not found ...`. */
export const SESSION_NOT_FOUND_ERROR = 'NotFoundException';
export const SESSION_NOT_FOUND_MESSAGE = /not found for sessionId/i;

export function isSessionNotFoundBody(body: unknown): boolean {
  if (typeof body !== 'object' || body === null) return false;
  const { error, message } = body as { error?: unknown; message?: unknown };
  return (
    error === SESSION_NOT_FOUND_ERROR ||
    (typeof message === 'string' && SESSION_NOT_FOUND_MESSAGE.test(message))
  );
}
