/**
 * Comparing a recorded reply with a new one, for `replay`. Ids, feedback ids, plan ids and
 * timestamps differ on every run and are always ignored; what else counts depends on the mode:
 *
 * - `exact`: the messages' types and texts, in order;
 * - `types`: the messages' types, in order (the wording of a real agent changes every run);
 * - `actions`: the types, and the actions each message reports with their results.
 *
 * A pattern given for a turn replaces the text comparison of that turn: the reply's text (its
 * messages' texts, one per line) must match it, and the types (and actions) are compared as the
 * mode says. A recorded failure matches a failure with the same code, in every mode.
 */
import type { ErrorInfo, ResponseMessage } from '../index.js';

/** How replies are compared: see the module comment. */
export const MATCH_MODES = ['exact', 'types', 'actions'] as const;
export type MatchMode = (typeof MATCH_MODES)[number];

/** An action a message reports, with its result (an `Inform`'s `result` entry). */
export interface ActionShape {
  type: string;
  value: unknown;
}

/** What is compared of one message. */
export interface MessageShape {
  type: string;
  text: string;
  /** The action results the message carries; absent when there are none. */
  actions?: ActionShape[];
}

/** A reply as compared: its messages, or the failure code. */
export type ReplyShape = { messages: MessageShape[] } | { error: string };

export interface MessageDifference {
  /** Position in the reply, from 1; 0 for the reply's text against the turn's pattern. */
  index: number;
  expected: MessageShape | null;
  actual: MessageShape | null;
}

/** How to compare: the mode, and the pattern the reply's text must match, if any. */
export interface Matching {
  mode: MatchMode;
  pattern?: RegExp | undefined;
}

function actionsOf(message: ResponseMessage): ActionShape[] {
  const results = message['result'];
  if (!Array.isArray(results)) return [];
  return results.map((result: unknown) => {
    const r = (result ?? {}) as { type?: unknown; value?: unknown };
    return { type: typeof r.type === 'string' ? r.type : '', value: r.value ?? null };
  });
}

export function shapeOf(message: ResponseMessage): MessageShape {
  const text = message['message'];
  const actions = actionsOf(message);
  return {
    type: message.type,
    text: typeof text === 'string' ? text : '',
    ...(actions.length > 0 ? { actions } : {}),
  };
}

export function replyShape(messages: readonly ResponseMessage[], error?: ErrorInfo): ReplyShape {
  return error ? { error: error.code } : { messages: messages.map(shapeOf) };
}

/** JSON with object keys sorted, so that two equal values give one string. */
function canonical(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v !== null && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : v,
  );
}

function sameMessage(e: MessageShape | null, a: MessageShape | null, matching: Matching): boolean {
  if (e === null || a === null) return e === a;
  if (e.type !== a.type) return false;
  if (matching.mode === 'exact' && matching.pattern === undefined && e.text !== a.text)
    return false;
  if (matching.mode === 'actions' && canonical(e.actions ?? []) !== canonical(a.actions ?? []))
    return false;
  return true;
}

/** The text of a reply as a pattern sees it: its messages' texts, one per line. */
export function replyText(reply: ReplyShape): string {
  return 'error' in reply ? '' : reply.messages.map((m) => m.text).join('\n');
}

/** The differences between two replies; empty when they match. */
export function compareReplies(
  expected: ReplyShape,
  actual: ReplyShape,
  matching: Matching = { mode: 'exact' },
): MessageDifference[] {
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
  const { pattern } = matching;
  if (pattern !== undefined && !pattern.test(replyText(actual))) {
    diffs.push({
      index: 0,
      expected: { type: 'pattern', text: String(pattern) },
      actual: { type: 'text', text: replyText(actual) },
    });
  }
  const n = Math.max(expected.messages.length, actual.messages.length);
  for (let i = 0; i < n; i++) {
    const e = expected.messages[i] ?? null;
    const a = actual.messages[i] ?? null;
    if (!sameMessage(e, a, matching)) diffs.push({ index: i + 1, expected: e, actual: a });
  }
  return diffs;
}
