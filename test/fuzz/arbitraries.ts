/**
 * fast-check arbitraries of the Agent API's wire values, one per response message type, built
 * to the schemas of src/api (each test checks that what it generates passes its schema, so a
 * schema change that these do not follow fails loudly).
 */
import fc from 'fast-check';
import type { KnownMessageType } from '../../src/api/index.js';

const str = fc.string({ maxLength: 40 });
const text = fc.string({ unit: 'grapheme', maxLength: 60 });
const id = fc.oneof(fc.uuid(), fc.string({ minLength: 1, maxLength: 20 }));
const int = fc.integer({ min: -1_000, max: 1_000_000 });

/** `{ type, property?, value }` */
const typePropertyValue = fc.record(
  { type: str, property: str, value: fc.jsonValue({ maxDepth: 2 }) },
  { requiredKeys: ['type', 'value'] },
);

const citedReference = fc.record(
  {
    type: str,
    value: str,
    recordId: str,
    label: fc.option(str, { nil: null }),
    inlineMetadata: fc.array(fc.record({ claim: str, location: fc.integer() }), { maxLength: 2 }),
  },
  { requiredKeys: ['type', 'value'] },
);

/** Keys no known message type uses: extra fields a newer API might add. */
const RESERVED = new Set([
  'id',
  'type',
  'message',
  'isContentSafe',
  'feedbackId',
  'planId',
  'result',
  'citedReferences',
  'collect',
  'confirm',
  'code',
  'errors',
  'targets',
  'reason',
  'httpStatus',
  'error',
  'expected',
  'traceId',
  'timestamp',
  'indicatorType',
  'offset',
  'formatType',
  '__proto__',
  'constructor',
]);
const extraFields = fc.dictionary(
  fc.string({ minLength: 1, maxLength: 12 }).filter((k) => !RESERVED.has(k)),
  fc.jsonValue({ maxDepth: 2 }),
  { maxKeys: 3 },
);

function message<T extends Record<string, unknown>>(
  type: KnownMessageType,
  fields: fc.Arbitrary<T>,
): fc.Arbitrary<Record<string, unknown>> {
  return fc
    .tuple(id, fields, extraFields)
    .map(([messageId, f, extra]) => ({ ...extra, ...f, id: messageId, type }));
}

/** A valid message of each known type, with unknown extra fields now and then. */
export const knownMessages: Record<KnownMessageType, fc.Arbitrary<Record<string, unknown>>> = {
  Inform: message(
    'Inform',
    fc.record(
      {
        message: text,
        isContentSafe: fc.boolean(),
        feedbackId: str,
        planId: str,
        result: fc.array(typePropertyValue, { maxLength: 2 }),
        citedReferences: fc.array(citedReference, { maxLength: 2 }),
      },
      { requiredKeys: ['message', 'isContentSafe', 'feedbackId'] },
    ),
  ),
  Inquire: message(
    'Inquire',
    fc.record(
      {
        feedbackId: str,
        collect: fc.array(
          fc.record(
            {
              targetType: str,
              targetProperty: str,
              data: fc.option(typePropertyValue, { nil: null }),
            },
            { requiredKeys: ['targetType'] },
          ),
          { maxLength: 2 },
        ),
        planId: str,
        isContentSafe: fc.boolean(),
        message: text,
      },
      { requiredKeys: ['feedbackId', 'collect'] },
    ),
  ),
  Confirm: message(
    'Confirm',
    fc.record(
      {
        feedbackId: str,
        confirm: fc.array(typePropertyValue, { maxLength: 2 }),
        planId: str,
        isContentSafe: fc.boolean(),
        message: text,
      },
      { requiredKeys: ['feedbackId', 'confirm'] },
    ),
  ),
  Failure: message(
    'Failure',
    fc.record(
      {
        feedbackId: str,
        code: fc.constantFrom('ACTION_FAILED', 'ESCALATE', 'SOMETHING_NEW'),
        errors: fc.array(str, { maxLength: 2 }),
        message: text,
        planId: str,
        isContentSafe: fc.boolean(),
      },
      { requiredKeys: ['feedbackId', 'code'] },
    ),
  ),
  Escalate: message(
    'Escalate',
    fc.record(
      {
        feedbackId: str,
        targets: fc.array(fc.record({ type: str, value: str }, { requiredKeys: ['type'] }), {
          maxLength: 2,
        }),
        message: text,
      },
      { requiredKeys: ['feedbackId', 'targets'] },
    ),
  ),
  SessionEnded: message(
    'SessionEnded',
    fc.record(
      {
        reason: fc.oneof(fc.constantFrom('ClientRequest', 'Action', 'Error'), str),
        feedbackId: str,
      },
      { requiredKeys: ['reason'] },
    ),
  ),
  Error: message(
    'Error',
    fc.record(
      {
        feedbackId: str,
        httpStatus: fc.integer({ min: 100, max: 599 }),
        error: str,
        message: text,
        expected: fc.boolean(),
        traceId: str,
        timestamp: fc.integer({ min: 0 }),
      },
      { requiredKeys: ['httpStatus', 'error', 'message'] },
    ),
  ),
  ProgressIndicator: message(
    'ProgressIndicator',
    fc.record({ indicatorType: fc.constantFrom('ACTION', 'THINKING'), message: text }),
  ),
  TextChunk: message(
    'TextChunk',
    fc.record(
      { offset: int, message: text, formatType: fc.constantFrom('Text', 'Unknown') },
      { requiredKeys: ['offset', 'message'] },
    ),
  ),
  ValidationFailureChunk: message(
    'ValidationFailureChunk',
    fc.record({ offset: int, reason: str }, { requiredKeys: ['offset'] }),
  ),
  EndOfTurn: message('EndOfTurn', fc.record({})),
};

/** Any valid known message. */
export const anyKnownMessage = fc.oneof(...Object.values(knownMessages));

/** A message of a type this library does not know (`LightningChunk`, ...). */
export const unknownMessage = fc
  .tuple(
    fc.oneof(
      fc.constantFrom('LightningChunk', 'Citation', 'inform', 'INFORM', ''),
      fc.string({ maxLength: 16 }),
    ),
    fc.dictionary(
      fc.string({ minLength: 1, maxLength: 10 }).filter((k) => k !== 'type' && k !== '__proto__'),
      fc.jsonValue({ maxDepth: 2 }),
      { maxKeys: 4 },
    ),
  )
  .filter(([type]) => !Object.prototype.hasOwnProperty.call(knownMessages, type))
  .map(([type, fields]) => ({ ...fields, type }));

/** Any JSON text, cut somewhere: what a dropped or broken reply leaves. */
export function truncated(json: string): fc.Arbitrary<string> {
  return fc.integer({ min: 0, max: Math.max(0, json.length - 1) }).map((n) => json.slice(0, n));
}
