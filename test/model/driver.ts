/**
 * Runs one generated path against the real thing: an `AgentSession` of an `AgentforceClient`,
 * over HTTP, against the emulator on loopback. Each variant of the path is executed as what it
 * stands for:
 *
 * - a caller's event is a call on the public API (`start()`, `send()`, `stream()`, `end()`, an
 *   `AbortSignal` or `TurnStream.cancel()`; the sequence floor goes through `session.actor`);
 * - `IDLE_TIMEOUT` is the client's `SimulatedClock` moving past the idle deadline;
 * - the end of an invoked actor is the emulator answering its request: normally, with a queued
 *   fault (404, 401 twice, 423/429/503 beyond the retries, a dropped connection, a wrong-host
 *   404, a malformed body, a `SessionEnded`, a stream error or stall), or not yet (the request
 *   is held with a delay until the caller gives up on it).
 *
 * The answer of a request is decided when the session invokes the actor (the `@xstate.actor`
 * inspection event, before the request is sent), from the step of the path that ends that
 * invocation. After every step the session's full state value must equal the model's, and at the
 * end the events the session emitted and the settlement of every promise must match the model.
 */
import { SimulatedClock, type AnyEventObject, type InspectionEvent } from 'xstate';
import type { SessionEmitted } from '../../machines/session.types.js';
import { EndReasonSchema } from '../../src/api/index.js';
import {
  startFakeAgentApi,
  defaultAgent,
  type FakeAgentApi,
  type Fault,
  type FaultRoute,
  type RecordedRequest,
  type RecordedRoute,
  inform,
  sessionEnded,
} from '../../src/fake-server/index.js';
import {
  AgentforceClient,
  clientCredentials,
  isAgentforceError,
  type AgentSession,
  type TurnStream,
} from '../../src/index.js';
import { WIRE, tableStart, tableStep } from './lifecycle-table.js';
import {
  MODEL_AGENT_ID,
  PRE_STREAM_FAILURES,
  replay,
  stateKey,
  transitionKey,
  VARIANTS,
  type GeneratedPath,
  type ReplayStep,
  type Snap,
} from './model.js';

const CLIENT_ID = 'model-client';
const CLIENT_SECRET = 'model-client-secret-value';
/** Token lifetime at the emulator; an `authorize` invocation moves the clock by this much. */
const TOKEN_TTL_MS = 10 * 60_000;
/** A request the path holds is delayed this long (real ms): it is aborted or closed first. */
const HOLD_MS = 30_000;
/** Every `x-session-end-reason` of the Agent API. */
const END_REASONS = EndReasonSchema.options;
/** How long one step may take to show up (real ms). */
const STEP_TIMEOUT_MS = 8_000;

/** What the SUT actually did, for the coverage report. */
export interface Coverage {
  states: Set<string>;
  transitions: Set<string>;
  variants: Set<string>;
  paths: number;
}

export function emptyCoverage(): Coverage {
  return { states: new Set(), transitions: new Set(), variants: new Set(), paths: 0 };
}

/** How the emulator answers one request, by route. */
type Answer =
  | { kind: 'normal' }
  | { kind: 'hold' }
  | { kind: 'faults'; faults: Fault[]; times?: number }
  | { kind: 'greetingEnds' };

type ActorId = 'authorize' | 'startSession' | 'sendMessage' | 'streamMessage' | 'endSession';

const ROUTE: Record<ActorId, FaultRoute> = {
  authorize: 'token',
  startSession: 'start',
  sendMessage: 'send',
  streamMessage: 'stream',
  endSession: 'end',
};

const notFoundBody = { status: 404, error: 'NotFoundError', message: 'Resource not found' };

