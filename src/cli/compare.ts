/**
 * Comparing a recorded reply with a new one, for `replay`: message types and texts, in order.
 * Ids, feedback ids, plan ids and timestamps differ on every run and are ignored.
 */
import type { ErrorInfo, ResponseMessage } from '../index.js';

/** What is compared of one message. */
export interface MessageShape {
  type: string;
  text: string;
}

/** A reply as compared: its messages, or the failure code. */
export type ReplyShape = { messages: MessageShape[] } | { error: string };

export interface MessageDifference {
  /** Position in the reply, from 1. */
  index: number;
  expected: MessageShape | null;
  actual: MessageShape | null;
}

export function shapeOf(message: ResponseMessage): MessageShape {
  const text = message['message'];
  return { type: message.type, text: typeof text === 'string' ? text : '' };
}

export function replyShape(messages: readonly ResponseMessage[], error?: ErrorInfo): ReplyShape {
  return error ? { error: error.code } : { messages: messages.map(shapeOf) };
}

/** The differences between two replies; empty when they match. */
export function compareReplies(expected: ReplyShape, actual: ReplyShape): MessageDifference[] {
  if ('error' in expected || 'error' in actual) {
    if ('error' in expected && 'error' in actual && expected.error === actual.error) return [];
    return [
      {
        index: 1,
        expected:
          'error' in expected
            ? { type: 'error', text: expected.error }
            : (expected.messages[0] ?? null),
        actual:
          'error' in actual ? { type: 'error', text: actual.error } : (actual.messages[0] ?? null),
      },
    ];
  }
  const diffs: MessageDifference[] = [];
  const n = Math.max(expected.messages.length, actual.messages.length);
  for (let i = 0; i < n; i++) {
    const e = expected.messages[i] ?? null;
    const a = actual.messages[i] ?? null;
    if (e?.type !== a?.type || e?.text !== a?.text)
      diffs.push({ index: i + 1, expected: e, actual: a });
  }
  return diffs;
}
