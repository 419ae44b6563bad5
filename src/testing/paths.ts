/**
 * Lifecycle paths generated from the production session machine with `xstate/graph`: the
 * shortest way to every state the machine can be in while an app converses through it, and then
 * every step (each failure kind included) from every state it can happen in. Each path is
 * replayed on the machine to know what the app must show for each message.
 */
import type { AnyEventObject } from 'xstate';
import { getShortestPaths } from 'xstate/graph';
import { sessionMachine } from '../../machines/session.machine.js';
import type { ErrorCode, SessionInput } from '../../machines/session.types.js';
import { emittedBy, modelStart, modelStep, type Snap } from './machine.js';
import { STEPS, stepNamed, type AgentAct, type PlannedRequest } from './steps.js';

/** The agent id of every session of a path. */
export const KIT_AGENT_ID = '0XxKIT000000001AAA';

/** The machine's input: the client's defaults (restart on expiry, 3 restarts, a queue of 100). */
const INPUT: SessionInput = { agentId: KIT_AGENT_ID, endpoint: 'https://kit.invalid' };

/** What the app must show for one message. */
export type Expected =
  | { readonly answered: true; readonly act: AgentAct }
  | { readonly answered: false; readonly code: ErrorCode };

/** One user message of a path and what must become of it. */
export interface PathMessage {
  /** 1-based. */
  readonly n: number;
  readonly text: string;
  readonly expected: Expected;
  /** Whether it answers a question the agent asked (it must carry `inReplyToMessageId`). */
  readonly answersQuestion: boolean;
  /** What the agent says to it, when it reaches the agent. */
  readonly agentText: string;
}

/** The texts of one message of a scenario, when not the generated ones. */
export interface MessageTexts {
  readonly user?: string | undefined;
  readonly agent?: string | undefined;
}

/** A lifecycle path: a conversation, what the agent and the server do in it, and what must result. */
export interface LifecyclePath {
  /** Readable, e.g. `2nd message: the session expires on the server, a new session starts, answered once`. */
  readonly description: string;
  /** The user messages, in order. */
  readonly messages: readonly PathMessage[];
  /** The steps, by name, one list per server session conversation (a close then a new session). */
  readonly runs: readonly (readonly string[])[];
  /** The requests the emulator answers, by route, in order. */
  readonly requests: readonly PlannedRequest[];
  /** What the agent does with each message that reaches it, by message number. */
  readonly acts: ReadonlyMap<number, AgentAct>;
  /** Server sessions the client cannot end on this path (the server keeps them until they expire). */
  readonly leftOpen: number;
}

type KitEvent = AnyEventObject & { step: string };

function eventsOf(s: Snap): KitEvent[] {
  return STEPS.filter((step) => step.when(s))
    .map((step) => ({ ...step.event(s, `t${s.context.lastSequenceId}`), step: step.name }))
    .filter((e) => s.can(e as never));
}

/** What tells two states apart for an app: where the session is, and what it remembers. */
function stateKey(s: Snap, withRestarts = true): string {
  const c = s.context;
  return JSON.stringify([
    s.value,
    s.status,
    withRestarts ? c.restarts : null,
    c.pendingQuestionId !== null,
    c.sessionId !== null,
    // The first message of a conversation, or a later one (its session may have sat idle).
    c.lastSequenceId > 1,
    c.outcome?.reason ?? null,
    c.outcome?.error?.code ?? null,
  ]);
}

const logic = sessionMachine as unknown as Parameters<typeof getShortestPaths>[0];

/** The ordinary continuation from a state: the token, the session, an answer, the app's end. */
const FINISH = ['tokenGranted', 'started', 'reply', 'endOk', 'end'].map(stepNamed);

function finish(s: Snap, names: string[]): void {
  let state = s;
  for (let i = 0; i < 20 && state.status === 'active'; i++) {
    const step = FINISH.find((f) => f.when(state));
    if (!step) throw new Error(`testing: no way to finish from ${stateKey(state)}`);
    names.push(step.name);
    [state] = modelStep(state, step.event(state, `f${i}`));
  }
}

