/**
 * Scenarios: what the agent and the server do with each message of a conversation, written by
 * hand. A scenario becomes a {@link LifecyclePath} like the generated ones (the production machine
 * fills in what the client does meanwhile: getting a token, starting a session, restarting after
 * an expiry) and runs the same way.
 */
import { inState, modelStart, modelStep, type Snap } from './machine.js';
import { KIT_AGENT_ID, pathOf, type LifecyclePath, type MessageTexts } from './paths.js';
import { stepNamed } from './steps.js';

/** One thing the agent or the server does while a message is handled, in the order they happen. */
export interface ScenarioStep {
  /** The step's name (see the builders: {@link reply}, {@link expireNow}, ...). */
  readonly step: string;
  /** The agent's text, for {@link reply}, {@link ask} and {@link endSession}. */
  readonly text?: string | undefined;
}

/** One user message and what happens to it. */
export interface ScenarioTurn {
  /** What the user says. @default a generated text naming the message's number */
  readonly user?: string;
  /** What the agent and the server do with it, in order; the agent replies when nothing is said. */
  readonly then?: readonly ScenarioStep[];
}

/** A conversation written by hand. */
export interface Scenario {
  /** Shown as the path's description. */
  readonly name: string;
  readonly turns: readonly ScenarioTurn[];
  /** What the server does when the app ends the conversation. @default the session ends */
  readonly atEnd?: ScenarioStep;
}

/** The agent answers (an `Inform`). */
export const reply = (text?: string): ScenarioStep => ({ step: 'reply', text });
/** The agent asks a question back (an `Inquire`): the next message must answer it with `inReplyToMessageId`. */
export const ask = (question?: string): ScenarioStep => ({ step: 'ask', text: question });
/** The agent answers and ends the session (`Inform` + `SessionEnded`): the next message needs a new session. */
export const endSession = (text?: string): ScenarioStep => ({ step: 'endSession', text });
/** The session expires on the server now: the message gets 404; the client starts a new session and re-sends it. */
export const expireNow = (): ScenarioStep => ({ step: 'expire' });
/**
 * 429 with `Retry-After: 1`: once (the client waits and retries), or, with `untilGiveUp`, for
 * every attempt (the message fails with `rate_limited`).
 */
export const rateLimit = (options: { untilGiveUp?: boolean } = {}): ScenarioStep => ({
  step: options.untilGiveUp ? 'messageRateLimited' : 'replyAfter429',
});
/** 503: once (retried), or, with `untilGiveUp`, for every attempt (`service_unavailable`). */
export const unavailable = (options: { untilGiveUp?: boolean } = {}): ScenarioStep => ({
  step: options.untilGiveUp ? 'messageUnavailable' : 'replyAfter503',
});
/** The agent answers, but the connection is cut before the reply arrives (`connection`). */
export const cutConnection = (): ScenarioStep => ({ step: 'cut' });
/**
 * The token is refused: at the session's start, the token endpoint refuses it; on a message, the
 * API answers 401 and the token endpoint refuses a new one (`authentication`).
 */
export const refuseToken = (): ScenarioStep => ({ step: 'refuseToken' });
/** Starting the session gets 503 (or, with `rateLimited`, 429) until the client gives up. */
export const startFails = (options: { rateLimited?: boolean } = {}): ScenarioStep => ({
  step: options.rateLimited ? 'startRateLimited' : 'startUnavailable',
});
/** At the end: the session is already gone on the server (404 on `DELETE`; it counts as ended). */
export const goneAtEnd = (): ScenarioStep => ({ step: 'endGone' });
/** At the end: `DELETE` gets 503 until the client gives up (the session stays open on the server). */
export const endFails = (): ScenarioStep => ({ step: 'endUnavailable' });

/** What the client does by itself in a state, when the scenario says nothing else. */
const DEFAULTS: readonly [string, string][] = [
  ['starting.authorizing', 'tokenGranted'],
  ['starting.opening', 'started'],
  ['active.sending', 'reply'],
  ['ending', 'endOk'],
];