/** The emulator's answer for the variant that ends an invocation (`events`: stream events before it). */
function answerFor(variant: string, events: number): Answer {
  const after = Math.max(events, 1);
  switch (variant) {
    case 'authorizeOk':
    case 'startOk':
    case 'replyOk':
    case 'streamDone':
    case 'endOk':
      return { kind: 'normal' };
    case 'startEnded':
      return { kind: 'greetingEnds' };
    case 'replyEnded':
    case 'streamEnded':
      return { kind: 'faults', faults: [{ sessionEnded: true }] };
    case 'authorizeRefused':
      return { kind: 'faults', faults: [{ status: 401 }] };
    case 'startRefused':
    case 'sendRefused':
    case 'streamRefused':
    case 'endRefused':
      return { kind: 'faults', faults: [{ status: 401 }], times: 2 };
    case 'authorizeUnavailable':
    case 'startUnavailable':
    case 'sendUnavailable':
    case 'streamUnavailable':
    case 'endUnavailable':
      return { kind: 'faults', faults: [{ status: 503 }], times: 3 };
    case 'startRateLimited':
    case 'sendRateLimited':
      return { kind: 'faults', faults: [{ status: 429 }], times: 3 };
    case 'sendBusy':
      return { kind: 'faults', faults: [{ status: 423 }], times: 3 };
    case 'sendForbidden':
    case 'streamForbidden':
      return { kind: 'faults', faults: [{ status: 403 }] };
    case 'startWrongHost':
    case 'sendWrongHost':
    case 'streamWrongHost':
      return { kind: 'faults', faults: [notFoundBody] };
    case 'sendNotFound':
    case 'streamNotFound':
    case 'endNotFound':
      return { kind: 'faults', faults: [{ sessionNotFound: true }] };
    case 'startDropped':
      return { kind: 'faults', faults: [{ drop: 'before' }] };
    case 'sendDropped':
      return { kind: 'faults', faults: [{ drop: 'after' }] };
    case 'startMalformed':
    case 'sendMalformed':
      return { kind: 'faults', faults: [{ malformed: 'json' }] };
    case 'streamError':
      return { kind: 'faults', faults: [{ streamError: true, afterEvents: after }] };
    case 'streamDropped':
      return { kind: 'faults', faults: [{ dropMidStream: true, afterEvents: after }] };
    case 'streamStalled':
      return { kind: 'faults', faults: [{ stall: true, afterEvents: after }] };
    default:
      throw new Error(`driver: no answer for variant ${variant}`);
  }
}

/** The caller's variants the driver executes (see `callers` in {@link runPath}). */
const CALLER_VARIANTS = [
  'start',
  'send',
  'stream',
  'end',
  'cancelInFlight',
  'cancelQueued',
  'sequenceFloor',
  'idleTimeout',
];

/** Every variant the driver can execute: the caller's, and every one the emulator can answer. */
export const EXECUTABLE: ReadonlySet<string> = new Set([
  ...CALLER_VARIANTS,
  // Stream events come from the stream in flight; its answer counts them (see planInvocations).
  'streamEvent',
  ...VARIANTS.filter((v) => {
    try {
      answerFor(v.name, 0);
      return true;
    } catch {
      return false;
    }
  }).map((v) => v.name),
]);

/** One invocation of an actor in the model, and how the path ends it. */
interface Invocation {
  actor: ActorId;
  /** The step that ends it (index into the steps), or undefined if the path ends first. */
  endStep: number | undefined;
  answer: Answer;
  /** Whether it ends by something else than its own answer (it is aborted). */
  aborted: boolean;
  /** Requests of its route the emulator had received when it was invoked. */
  receivedBefore?: number;
}

const ACTORS: readonly ActorId[] = [
  'authorize',
  'startSession',
  'sendMessage',
  'streamMessage',
  'endSession',
];

function childRef(s: Snap, id: string): unknown {
  return (s.children as Record<string, unknown>)[id];
}