/** A conversation where the next message is answered in a new session. */
const NEXT_SESSION = ['send', 'tokenGranted', 'started', 'reply', 'end', 'endOk'];

/**
 * Every lifecycle path: the shortest path to each state an app can reach (with the client's
 * default options), then each step not taken yet from each state it can happen in; each finished
 * the ordinary way, and followed by one more message in a new session when the server, a failure
 * or an expiry closed the session.
 */
export function lifecyclePaths(): LifecyclePath[] {
  const [initial] = modelStart(INPUT);
  const shortest = getShortestPaths(logic, {
    input: INPUT,
    events: eventsOf as never,
    serializeState: ((s: Snap) => stateKey(s)) as never,
    serializeEvent: (e: AnyEventObject) => (e as Partial<KitEvent>).step ?? e.type,
  }) as unknown as { state: Snap; steps: { state: Snap; event: KitEvent }[] }[];
  const heads: string[][] = [];
  const taken = new Set<string>();
  // A kind of step: the step, from a state (the restart count left out: every restart is alike).
  const kind = (before: Snap, step: string) => {
    const c = before.context;
    return JSON.stringify([
      before.value,
      c.pendingQuestionId !== null,
      c.sessionId !== null,
      c.lastSequenceId > 1,
      step,
    ]);
  };
  // The restart count tells states apart only to reach the spent restart budget: of the states
  // that differ by it alone, the one reached first is enough.
  const reached = new Set<string>();
  const kept = [...shortest]
    .sort((a, b) => a.steps.length - b.steps.length)
    .filter((p) => {
      const key = stateKey(p.state, false);
      if (reached.has(key)) return false;
      reached.add(key);
      return true;
    });
  for (const p of kept) {
    p.steps.slice(1).forEach((st, i) => taken.add(kind(p.steps[i]!.state, st.event.step)));
    heads.push(p.steps.slice(1).map((st) => st.event.step));
  }
  for (const p of kept) {
    if (p.state.status !== 'active') continue;
    for (const e of eventsOf(p.state)) {
      if (taken.has(kind(p.state, e.step))) continue;
      taken.add(kind(p.state, e.step));
      heads.push([...p.steps.slice(1).map((st) => st.event.step), e.step]);
    }
  }
  const seen = new Set<string>();
  const out: LifecyclePath[] = [];
  for (const head of heads) {
    if (head.length === 0) continue;
    const run = [...head];
    let s = initial;
    for (const name of run) [s] = modelStep(s, stepNamed(name).event(s, 'x'));
    finish(s, run);
    const runs = [run];
    const final = replayRun(run);
    if (final.context.outcome?.reason !== 'ended' || final.context.endReason === null) {
      runs.push(NEXT_SESSION);
    }
    const id = runs.map((r) => r.join(' ')).join(' | ');
    if (seen.has(id)) continue;
    seen.add(id);
    out.push(pathOf(runs));
  }
  return out;
}

/** The final state of a run, replayed on the machine. @throws Error when a step cannot happen. */
function replayRun(run: readonly string[]): Snap {
  let [s] = modelStart(INPUT);
  run.forEach((name, i) => {
    const event = stepNamed(name).event(s, `m${i}`);
    if (!stepNamed(name).when(s) || !s.can(event as never)) {
      throw new Error(`testing: step ${name} cannot happen in ${stateKey(s)}`);
    }
    [s] = modelStep(s, event);
  });
  return s;
}

const ORDINAL = ['th', 'st', 'nd', 'rd'];
/** `1st`, `2nd`, `3rd`, `4th`, ... */
export function ordinal(n: number): string {
  const teen = n % 100 >= 11 && n % 100 <= 13;
  return `${n}${teen ? 'th' : (ORDINAL[n % 10] ?? 'th')}`;
}

/** The text of the `n`th message; an answer to a question says so. */
export function messageText(n: number, answersQuestion: boolean): string {
  return answersQuestion
    ? `Message ${n}: my order number is ${4200 + n}.`
    : `Message ${n}: where is my order?`;
}