/** `refuseToken` is the token endpoint's refusal at the first start, a 401 on a message later. */
function resolveName(step: ScenarioStep, s: Snap, firstRun: boolean): string {
  if (step.step === 'refuseToken') {
    return firstRun && inState(s, 'starting.authorizing') && s.context.restarts === 0
      ? 'tokenRefused'
      : 'messageTokenRefused';
  }
  return step.step;
}

function can(name: string, s: Snap): boolean {
  const step = stepNamed(name);
  return step.when(s) && s.can(step.event(s, 'x') as never);
}

const RETRIED = new Set(['replyAfter429', 'replyAfter503']);

/** A 429 or 503 retried once is one step with the reply that follows it. */
function retriedReplies(steps: readonly ScenarioStep[], where: () => string): ScenarioStep[] {
  const out: ScenarioStep[] = [];
  steps.forEach((step, i) => {
    if (i > 0 && RETRIED.has(steps[i - 1]!.step)) {
      if (step.step !== 'reply') {
        throw new Error(
          `${where()}: a retried ${steps[i - 1]!.step === 'replyAfter429' ? '429' : '503'} must be followed by reply()`,
        );
      }
      return;
    }
    out.push(step);
  });
  return out;
}

/**
 * Turns a scenario into a path: each turn's steps happen in order while its message is handled,
 * the client's own steps (token, session start, restart) in between. A message sent after the
 * session closed starts a new one.
 *
 * @throws Error naming the turn when a step cannot happen where it is written.
 */
export function scenarioPath(scenario: Scenario): LifecyclePath {
  const runs: string[][] = [];
  const texts: MessageTexts[] = [];
  const input = { agentId: KIT_AGENT_ID, endpoint: 'https://kit.invalid' };
  let run: string[] = [];
  let [s] = modelStart(input);
  const take = (name: string) => {
    run.push(name);
    [s] = modelStep(s, stepNamed(name).event(s, `m${run.length}`));
  };
  scenario.turns.forEach((turn, t) => {
    if (s.status === 'done') {
      runs.push(run);
      run = [];
      [s] = modelStart(input);
    }
    const steps = retriedReplies(
      turn.then ?? [],
      () => `scenario "${scenario.name}": turn ${t + 1}`,
    );
    const agent = (turn.then ?? []).find((x) => x.text !== undefined)?.text;
    texts.push({ user: turn.user, agent });
    take('send');
    const turnId = s.context.inFlight?.turnId ?? s.context.queue[0]?.turnId;
    const settled = () =>
      s.status === 'done' ||
      (s.context.inFlight?.turnId !== turnId && !s.context.queue.some((q) => q.turnId === turnId));
    for (let guard = 0; guard < 50 && !settled(); guard++) {
      const head = steps[0];
      const wanted = head === undefined ? undefined : resolveName(head, s, runs.length === 0);
      if (wanted !== undefined && can(wanted, s)) {
        steps.shift();
        take(wanted);
        continue;
      }
      const fallback = DEFAULTS.find(([state, name]) => inState(s, state) && can(name, s));
      if (!fallback) throw new Error(`scenario "${scenario.name}": turn ${t + 1} cannot go on`);
      take(fallback[1]);
    }
    if (steps.length > 0) {
      throw new Error(
        `scenario "${scenario.name}": turn ${t + 1}: ${steps.map((x) => x.step).join(', ')} cannot happen (the message was settled before)`,
      );
    }
  });
  if (s.status === 'active') {
    take('end');
    const atEnd = scenario.atEnd?.step ?? 'endOk';
    if (!can(atEnd, s)) throw new Error(`scenario "${scenario.name}": ${atEnd} cannot end it`);
    take(atEnd);
  }
  runs.push(run);
  const path = pathOf(runs, texts);
  return { ...path, description: `${scenario.name} (${path.description})` };
}
