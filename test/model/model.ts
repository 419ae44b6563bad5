/**
 * The test model: the production session machine itself, walked by `xstate/graph`.
 *
 * Traversal runs no actors and fires no timers, so every step that an actor or a timer would
 * cause is a synthetic event here, made by a named *variant*: `sendUnavailable` is
 * `xstate.error.actor.sendMessage` with a `service_unavailable` error, and means "the emulator
 * answers the message request 503 until the retries are spent". The driver (./driver.ts) turns
 * each variant into a call on the public API, a clock moving, or an answer of the emulator.
 */
import type { AnyEventObject, AnyStateNode } from 'xstate';
import { getAdjacencyMap, getShortestPaths, type StatePath } from 'xstate/graph';
import { sessionMachine } from '../../machines/session.machine.js';
import { guardLabel } from '../../src/diagram/mermaid.js';
import type { ErrorCode, SessionEmitted, SessionInput } from '../../machines/session.types.js';
import { emittedBy, inState, modelStart, modelStep, type Snap } from '../../src/testing/machine.js';

export type { Snap };

/** Client-side idle timeout of the modelled sessions (simulated ms). */
export const IDLE_MS = 1_000;

/** A session configuration the model is walked with (each one is its own graph). */
export interface ModelConfig {
  name: string;
  input: {
    expiryPolicy: NonNullable<SessionInput['expiryPolicy']>;
    maxRestarts: number;
    maxQueue: number;
    idleTimeoutMs: number;
  };
}

/**
 * `restart` reaches the restart, the spent restart budget, the full queue and the resting
 * `expired` state; `close` reaches the expiry policy `close` and a refused first message (no room
 * in a zero-length queue).
 */
export const MODEL_CONFIGS: readonly ModelConfig[] = [
  {
    name: 'restart',
    input: { expiryPolicy: 'restart', maxRestarts: 1, maxQueue: 1, idleTimeoutMs: IDLE_MS },
  },
  {
    name: 'close',
    input: { expiryPolicy: 'close', maxRestarts: 0, maxQueue: 0, idleTimeoutMs: IDLE_MS },
  },
];

export const MODEL_AGENT_ID = '0XxMODEL0000001AAA';

export function modelInput(config: ModelConfig): SessionInput {
  return { agentId: MODEL_AGENT_ID, endpoint: 'https://model.invalid', ...config.input };
}

// ---------------------------------------------------------------------------------------------
// Variants: the events of the model, with their payloads.

/** The actor whose invocation a variant ends, or `user`/`clock` for the caller's own events. */
export type VariantSource =
  'user' | 'clock' | 'authorize' | 'startSession' | 'sendMessage' | 'streamMessage' | 'endSession';

export interface Variant {
  readonly name: string;
  /** The machine event type. */
  readonly type: string;
  readonly source: VariantSource;
  /** Whether the variant is offered in this state. */
  when(s: Snap): boolean;
  /** The event, built from the state it is sent in. */
  make(s: Snap, nextTurnId: () => string): AnyEventObject;
  /** For failures: the error code the SUT must report. */
  readonly code?: ErrorCode;
}

export type ModelEvent = AnyEventObject & { variant: string };

const error = (code: ErrorCode, name = 'AgentforceError') => ({
  name,
  code,
  message: `modelled ${code}`,
});

const inform = { type: 'Inform', id: 'model-inform', message: 'ok' };
const ended = { type: 'SessionEnded', id: 'model-ended', reason: 'Action' };

function current(s: Snap): { sessionId: string; sequenceId: number } {
  return {
    sessionId: s.context.inFlight?.sessionId ?? '',
    sequenceId: s.context.inFlight?.sequenceId ?? -1,
  };
}

/**
 * In which states a caller's message reaches the machine: everywhere SEND is handled but
 * `ending`, where `AgentSession.send()` refuses it before the machine sees it.
 */
const canSend = (s: Snap) =>
  s.status === 'active' &&
  ['idle', 'starting', 'active', 'awaitingInput', 'expired'].some((v) => inState(s, v));

/** Whether a queued streamed message makes a difference here (it is dispatched later). */
const canStream = (s: Snap) =>
  inState(s, 'awaitingInput') ||
  ((inState(s, 'idle') || inState(s, 'starting') || inState(s, 'active')) &&
    s.context.queue.length < s.context.maxQueue);

/** A DELETE is in flight: `end()` (`ending`) or the idle deadline (`expired.releasing`). */
const ending = (s: Snap) => inState(s, 'ending') || inState(s, 'expired.releasing');

