/**
 * The soak's checks: what the caller saw (one settlement per message, its own reply or a typed
 * failure) against what the emulator saw (which turns it processed, in which order, which
 * sessions it still holds open).
 */
import type { SessionInfo } from '../../src/fake-server/index.js';
import type { Ledger, MessageRecord, SegmentRecord } from './ledger.js';

/** What the emulator's sessions say at the end of a run. */
export interface ServerSummary {
  /** Server sessions opened during the run. */
  sessions: number;
  endedByClient: number;
  endedByServer: number;
  expired: number;
  /** Turns the emulator processed (agent ran). */
  turnsProcessed: number;
  /** Sessions still open once every conversation was ended, and why each may be. */
  openAfterEnd: {
    total: number;
    /** The start reached the server but its reply never reached the client (dropped, timed out, malformed). */
    startReplyLost: number;
    /** The client's DELETE failed (after its retries). */
    endFailed: number;
    /** The session closed on a fatal error and its DELETE (reason `Error`) failed too. */
    closedOnFatalError: number;
    /** None of the above: a leak. */
    leaked: number;
  };
  /** Sessions still open after the emulator clock moved past the session TTL. */
  openAfterTtl: number;
}

function strictlyIncreasing(ids: readonly number[]): boolean {
  for (let i = 1; i < ids.length; i++)
    if ((ids[i] as number) <= (ids[i - 1] as number)) return false;
  return true;
}

function checkMessage(ledger: Ledger, m: MessageRecord): void {
  const o = m.outcome;
  if (o === undefined || m.settled === 0) {
    ledger.violation('lost', `message ${m.token} never got a reply or an error`);
    return;
  }
  if (m.settled > 1) ledger.violation('settled-twice', `message ${m.token} settled ${m.settled}×`);
  if (m.turnIds.length > 1) {
    ledger.violation('turn-ids', `message ${m.token} has turn ids ${m.turnIds.join(', ')}`);
  }
  if (m.turnIds.length === 1) {
    const ends = m.terminalEvents;
    if (ends.length > 1) {
      ledger.violation('answered-twice', `message ${m.token}: ${ends.join(' + ')}`);
    } else if (ends.length === 0) {
      ledger.violation('no-terminal-event', `message ${m.token} settled without a turn event`);
    } else if ((ends[0] === 'completed') !== (o.kind === 'reply')) {
      ledger.violation(
        'outcome-mismatch',
        `message ${m.token}: ${ends[0]} but caller got ${o.kind}`,
      );
    }
  }
  if (o.kind === 'reply') {
    const last = m.sent.at(-1);
    if (!last || last.sessionId !== o.sessionId || last.sequenceId !== o.sequenceId) {
      ledger.violation(
        'reply-mismatch',
        `message ${m.token}: reply for ${o.sessionId}#${String(o.sequenceId)}, sent as ${last ? `${last.sessionId}#${last.sequenceId}` : 'nothing'}`,
      );
    }
  }
}

/**
 * Runs every check on a finished run and adds the violations to the ledger. `sessions` is the
 * emulator's list once every conversation was ended; `sessionsAfterTtl` the list after its
 * clock moved past the session TTL.
 */
