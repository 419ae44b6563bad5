/**
 * The soak itself: many conversations at once against an emulator that injects faults, every
 * message tracked to its one reply or its one typed failure, then the checks and the report.
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import {
  AgentforceClient,
  clientCredentials,
  isAgentforceError,
  type AgentSession,
  type Turn,
} from '../../src/index.js';
import { seededRandom } from '../../src/fake-server/random.js';
import { checkRun, type ServerSummary } from './checks.js';
import type { SoakEmulator } from './emulator.js';
import { handlingMatrix } from './handling.js';
import { isKnownCode, Ledger, type MessageRecord, type SegmentRecord } from './ledger.js';
import type { SoakOptions } from './options.js';

/** The agent every conversation talks to. */
export const SOAK_AGENT_ID = '0XxSOAK000000001AA';

export interface SoakCredentials {
  clientId: string;
  clientSecret: string;
}

/** Heap figures of a run, MB. */
export interface HeapFigures {
  /** Whether a full GC could be forced before each reading. */
  gc: boolean;
  /** Before the client was made. */
  beforeMb: number;
  /** Once the client was closed, while the soak still held its records of every message. */
  withRecordsMb: number;
  /** Once the run was over and everything it made could be collected ({@link checkHeap}). */
  afterMb: number;
  growthMb: number;
  slackMb: number;
  /** Whether the growth was checked (not with the emulator in this process). */
  enforced: boolean;
}