function failure(
  name: string,
  actor: 'authorize' | 'startSession' | 'sendMessage' | 'endSession',
  code: ErrorCode,
  state: string | ((s: Snap) => boolean),
  when: (s: Snap) => boolean = () => true,
): Variant {
  const inIt = typeof state === 'string' ? (s: Snap) => inState(s, state) : state;
  return {
    name,
    type: `xstate.error.actor.${actor}`,
    source: actor,
    code,
    when: (s) => inIt(s) && when(s),
    make: () => ({ type: `xstate.error.actor.${actor}`, error: error(code) }),
  };
}

function streamFailure(name: string, code: ErrorCode): Variant {
  return {
    name,
    type: 'STREAM.FAILED',
    source: 'streamMessage',
    code,
    when: (s) => inState(s, 'active.streaming'),
    make: (s) => ({ type: 'STREAM.FAILED', ...current(s), error: error(code) }),
  };
}

export const VARIANTS: readonly Variant[] = [
  // The caller.
  {
    name: 'start',
    type: 'START',
    source: 'user',
    when: (s) => inState(s, 'idle'),
    make: () => ({ type: 'START' }),
  },
  {
    name: 'send',
    type: 'SEND',
    source: 'user',
    when: canSend,
    make: (_s, id) => ({ type: 'SEND', turnId: id(), text: 'hello there' }),
  },
  {
    name: 'stream',
    type: 'SEND',
    source: 'user',
    when: canStream,
    make: (_s, id) => ({ type: 'SEND', turnId: id(), text: 'hello there', stream: true }),
  },
  {
    name: 'end',
    type: 'END',
    source: 'user',
    when: (s) => s.status === 'active' && !inState(s, 'ending'),
    make: () => ({ type: 'END', reason: 'UserRequest' }),
  },
  {
    name: 'cancelInFlight',
    type: 'CANCEL',
    source: 'user',
    when: (s) => inState(s, 'active') && s.context.inFlight !== null,
    make: (s) => ({ type: 'CANCEL', turnId: s.context.inFlight?.turnId ?? '' }),
  },
  {
    name: 'cancelQueued',
    type: 'CANCEL',
    source: 'user',
    when: (s) => s.status === 'active' && s.context.queue.length > 0,
    make: (s) => ({ type: 'CANCEL', turnId: s.context.queue[0]?.turnId ?? '' }),
  },
  {
    name: 'sequenceFloor',
    type: 'SEQUENCE.FLOOR',
    source: 'user',
    when: (s) => inState(s, 'idle') || inState(s, 'awaitingInput'),
    make: (s) => ({ type: 'SEQUENCE.FLOOR', lastSequenceId: s.context.lastSequenceId + 5 }),
  },
  // The clock.
  {
    name: 'idleTimeout',
    type: 'IDLE_TIMEOUT',
    source: 'clock',
    when: (s) => inState(s, 'awaitingInput') && s.context.idleTimeoutMs !== null,
    make: () => ({ type: 'IDLE_TIMEOUT' }),
  },
  // The token endpoint.
  {
    name: 'authorizeOk',
    type: 'xstate.done.actor.authorize',
    source: 'authorize',
    when: (s) => inState(s, 'starting.authorizing'),
    make: () => ({ type: 'xstate.done.actor.authorize', output: { expiresAt: null } }),
  },
  failure('authorizeRefused', 'authorize', 'authentication', 'starting.authorizing'),
  failure('authorizeUnavailable', 'authorize', 'service_unavailable', 'starting.authorizing'),
  // Starting a session.
  {
    name: 'startOk',
    type: 'xstate.done.actor.startSession',
    source: 'startSession',
    when: (s) => inState(s, 'starting.opening'),
    make: () => ({
      type: 'xstate.done.actor.startSession',
      output: { sessionId: 'model-session', messages: [inform] },
    }),
  },
  {
    name: 'startEnded',
    type: 'xstate.done.actor.startSession',
    source: 'startSession',
    when: (s) => inState(s, 'starting.opening'),
    make: () => ({
      type: 'xstate.done.actor.startSession',
      output: { sessionId: 'model-session', messages: [inform, ended] },
    }),
  },
  failure('startRefused', 'startSession', 'authentication', 'starting.opening'),
  failure('startWrongHost', 'startSession', 'not_found', 'starting.opening'),
  failure('startUnavailable', 'startSession', 'service_unavailable', 'starting.opening'),
  failure('startRateLimited', 'startSession', 'rate_limited', 'starting.opening'),
  failure('startDropped', 'startSession', 'connection', 'starting.opening'),
  failure('startMalformed', 'startSession', 'malformed_response', 'starting.opening'),
  // A message, synchronous.
  {
    name: 'replyOk',
    type: 'xstate.done.actor.sendMessage',
    source: 'sendMessage',
    when: (s) => inState(s, 'active.sending'),
    make: (s) => ({
      type: 'xstate.done.actor.sendMessage',
      output: { ...current(s), messages: [inform] },
    }),
  },
  {
    name: 'replyEnded',
    type: 'xstate.done.actor.sendMessage',
    source: 'sendMessage',
    when: (s) => inState(s, 'active.sending'),
    make: (s) => ({
      type: 'xstate.done.actor.sendMessage',
      output: { ...current(s), messages: [inform, ended] },
    }),
  },
  failure('sendNotFound', 'sendMessage', 'session_not_found', 'active.sending'),
  failure('sendRefused', 'sendMessage', 'authentication', 'active.sending'),
  failure('sendWrongHost', 'sendMessage', 'not_found', 'active.sending'),
  failure('sendForbidden', 'sendMessage', 'permission_denied', 'active.sending'),
  failure('sendUnavailable', 'sendMessage', 'service_unavailable', 'active.sending'),
  failure('sendRateLimited', 'sendMessage', 'rate_limited', 'active.sending'),
  failure('sendBusy', 'sendMessage', 'session_busy', 'active.sending'),
  failure('sendDropped', 'sendMessage', 'connection', 'active.sending'),
  failure('sendMalformed', 'sendMessage', 'malformed_response', 'active.sending'),
  // A message, streamed.
  {
    name: 'streamEvent',
    type: 'STREAM.EVENT',
    source: 'streamMessage',
    when: (s) => inState(s, 'active.streaming'),
    make: (s) => ({
      type: 'STREAM.EVENT',
      ...current(s),
      events: [{ kind: 'progress', message: { type: 'ProgressIndicator', id: 'model-progress' } }],
    }),
  },
  {
    name: 'streamDone',
    type: 'STREAM.DONE',
    source: 'streamMessage',
    when: (s) => inState(s, 'active.streaming'),
    make: (s) => ({ type: 'STREAM.DONE', output: { ...current(s), messages: [inform] } }),
  },
  {
    name: 'streamEnded',
    type: 'STREAM.DONE',
    source: 'streamMessage',
    when: (s) => inState(s, 'active.streaming'),
    make: (s) => ({ type: 'STREAM.DONE', output: { ...current(s), messages: [inform, ended] } }),
  },
  streamFailure('streamNotFound', 'session_not_found'),
  streamFailure('streamRefused', 'authentication'),
  streamFailure('streamWrongHost', 'not_found'),
  streamFailure('streamForbidden', 'permission_denied'),
  streamFailure('streamUnavailable', 'service_unavailable'),
  streamFailure('streamError', 'server_error'),
  streamFailure('streamDropped', 'connection'),
  streamFailure('streamStalled', 'stream_idle_timeout'),
  // Ending.
  {
    name: 'endOk',
    type: 'xstate.done.actor.endSession',
    source: 'endSession',
    when: ending,
    make: () => ({ type: 'xstate.done.actor.endSession', output: { messages: [ended] } }),
  },
  failure(
    'endNotFound',
    'endSession',
    'session_not_found',
    ending,
    (s) => s.context.sessionId !== null,
  ),
  failure('endUnavailable', 'endSession', 'service_unavailable', ending),
  failure('endRefused', 'endSession', 'authentication', ending),
];