/** The invocations of a replayed path, in order, with the answer each one gets. */
export function planInvocations(steps: readonly ReplayStep[]): Invocation[] {
  const out: Invocation[] = [];
  steps.forEach((step, i) => {
    for (const actor of ACTORS) {
      const ref = childRef(step.after, actor);
      if (ref === undefined || ref === childRef(step.before, actor)) continue;
      let endStep: number | undefined;
      let events = 0;
      for (let j = i + 1; j < steps.length; j++) {
        if (childRef(steps[j]!.after, actor) !== ref) {
          endStep = j;
          break;
        }
        if (steps[j]!.variant.name === 'streamEvent') events++;
      }
      const ender = endStep === undefined ? undefined : steps[endStep]!.variant;
      const own = ender !== undefined && ender.source === actor;
      if (own && PRE_STREAM_FAILURES.has(ender.name) && events > 0) {
        throw new Error(`driver: ${ender.name} cannot follow a stream event`);
      }
      let answer: Answer;
      if (own) answer = answerFor(ender.name, events);
      else if (actor === 'streamMessage' && events > 0)
        answer = { kind: 'faults', faults: [{ stall: true, afterEvents: events }] };
      else answer = { kind: 'hold' };
      out.push({ actor, endStep, answer, aborted: !own });
    }
  });
  return out;
}

/** Polls `done` every few ms until it holds or {@link STEP_TIMEOUT_MS} has passed. */
async function until(done: () => boolean): Promise<boolean> {
  const deadline = Date.now() + STEP_TIMEOUT_MS;
  while (!done()) {
    if (Date.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, 5));
  }
  return true;
}

/** Waits until the request of an invocation has reached the emulator. */
async function arrived(api: FakeAgentApi, inv: Invocation): Promise<void> {
  const route = ROUTE[inv.actor];
  const before = inv.receivedBefore ?? 0;
  if (!(await until(() => api.requests.filter((r) => r.route === route).length > before))) {
    throw new Error(`the ${inv.actor} request never reached the emulator`);
  }
}

const WIRE_OF_ROUTE: Partial<Record<RecordedRoute, string>> = WIRE;

/** Statuses after which the client repeats the same request (a 401 after a new token). */
const REPEATED_AFTER = new Set([401, 423, 429, 503]);

/** A message request with the sequenceId it carries. */
const numbered = (request: string, sequenceId: unknown) => `${request} #${String(sequenceId)}`;

/**
 * What the emulator received, as the table's wire column names it: one entry per request the
 * client meant to make. A repeat of the same request (same path and body) after a 401, 423, 429
 * or 503 is the same request, and the token request between a 401 and its repeat is the refresh.
 */
function receivedWire(requests: readonly RecordedRequest[]): string[] {
  const out: string[] = [];
  let last: RecordedRequest | undefined;
  // The last request was the repeat after a refresh: a token request after it is a new one.
  let repeated = false;
  for (const r of requests) {
    const request = WIRE_OF_ROUTE[r.route];
    if (request === undefined || request === WIRE.abort) {
      out.push(`${r.method} ${r.path} (no row of the table sends it)`);
      continue;
    }
    const refused = last !== undefined && REPEATED_AFTER.has(last.status);
    if (
      refused &&
      !repeated &&
      r.route === 'token' &&
      last!.route !== 'token' &&
      last!.status === 401
    )
      continue;
    const same =
      last !== undefined &&
      r.route === last.route &&
      r.path === last.path &&
      JSON.stringify(r.body) === JSON.stringify(last.body);
    last = r;
    repeated = refused && same;
    if (repeated) continue;
    const message = r.body as { message?: { sequenceId?: unknown } } | undefined;
    out.push(
      r.route === 'send' || r.route === 'stream'
        ? numbered(request, message?.message?.sequenceId)
        : request,
    );
  }
  return out;
}

/**
 * The table's wire column against what the emulator received: the table is run over the path's
 * events, and the requests its rows put on the wire (a message with the sequenceId the table
 * gives it) must be the requests the emulator got, in order. The connections the client closes
 * are the table's aborts and the streams the client gave up on for silence.
 */
