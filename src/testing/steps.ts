/**
 * The steps of a lifecycle path: what the app does (send a message, end the conversation) and
 * what the agent and the server do, each as the machine event it stands for (to walk and replay
 * the production machine) and as the requests the emulator answers (to run it).
 */
import type { AnyEventObject } from 'xstate';
import type { ErrorCode } from '../../machines/session.types.js';
import type { Fault } from '../fake-server/fault-types.js';
import { inState, type Snap } from './machine.js';

/** The routes of the emulator a step's requests go to. */
export type PlanRoute = 'token' | 'start' | 'send' | 'end';

/** One request the emulator answers: with a fault, or normally (`fault` undefined). */
export interface PlannedRequest {
  readonly route: PlanRoute;
  readonly fault?: Fault;
}

/** What the agent does with the message in flight, when it reaches the agent. */
export type AgentAct = 'reply' | 'ask' | 'endSession';

/** Attempts of one request before the client gives up: the first and the 2 retries the harness configures. */
export const ATTEMPTS = 3;

/** Who makes a step happen. */
export type StepSource = 'app' | 'token' | 'start' | 'message' | 'end';

/** A step of a path. */
export interface Step {
  /** Unique name, e.g. `expire`. */
  readonly name: string;
  readonly source: StepSource;
  /** Whether the step can happen in this state. */
  when(s: Snap): boolean;
  /** The machine event, built from the state it happens in. */
  event(s: Snap, turnId: string): AnyEventObject;
  /** The requests it takes (`tokenCached`: the client holds a token it may use). */
  requests(tokenCached: boolean): readonly PlannedRequest[];
  /** What the agent does with the message (for the steps that reach the agent). */
  readonly act?: AgentAct;
  /** How it reads in a path's description (empty for the ordinary steps). */
  readonly phrase: string;
  /** For a failure: the typed error the client reports. */
  readonly code?: ErrorCode;
}

const repeat = (n: number, r: PlannedRequest): PlannedRequest[] =>
  Array.from({ length: n }, () => r);
const ok = (route: PlanRoute): PlannedRequest => ({ route });
const refused: PlannedRequest = { route: 'token', fault: { status: 401 } };

function errorEvent(actor: string, code: ErrorCode): AnyEventObject {
  return {
    type: `xstate.error.actor.${actor}`,
    error: { name: 'AgentforceError', code, message: code },
  };
}

function inFlight(s: Snap): { sessionId: string; sequenceId: number } {
  return {
    sessionId: s.context.inFlight?.sessionId ?? '',
    sequenceId: s.context.inFlight?.sequenceId ?? -1,
  };
}

const sending = (s: Snap) => inState(s, 'active.sending');

function reply(
  name: string,
  act: AgentAct,
  messages: readonly object[],
  phrase: string,
  before: PlannedRequest[] = [],
): Step {
  return {
    name,
    source: 'message',
    when: sending,
    event: (s) => ({ type: 'xstate.done.actor.sendMessage', output: { ...inFlight(s), messages } }),
    requests: () => [...before, ok('send')],
    act,
    phrase,
  };
}

function failure(
  name: string,
  source: 'token' | 'start' | 'message' | 'end',
  code: ErrorCode,
  requests: (tokenCached: boolean) => PlannedRequest[],
  phrase: string,
  act?: AgentAct,
): Step {
  const actor = {
    token: 'authorize',
    start: 'startSession',
    message: 'sendMessage',
    end: 'endSession',
  }[source];
  const state = {
    token: 'starting.authorizing',
    start: 'starting.opening',
    message: 'active.sending',
    end: 'ending',
  }[source];
  return {
    name,
    source,
    when: (s) => inState(s, state),
    event: () => errorEvent(actor, code),
    requests,
    code,
    phrase,
    ...(act !== undefined && { act }),
  };
}

const informed = { type: 'Inform', id: 'kit-inform', message: 'ok' };
const asked = { type: 'Inquire', id: 'kit-question', message: 'which one?' };
const ended = { type: 'SessionEnded', id: 'kit-ended', reason: 'Action' };
const rateLimited: Fault = { status: 429, retryAfter: 1 };
const unavailable: Fault = { status: 503 };