/** Everything a run found: plain JSON. */
export interface SoakReport {
  ok: boolean;
  startedAt: string;
  durationMs: number;
  emulator: string;
  options: Omit<SoakOptions, 'quiet' | 'reportPath'>;
  conversations: number;
  /** `AgentSession`s opened (a conversation opens another when the server ends its session). */
  sessionsOpened: number;
  messages: {
    total: number;
    replied: number;
    failed: number;
    /** Typed failures surfaced to the caller, by code. */
    failedByCode: Record<string, number>;
    viaStream: number;
    /** Messages answered after their session expired and a new one started. */
    repliedAfterRestart: number;
  };
  faults: {
    /** Faults the emulator injected, by name (from the emulator). */
    injected: Record<string, number>;
    /** For each fault (and for 401s from expired tokens): what became of the request. */
    handling: Record<string, Record<string, number>>;
    /**
     * Failed messages with no fault on any of their requests (nor on their session's start), by
     * code: timeouts of an overloaded machine, connections the server closed while idle.
     */
    failuresWithoutFault: Record<string, number>;
    /** Requests the emulator's record held, of those it received. */
    recordCoverage: { recorded: number; received: number };
  };
  client: {
    restarts: number;
    expiries: number;
    repliesDropped: number;
    closedBy: Record<string, number>;
    endFailures: Record<string, number>;
    tokenRequests: number;
    unauthorized401: number;
    clockJumps: number;
  };
  server: ServerSummary;
  heap: HeapFigures;
  process: { unhandledRejections: number; uncaughtExceptions: number };
  /** Event-loop delay of the soak process during the load, ms: how busy the client was. */
  eventLoopDelayMs: { p50: number; p99: number; max: number };
  violations: { total: number; byKind: Record<string, number>; samples: string[] };
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

function forceGc(): boolean {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (typeof gc !== 'function') return false;
  gc();
  gc();
  return true;
}

const mb = (bytes: number) => Math.round((bytes / 1024 / 1024) * 10) / 10;

function informText(turn: Turn): string {
  return turn.messages
    .filter((m) => m.type === 'Inform' && typeof m['message'] === 'string')
    .map((m) => m['message'] as string)
    .join('');
}

function count(map: Record<string, number>, key: string, n = 1): void {
  map[key] = (map[key] ?? 0) + n;
}

/** One `AgentSession` and its bookkeeping while it is alive. */
interface LiveSegment {
  record: SegmentRecord;
  session: AgentSession;
  current: MessageRecord | undefined;
}

/**
 * Runs the soak against `emulator` and returns the report. Installs process handlers for
 * unhandled rejections and uncaught exceptions for the duration of the run.
 */
export async function runSoak(
  options: SoakOptions,
  emulator: SoakEmulator,
  credentials: SoakCredentials,
  log: (line: string) => void = () => undefined,
): Promise<SoakReport> {
  const startedAt = new Date();
  const t0 = performance.now();
  const ledger = new Ledger();
  const random = seededRandom(options.seed);
  const turnOwner = new Map<string, MessageRecord>();
  const proc = { unhandledRejections: 0, uncaughtExceptions: 0 };
  const onRejection = (reason: unknown) => {
    proc.unhandledRejections++;
    ledger.violation('unhandled-rejection', String(reason));
  };
  const onException = (err: unknown) => {
    proc.uncaughtExceptions++;
    ledger.violation('uncaught-exception', String(err));
  };
  process.on('unhandledRejection', onRejection);
  process.on('uncaughtException', onException);

  const rates = Object.fromEntries(Object.entries(options.rates).filter(([, p]) => p > 0));
  if (Object.keys(rates).length > 0) {
    await emulator.randomFaults({
      seed: options.seed,
      rates,
      routes: options.routes as never,
      retryAfter: 1,
      delayMs: options.timeoutMs + 500,
      afterEvents: 1,
    });
  }

  const loopDelay = monitorEventLoopDelay({ resolution: 10 });
  loopDelay.enable();
  const gc = forceGc();
  const heapBefore = process.memoryUsage().heapUsed;

  let client: AgentforceClient | undefined = new AgentforceClient({
    myDomainUrl: emulator.url,
    auth: clientCredentials(credentials),
    timeoutMs: options.timeoutMs,
    streamIdleTimeoutMs: options.streamIdleTimeoutMs,
    retry: {
      maxRetries: options.maxRetries,
      baseDelayMs: options.retryBaseDelayMs,
      maxDelayMs: options.retryMaxDelayMs,
      maxRetryAfterMs: options.maxRetryAfterMs,
    },
    sessionDefaults: { maxRestarts: options.maxRestarts },
  });

  // Token expiry: the emulator clock jumps past the token lifetime now and then.
  let clockJumps = 0;
  let jumping = false;
  const ticker =
    options.tokenExpiryEveryMs > 0
      ? setInterval(() => {
          if (jumping) return;
          jumping = true;
          emulator
            .advanceClock(options.tokenTtlMs + 1_000)
            .then(() => clockJumps++)
            .catch((err: unknown) => log(`clock jump failed: ${String(err)}`))
            .finally(() => (jumping = false));
        }, options.tokenExpiryEveryMs)
      : undefined;

  const openSegment = (conversation: number): LiveSegment => {
    const record = ledger.addSegment(conversation);
    const session = (client as AgentforceClient).session({ agentId: SOAK_AGENT_ID });
    const live: LiveSegment = { record, session, current: undefined };
    const owner = (turnId: string): MessageRecord | undefined => {
      let m = turnOwner.get(turnId);
      if (m) return m;
      m = live.current;
      if (!m) {
        ledger.violation('stray-turn-event', `turn ${turnId} of session #${record.index}`);
        return undefined;
      }
      turnOwner.set(turnId, m);
      m.turnIds.push(turnId);
      return m;
    };
    session.actor.subscribe((snap) => {
      const key = snap.context.externalSessionKey;
      if (key !== null && record.keys.at(-1) !== key) record.keys.push(key);
    });
    session.on('turn.sent', (e) => {
      const m = owner(e.turnId);
      m?.sent.push({ sessionId: e.sessionId, sequenceId: e.sequenceId });
      record.sequenceIds.push(e.sequenceId);
    });
    session.on('turn.completed', (e) => owner(e.turnId)?.terminalEvents.push('completed'));
    session.on('turn.failed', (e) => owner(e.turnId)?.terminalEvents.push('failed'));
    session.on('session.started', (e) =>
      record.started.push({ sessionId: e.sessionId, externalSessionKey: e.externalSessionKey }),
    );
    session.on('session.restarted', () => {
      record.restarts++;
      if (live.current) live.current.restarted = true;
    });
    session.on('session.expired', () => record.expiries++);
    session.on('reply.dropped', () => record.repliesDropped++);
    session.on('session.closed', (e) => {
      record.closeReason = e.outcome.reason;
      record.closeCode = e.outcome.error?.code;
    });
    return live;
  };

  const settleError = (m: MessageRecord, err: unknown) => {
    m.settled++;
    const typed = isAgentforceError(err) && isKnownCode(err.code);
    m.outcome = {
      kind: 'error',
      name: err instanceof Error ? err.name : typeof err,
      code: isAgentforceError(err) ? err.code : 'untyped',
      typed,
      message: err instanceof Error ? err.message : String(err),
    };
    if (!typed) ledger.violation('untyped-error', `message ${m.token}: ${String(err)}`);
  };

  const sendOne = async (live: LiveSegment, m: MessageRecord) => {
    let turn: Turn;
    try {
      if (m.mode === 'send') {
        turn = await live.session.send(m.text);
      } else {
        const reply = live.session.stream(m.text);
        let shown = '';
        let iterationError: unknown;
        try {
          for await (const ev of reply) {
            if (ev.kind === 'delta') shown += ev.text;
            else if (ev.kind === 'validation-failure') shown = '';
          }
        } catch (err) {
          iterationError = err ?? new Error('undefined thrown');
        }
        try {
          turn = await reply.turn;
        } catch (err) {
          if (iterationError !== err) {
            ledger.violation(
              'stream-error-mismatch',
              `message ${m.token}: the loop and the turn failed differently`,
            );
          }
          throw err;
        }
        if (iterationError !== undefined) {
          ledger.violation(
            'stream-error-mismatch',
            `message ${m.token}: loop threw, turn resolved`,
          );
        }
        m.streamTextMatches = shown === informText(turn);
        if (!m.streamTextMatches) {
          ledger.violation(
            'stream-text-mismatch',
            `message ${m.token}: deltas ${JSON.stringify(shown.slice(0, 80))} ≠ reply`,
          );
        }
      }
    } catch (err) {
      settleError(m, err);
      return;
    }
    m.settled++;
    const ownReply = turn.text.includes(m.token);
    m.outcome = { kind: 'reply', sessionId: turn.sessionId, sequenceId: turn.sequenceId, ownReply };
    if (!ownReply) {
      const other = ledger.messageOfText(turn.text);
      ledger.violation(
        'wrong-reply',
        `message ${m.token} got ${other ? `the reply of ${other.token}` : 'a reply without its token'}: ${turn.text.slice(0, 100)}`,
      );
    }
  };

  const endSegment = async (live: LiveSegment) => {
    const rec = live.record;
    if (live.session.state === 'closed') return;
    const sessionId = live.session.sessionId;
    try {
      await live.session.end();
      rec.end = { sessionId, result: 'ended' };
    } catch (err) {
      const typed = isAgentforceError(err) && isKnownCode(err.code);
      rec.end = {
        sessionId,
        result: 'failed',
        code: isAgentforceError(err) ? err.code : 'untyped',
        typed,
      };
      if (!typed) ledger.violation('untyped-error', `end(): ${String(err)}`);
    }
  };

  let conversations = 0;
  const conversation = async () => {
    const index = conversations++;
    let live = openSegment(index);
    for (let t = 0; t < options.turns; t++) {
      if (live.session.state === 'closed') live = openSegment(index);
      const m = ledger.addMessage(
        live.record.index,
        random() < options.streamRatio ? 'stream' : 'send',
        random() < 0.25,
      );
      live.current = m;
      await sendOne(live, m);
      live.current = undefined;
      if (t + 1 < options.turns && options.thinkMs > 0) await sleep(random() * 2 * options.thinkMs);
    }
    await endSegment(live);
  };

  const deadline = Date.now() + options.durationS * 1000;
  const slot = async (n: number) => {
    await sleep((n / options.sessions) * options.rampMs);
    do await conversation();
    while (Date.now() < deadline);
  };

  const progress = setInterval(() => {
    const settled = ledger.messages.filter((m) => m.outcome !== undefined).length;
    log(
      `… ${Math.round((performance.now() - t0) / 1000)} s: ${settled}/${ledger.messages.length} messages settled, ${client?.openSessions ?? 0} sessions open`,
    );
  }, 5_000);

  const slots = Promise.all(Array.from({ length: options.sessions }, (_, n) => slot(n)));
  let drainTimer: NodeJS.Timeout | undefined;
  const drained = await Promise.race([
    slots.then(() => true),
    new Promise<false>((resolve) => {
      drainTimer = setTimeout(
        () => resolve(false),
        options.durationS * 1000 +
          options.rampMs +
          options.drainTimeoutMs +
          options.turns * (options.timeoutMs * (options.maxRetries + 2) + 2 * options.thinkMs),
      );
    }),
  ]);
  clearTimeout(drainTimer);
  clearInterval(progress);
  loopDelay.disable();
  if (ticker) clearInterval(ticker);
  while (jumping) await sleep(10);
  if (!drained) log('the run did not drain in time: unsettled messages count as lost');

  const openAtEnd = client.openSessions;
  if (drained && openAtEnd !== 0) {
    ledger.violation('client-open-sessions', `${openAtEnd} sessions still open in the client`);
  }
  await emulator.clearFaults();

  const durationMs = Math.round(performance.now() - t0);
  // The emulator's lists are big: read them in a scope of their own, keep only the figures, so
  // that the heap is measured without them.
  const { server, handling, withoutFault, recorded, stats, injected } = await (async () => {
    const sessions = await emulator.sessions();
    const requests = await emulator.requests();
    const figures = { stats: await emulator.stats(), injected: await emulator.faultsInjected() };
    await emulator.advanceClock(options.sessionTtlMs + 1_000);
    const sessionsAfterTtl = await emulator.sessions();
    const { matrix, withoutFault } = handlingMatrix(ledger, requests);
    return {
      ...figures,
      server: checkRun(ledger, sessions, sessionsAfterTtl),
      handling: matrix,
      withoutFault,
      recorded: requests.length,
    };
  })();

  client.close();
  client = undefined;
  await sleep(50);
  forceGc();
  const heapWithRecords = process.memoryUsage().heapUsed;
  // Final figures come from checkHeap(), once this function's records are gone too.
  const heap: HeapFigures = {
    gc,
    beforeMb: mb(heapBefore),
    withRecordsMb: mb(heapWithRecords),
    afterMb: mb(heapWithRecords),
    growthMb: mb(heapWithRecords - heapBefore),
    slackMb: options.heapSlackMb,
    enforced: false,
  };

  process.off('unhandledRejection', onRejection);
  process.off('uncaughtException', onException);

  const failedByCode: Record<string, number> = {};
  const closedBy: Record<string, number> = {};
  const endFailures: Record<string, number> = {};
  let replied = 0;
  let repliedAfterRestart = 0;
  for (const m of ledger.messages) {
    if (m.outcome?.kind === 'reply') {
      replied++;
      if (m.restarted) repliedAfterRestart++;
    } else if (m.outcome?.kind === 'error') count(failedByCode, m.outcome.code);
  }
  let restarts = 0;
  let expiries = 0;
  let repliesDropped = 0;
  for (const s of ledger.segments) {
    restarts += s.restarts;
    expiries += s.expiries;
    repliesDropped += s.repliesDropped;
    count(closedBy, s.closeReason ?? 'open');
    if (s.end?.result === 'failed') count(endFailures, s.end.code);
  }
  let unauthorized401 = 0;
  for (const [route, byStatus] of Object.entries(stats.byRoute)) {
    if (route !== 'token') unauthorized401 += byStatus['401'] ?? 0;
  }
  const byKind: Record<string, number> = {};
  for (const v of ledger.violations) count(byKind, v.kind);
  const { quiet: _q, reportPath: _r, ...shownOptions } = options;
  return {
    ok: ledger.violations.length === 0,
    startedAt: startedAt.toISOString(),
    durationMs,
    emulator: emulator.where,
    options: shownOptions,
    conversations,
    sessionsOpened: ledger.segments.length,
    messages: {
      total: ledger.messages.length,
      replied,
      failed: ledger.messages.length - replied,
      failedByCode,
      viaStream: ledger.messages.filter((m) => m.mode === 'stream').length,
      repliedAfterRestart,
    },
    faults: {
      injected,
      handling,
      failuresWithoutFault: withoutFault,
      recordCoverage: { recorded, received: stats.requests },
    },
    client: {
      restarts,
      expiries,
      repliesDropped,
      closedBy,
      endFailures,
      tokenRequests: Object.values(stats.byRoute['token'] ?? {}).reduce((a, b) => a + b, 0),
      unauthorized401,
      clockJumps,
    },
    server,
    heap,
    process: proc,
    eventLoopDelayMs: {
      p50: Math.round(loopDelay.percentile(50) / 1e6),
      p99: Math.round(loopDelay.percentile(99) / 1e6),
      max: Math.round(loopDelay.max / 1e6),
    },
    violations: {
      total: ledger.violations.length,
      byKind,
      samples: ledger.violations.slice(0, 20).map((v) => `${v.kind}: ${v.detail}`),
    },
  };
}

/**
 * Measures the heap once the run is over (call it after {@link runSoak} returned, so that the
 * client, its sessions and the soak's own records can all be collected) and adds a `heap-growth`
 * violation to the report when it grew by more than the slack.
 */
export async function checkHeap(report: SoakReport): Promise<void> {
  await sleep(50);
  if (!forceGc()) return;
  const after = process.memoryUsage().heapUsed / 1024 / 1024;
  const heap = report.heap;
  heap.afterMb = Math.round(after * 10) / 10;
  heap.growthMb = Math.round((after - heap.beforeMb) * 10) / 10;
  heap.enforced = !report.options.inProcess;
  if (heap.enforced && heap.growthMb > heap.slackMb) {
    const v = report.violations;
    v.total++;
    v.byKind['heap-growth'] = (v.byKind['heap-growth'] ?? 0) + 1;
    v.samples.push(
      `heap-growth: heap grew by ${heap.growthMb} MB (${heap.beforeMb} → ${heap.afterMb}), over ${heap.slackMb} MB`,
    );
    report.ok = false;
  }
}