export const VARIANT_BY_NAME: ReadonlyMap<string, Variant> = new Map(
  VARIANTS.map((v) => [v.name, v]),
);

/** STREAM.FAILED variants that fail before the first event: they cannot follow a STREAM.EVENT. */
export const PRE_STREAM_FAILURES: ReadonlySet<string> = new Set([
  'streamNotFound',
  'streamRefused',
  'streamWrongHost',
  'streamForbidden',
  'streamUnavailable',
]);

/**
 * Transitions of the machine that no call on the public API and no server behaviour can take,
 * each with the reason. The coverage check accepts exactly these as not taken (and fails if one
 * of them is taken after all, so the list cannot go stale).
 */
export const UNREACHABLE: ReadonlyMap<string, string> = new Map([
  [
    'session.ending --SEND--> (self)',
    'AgentSession.send() and stream() refuse a message in `ending` (SessionClosedError) before the machine sees it; test/machine/sequence.test.ts sends it to the actor',
  ],
  [
    'session.active.sending --xstate.done.actor.sendMessage--> (self)',
    'a stale reply: the sendMessage actor always answers with the sessionId and sequenceId of its own input, which is the message in flight (restore renumbers both); test/machine/sequence.test.ts drives stale replies with stub actors',
  ],
  [
    'session.active.streaming --STREAM.DONE--> (self)',
    'a stale streamed reply: the stream actor answers with the sessionId and sequenceId of its own input; test/machine/sequence.test.ts drives them',
  ],
  [
    'session.active.streaming --xstate.error.actor.streamMessage [hasQueuedTurns and nextTurnStreams]--> session.active.streaming',
    'the streamMessage callback actor never throws: every failure is reported as STREAM.FAILED; test/machine/sequence.test.ts throws from a stub',
  ],
  [
    'session.active.streaming --xstate.error.actor.streamMessage [hasQueuedTurns]--> session.active.sending',
    'the streamMessage callback actor never throws: every failure is reported as STREAM.FAILED; test/machine/sequence.test.ts throws from a stub',
  ],
  [
    'session.active.streaming --xstate.error.actor.streamMessage--> session.awaitingInput',
    'the streamMessage callback actor never throws: every failure is reported as STREAM.FAILED; test/machine/sequence.test.ts throws from a stub',
  ],
]);