/** Every step a generated path is made of. */
export const STEPS: readonly Step[] = [
  {
    name: 'send',
    source: 'app',
    // One message at a time: the app waits for the answer before it sends the next.
    when: (s) => inState(s, 'idle') || inState(s, 'awaitingInput'),
    event: (_s, turnId) => ({ type: 'SEND', turnId, text: 'a message' }),
    requests: () => [],
    phrase: '',
  },
  {
    name: 'end',
    source: 'app',
    when: (s) => inState(s, 'awaitingInput'),
    event: () => ({ type: 'END', reason: 'UserRequest' }),
    requests: () => [],
    phrase: '',
  },
  {
    name: 'tokenGranted',
    source: 'token',
    when: (s) => inState(s, 'starting.authorizing'),
    event: () => ({ type: 'xstate.done.actor.authorize', output: { expiresAt: null } }),
    requests: (cached) => (cached ? [] : [ok('token')]),
    phrase: '',
  },
  {
    // Only the first token request of a conversation: a restart uses the token the client holds.
    ...failure('tokenRefused', 'token', 'authentication', () => [refused], 'the token is refused'),
    when: (s) => inState(s, 'starting.authorizing') && s.context.restarts === 0,
  },
  {
    name: 'started',
    source: 'start',
    when: (s) => inState(s, 'starting.opening'),
    event: () => ({
      type: 'xstate.done.actor.startSession',
      output: { sessionId: 'kit-session', messages: [informed] },
    }),
    requests: () => [ok('start')],
    phrase: '',
  },
  failure(
    'startUnavailable',
    'start',
    'service_unavailable',
    () => repeat(ATTEMPTS, { route: 'start', fault: unavailable }),
    'starting the session gets 503 until the client gives up',
  ),
  failure(
    'startRateLimited',
    'start',
    'rate_limited',
    () => repeat(ATTEMPTS, { route: 'start', fault: rateLimited }),
    'starting the session gets 429 (Retry-After: 1) until the client gives up',
  ),
  reply('reply', 'reply', [informed], ''),
  reply('ask', 'ask', [asked], 'the agent asks a question back'),
  reply('replyAfter429', 'reply', [informed], 'a 429 with Retry-After: 1, retried', [
    { route: 'send', fault: rateLimited },
  ]),
  reply('replyAfter503', 'reply', [informed], 'a 503, retried', [
    { route: 'send', fault: unavailable },
  ]),
  reply('endSession', 'endSession', [informed, ended], 'the agent answers and ends the session'),
  failure(
    'expire',
    'message',
    'session_not_found',
    () => [{ route: 'send', fault: { sessionNotFound: true } }],
    'the session expires on the server',
  ),
  failure(
    'messageRateLimited',
    'message',
    'rate_limited',
    () => repeat(ATTEMPTS, { route: 'send', fault: rateLimited }),
    '429 (Retry-After: 1) until the client gives up',
  ),
  failure(
    'messageUnavailable',
    'message',
    'service_unavailable',
    () => repeat(ATTEMPTS, { route: 'send', fault: unavailable }),
    '503 until the client gives up',
  ),
  failure(
    'cut',
    'message',
    'connection',
    () => [{ route: 'send', fault: { drop: 'after' } }],
    'the agent answers but the connection is cut before the reply arrives',
    'reply',
  ),
  failure(
    'messageTokenRefused',
    'message',
    'authentication',
    () => [{ route: 'send', fault: { status: 401 } }, refused],
    'the token is refused (401, then the token endpoint refuses a new one)',
  ),
  {
    name: 'endOk',
    source: 'end',
    when: (s) => inState(s, 'ending'),
    event: () => ({ type: 'xstate.done.actor.endSession', output: { messages: [ended] } }),
    requests: () => [ok('end')],
    phrase: '',
  },
  failure(
    'endGone',
    'end',
    'session_not_found',
    () => [{ route: 'end', fault: { sessionNotFound: true } }],
    'the session is already gone on the server (404)',
  ),
  failure(
    'endUnavailable',
    'end',
    'service_unavailable',
    () => repeat(ATTEMPTS, { route: 'end', fault: unavailable }),
    'ending gets 503 until the client gives up',
  ),
];

export const STEP_BY_NAME: ReadonlyMap<string, Step> = new Map(STEPS.map((s) => [s.name, s]));

/** The step of this name. @throws Error for an unknown name. */
export function stepNamed(name: string): Step {
  const step = STEP_BY_NAME.get(name);
  if (!step) throw new Error(`testing: unknown step ${JSON.stringify(name)}`);
  return step;
}
