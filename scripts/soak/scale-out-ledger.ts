/**
 * The ledger of the scale-out soak: what the load balancer sent and got back, what the nodes
 * reported, which faults ran when; and the checks that turn it, with the emulator's own record,
 * into the five counts of the run: lost, duplicated, hung, unreported, leaked (beyond the causes
 * docs/lifecycle.md and docs/scale-out.md list, each counted on its own).
 */
import type { RecordedRequest, SessionInfo } from '../../src/fake-server/index.js';
import type { NodeAnswer, NodeEnded, NodeEvent } from '../../test/manager/fixtures/protocol.js';
import { isKnownCode, type Violation } from './ledger.js';
import type { ScaleOutFault } from './options.js';

/** One user message, as the load balancer handled it. */
export interface ScaleOutMessage {
  readonly key: string;
  readonly token: string;
  readonly text: string;
  /** Every node it was sent to, and what came of that. */
  attempts: { node: string; result: 'answer' | 'node died' | 'refused (leaving)' | 'pending' }[];
  /** The answers it got (exactly one expected). */
  answers: NodeAnswer[];
  /** Whether one call to a node took longer than the bound. */
  hung: boolean;
  /** When its answer came (epoch ms). */
  settledAt?: number | undefined;
}

/** One conversation's `end`, as the load balancer handled it. */
export interface ScaleOutEnd {
  readonly key: string;
  answers: NodeEnded[];
  hung: boolean;
}

/** A fault the soak caused, and when (epoch ms). */
export interface FaultRecord {
  kind: ScaleOutFault;
  at: number;
  /** The node it hit (kill, term). */
  node?: string | undefined;
  /** How long it lasted, ms (pause, restart). */
  ms?: number | undefined;
}

/** Why a server session may still be open at the end: the causes the docs list. */
export const DOCUMENTED_CAUSES = {
  killedStarting:
    'a node was killed while its start was in flight (the start reply never reached it)',
  killedBeforeSave: 'a node was killed between starting a server session and its first save',
  unfinishedAtTerm: 'a turn still running at the SIGTERM deadline had just started it',
  lostRecordCopy:
    'its record was lost (FLUSHALL) and every copy of it was evicted or killed before a node took a turn of the key again or left',
} as const;
export type LeakCause = keyof typeof DOCUMENTED_CAUSES;

/** Everything the run collected. */
export class ScaleOutLedger {
  readonly messages: ScaleOutMessage[] = [];
  readonly ends: ScaleOutEnd[] = [];
  readonly faults: FaultRecord[] = [];
  readonly violations: Violation[] = [];
  /** `turn.failed` events, by `node|key`. */
  readonly turnFailed = new Map<string, number>();
  /** `conversation.reset` events. */
  readonly resets: { node: string; key: string; previousSessionId: string; ended: boolean }[] = [];
  /** Which node started each server session (from its `started` lines), and when it said so. */
  readonly startedBy = new Map<string, string>();
  readonly startedAt = new Map<string, number>();
  /** Every event the nodes reported, as it came: read back to explain a leaked session. */
  readonly nodeEvents: { at: number; node: string; event: NodeEvent }[] = [];
  /** Nodes that were killed (SIGKILL) and when; nodes that left on SIGTERM, with what they left unfinished. */
  readonly killedAt = new Map<string, number>();
  readonly leftUnfinished = new Map<string, string[]>();

  violation(kind: string, detail: string): void {
    this.violations.push({ kind, detail });
  }

  addMessage(key: string, index: number): ScaleOutMessage {
    const token = `m${index}r${String(Math.floor(Math.random() * 1e9)).padStart(9, '0')}`;
    const m: ScaleOutMessage = {
      key,
      token,
      text: `scale-out soak ${token} of ${key}, please echo`,
      attempts: [],
      answers: [],
      hung: false,
    };
    this.messages.push(m);
    return m;
  }
}

const count = (map: Record<string, number>, key: string, n = 1) =>
  void (map[key] = (map[key] ?? 0) + n);

/** The five counts, and the open sessions by documented cause. */
export interface ScaleOutCounts {
  lost: number;
  duplicated: number;
  hung: number;
  unreported: number;
  leaked: number;
  /** Server sessions open at the end for a documented cause, by cause. */
  openByCause: Partial<Record<LeakCause, number>>;
  /** Messages the agent processed twice because their node died mid-turn and the balancer re-sent them (at least once, by design). */
  redeliveredAfterKill: number;
}

/** The token of a message in a text, if any. */
function tokenOf(text: unknown): string | undefined {
  return typeof text === 'string' ? /\bm\d+r\d{9}\b/.exec(text)?.[0] : undefined;
}

/**
 * Checks the run. `sessions` is the emulator's list at the very end (every conversation ended,
 * every node gone), `requests` its request record.
 */
