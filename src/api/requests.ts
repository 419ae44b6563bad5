import { z } from 'zod';
import { WireVariablesSchema } from './variables.js';

/**
 * Request bodies of the Agent API, as the client sends them and the emulator checks them. Objects
 * are strict, as the real API is: a field it does not know gets 400 `Unrecognized field "…"`.
 */

const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export const StartSessionRequestSchema = z.strictObject({
  externalSessionKey: z.string().regex(uuid, 'externalSessionKey must be a UUID'),
  instanceConfig: z.strictObject({ endpoint: z.url({ protocol: /^https?$/ }) }),
  tz: z.string().nullable().optional(),
  variables: WireVariablesSchema.optional(),
  featureSupport: z.enum(['Sync', 'Streaming']).optional(),
  streamingCapabilities: z.strictObject({ chunkTypes: z.array(z.literal('Text')) }).optional(),
  bypassUser: z.boolean().optional(),
});
export type StartSessionRequest = z.infer<typeof StartSessionRequestSchema>;

const sequenceId = z.number().int().nonnegative();

export const TextMessageSchema = z.strictObject({
  type: z.literal('Text'),
  sequenceId,
  text: z.string(),
  inReplyToMessageId: z.string().optional(),
});
export const ReplyMessageSchema = z.strictObject({
  type: z.literal('Reply'),
  sequenceId,
  inReplyToMessageId: z.string().optional(),
  reply: z.array(z.unknown()),
});
export const CancelMessageSchema = z.strictObject({
  type: z.literal('Cancel'),
  sequenceId,
  inReplyToMessageId: z.string().optional(),
});
export const TransferFailedMessageSchema = z.strictObject({
  type: z.literal('TransferFailed'),
  sequenceId,
  inReplyToMessageId: z.string().optional(),
  reason: z.enum(['NoAgentAvailable', 'Error']),
  description: z.string().optional(),
});
export const TransferSucceededMessageSchema = z.strictObject({
  type: z.literal('TransferSucceeded'),
  sequenceId,
  inReplyToMessageId: z.string().optional(),
});

/** `AbstractRequestMessage`: what the user says, discriminated by `type`. */
export const RequestMessageSchema = z.discriminatedUnion('type', [
  TextMessageSchema,
  ReplyMessageSchema,
  CancelMessageSchema,
  TransferFailedMessageSchema,
  TransferSucceededMessageSchema,
]);
export type RequestMessage = z.infer<typeof RequestMessageSchema>;

export const SendMessageRequestSchema = z.strictObject({
  message: RequestMessageSchema,
  variables: WireVariablesSchema.optional(),
});
export type SendMessageRequest = z.infer<typeof SendMessageRequestSchema>;

/** Values of the `x-session-end-reason` header of `DELETE /sessions/{id}`. */
export const EndReasonSchema = z.enum(['UserRequest', 'Transfer', 'Expiration', 'Error', 'Other']);
export type EndReason = z.infer<typeof EndReasonSchema>;

export const FeedbackRequestSchema = z.strictObject({
  feedbackId: z.string().min(1),
  feedback: z.enum(['GOOD', 'BAD']),
  text: z.string().optional(),
  details: z
    .record(z.string(), z.unknown())
    .refine((d) => Object.keys(d).length <= 10, 'details holds at most 10 properties')
    .optional(),
});
export type FeedbackRequest = z.infer<typeof FeedbackRequestSchema>;

/** Form body of `POST /services/oauth2/token` (client credentials). */
export const TokenRequestSchema = z.object({
  grant_type: z.literal('client_credentials'),
  client_id: z.string().min(1),
  client_secret: z.string().min(1),
});

/** A BotDefinition id: 15 or 18 characters with the prefix `0Xx`. */
export const AGENT_ID_PATTERN = /^0Xx[a-zA-Z0-9]{12}(?:[a-zA-Z0-9]{3})?$/;

export function isAgentId(value: unknown): value is string {
  return typeof value === 'string' && AGENT_ID_PATTERN.test(value);
}

/** An agent's API name (`DeveloperName`): a letter, then letters, digits and underscores. */
export const AGENT_NAME_PATTERN = /^[A-Za-z]\w{0,79}$/;

/** Whether `value` is an agent's API name (never an agent id: those start with `0Xx`). */
export function isAgentName(value: unknown): value is string {
  return typeof value === 'string' && AGENT_NAME_PATTERN.test(value);
}