// ---------------------------------------------------------------------------------------------
// Serialization and traversal.

/** The parts of the context that change what the machine can do next, all bounded. */
export function stateKey(s: Snap): string {
  const c = s.context;
  return JSON.stringify([
    s.value,
    s.status,
    c.queue.map((t) => (t.stream ? 'S' : 'M')),
    c.inFlight === null ? null : c.inFlight.stream ? 'S' : 'M',
    c.restarts,
    c.endRequested !== null,
    c.sessionId !== null,
    c.outcome?.reason ?? null,
  ]);
}

function eventsOf(s: Snap): ModelEvent[] {
  let n = 0;
  const id = () => `traversal-${turnBase(s)}-${n++}`;
  return VARIANTS.filter((v) => v.when(s))
    .map((v) => ({ ...v.make(s, id), variant: v.name }))
    .filter((e) => s.can(e as never));
}

/** A base for the turn ids of SEND during traversal, distinct from the turns in the context. */
function turnBase(s: Snap): number {
  return s.context.lastSequenceId * 10 + s.context.queue.length + (s.context.inFlight ? 1 : 0);
}

/**
 * The key of a state, plus — for a transition that changes nothing the key holds (a message
 * refused, a stream event, a floor raised) — the variant that was taken. Such self-loops then
 * become states of their own, so shortest paths reach them too.
 */
function keyWithSelfLoops(s: Snap, event: AnyEventObject | undefined, prev?: Snap): string {
  const key = stateKey(s);
  if (event && prev && stateKey(prev) === key) {
    return `${key} via ${(event as Partial<ModelEvent>).variant ?? event.type}`;
  }
  return key;
}

function serializeEvent(e: AnyEventObject): string {
  return (e as Partial<ModelEvent>).variant ?? e.type;
}

export type ModelPath = StatePath<Snap, ModelEvent>;

export interface GeneratedPath {
  /** `shortest` (to a state), `simple` (to closed) or `transition` (to a kind of step not yet taken). */
  kind: 'shortest' | 'simple' | 'transition';
  config: ModelConfig;
  /** The variants of the path, in order (the first step, `xstate.init`, left out). */
  variants: string[];
  /** The model state at the end. */
  target: string;
}

/** Bounds of the simple paths. */
export interface SimplePathOptions {
  /** Longest path, in steps. */
  maxLength: number;
  /** The variants walked: one per guard outcome keeps the count in hand. */
  variants: ReadonlySet<string>;
  /** At most this many paths per final state and length, the first in a stable order. */
  perBucket: number;
}

/** One variant per guard outcome: enough for simple paths, whose count grows fast. */
export const SIMPLE_PATHS: SimplePathOptions = {
  maxLength: 8,
  perBucket: 2,
  variants: new Set([
    'start',
    'send',
    'stream',
    'end',
    'cancelInFlight',
    'cancelQueued',
    'idleTimeout',
    'authorizeOk',
    'authorizeRefused',
    'startOk',
    'startEnded',
    'startUnavailable',
    'replyOk',
    'replyEnded',
    'sendNotFound',
    'sendRefused',
    'sendForbidden',
    'sendUnavailable',
    'streamDone',
    'streamEnded',
    'streamNotFound',
    'streamRefused',
    'streamForbidden',
    'streamError',
    'endOk',
    'endNotFound',
    'endUnavailable',
  ]),
};