export function checkScaleOut(
  ledger: ScaleOutLedger,
  sessions: readonly SessionInfo[],
  requests: readonly RecordedRequest[],
): ScaleOutCounts {
  const counts: ScaleOutCounts = {
    lost: 0,
    duplicated: 0,
    hung: 0,
    unreported: 0,
    leaked: 0,
    openByCause: {},
    redeliveredAfterKill: 0,
  };
  const byToken = new Map(ledger.messages.map((m) => [m.token, m]));

  // What the caller got: one answer each, its own reply or a typed failure that was reported.
  const failedAnswers = new Map<string, number>();
  for (const m of ledger.messages) {
    if (m.answers.length === 0) {
      counts.lost++;
      ledger.violation('lost', `message ${m.token} of ${m.key} never got an answer`);
    } else if (m.answers.length > 1) {
      counts.duplicated++;
      ledger.violation('duplicated', `message ${m.token} answered ${m.answers.length}×`);
    }
    if (m.hung) {
      counts.hung++;
      ledger.violation('hung', `message ${m.token} of ${m.key}: a call outlived the bound`);
    }
    for (const a of m.answers) {
      if (a.ok && !a.replyText.includes(m.token)) {
        ledger.violation('wrong-reply', `message ${m.token} got ${a.replyText.slice(0, 80)}`);
      }
      if (a.ok) continue;
      if (!isKnownCode(a.error.code)) {
        ledger.violation('untyped-error', `message ${m.token}: ${a.error.code} ${a.error.message}`);
      }
      // A sequenceId refused by the emulator (strict) would mean one went backwards.
      if (a.error.code === 'bad_request') {
        ledger.violation('sequence-refused', `message ${m.token}: ${a.error.message}`);
      }
      const at = `${a.node}|${a.key}`;
      failedAnswers.set(at, (failedAnswers.get(at) ?? 0) + 1);
    }
  }
  for (const [at, n] of failedAnswers) {
    const reported = ledger.turnFailed.get(at) ?? 0;
    if (reported < n) {
      counts.unreported += n - reported;
      ledger.violation('unreported', `${at}: ${n} failed turns, ${reported} turn.failed`);
    }
  }
  for (const e of ledger.ends) {
    if (e.hung) {
      counts.hung++;
      ledger.violation('hung', `end(${e.key}): a call outlived the bound`);
    }
    if (e.answers.length === 0) {
      counts.lost++;
      ledger.violation('lost', `end(${e.key}) never settled`);
    }
  }

  // What the agent processed: each message once (twice only when its node died mid-turn and the
  // balancer re-sent it), and each conversation's sequenceIds increasing across its sessions.
  const processed = new Map<string, number>();
  const seqOfKey = new Map<string, { sessionId: string; seq: number; time: number }[]>();
  for (const r of requests) {
    if (r.route !== 'send' && r.route !== 'stream') continue;
    if (r.status !== 200) continue;
    const message = (r.body as { message?: { text?: unknown; sequenceId?: unknown } } | undefined)
      ?.message;
    const token = tokenOf(message?.text);
    const m = token === undefined ? undefined : byToken.get(token);
    if (!m) {
      ledger.violation('unknown-turn', `the agent processed a message the soak never sent`);
      continue;
    }
    processed.set(m.token, (processed.get(m.token) ?? 0) + 1);
    if (typeof message?.sequenceId === 'number' && r.sessionId !== undefined) {
      const list = seqOfKey.get(m.key) ?? [];
      list.push({ sessionId: r.sessionId, seq: message.sequenceId, time: r.time });
      seqOfKey.set(m.key, list);
    }
  }
  for (const m of ledger.messages) {
    const n = processed.get(m.token) ?? 0;
    const diedUnder = m.attempts.some((a) => a.result === 'node died');
    if (n > 1 && diedUnder) counts.redeliveredAfterKill++;
    else if (n > 1) {
      counts.duplicated++;
      ledger.violation('duplicated', `message ${m.token} processed ${n}× by the agent`);
    }
    if (m.answers.some((a) => a.ok) && n === 0) {
      ledger.violation('reply-not-processed', `message ${m.token}: a reply the agent never made`);
    }
  }
  // Increasing across a conversation's server sessions too, except where Redis lost the
  // conversation (a FLUSHALL between the two): it then starts again, as a new conversation.
  const flushTimes = ledger.faults.filter((f) => f.kind === 'flush').map((f) => f.at);
  for (const [key, turns] of seqOfKey) {
    for (let i = 1; i < turns.length; i++) {
      const [before, after] = [turns[i - 1]!, turns[i]!];
      if (after.seq > before.seq) continue;
      // The old session's first turn came before the flush (or in a turn that the flush cut
      // short: 10 s of slack), the new one's after it.
      const since = turns.find((t) => t.sessionId === before.sessionId)!.time - 10_000;
      const lost =
        after.sessionId !== before.sessionId &&
        flushTimes.some((at) => at >= since && at <= after.time);
      if (lost) continue;
      const ids = turns
        .map(
          (t) =>
            `${t.sessionId.slice(-4)}#${t.seq}@${new Date(t.time).toISOString().slice(14, 23)}`,
        )
        .join(',');
      ledger.violation('sequence-order', `${key}: the agent saw ${ids}`);
      break;
    }
  }

  // Server sessions still open: each for a documented cause, or a leak.
  const answeredAt = new Map<string, number>();
  ledger.messages.forEach((m, i) => {
    for (const a of m.answers) if (a.ok) answeredAt.set(a.sessionId, i);
  });
  const flushes = ledger.faults.filter((f) => f.kind === 'flush').map((f) => f.at);
  const kills = [...ledger.killedAt.values()];
  for (const s of sessions) {
    if (s.status !== 'open') continue;
    const starter = ledger.startedBy.get(s.sessionId);
    let cause: LeakCause | undefined;
    if (starter === undefined) {
      // Nobody learnt its id: a node died with the start request in flight (the emulator may
      // even have read it after the kill).
      if (kills.some((at) => Math.abs(at - s.createdAt) < 10_000)) {
        cause = 'killedStarting';
      }
    } else if (ledger.killedAt.has(starter) && !answeredAt.has(s.sessionId)) {
      cause = 'killedBeforeSave';
    } else if ((ledger.leftUnfinished.get(starter) ?? []).length > 0) {
      cause = 'unfinishedAtTerm';
    } else if (flushes.some((at) => at >= s.createdAt)) {
      cause = 'lostRecordCopy';
    }
    if (cause) count(counts.openByCause, cause);
    else {
      counts.leaked++;
      const keys = new Set(
        ledger.messages
          .filter((m) => m.answers.some((a) => a.ok && a.sessionId === s.sessionId))
          .map((m) => m.key),
      );
      ledger.violation(
        'leaked',
        `${s.sessionId} (started by ${starter ?? 'no node that said so'} at ${new Date(s.createdAt).toISOString()}, ${s.turns} turns, conversation ${[...keys].join(',')}) is still open; what happened around it: ${timelineOf(ledger, s, keys).join('; ')}`,
      );
    }
  }
  return counts;
}

