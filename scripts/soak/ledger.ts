/**
 * What the soak remembers of every message and every session it opened: plain data, so that the
 * checks can run after the sessions are gone (and the heap can be measured without them).
 */
import type { ErrorCode } from '../../src/index.js';

/** Every code an `AgentforceError` may carry (the `ErrorCode` union, spelled out at runtime). */
export const KNOWN_CODES = [
  'bad_request',
  'authentication',
  'permission_denied',
  'not_found',
  'session_not_found',
  'unprocessable',
  'session_busy',
  'rate_limited',
  'server_error',
  'service_unavailable',
  'api_error',
  'connection',
  'timeout',
  'stream_idle_timeout',
  'aborted',
  'malformed_response',
  'session_closed',
  'session_expired',
  'queue_full',
  'invalid_argument',
  'snapshot_version',
  'lock_timeout',
  'lease_lost',
  'store',
  'internal',
] as const satisfies readonly ErrorCode[];

// Fails to compile when ErrorCode gains a member that KNOWN_CODES lacks.
type Missing = Exclude<ErrorCode, (typeof KNOWN_CODES)[number]>;
const _allCodesListed: [Missing] extends [never] ? true : Missing = true;
void _allCodesListed;

const KNOWN = new Set<string>(KNOWN_CODES);

/** Whether `code` is one of the documented error codes. */
export function isKnownCode(code: unknown): code is ErrorCode {
  return typeof code === 'string' && KNOWN.has(code);
}

/** How one message ended, as its caller saw it. */
export type MessageOutcome =
  | { kind: 'reply'; sessionId: string; sequenceId: number | undefined; ownReply: boolean }
  | {
      kind: 'error';
      name: string;
      code: string;
      /** An `AgentforceError` with a documented code. */
      typed: boolean;
      message: string;
    };

/** One user message of the soak. */
export interface MessageRecord {
  /** Index in {@link Ledger.messages}. */
  readonly index: number;
  /** The unique token embedded in the text; the default agent echoes it back. */
  readonly token: string;
  readonly text: string;
  readonly segment: number;
  readonly mode: 'send' | 'stream';
  /** The library's turn ids seen in events for this message (one expected). */
  turnIds: string[];
  /** Every `turn.sent` of this message: where and with which `sequenceId` it went. */
  sent: { sessionId: string; sequenceId: number }[];
  /** `turn.completed` / `turn.failed` events for its turn id (exactly one expected). */
  terminalEvents: ('completed' | 'failed')[];
  /** How many times its promise settled (exactly one expected). */
  settled: number;
  /** Whether the session restarted while this message was waiting. */
  restarted: boolean;
  outcome: MessageOutcome | undefined;
  /** For a stream: whether the text deltas add up to the reply's text. */
  streamTextMatches: boolean | undefined;
}

/** One `AgentSession` of the soak (a conversation may need several when one closes). */
export interface SegmentRecord {
  readonly index: number;
  readonly conversation: number;
  /** Every `externalSessionKey` its machine used (read from its context). */
  keys: string[];
  /** Every server session it started, in order. */
  started: { sessionId: string; externalSessionKey: string }[];
  /** `sequenceId`s of its `turn.sent` events, in order. */
  sequenceIds: number[];
  restarts: number;
  expiries: number;
  repliesDropped: number;
  /** How it closed. */
  closeReason: string | undefined;
  closeCode: string | undefined;
  /** The result of `end()`, when the soak called it. */
  end:
    | { sessionId: string | null; result: 'ended' }
    | { sessionId: string | null; result: 'failed'; code: string; typed: boolean }
    | undefined;
}

/** A broken promise of the library, found by a check. */
export interface Violation {
  readonly kind: string;
  readonly detail: string;
}

export class Ledger {
  readonly messages: MessageRecord[] = [];
  readonly segments: SegmentRecord[] = [];
  readonly violations: Violation[] = [];

  violation(kind: string, detail: string): void {
    this.violations.push({ kind, detail });
  }

  addSegment(conversation: number): SegmentRecord {
    const seg: SegmentRecord = {
      index: this.segments.length,
      conversation,
      keys: [],
      started: [],
      sequenceIds: [],
      restarts: 0,
      expiries: 0,
      repliesDropped: 0,
      closeReason: undefined,
      closeCode: undefined,
      end: undefined,
    };
    this.segments.push(seg);
    return seg;
  }

  addMessage(segment: number, mode: 'send' | 'stream', unicode: boolean): MessageRecord {
    const index = this.messages.length;
    const nonce = String(Math.floor(Math.random() * 1e9)).padStart(9, '0');
    const token = `m${index}r${nonce}`;
    const text = unicode
      ? `soak ✓ ${token} ünïcødé 日本語 👋 please echo`
      : `soak check ${token} please echo`;
    const m: MessageRecord = {
      index,
      token,
      text,
      segment,
      mode,
      turnIds: [],
      sent: [],
      terminalEvents: [],
      settled: 0,
      restarted: false,
      outcome: undefined,
      streamTextMatches: undefined,
    };
    this.messages.push(m);
    return m;
  }

  /** The message whose token appears in `text`, if any. */
  messageOfText(text: unknown): MessageRecord | undefined {
    if (typeof text !== 'string') return undefined;
    const m = /\bm(\d+)r\d{9}\b/.exec(text);
    if (!m?.[1]) return undefined;
    const found = this.messages[Number(m[1])];
    return found && text.includes(found.token) ? found : undefined;
  }
}