/** The machine as `ActorLogic` for the graph functions (its emitted-event type gets in the way). */
const logic = sessionMachine as unknown as Parameters<typeof getAdjacencyMap>[0];

export function describeTarget(s: Snap): string {
  const value = typeof s.value === 'string' ? s.value : JSON.stringify(s.value);
  return s.status === 'done' ? `${value} (${s.context.outcome?.reason ?? '?'})` : value;
}

/**
 * The most states a traversal may visit (each configuration visits fewer than 1,000 today). A chart
 * whose bounded counters stop being bounded (say `canRestart` always holds, so `restarts` grows
 * without end) would otherwise make the traversal run forever, before any test starts.
 */
export const TRAVERSAL_LIMIT = 2_000;

function bounded<T>(config: ModelConfig, what: string, traverse: () => T): T {
  try {
    return traverse();
  } catch (err) {
    if (err instanceof Error && err.message === 'Traversal limit exceeded') {
      throw new Error(
        `model [${config.name}]: the traversal for ${what} visited more than ${TRAVERSAL_LIMIT} states: a part of the state key no longer has a bound (a counter that grows without end, such as restarts when canRestart always holds)`,
        { cause: err },
      );
    }
    throw err;
  }
}

/** A kind of step: a variant, from a state value (with or without messages waiting), to a state. */
function stepKind(before: Snap, variant: string, after: Snap): string {
  return JSON.stringify([
    before.value,
    before.context.queue.length > 0,
    variant,
    after.value,
    after.context.outcome?.reason ?? null,
  ]);
}

/**
 * Every path of the model for one configuration:
 *
 * - `shortest`: the shortest path to every state (self-loops, such as a refused message or a
 *   stream event, count as states of their own, so they are reached too);
 * - `simple`: simple paths (no state twice) to `closed`, bounded by `simple`;
 * - `transition`: for every kind of step (see {@link stepKind}) that those do not take, the
 *   shortest path to a state where it can happen, then that step: every failure from every
 *   state it can happen in.
 */
