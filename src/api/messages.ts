import { z } from 'zod';

/**
 * Response messages of the Agent API (`AbstractResponseMessage` and its subtypes), as sent on the
 * wire. Each schema keeps fields it does not know (`looseObject`): the API adds fields such as
 * `metrics` over time, and a client must not drop them.
 */

const base = {
  id: z.string(),
};

/** `{ type, property, value }`: an action's input or output. */
export const TypePropertyValueSchema = z.looseObject({
  type: z.string(),
  property: z.string().optional(),
  value: z.unknown(),
});

export const CitedReferenceSchema = z.looseObject({
  type: z.string(),
  value: z.string(),
  recordId: z.string().optional(),
  label: z.string().nullable().optional(),
  inlineMetadata: z
    .array(z.looseObject({ claim: z.string(), location: z.number().int() }))
    .optional(),
});

export const InformMessageSchema = z.looseObject({
  ...base,
  type: z.literal('Inform'),
  message: z.string(),
  isContentSafe: z.boolean(),
  feedbackId: z.string(),
  planId: z.string().optional(),
  result: z.array(TypePropertyValueSchema).optional(),
  citedReferences: z.array(CitedReferenceSchema).optional(),
});
export type InformMessage = z.infer<typeof InformMessageSchema>;

export const InquireMessageSchema = z.looseObject({
  ...base,
  type: z.literal('Inquire'),
  feedbackId: z.string(),
  collect: z.array(
    z.looseObject({
      targetType: z.string(),
      targetProperty: z.string().optional(),
      data: TypePropertyValueSchema.nullable().optional(),
    }),
  ),
  planId: z.string().optional(),
  isContentSafe: z.boolean().optional(),
  message: z.string().optional(),
});
export type InquireMessage = z.infer<typeof InquireMessageSchema>;

export const ConfirmMessageSchema = z.looseObject({
  ...base,
  type: z.literal('Confirm'),
  feedbackId: z.string(),
  confirm: z.array(TypePropertyValueSchema),
  planId: z.string().optional(),
  isContentSafe: z.boolean().optional(),
  message: z.string().optional(),
});
export type ConfirmMessage = z.infer<typeof ConfirmMessageSchema>;

export const FailureMessageSchema = z.looseObject({
  ...base,
  type: z.literal('Failure'),
  feedbackId: z.string(),
  code: z.string(), // 'ACTION_FAILED' | 'ESCALATE', kept open
  errors: z.array(z.string()).optional(),
  message: z.string().optional(),
  planId: z.string().optional(),
  isContentSafe: z.boolean().optional(),
});
export type FailureMessage = z.infer<typeof FailureMessageSchema>;

export const EscalateMessageSchema = z.looseObject({
  ...base,
  type: z.literal('Escalate'),
  feedbackId: z.string(),
  targets: z.array(z.looseObject({ type: z.string(), value: z.string().optional() })),
  message: z.string().optional(),
});
export type EscalateMessage = z.infer<typeof EscalateMessageSchema>;

export const SessionEndedMessageSchema = z.looseObject({
  ...base,
  type: z.literal('SessionEnded'),
  // Kept open: an unknown reason must not make the client lose the end of a session.
  reason: z.string(),
  feedbackId: z.string().optional(),
});
export type SessionEndedMessage = z.infer<typeof SessionEndedMessageSchema>;

export const ErrorMessageSchema = z.looseObject({
  ...base,
  type: z.literal('Error'),
  feedbackId: z.string().optional(),
  httpStatus: z.number(),
  error: z.string(),
  message: z.string(),
  expected: z.boolean().optional(),
  traceId: z.string().optional(),
  timestamp: z.number().optional(),
});
export type ErrorMessage = z.infer<typeof ErrorMessageSchema>;

export const ProgressIndicatorMessageSchema = z.looseObject({
  ...base,
  type: z.literal('ProgressIndicator'),
  indicatorType: z.string(), // 'ACTION', kept open
  message: z.string(),
});
export type ProgressIndicatorMessage = z.infer<typeof ProgressIndicatorMessageSchema>;

export const TextChunkMessageSchema = z.looseObject({
  ...base,
  type: z.literal('TextChunk'),
  offset: z.number(),
  message: z.string(),
  formatType: z.string().optional(), // 'Text' | 'Unknown'
});
export type TextChunkMessage = z.infer<typeof TextChunkMessageSchema>;

export const ValidationFailureChunkMessageSchema = z.looseObject({
  ...base,
  type: z.literal('ValidationFailureChunk'),
  offset: z.number(),
  reason: z.string().optional(),
});
export type ValidationFailureChunkMessage = z.infer<typeof ValidationFailureChunkMessageSchema>;

export const EndOfTurnMessageSchema = z.looseObject({
  ...base,
  type: z.literal('EndOfTurn'),
});
export type EndOfTurnMessage = z.infer<typeof EndOfTurnMessageSchema>;

/** A message of a type this library does not know (e.g. `LightningChunk`): kept, never rejected. */
export interface UnknownMessage {
  readonly type: string;
  readonly id?: string;
  readonly [field: string]: unknown;
}

/** Every known response message type, by its `type`. */
export const responseMessageSchemas = {
  Inform: InformMessageSchema,
  Inquire: InquireMessageSchema,
  Confirm: ConfirmMessageSchema,
  Failure: FailureMessageSchema,
  Escalate: EscalateMessageSchema,
  SessionEnded: SessionEndedMessageSchema,
  Error: ErrorMessageSchema,
  ProgressIndicator: ProgressIndicatorMessageSchema,
  TextChunk: TextChunkMessageSchema,
  ValidationFailureChunk: ValidationFailureChunkMessageSchema,
  EndOfTurn: EndOfTurnMessageSchema,
} as const;

export type KnownMessageType = keyof typeof responseMessageSchemas;

export type KnownResponseMessage =
  | InformMessage
  | InquireMessage
  | ConfirmMessage
  | FailureMessage
  | EscalateMessage
  | SessionEndedMessage
  | ErrorMessage
  | ProgressIndicatorMessage
  | TextChunkMessage
  | ValidationFailureChunkMessage
  | EndOfTurnMessage;

/** A message as the client hands it on: a known type, validated, or an unknown one, kept as is. */
export type ResponseMessage = KnownResponseMessage | UnknownMessage;

export function isKnownMessageType(type: string): type is KnownMessageType {
  return Object.prototype.hasOwnProperty.call(responseMessageSchemas, type);
}

/**
 * Lenient parse of one response message. A known type that matches its schema comes back typed;
 * an unknown type, or a known type with fields the schema does not accept, comes back as it was
 * sent (an {@link UnknownMessage}); only something that is not an object with a string `type`
 * yields `undefined`.
 */
export function parseResponseMessage(raw: unknown): ResponseMessage | undefined {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return undefined;
  const type = (raw as { type?: unknown }).type;
  if (typeof type !== 'string') return undefined;
  if (isKnownMessageType(type)) {
    const parsed = responseMessageSchemas[type].safeParse(raw);
    if (parsed.success) return parsed.data;
  }
  return raw as UnknownMessage;
}

/** A permissive schema of any response message: an object with a string `type`. */
export const AnyResponseMessageSchema = z.looseObject({ type: z.string() });
