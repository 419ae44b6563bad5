/**
 * Property-based tests: random sequences of the caller's calls (send, stream, cancel, end,
 * restore from a snapshot in another client) and of server behaviour (faults, an expired server
 * session) against a real session and the emulator, with the invariants that must hold whatever
 * happens:
 *
 * - sequenceIds strictly increase per conversation, across restarts and restores (at the emulator,
 *   over its sessions in order; and in the `turn.sent` events of every session object);
 * - no message is lost or answered twice: every promise settles, resolved with a reply or rejected
 *   with a typed `AgentforceError`, and no turn gets two answers;
 * - `closed` is final;
 * - at most one request per session is in flight (no 423 the test did not inject);
 * - every server session is ended or expired once the conversation is over.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { SessionEmitted } from '../../machines/session.types.js';
import {
  startFakeAgentApi,
  type Fault,
  type FaultRoute,
  type RecordedRequest,
} from '../../src/fake-server/index.js';
import {
  AgentforceClient,
  clientCredentials,
  isAgentforceError,
  type AgentSession,
  type PersistedSession,
} from '../../src/index.js';
import { propertyParameters } from '../property.js';

const AGENT_ID = '0XxPROP00000001AAA';
const CLIENT_ID = 'property-client';
const CLIENT_SECRET = 'property-client-secret-value';
const SESSION_TTL_MS = 15 * 60_000;

type Command =
  | { kind: 'start' }
  | { kind: 'send'; text: string }
  | { kind: 'stream'; text: string }
  | { kind: 'cancel'; pick: number }
  | { kind: 'end' }
  | { kind: 'restore' }
  | { kind: 'fault'; route: FaultRoute; fault: Fault; times: number }
  | { kind: 'expire' }
  | { kind: 'settle' }
  | { kind: 'tick'; ms: number };

const text = fc.constantFrom('hello', 'where is my order', 'order 12345', 'cancel it', 'yes');

/** Server behaviour that can happen to the next request of a route. */
const fault: fc.Arbitrary<Command> = fc.oneof(
  fc.record({
    kind: fc.constant('fault' as const),
    route: fc.constantFrom<FaultRoute>('send', 'stream'),
    fault: fc.constantFrom<Fault>(
      { sessionNotFound: true },
      { status: 503 },
      { status: 429 },
      { status: 401 },
      { drop: 'after' },
      { malformed: 'json' },
      { sessionEnded: true },
    ),
    times: fc.integer({ min: 1, max: 3 }),
  }),
  fc.record({
    kind: fc.constant('fault' as const),
    route: fc.constantFrom<FaultRoute>('start', 'end', 'token'),
    fault: fc.constantFrom<Fault>({ status: 503 }, { drop: 'before' }, { delayMs: 20 }),
    times: fc.integer({ min: 1, max: 3 }),
  }),
  fc.record({
    kind: fc.constant('fault' as const),
    route: fc.constant<FaultRoute>('stream'),
    fault: fc.constantFrom<Fault>(
      { streamError: true, afterEvents: 2 },
      { dropMidStream: true, afterEvents: 2 },
    ),
    times: fc.constant(1),
  }),
);

const command: fc.Arbitrary<Command> = fc.oneof(
  { weight: 2, arbitrary: fc.constant<Command>({ kind: 'start' }) },
  { weight: 5, arbitrary: fc.record({ kind: fc.constant('send' as const), text }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('stream' as const), text }) },
  {
    weight: 2,
    arbitrary: fc.record({ kind: fc.constant('cancel' as const), pick: fc.nat({ max: 3 }) }),
  },
  { weight: 1, arbitrary: fc.constant<Command>({ kind: 'end' }) },
  { weight: 2, arbitrary: fc.constant<Command>({ kind: 'restore' }) },
  { weight: 3, arbitrary: fault },
  { weight: 1, arbitrary: fc.constant<Command>({ kind: 'expire' }) },
  { weight: 3, arbitrary: fc.constant<Command>({ kind: 'settle' }) },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('tick' as const),
      ms: fc.integer({ min: 0, max: 15 }),
    }),
  },
);

interface TurnRecord {
  via: 'send' | 'stream';
  promise: Promise<unknown>;
  settlements: number;
  outcome?: { ok: true } | { ok: false; error: unknown };
  cancel: () => void;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      promise,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`${what} within ${ms} ms`)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * The 423s of `requests` that no fault injected and that no abandoned request explains: each is
 * described with the request that held the session's lock when it came.
 */
