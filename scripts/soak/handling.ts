/**
 * How each injected fault was handled: every faulted request in the emulator's record, matched
 * to the message, session start, end or token request it belonged to, and what became of that.
 */
import type { RecordedRequest } from '../../src/fake-server/index.js';
import type { Ledger, MessageRecord, SegmentRecord } from './ledger.js';

function bodyField(body: unknown, ...path: string[]): unknown {
  let v = body;
  for (const key of path) {
    if (typeof v !== 'object' || v === null) return undefined;
    v = (v as Record<string, unknown>)[key];
  }
  return v;
}

function outcomeOf(m: MessageRecord): string {
  const o = m.outcome;
  if (!o) return 'lost';
  return o.kind === 'reply' ? 'reply' : `error ${o.code}`;
}

/**
 * The matrix fault → handling → count. Rows are the emulator's fault names, plus
 * `401 (token expired)` for requests refused with an expired token. Handling reads like
 * `retried → reply`, `new session → reply`, `error timeout`, `retried → ended`.
 */
export function handlingMatrix(
  ledger: Ledger,
  requests: readonly RecordedRequest[],
): {
  matrix: Record<string, Record<string, number>>;
  /**
   * Failed messages none of whose requests (nor their session's start) got a fault, by code
   * (messages with no request left in the emulator's record are not counted).
   */
  withoutFault: Record<string, number>;
} {
  const attemptsOfMessage = new Map<MessageRecord, RecordedRequest[]>();
  const attemptsOfKey = new Map<string, RecordedRequest[]>();
  const attemptsOfEnd = new Map<string, RecordedRequest[]>();
  const tokenRequests: RecordedRequest[] = [];
  const push = <K>(map: Map<K, RecordedRequest[]>, key: K, r: RecordedRequest) => {
    const list = map.get(key);
    if (list) list.push(r);
    else map.set(key, [r]);
  };
  // A request dropped before its body was read has no text: on a session, the client sends one
  // message at a time, so it is a retry of the previous request's message when that one was
  // refused untouched (401, 423, 429, 503), else the first attempt of the next message there.
  const messageOfRequest = new Map<RecordedRequest, MessageRecord>();
  const sentOn = new Map<string, MessageRecord[]>();
  for (const m of ledger.messages) {
    for (const s of m.sent) {
      const list = sentOn.get(s.sessionId) ?? [];
      if (!list.includes(m)) list.push(m);
      sentOn.set(s.sessionId, list);
    }
  }
  const previousOn = new Map<string, RecordedRequest>();
  for (const r of requests) {
    if ((r.route !== 'send' && r.route !== 'stream') || r.sessionId === undefined) continue;
    let m = ledger.messageOfText(bodyField(r.body, 'message', 'text'));
    const prev = previousOn.get(r.sessionId);
    if (!m && prev) {
      const prevMessage = messageOfRequest.get(prev);
      const list = sentOn.get(r.sessionId) ?? [];
      if (prevMessage && [401, 423, 429, 503].includes(prev.status)) m = prevMessage;
      else if (prevMessage) m = list[list.indexOf(prevMessage) + 1];
    } else if (!m) m = sentOn.get(r.sessionId)?.[0];
    if (m) messageOfRequest.set(r, m);
    previousOn.set(r.sessionId, r);
  }

  for (const r of requests) {
    if (r.route === 'send' || r.route === 'stream') {
      const m = messageOfRequest.get(r);
      if (m) push(attemptsOfMessage, m, r);
    } else if (r.route === 'start') {
      const key = bodyField(r.body, 'externalSessionKey');
      if (typeof key === 'string') push(attemptsOfKey, key, r);
    } else if (r.route === 'end' && r.sessionId !== undefined) {
      push(attemptsOfEnd, r.sessionId, r);
    } else if (r.route === 'token') tokenRequests.push(r);
  }
  const segOfKey = new Map<string, SegmentRecord>();
  const segOfSession = new Map<string, SegmentRecord>();
  for (const seg of ledger.segments) {
    for (const k of seg.keys) segOfKey.set(k, seg);
    for (const s of seg.started) segOfSession.set(s.sessionId, seg);
  }

  const later = (list: RecordedRequest[] | undefined, r: RecordedRequest) =>
    list ? list.slice(list.indexOf(r) + 1) : [];

  const classify = (r: RecordedRequest): string => {
    switch (r.route) {
      case 'send':
      case 'stream': {
        const m = messageOfRequest.get(r);
        if (!m) return 'not matched to a message';
        const next = later(attemptsOfMessage.get(m), r);
        const outcome = outcomeOf(m);
        if (next.length === 0) return outcome;
        return next.some((n) => n.sessionId !== r.sessionId)
          ? `new session → ${outcome}`
          : `retried → ${outcome}`;
      }
      case 'start': {
        const key = bodyField(r.body, 'externalSessionKey');
        // Dropped before the body was read: a start is not repeated after that (it may have
        // reached the server), so it failed, and its session with it.
        if (key === undefined && r.fault === 'dropBefore')
          return 'start failed connection (inferred)';
        const seg = typeof key === 'string' ? segOfKey.get(key) : undefined;
        if (!seg || typeof key !== 'string') return 'not matched to a session';
        const started = seg.started.some((s) => s.externalSessionKey === key);
        const next = later(attemptsOfKey.get(key), r);
        const outcome = started ? 'started' : `start failed ${seg.closeCode ?? '?'}`;
        return next.length > 0 ? `retried → ${outcome}` : outcome;
      }
      case 'end': {
        const seg = r.sessionId === undefined ? undefined : segOfSession.get(r.sessionId);
        const end = seg?.end;
        if (!seg || !end || end.sessionId !== r.sessionId) return 'not matched to an end()';
        const outcome = end.result === 'ended' ? 'ended' : `end failed ${end.code}`;
        return later(attemptsOfEnd.get(r.sessionId), r).length > 0
          ? `retried → ${outcome}`
          : outcome;
      }
      case 'token':
        return later(tokenRequests, r).some((n) => n.status === 200)
          ? 'retried → token'
          : 'token failed';
      default:
        return r.route;
    }
  };

  const matrix: Record<string, Record<string, number>> = {};
  const add = (row: string, handling: string) => {
    const cells = (matrix[row] ??= {});
    cells[handling] = (cells[handling] ?? 0) + 1;
  };
  // Faults the emulator applies while answering a turn do nothing when it refuses the request
  // first (an expired token): the emulator still counts them as injected.
  const turnFaults = new Set([
    'validationFailure',
    'stall',
    'streamError',
    'dropMidStream',
    'sessionEnded',
  ]);
  for (const r of requests) {
    if (r.fault !== undefined && r.status === 401 && turnFaults.has(r.fault)) {
      add(r.fault, `not applied (401 first), ${classify(r)}`);
    } else if (r.fault !== undefined) add(r.fault, classify(r));
    else if (r.status === 401 && r.route !== 'token') {
      const h = classify(r);
      add(
        '401 (token expired)',
        h.startsWith('retried → ') ? h.replace('retried', 'refreshed') : h,
      );
    }
  }
  const withoutFault: Record<string, number> = {};
  for (const m of ledger.messages) {
    if (m.outcome?.kind !== 'error') continue;
    const own = attemptsOfMessage.get(m) ?? [];
    const seg = ledger.segments[m.segment];
    const starts = (seg?.keys ?? []).flatMap((k) => attemptsOfKey.get(k) ?? []);
    // Nothing of it in the record (older than what the emulator keeps): cannot tell.
    if (own.length === 0 && starts.length === 0) continue;
    const faulted = [...own, ...starts].some((r) => r.fault !== undefined || r.status === 401);
    const startDropped = m.outcome.code === 'session_closed' && seg?.closeCode === 'connection';
    if (!faulted && !startDropped) {
      withoutFault[m.outcome.code] = (withoutFault[m.outcome.code] ?? 0) + 1;
    }
  }
  return { matrix, withoutFault };
}