export function checkRun(
  ledger: Ledger,
  sessions: readonly SessionInfo[],
  sessionsAfterTtl: readonly SessionInfo[],
): ServerSummary {
  for (const m of ledger.messages) checkMessage(ledger, m);

  const segOfKey = new Map<string, SegmentRecord>();
  const startedBy = new Map<string, SegmentRecord>();
  const endFailed = new Set<string>();
  const fatalClosed = new Set<string>();
  for (const seg of ledger.segments) {
    if (!strictlyIncreasing(seg.sequenceIds)) {
      ledger.violation(
        'sequence-order',
        `session #${seg.index} sent sequenceIds ${seg.sequenceIds.join(',')}`,
      );
    }
    for (const k of seg.keys) segOfKey.set(k, seg);
    for (const s of seg.started) startedBy.set(s.sessionId, seg);
    if (seg.end?.result === 'failed' && seg.end.sessionId !== null)
      endFailed.add(seg.end.sessionId);
    const last = seg.started.at(-1);
    if (seg.closeReason === 'failed' && last) fatalClosed.add(last.sessionId);
  }

  const turnAt = new Map<string, MessageRecord>();
  for (const m of ledger.messages) {
    for (const s of m.sent) turnAt.set(`${s.sessionId}#${s.sequenceId}`, m);
  }
  const processed = new Map<MessageRecord, number>();
  const serverSeqs = new Map<string, readonly number[]>();
  const summary: ServerSummary = {
    sessions: sessions.length,
    endedByClient: 0,
    endedByServer: 0,
    expired: 0,
    turnsProcessed: 0,
    openAfterEnd: { total: 0, startReplyLost: 0, endFailed: 0, closedOnFatalError: 0, leaked: 0 },
    openAfterTtl: 0,
  };
  for (const s of sessions) {
    serverSeqs.set(s.sessionId, s.sequenceIds);
    summary.turnsProcessed += s.sequenceIds.length;
    if (!segOfKey.has(s.externalSessionKey)) {
      ledger.violation(
        'unknown-session',
        `server session ${s.sessionId} was not opened by the soak`,
      );
    }
    const seen = new Set<number>();
    for (const seq of s.sequenceIds) {
      if (seen.has(seq))
        ledger.violation('duplicate-sequence', `${s.sessionId} processed #${seq} twice`);
      seen.add(seq);
      const m = turnAt.get(`${s.sessionId}#${seq}`);
      if (!m) {
        ledger.violation(
          'unknown-turn',
          `${s.sessionId} processed #${seq}, which no message was sent as`,
        );
        continue;
      }
      processed.set(m, (processed.get(m) ?? 0) + 1);
    }
    if (s.status === 'ended' && s.endedBy === 'client') {
      summary.endedByClient++;
      // `Error`: the session closed on a fatal error and ended its server session itself.
      const expected = fatalClosed.has(s.sessionId) ? ['UserRequest', 'Error'] : ['UserRequest'];
      if (!expected.includes(String(s.endReason))) {
        ledger.violation('end-reason', `${s.sessionId} ended with ${String(s.endReason)}`);
      }
    } else if (s.status === 'ended') summary.endedByServer++;
    else if (s.status === 'expired') summary.expired++;
    else {
      const open = summary.openAfterEnd;
      open.total++;
      if (!startedBy.has(s.sessionId)) open.startReplyLost++;
      else if (endFailed.has(s.sessionId)) open.endFailed++;
      else if (fatalClosed.has(s.sessionId)) open.closedOnFatalError++;
      else {
        open.leaked++;
        ledger.violation(
          'leaked-session',
          `${s.sessionId} is still open after its conversation ended`,
        );
      }
      if (!startedBy.has(s.sessionId) && s.turns > 0) {
        ledger.violation('orphan-turns', `${s.sessionId} took turns the client never sent there`);
      }
    }
  }

  for (const m of ledger.messages) {
    const n = processed.get(m) ?? 0;
    if (n > 1)
      ledger.violation('duplicate-processing', `message ${m.token} processed ${n}× by the server`);
    if (m.outcome?.kind === 'reply' && n !== 1) {
      ledger.violation(
        'reply-not-processed',
        `message ${m.token} got a reply the server never made`,
      );
    }
  }

  for (const seg of ledger.segments) {
    const ids = seg.started.flatMap((s) => serverSeqs.get(s.sessionId) ?? []);
    if (!strictlyIncreasing(ids)) {
      ledger.violation(
        'server-sequence-order',
        `the server saw session #${seg.index}'s sequenceIds as ${ids.join(',')}`,
      );
    }
  }

  for (const s of sessionsAfterTtl) {
    if (s.status === 'open') {
      summary.openAfterTtl++;
      ledger.violation('unexpired-session', `${s.sessionId} is still open after the session TTL`);
    }
  }
  return summary;
}