export function generatePaths(config: ModelConfig, simple: SimplePathOptions): GeneratedPath[] {
  const input = modelInput(config);
  const shortest = bounded(config, 'shortest paths', () =>
    getShortestPaths(logic, {
      limit: TRAVERSAL_LIMIT,
      input,
      events: eventsOf as never,
      serializeState: keyWithSelfLoops as never,
      serializeEvent: serializeEvent,
    }),
  ) as unknown as ModelPath[];
  const taken = new Set<string>();
  const out: GeneratedPath[] = [];
  for (const p of shortest) {
    const variants = p.steps.slice(1).map((step) => step.event.variant);
    p.steps.forEach((step, i) => {
      if (i > 0) taken.add(stepKind(p.steps[i - 1]!.state, variants[i - 1]!, step.state));
    });
    out.push({ kind: 'shortest', config, variants, target: describeTarget(p.state) });
  }

  // Simple paths: a depth-first walk of the graph of plain states.
  const adjacency = bounded(config, 'simple paths', () =>
    getAdjacencyMap(logic, {
      limit: TRAVERSAL_LIMIT,
      input,
      events: ((s: Snap) => eventsOf(s).filter((e) => simple.variants.has(e.variant))) as never,
      serializeState: ((s: Snap) => stateKey(s)) as never,
      serializeEvent: serializeEvent,
    }),
  ) as unknown as Record<string, { state: Snap; transitions: Record<string, { state: Snap }> }>;
  const [initial] = modelStart(input);
  const start = stateKey(initial);
  const buckets = new Map<string, number>();
  const onTrail = new Set<string>([start]);
  const trail: { variant: string; before: Snap; after: Snap }[] = [];
  const walk = (key: string) => {
    const node = adjacency[key];
    if (!node) return;
    if (node.state.status === 'done') {
      const bucket = `${describeTarget(node.state)}|${trail.length}`;
      const count = buckets.get(bucket) ?? 0;
      if (count < simple.perBucket) {
        buckets.set(bucket, count + 1);
        for (const t of trail) taken.add(stepKind(t.before, t.variant, t.after));
        out.push({
          kind: 'simple',
          config,
          variants: trail.map((t) => t.variant),
          target: describeTarget(node.state),
        });
      }
      return;
    }
    if (trail.length >= simple.maxLength) return;
    for (const [variant, { state: next }] of Object.entries(node.transitions)) {
      const nextKey = stateKey(next);
      if (onTrail.has(nextKey)) continue;
      onTrail.add(nextKey);
      trail.push({ variant, before: node.state, after: next });
      walk(nextKey);
      trail.pop();
      onTrail.delete(nextKey);
    }
  };
  walk(start);

  // Transition paths: every kind of step not taken yet, from the first state it can happen in.
  for (const head of shortest) {
    if (head.state.status !== 'active') continue;
    for (const e of eventsOf(head.state)) {
      const [next] = modelStep(head.state, e);
      const kind = stepKind(head.state, e.variant, next);
      if (taken.has(kind)) continue;
      taken.add(kind);
      out.push({
        kind: 'transition',
        config,
        variants: [...head.steps.slice(1).map((step) => step.event.variant), e.variant],
        target: describeTarget(next),
      });
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Replay: the exact model states of a path (the graph's stored states may be other states with
// the same key), with the events rebuilt from them.

export interface ReplayStep {
  variant: Variant;
  event: ModelEvent;
  before: Snap;
  after: Snap;
}

export interface Replay {
  initial: Snap;
  steps: ReplayStep[];
  /** What the machine emits along the path, after its start (from the actions `transition()` returns). */
  emitted: SessionEmitted[];
}

/** Replays a path on the machine with `transition()`, building each event from the real state. */
export function replay(path: GeneratedPath): Replay {
  // What the initial state emits happens before a caller can listen (the client starts the actor).
  const [initial] = modelStart(modelInput(path.config));
  const emitted: SessionEmitted[] = [];
  let s = initial;
  let turn = 0;
  const steps: ReplayStep[] = [];
  for (const name of path.variants) {
    const variant = VARIANT_BY_NAME.get(name);
    if (!variant) throw new Error(`model: unknown variant ${name}`);
    if (!variant.when(s))
      throw new Error(`model: variant ${name} is not offered in ${stateKey(s)}`);
    const event = { ...variant.make(s, () => `m${++turn}`), variant: name } as ModelEvent;
    if (!s.can(event as never)) throw new Error(`model: ${name} is not enabled in ${stateKey(s)}`);
    const [after, actions] = modelStep(s, event);
    emitted.push(...emittedBy(actions));
    steps.push({ variant, event, before: s, after });
    s = after;
  }
  return { initial, steps, emitted };
}

// ---------------------------------------------------------------------------------------------
// The machine's definition: every state and every transition, read from the state nodes.

export interface DefinedTransition {
  key: string;
  source: string;
  eventType: string;
  guard: string;
  targets: string[];
}

/** The identity of a transition: source, event, guard and targets (`(self)` when targetless). */
export function transitionKey(t: {
  source: { id: string };
  eventType: string;
  guard?: unknown;
  target?: readonly { id: string }[] | undefined;
}): string {
  const guard = guardLabel(t.guard);
  const targets = (t.target ?? []).map((n) => n.id).join(',') || '(self)';
  return `${t.source.id} --${t.eventType || 'always'}${guard ? ` [${guard}]` : ''}--> ${targets}`;
}

function stateNodes(node: AnyStateNode): AnyStateNode[] {
  return [node, ...Object.values(node.states).flatMap((child) => stateNodes(child))];
}

/** Every state node id (the root left out) and every transition of the machine. */
export function machineDefinition(machine: { root: AnyStateNode } = sessionMachine): {
  states: string[];
  transitions: DefinedTransition[];
} {
  const nodes = stateNodes(machine.root);
  const transitions: DefinedTransition[] = [];
  for (const node of nodes) {
    const all = [...[...node.transitions.values()].flat(), ...(node.always ?? [])];
    for (const t of all) {
      transitions.push({
        key: transitionKey(t),
        source: node.id,
        eventType: t.eventType || 'always',
        guard: guardLabel(t.guard),
        targets: (t.target ?? []).map((n) => n.id),
      });
    }
  }
  const keys = new Set(transitions.map((t) => t.key));
  if (keys.size !== transitions.length) throw new Error('model: two transitions have one key');
  return { states: nodes.filter((n) => n !== machine.root).map((n) => n.id), transitions };
}