/** What the agent says for message `n`. */
export function agentText(n: number, act: AgentAct): string {
  switch (act) {
    case 'ask':
      return `Before I answer message ${n}: what is your order number?`;
    case 'endSession':
      return `Answer to message ${n}. Goodbye!`;
    default:
      return `Answer to message ${n}.`;
  }
}

/** Builds a path from its runs: messages, expectations, requests and description. */
export function pathOf(
  runs: readonly (readonly string[])[],
  texts: readonly MessageTexts[] = [],
): LifecyclePath {
  const messages: PathMessage[] = [];
  const requests: PlannedRequest[] = [];
  const acts = new Map<number, AgentAct>();
  const phrases: string[] = [];
  let leftOpen = 0;
  let tokenCached = false;
  let questionPending = false;
  runs.forEach((run, r) => {
    let [s] = modelStart(INPUT);
    const turnOf = new Map<string, number>();
    let parts: string[] = [];
    let lastAct: AgentAct | undefined;
    const ending: string[] = [];
    let open = false;
    run.forEach((name, i) => {
      const step = stepNamed(name);
      const event = step.event(s, `m${i}`);
      if (!step.when(s) || !s.can(event as never)) {
        throw new Error(`testing: step ${name} cannot happen in ${stateKey(s)}`);
      }
      requests.push(...step.requests(tokenCached));
      if (name === 'tokenGranted') tokenCached = true;
      if (step.code === 'authentication') tokenCached = false;
      const [after, actions] = modelStep(s, event);
      if (name === 'started') open = true;
      if (['expire', 'endSession', 'endOk', 'endGone'].includes(name)) open = false;
      if (name === 'send') {
        const n = messages.length + 1;
        messages.push({
          n,
          text: texts[n - 1]?.user ?? messageText(n, questionPending),
          expected: { answered: false, code: 'internal' },
          answersQuestion: questionPending,
          agentText: '',
        });
        questionPending = false;
        turnOf.set(`m${i}`, n);
        parts = [];
        lastAct = undefined;
      } else if (step.source === 'end') {
        if (step.phrase) ending.push(step.phrase);
      } else {
        if (step.phrase) parts.push(step.phrase);
        if (step.act) {
          lastAct = step.act;
          acts.set(messages.length, step.act);
        }
        if (name === 'ask') questionPending = true;
        if (name === 'expire' && after.status === 'active') {
          parts.push(`a new session starts (restart ${after.context.restarts})`);
        }
      }
      for (const e of emittedBy(actions)) {
        if (e.type !== 'turn.completed' && e.type !== 'turn.failed') continue;
        const n = turnOf.get(e.turnId);
        if (n === undefined) continue;
        const msg = messages[n - 1]!;
        const expected: Expected =
          e.type === 'turn.completed'
            ? { answered: true, act: lastAct ?? 'reply' }
            : { answered: false, code: e.error.code };
        messages[n - 1] = { ...msg, expected };
        const fresh = r > 0 && turnOf.size === 1 ? ' in a new session' : '';
        const result = expected.answered ? `answered once${fresh}` : `fails with ${expected.code}`;
        const what = msg.answersQuestion ? ' (the answer to the question)' : '';
        phrases.push(`${ordinal(n)} message${what}: ${[...parts, result].join(', ')}`);
        parts = [];
      }
      s = after;
    });
    if (open) leftOpen += 1;
    const stays = ' (the session stays open on the server until it expires)';
    const how = ending.length > 0 ? `: ${ending.join(', ')}` : '';
    if (run.includes('end')) {
      phrases.push(`the app ends the conversation${how}${open ? stays : ''}`);
    } else if (run.some((name) => stepNamed(name).source === 'end')) {
      // A fatal error on a message: the client ends the server session itself (reason Error).
      phrases.push(`the client ends the session after the failure${how}${open ? stays : ''}`);
    } else if (open) {
      phrases.push(`the client cannot end the session${stays}`);
    }
  });
  const complete = messages.map((m) => ({
    ...m,
    agentText: texts[m.n - 1]?.agent ?? agentText(m.n, acts.get(m.n) ?? 'reply'),
  }));
  return { description: phrases.join('; '), messages: complete, runs, requests, acts, leftOpen };
}