async function checkWire(
  api: FakeAgentApi,
  steps: readonly ReplayStep[],
  config: GeneratedPath['config']['input'],
): Promise<void> {
  const t = tableStart();
  const expected: string[] = [];
  let closes = 0;
  let mayClose = 0;
  for (const step of steps) {
    const from = t.wire.length;
    tableStep(t, step.event, config);
    for (const w of t.wire.slice(from)) {
      if (w === WIRE.abort) closes++;
      else if (w === WIRE.send || w === WIRE.stream)
        expected.push(numbered(w, t.inFlight?.sequenceId));
      else expected.push(w);
    }
    const code = (step.event as { error?: { code?: string } }).error?.code;
    if (step.event.type === 'STREAM.FAILED' && code === 'stream_idle_timeout') closes++;
    // A stream the server ends with SessionEnded: the session closes on that event and may drop
    // the connection before the server has finished the response (a race, not an abort).
    if (step.variant.name === 'streamEnded') mayClose++;
  }
  const closed = () => api.stats.clientClosedMidRequest + api.stats.clientClosedMidStream;
  // The last requests and the closes may still be on their way.
  await until(() => receivedWire(api.requests).length >= expected.length && closed() >= closes);
  const received = receivedWire(api.requests);
  if (JSON.stringify(received) !== JSON.stringify(expected)) {
    throw new Error(
      `the emulator received other requests than the table's wire column\n  table:    ${expected.join(', ')}\n  received: ${received.join(', ')}`,
    );
  }
  if (closed() < closes || closed() > closes + mayClose) {
    throw new Error(
      `the client closed ${closed()} connections; the table aborts ${closes}` +
        (mayClose > 0 ? ` (and ${mayClose} server-ended stream(s) may close first)` : ''),
    );
  }
}

/** What the session processed: one entry per macrostep of the session actor. */
interface Processed {
  type: string;
  event: AnyEventObject;
  value: unknown;
  status: string;
}

type Tracked = { promise: Promise<unknown>; settled?: { ok: boolean; value: unknown } };

function track(promise: Promise<unknown>): Tracked {
  const t: Tracked = { promise };
  promise.then(
    (value) => (t.settled = { ok: true, value }),
    (error: unknown) => (t.settled = { ok: false, value: error }),
  );
  return t;
}

/** The emitted events of the model and of the session, made comparable. */
function projectEmitted(e: SessionEmitted, turnName: (id: string) => string): string | undefined {
  switch (e.type) {
    case 'turn.stream':
      return undefined;
    case 'turn.failed':
      return `turn.failed ${turnName(e.turnId)} ${e.error.code}`;
    case 'turn.completed':
    case 'turn.sent':
      return `${e.type} ${turnName(e.turnId)}`;
    case 'session.closed':
      return `session.closed ${e.outcome.reason}${e.outcome.error ? ` ${e.outcome.error.code}` : ''}`;
    case 'session.expired':
      return `session.expired ${e.cause} ${e.turnId === null ? '-' : turnName(e.turnId)}`;
    case 'state':
      return `state ${e.state}`;
    default:
      return e.type;
  }
}

function valueIds(value: unknown, prefix = 'session'): string[] {
  if (typeof value === 'string') return [`${prefix}.${value}`];
  if (typeof value !== 'object' || value === null) return [];
  return Object.entries(value as Record<string, unknown>).flatMap(([k, v]) => [
    `${prefix}.${k}`,
    ...valueIds(v, `${prefix}.${k}`),
  ]);
}

function describeStep(path: GeneratedPath, index: number): string {
  return path.variants.map((v, i) => (i === index ? `[${v}]` : v)).join(' → ');
}

/**
 * Runs the path; throws (with the path and the step) when the session does not follow the model.
 */