/**
 * What the run saw of a leaked session and its conversations, in time order: its start, the
 * answers and ends of its keys, the nodes' events for them, and the faults from 10 s before it.
 */
function timelineOf(ledger: ScaleOutLedger, session: SessionInfo, keys: Set<string>): string[] {
  const lines: { at: number; text: string }[] = [];
  const startedAt = ledger.startedAt.get(session.sessionId);
  if (startedAt !== undefined) {
    lines.push({ at: startedAt, text: `${ledger.startedBy.get(session.sessionId)} started it` });
  }
  for (const m of ledger.messages) {
    if (!keys.has(m.key) || m.settledAt === undefined) continue;
    const results = m.attempts.map((a) => `${a.node} ${a.result}`).join(', ');
    const answer = m.answers[0];
    const reply = answer?.ok ? `on ${answer.sessionId}` : (answer?.error.code ?? 'no answer');
    lines.push({ at: m.settledAt, text: `${m.key} message ${m.token} (${results}) ${reply}` });
  }
  for (const e of ledger.nodeEvents) {
    if (keys.has(e.event.key)) lines.push({ at: e.at, text: `${e.node} ${describe(e.event)}` });
  }
  for (const f of ledger.faults) {
    if (f.at >= session.createdAt - 10_000) {
      lines.push({ at: f.at, text: `fault ${f.kind}${f.node ? ` ${f.node}` : ''}` });
    }
  }
  return lines
    .sort((a, b) => a.at - b.at)
    .map((l) => `${new Date(l.at).toISOString().slice(11, 23)} ${l.text}`);
}

function describe(event: NodeEvent): string {
  switch (event.type) {
    case 'conversation.reset':
      return `${event.type} ${event.key} ${event.cause} ${event.previousSessionId} ended=${event.previousEnded}`;
    case 'conversation.restarted':
      return `${event.type} ${event.key} ${event.previousSessionId} → ${event.sessionId}`;
    case 'conversation.persist-failed':
      return `${event.type} ${event.key} leaseLost=${event.leaseLost} ${event.error.code}`;
    case 'turn.failed':
      return `${event.type} ${event.key} ${event.error.code}`;
    case 'conversation.closed':
      return `${event.type} ${event.key} ${event.reason}`;
    default:
      return `${event.type} ${event.key}`;
  }
}