function unexpectedBusy(requests: readonly RecordedRequest[]): string[] {
  const out: string[] = [];
  requests.forEach((r, i) => {
    if (r.status !== 423 || r.fault !== undefined) return;
    const holder = requests
      .slice(0, i)
      .reverse()
      .find(
        (h) =>
          h.sessionId === r.sessionId &&
          (h.route === 'send' || h.route === 'stream') &&
          h.status !== 423,
      );
    if (holder?.outcome === 'client-closed') return;
    out.push(
      `${r.method} ${r.path} at ${r.time}: the lock was held by ${holder ? `${holder.method} ${holder.path} at ${holder.time} (${holder.outcome}, ${holder.status})` : 'no earlier request'}`,
    );
  });
  return out;
}

/** Runs one sequence and checks every invariant; throws with the reason when one fails. */
async function runSequence(commands: readonly Command[]): Promise<void> {
  const api = await startFakeAgentApi({
    anyAgentId: true,
    clientId: CLIENT_ID,
    clientSecret: CLIENT_SECRET,
    sessionTtlMs: SESSION_TTL_MS,
    streamChunkDelayMs: 1,
  });
  const options = {
    myDomainUrl: api.url,
    auth: clientCredentials({ clientId: CLIENT_ID, clientSecret: CLIENT_SECRET }),
    retry: { maxRetries: 2, baseDelayMs: 1, maxDelayMs: 4, maxRetryAfterMs: 4 },
    streamIdleTimeoutMs: 2_000,
  };
  // A restore goes to the other client, as another process would.
  const clients = [new AgentforceClient(options), new AgentforceClient(options)];
  const turns: TurnRecord[] = [];
  /** Every session object of the conversation, with what it emitted, in order. */
  const objects: { session: AgentSession; emitted: SessionEmitted[] }[] = [];
  const sent: number[] = [];
  const watch = (session: AgentSession) => {
    const emitted: SessionEmitted[] = [];
    session.on('*', (e) => {
      emitted.push(e);
      if (e.type === 'turn.sent') sent.push(e.sequenceId);
    });
    objects.push({ session, emitted });
    return session;
  };
  let session = watch(clients[0]!.session({ agentId: AGENT_ID, maxRestarts: 2 }));
  let restores = 0;
  /** Restores taken while a start was in flight: the restored session repeats the start. */
  let restoresWhileStarting = 0;
  const trackTurn = (via: TurnRecord['via'], promise: Promise<unknown>, cancel: () => void) => {
    const t: TurnRecord = { via, promise, settlements: 0, cancel };
    promise.then(
      () => {
        t.settlements++;
        t.outcome = { ok: true };
      },
      (error: unknown) => {
        t.settlements++;
        t.outcome = { ok: false, error };
      },
    );
    turns.push(t);
  };
  const settle = () =>
    within(
      Promise.allSettled(turns.map((t) => t.promise)),
      5_000,
      'every message should be answered or fail',
    );

  try {
    for (const c of commands) {
      switch (c.kind) {
        case 'start':
          await within(
            session.start().catch(() => undefined),
            10_000,
            'start() should settle',
          );
          break;
        case 'send': {
          const ac = new AbortController();
          trackTurn('send', session.send(c.text, { signal: ac.signal }), () => ac.abort());
          break;
        }
        case 'stream': {
          const reply = session.stream(c.text);
          trackTurn('stream', reply.turn, () => reply.cancel());
          void (async () => {
            for await (const _ of reply) void _;
          })().catch(() => undefined);
          break;
        }
        case 'cancel': {
          const open = turns.filter((t) => t.settlements === 0);
          open[c.pick % Math.max(open.length, 1)]?.cancel();
          break;
        }
        case 'end':
          await within(
            session.end().catch(() => undefined),
            10_000,
            'end() should settle',
          );
          break;
        case 'restore': {
          const persisted = JSON.parse(JSON.stringify(session.snapshot())) as PersistedSession;
          if (session.state === 'starting') restoresWhileStarting++;
          session.stop();
          restores++;
          session = watch(clients[restores % 2]!.restore(persisted));
          await sleep(0); // the stopped session's promises settle before the next command
          break;
        }
        case 'fault':
          api.faults.next(c.route, c.fault, { times: c.times });
          break;
        case 'expire': {
          const id = session.sessionId;
          if (id !== null) api.expireSession(id);
          break;
        }
        case 'settle':
          await settle();
          break;
        case 'tick':
          await sleep(c.ms);
          break;
      }
    }
    // The conversation is over: no more faults, end it, and wait for everything to settle.
    api.faults.clear();
    if (session.state !== 'closed') {
      await within(
        session.end().catch(() => undefined),
        10_000,
        'end() should settle',
      );
    }
    await within(
      session.closed.catch(() => undefined),
      10_000,
      'the session should close',
    );
    await settle();
    await sleep(5);

    // No message lost or answered twice.
    for (const [i, t] of turns.entries()) {
      expect(t.settlements, `turn ${i} settled`).toBe(1);
      if (t.outcome && !t.outcome.ok) {
        expect(
          isAgentforceError(t.outcome.error),
          `turn ${i} rejected with ${String(t.outcome.error)}`,
        ).toBe(true);
      }
    }
    for (const { emitted } of objects) {
      const answered = new Map<string, number>();
      for (const e of emitted) {
        if (e.type === 'turn.completed' || e.type === 'turn.failed') {
          answered.set(e.turnId, (answered.get(e.turnId) ?? 0) + 1);
        }
      }
      const twice = [...answered].filter(([, n]) => n > 1).map(([id]) => id);
      expect(twice, 'turns answered twice').toEqual([]);
      // Nothing here sends a reply late: a dropped reply is an answer thrown away.
      const dropped = emitted.filter((e) => e.type === 'reply.dropped');
      expect(dropped, 'replies dropped as stale').toEqual([]);
    }

    // Closed is final: nothing changes state after `closed`.
    for (const { session: s, emitted } of objects) {
      const states = emitted.filter((e) => e.type === 'state').map((e) => e.state);
      const closedAt = states.indexOf('closed');
      if (closedAt >= 0) expect(states.slice(closedAt + 1), 'states after closed').toEqual([]);
      if (s.state === 'closed') {
        const late = s.send('after the end');
        await expect(late).rejects.toMatchObject({ code: 'session_closed' });
        expect(s.state).toBe('closed');
      }
    }

    // sequenceIds strictly increase: in what the sessions sent, and at the emulator.
    const increasing = (ids: readonly number[]) =>
      ids.every((id, i) => i === 0 || id > ids[i - 1]!);
    expect(increasing(sent), `turn.sent sequenceIds ${sent.join(',')}`).toBe(true);
    const servers = api.sessions();
    const received = servers.flatMap((s) => s.sequenceIds);
    expect(
      increasing(received),
      `sequenceIds at the emulator ${JSON.stringify(servers.map((s) => s.sequenceIds))}`,
    ).toBe(true);

    // One request in flight per session: no 423 but the injected ones, and those of a server
    // still holding the lock of a request the client gave up on (a cancel, or a session stopped
    // for a restore, closes the connection; the server only learns of it a moment later, as a
    // real org may still be processing the turn). The client retries a 423.
    expect(unexpectedBusy(api.requests), 'unexpected 423s').toEqual([]);

    // Every server session is ended or expired: by the client's end(), by the server, or once
    // its TTL passed for a session the client could not end: one that closed with an error (a
    // fatal failure, or a DELETE that failed: end() rejected), or one whose start was repeated
    // by a restore (the first start may have created it).
    const open = api.sessions().filter((s) => s.status === 'open');
    const failed = objects.filter((o) => o.session.outcome?.error !== undefined).length;
    expect(
      open.length,
      `server sessions left open (${open.map((s) => s.sessionId).join(', ')}): more than the ${failed} session(s) closed with an error and ${restoresWhileStarting} restore(s) while starting explain`,
    ).toBeLessThanOrEqual(failed + restoresWhileStarting);
    if (open.length > 0) {
      api.clock.advance(SESSION_TTL_MS + 1);
      expect(api.sessions().filter((s) => s.status === 'open')).toEqual([]);
    }
  } finally {
    for (const { session: s } of objects) if (s.state !== 'closed') s.stop();
    for (const client of clients) client.close();
    await api.close();
  }
}

describe('properties of a conversation under random calls and server faults', () => {
  it('keeps every invariant', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(command, { minLength: 1, maxLength: 12 }), runSequence),
      propertyParameters('keeps every invariant', 60),
    );
  }, 600_000);
});