export async function runPath(path: GeneratedPath, coverage: Coverage): Promise<void> {
  // The model ends with `UserRequest`; the caller asks each reason of the API in turn, by path.
  const endReason = END_REASONS[[...path.variants.join()].length % END_REASONS.length]!;
  const { steps, emitted: modelEvents } = replay(path);
  const invocations = planInvocations(steps);
  const pending = new Map<ActorId, Invocation[]>();
  for (const inv of invocations) {
    const list = pending.get(inv.actor) ?? [];
    list.push(inv);
    pending.set(inv.actor, list);
  }

  const clock = new SimulatedClock();
  clock.set(Date.UTC(2025, 0, 1));
  let greetingEnds = false;
  const api: FakeAgentApi = await startFakeAgentApi({
    anyAgentId: true,
    port: 0,
    clientId: CLIENT_ID,
    clientSecret: CLIENT_SECRET,
    clock: { now: () => clock.now() },
    sessionTtlMs: 1e12,
    tokenTtlMs: TOKEN_TTL_MS,
    streamChunkDelayMs: 1,
    strictSequence: true,
    agent: {
      reply: defaultAgent.reply,
      greeting: (info) => {
        if (!greetingEnds) return defaultAgent.greeting!(info);
        greetingEnds = false;
        return [inform('Hello, and goodbye.'), sessionEnded('Action')];
      },
    },
  });

  const processed: Processed[] = [];
  const problems: string[] = [];
  let wake: (() => void) | undefined;
  let rootId: string | undefined;

  const onInvoke = (actor: ActorId) => {
    const inv = pending.get(actor)?.shift();
    if (!inv) {
      problems.push(`the session invoked ${actor}, which the model does not`);
      return;
    }
    if (actor === 'authorize') clock.increment(TOKEN_TTL_MS); // the token has expired: a real token request
    const route = ROUTE[actor];
    inv.receivedBefore = api.requests.filter((r) => r.route === route).length;
    const a = inv.answer;
    if (a.kind === 'hold') api.faults.next(route, { delayMs: HOLD_MS });
    else if (a.kind === 'greetingEnds') greetingEnds = true;
    else if (a.kind === 'faults') {
      for (const f of a.faults) api.faults.next(route, f, a.times ? { times: a.times } : {});
    }
  };

  const inspect = (ev: InspectionEvent) => {
    const parent = (ev.actorRef as { _parent?: { sessionId: string } })._parent;
    if (ev.type === '@xstate.actor') {
      if (!parent) rootId = ev.actorRef.sessionId;
      else if (parent.sessionId === rootId) {
        const id = (ev.actorRef as { id?: string }).id as ActorId;
        if ((ACTORS as readonly string[]).includes(id)) onInvoke(id);
      }
      return;
    }
    if (ev.actorRef.sessionId !== rootId) return;
    if (ev.type === '@xstate.microstep') {
      for (const t of ev._transitions) coverage.transitions.add(transitionKey(t));
      for (const id of valueIds((ev.snapshot as { value?: unknown }).value))
        coverage.states.add(id);
    } else if (ev.type === '@xstate.snapshot') {
      const snap = ev.snapshot as { value?: unknown; status: string };
      for (const id of valueIds(snap.value)) coverage.states.add(id);
      if (ev.event.type === 'xstate.init' || ev.event.type === 'xstate.stop') return;
      processed.push({
        type: ev.event.type,
        event: ev.event,
        value: snap.value,
        status: snap.status,
      });
      wake?.();
    }
  };

  const client = new AgentforceClient({
    myDomainUrl: api.url,
    auth: clientCredentials({ clientId: CLIENT_ID, clientSecret: CLIENT_SECRET }),
    retry: { maxRetries: 2, baseDelayMs: 1, maxDelayMs: 4, maxRetryAfterMs: 4 },
    streamIdleTimeoutMs: 1_000,
    clock,
    inspect,
  });
  const config = path.config.input;
  const session: AgentSession = client.session({
    agentId: MODEL_AGENT_ID,
    onExpiry: config.expiryPolicy,
    maxRestarts: config.maxRestarts,
    maxQueue: config.maxQueue,
    idleTimeoutMs: config.idleTimeoutMs,
  });
  const emitted: SessionEmitted[] = [];
  session.on('*', (e) => emitted.push(e));

  // Model turn ids ↔ the session's, and the caller's handles on each turn.
  const sutTurn = new Map<string, string>();
  const modelTurn = new Map<string, string>();
  const turns = new Map<string, { tracked: Tracked; abort: () => void }>();
  let started: Tracked | undefined;
  let ended: Tracked | undefined;
  const streams: Promise<unknown>[] = [];

  let cursor = 0;
  /** The next entry the session processed, of `type` (stream events in between are skipped). */
  const nextProcessed = async (type: string, wait: boolean): Promise<Processed> => {
    const deadline = Date.now() + STEP_TIMEOUT_MS;
    for (;;) {
      while (cursor < processed.length) {
        const p = processed[cursor++]!;
        if (p.type === type) return p;
        if (p.type === 'STREAM.EVENT') continue;
        throw new Error(`the session processed ${p.type} where the model expects ${type}`);
      }
      if (problems.length > 0) throw new Error(problems.join('; '));
      if (!wait) throw new Error(`the session did not process ${type}`);
      const left = deadline - Date.now();
      if (left <= 0)
        throw new Error(`the session did not process ${type} within ${STEP_TIMEOUT_MS} ms`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        wake = () => {
          clearTimeout(timer);
          wake = undefined;
          resolve();
        };
      });
    }
  };

  /** The caller's events and the clock: one executor per variant. */
  const callers: Record<string, (e: AnyEventObject & Record<string, unknown>) => void> = {
    start: () => {
      started = track(session.start());
    },
    send: (e) => {
      const ac = new AbortController();
      turns.set(e['turnId'] as string, {
        tracked: track(session.send(e['text'] as string, { signal: ac.signal })),
        abort: () => ac.abort(),
      });
    },
    stream: (e) => {
      const reply: TurnStream = session.stream(e['text'] as string);
      turns.set(e['turnId'] as string, { tracked: track(reply.turn), abort: () => reply.cancel() });
      streams.push(
        (async () => {
          for await (const _ of reply) void _;
        })().catch(() => undefined),
      );
    },
    end: () => {
      ended = track(session.end(endReason));
    },
    cancelInFlight: (e) => cancel(e['turnId']),
    cancelQueued: (e) => cancel(e['turnId']),
    sequenceFloor: () => {
      const floor = session.actor.getSnapshot().context.lastSequenceId + 5;
      session.actor.send({ type: 'SEQUENCE.FLOOR', lastSequenceId: floor });
    },
    idleTimeout: () => clock.increment(config.idleTimeoutMs),
  };
  if (Object.keys(callers).sort().join() !== [...CALLER_VARIANTS].sort().join()) {
    throw new Error('driver: CALLER_VARIANTS and the executors differ');
  }
  const cancel = (turnId: unknown) => {
    const turn = turns.get(turnId as string);
    if (!turn) throw new Error(`no turn ${String(turnId)} to cancel`);
    turn.abort();
  };
  const exec = (step: ReplayStep) => {
    const run = callers[step.variant.name];
    if (!run) throw new Error(`driver: no executor for ${step.variant.name}`);
    run(step.event);
  };

  let streamsStuck: boolean | undefined;
  try {
    for (const [i, step] of steps.entries()) {
      const v = step.variant;
      const isCaller = v.source === 'user' || v.source === 'clock';
      try {
        if (isCaller) {
          // A held request that this step abandons must not hold the next one of its route; it
          // must have reached the emulator, or the wire check below would miss it by chance.
          const abandoned = invocations.filter((inv) => inv.endStep === i && inv.aborted);
          for (const inv of abandoned) await arrived(api, inv);
          if (abandoned.length > 0) api.faults.clear();
          exec(step);
        }
        const got = await nextProcessed(step.event.type, !isCaller);
        if (step.event.type === 'SEND') {
          const id = (got.event as { turnId?: string }).turnId ?? '';
          const model = (step.event as { turnId?: string }).turnId ?? '';
          sutTurn.set(model, id);
          modelTurn.set(id, model);
        }
        const want = { value: step.after.value, status: step.after.status };
        const have = { value: got.value, status: got.status };
        if (JSON.stringify(have) !== JSON.stringify(want)) {
          throw new Error(
            `state ${JSON.stringify(have)} where the model is in ${JSON.stringify(want)}`,
          );
        }
        coverage.variants.add(v.name);
      } catch (err) {
        const message = err instanceof Error ? err.message : String(err);
        throw new Error(
          `step ${i + 1} (${v.name}): ${message}\n  path [${path.config.name}]: ${describeStep(path, i)}\n  model before: ${stateKey(step.before)}`,
          { cause: err },
        );
      }
    }
    // Let what the last step set off settle (e.g. the promise of a failed turn).
    await new Promise((r) => setTimeout(r, 5));

    const final = steps.at(-1)?.after;
    const turnName = (id: string) => modelTurn.get(id) ?? `?${id}`;
    const modelEmitted: string[] = [];
    for (const e of modelEvents) {
      const s = projectEmitted(e, (id) => id);
      if (s !== undefined) modelEmitted.push(s);
    }
    const sessionEmitted = emitted
      .map((e) => projectEmitted(e, turnName))
      .filter((s): s is string => s !== undefined);
    if (JSON.stringify(sessionEmitted) !== JSON.stringify(modelEmitted)) {
      throw new Error(
        `emitted events differ\n  model:   ${modelEmitted.join(', ')}\n  session: ${sessionEmitted.join(', ')}\n  path [${path.config.name}]: ${path.variants.join(' → ')}`,
      );
    }

    // Every promise the caller holds settled as the model says.
    const outcomes = new Map<string, string>();
    for (const e of modelEvents) {
      if (e.type === 'turn.completed') outcomes.set(e.turnId, 'ok');
      if (e.type === 'turn.failed') outcomes.set(e.turnId, e.error.code);
    }
    for (const [model, turn] of turns) {
      const want = outcomes.get(model) ?? 'pending';
      const s = turn.tracked.settled;
      const have = !s
        ? 'pending'
        : s.ok
          ? 'ok'
          : isAgentforceError(s.value)
            ? s.value.code
            : `untyped ${String(s.value)}`;
      if (have !== want) {
        throw new Error(
          `turn ${model}: the caller's promise is ${have}, the model says ${want}\n  path [${path.config.name}]: ${path.variants.join(' → ')}`,
        );
      }
    }
    if (started) {
      const want = modelEvents.some((e) => e.type === 'session.started')
        ? 'ok'
        : final?.status === 'done'
          ? 'failed'
          : 'pending';
      const s = started.settled;
      const have = !s ? 'pending' : s.ok ? 'ok' : 'failed';
      if (have !== want) throw new Error(`start(): ${have}, the model says ${want}`);
    }
    if (ended && final?.status === 'done') {
      const s = ended.settled;
      const outcome = final.context.outcome;
      const want = outcome?.reason === 'ended' && outcome.error ? outcome.error.code : 'ok';
      const have = !s ? 'pending' : s.ok ? 'ok' : isAgentforceError(s.value) ? s.value.code : '?';
      if (have !== want) throw new Error(`end(): ${have}, the model says ${want}`);
    }
    if (pending.size > 0) {
      const left = [...pending.values()].flat().filter((inv) => inv.endStep !== undefined);
      if (left.length > 0) {
        throw new Error(`the session never invoked ${left.map((inv) => inv.actor).join(', ')}`);
      }
    }
    // Every DELETE carries the caller's end reason (or `Error`, for a session ended on a failure,
    // or `Expiration`, for one ended at its idle deadline).
    const deletes = api.requests.filter((r) => r.route === 'end');
    const reasons = deletes.map((r) => r.headers['x-session-end-reason']);
    const foreign = reasons.filter((r) => r !== endReason && r !== 'Error' && r !== 'Expiration');
    if (foreign.length > 0) {
      throw new Error(
        `DELETE with end reason ${foreign.join(', ')}; the caller asked ${endReason}`,
      );
    }
    if (ended && final?.context.endReason === 'UserRequest') {
      const have = session.outcome?.endReason;
      if (final.status === 'done' && have !== endReason) {
        throw new Error(`outcome.endReason ${String(have)}; the caller asked ${endReason}`);
      }
    }
    await checkWire(api, steps, config);
    coverage.paths++;
  } finally {
    if (session.state !== 'closed') session.stop();
    const streamsEnd = Promise.allSettled(streams);
    const bound = new Promise<'stuck'>((r) =>
      setTimeout(() => r('stuck'), STEP_TIMEOUT_MS).unref(),
    );
    streamsStuck = (await Promise.race([streamsEnd, bound])) === 'stuck';
    client.close();
    await api.close();
  }
  if (streamsStuck) {
    throw new Error(
      `a stream of the path did not end within ${STEP_TIMEOUT_MS} ms of its last step`,
    );
  }
}
